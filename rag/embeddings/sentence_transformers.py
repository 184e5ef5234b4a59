"""Embedder backed by any sentence-transformers model (the ``st`` extra).

Spec: ``sentence-transformers:NAME_OR_PATH`` where NAME_OR_PATH is either a
local directory holding a model (as written by ``SentenceTransformer.save`` or
``save_pretrained``) or a Hugging Face hub name such as
``intfloat/multilingual-e5-small``.

This module never touches the network. A hub name is only accepted when the
model is already in the local Hugging Face cache (``HF_HUB_CACHE`` /
``HF_HOME``, or ``SENTENCE_TRANSFORMERS_HOME``); it is then loaded from the
cached snapshot directory. Otherwise construction fails at once with one
:class:`EmbedderError` that says how to get the model. Nothing heavy (torch,
sentence_transformers) is imported until the first embedding or ``dimension``
call.

Model conventions handled here:

* E5 models (name contains ``e5``): ``query: `` / ``passage: `` prefixes
  (``*-e5-*-instruct``: an instruction for queries, nothing for passages).
* BGE models: the query instruction from the model card for the English and
  Chinese v1/v1.5 models; none for bge-m3 or unknown BGE models.
* Otherwise, if the model ships prompts named ``query`` (and ``document`` or
  ``passage``) in its ``config_sentence_transformers.json``, they are used.
* Vectors are always L2-normalised (``normalize_embeddings=True``).

Settings (rag/settings.py): ``embedder.st_device`` (``RAG_ST_DEVICE``: cpu, cuda,
cuda:N, mps; default cpu) and ``embedder.st_batch_size`` (``RAG_ST_BATCH_SIZE``, default
32) give the defaults for ``device`` and ``batch_size``; ``embedder.st_home``
(``SENTENCE_TRANSFORMERS_HOME``) is one more place to look for cached models.

The helpers :func:`resolve_model` and :func:`model_fingerprint` are shared with
:mod:`rag.reranking`.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.extras import MissingExtra, require

from .base import Embedder, EmbedderError

ST_NOTE = " (it pins torch==2.13.0, the CPU build)"

# Above this many texts in one call a progress bar is shown (unless told otherwise).
PROGRESS_THRESHOLD = 256

_DEVICE_RE = re.compile(r"^(cpu|mps|cuda(:\d+)?)$")

# Query instructions from the BGE model cards, matched by substring of the
# lower-cased model name, first match wins. bge-m3 needs no instruction.
_BGE_EN = "Represent this sentence for searching relevant passages: "
_BGE_ZH = "为这个句子生成表示以用于检索相关文章："
_BGE_QUERY_INSTRUCTIONS: tuple[tuple[str, str], ...] = (
    ("bge-m3", ""),
    ("bge-small-en", _BGE_EN),
    ("bge-base-en", _BGE_EN),
    ("bge-large-en", _BGE_EN),
    ("bge-small-zh", _BGE_ZH),
    ("bge-base-zh", _BGE_ZH),
    ("bge-large-zh", _BGE_ZH),
)
_E5_INSTRUCT_QUERY = (
    "Instruct: Given a question, retrieve passages that answer the question\nQuery: ")

# Files whose changes do not change the vectors; left out of the fingerprint.
_FINGERPRINT_SKIP_FILES = {"README.md", ".gitattributes"}
_FINGERPRINT_SKIP_DIRS = {"onnx", "openvino"}
_SMALL_FILE = 256 * 1024
_SAMPLES = 16
_SAMPLE_BYTES = 64 * 1024


def prompt_convention(model_name: str) -> tuple[str, str]:
    """(query prefix, passage prefix) this model expects, by its name."""
    name = model_name.lower()
    base = name.rstrip("/").rsplit("/", 1)[-1]
    if "e5" in base:
        if "instruct" in base:
            return _E5_INSTRUCT_QUERY, ""
        return "query: ", "passage: "
    if "bge" in base:
        for key, instruction in _BGE_QUERY_INSTRUCTIONS:
            if key in base:
                return instruction, ""
    return "", ""


@dataclass(frozen=True)
class ResolvedModel:
    """Where a model spec points on this machine."""

    name: str  # as given (hub name or path)
    path: Path  # directory to load from
    local_dir: bool  # True: the user named a directory; False: a hub name found in the cache

    @property
    def display_name(self) -> str:
        """Name used for conventions and ids: hub name, or the directory's basename.

        A directory inside the Hugging Face cache (``models--ORG--NAME/snapshots/SHA``)
        is named after its repository, not its commit hash.
        """
        if not self.local_dir:
            return self.name
        parent = self.path.parent
        if parent.name == "snapshots" and parent.parent.name.startswith("models--"):
            return parent.parent.name[len("models--"):].replace("--", "/")
        return self.path.name


def _looks_like_path(name: str) -> bool:
    return (name.startswith(("/", "./", "../", "~", "\\")) or name in (".", "..")
            or bool(re.match(r"^[A-Za-z]:[\\/]", name)) or name.count("/") > 1)


def _settings(settings=None):
    """``settings`` (rag.settings.Settings), else this process's."""
    if settings is not None:
        return settings
    from rag.settings import current

    return current()


def _cache_dirs(settings=None) -> list[str | None]:
    dirs: list[str | None] = [None]  # None = huggingface_hub's own default (HF_HUB_CACHE)
    st_home = _settings(settings).embedder.st_home
    if st_home:
        dirs.append(str(st_home))
    return dirs


def _find_in_hf_cache(repo_id: str, settings=None) -> Path | None:
    """Snapshot directory of a cached hub model, looking only at the local disk."""
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:  # pragma: no cover - huggingface_hub comes with sentence-transformers
        return None
    candidates = [repo_id] if "/" in repo_id else [repo_id, f"sentence-transformers/{repo_id}"]
    for cache_dir in _cache_dirs(settings):
        for rid in candidates:
            for filename in ("modules.json", "config.json"):
                try:
                    found = try_to_load_from_cache(rid, filename, cache_dir=cache_dir)
                except Exception:  # invalid repo id etc.: just "not cached"
                    found = None
                if isinstance(found, str):
                    return Path(found).parent
    return None


def _hub_cache_location() -> str:
    try:
        from huggingface_hub import constants

        return str(constants.HF_HUB_CACHE)
    except Exception:  # pragma: no cover
        return "~/.cache/huggingface/hub"


def resolve_model(name_or_path: str, *, error: type[Exception] = EmbedderError,
                  what: str = "sentence-transformers model",
                  flag: str = "--embedder", settings=None) -> ResolvedModel:
    """Find the model on local disk, or raise ``error`` with what to do.

    Never uses the network: a hub name must already be in the local cache.
    """
    name = (name_or_path or "").strip()
    if not name:
        raise error(f"no {what} given: use sentence-transformers:NAME_OR_PATH")
    expanded = Path(os.path.expanduser(name))
    if expanded.exists() or _looks_like_path(name):
        if not expanded.exists():
            raise error(
                f"{what} directory {name!r} does not exist. Pass a directory that holds a "
                f"model ({flag} sentence-transformers:/path/to/model), or a hub name that is in "
                f"the local Hugging Face cache.")
        if not expanded.is_dir():
            raise error(f"{what} path {name!r} is a file; pass the model's directory "
                        f"({flag} sentence-transformers:/path/to/model).")
        if not ((expanded / "modules.json").is_file() or (expanded / "config.json").is_file()):
            raise error(
                f"{name!r} does not look like a {what} directory (no modules.json or "
                f"config.json in it). Pass the folder you saved or downloaded the model to "
                f"({flag} sentence-transformers:/path/to/model).")
        return ResolvedModel(name=name, path=expanded.resolve(), local_dir=True)

    snapshot = _find_in_hf_cache(name, settings)
    if snapshot is None:
        raise error(
            f"{what} {name!r} is not available offline: it is not a local directory and not "
            f"in the Hugging Face cache ({_hub_cache_location()}), and models are never "
            f"downloaded at run time. Download it with `huggingface-cli download {name}` "
            f"(or `hf download {name}`) on a machine with hub access and copy the cache here, "
            f"or pass a local directory: {flag} sentence-transformers:/path/to/model")
    return ResolvedModel(name=name, path=snapshot, local_dir=False)


# Keys in a model's JSON files that record where it was saved from, not what it computes.
_PROVENANCE_KEYS = ("_name_or_path",)


def _file_digest(path: Path, h) -> None:
    size = path.stat().st_size
    with open(path, "rb") as f:
        if size <= _SMALL_FILE:
            data = f.read()
            if path.suffix == ".json":
                data = _canonical_json(data)
            h.update(str(len(data)).encode() + b"\0" + data)
            return
        h.update(str(size).encode())
        # Large files (weights, big tokenizers): evenly spaced samples, first and last
        # included. Different weights differ everywhere, so this tells models apart
        # while reading ~1 MB instead of the whole file.
        last = size - _SAMPLE_BYTES
        for i in range(_SAMPLES):
            f.seek(last * i // (_SAMPLES - 1))
            h.update(f.read(_SAMPLE_BYTES))


def _canonical_json(data: bytes) -> bytes:
    """JSON without provenance keys, so re-saving a model elsewhere keeps its id."""
    try:
        obj = json.loads(data)
    except ValueError:
        return data
    if isinstance(obj, dict):
        for key in _PROVENANCE_KEYS:
            obj.pop(key, None)
    return json.dumps(obj, sort_keys=True, ensure_ascii=False).encode("utf-8")


def model_fingerprint(directory: Path, length: int = 10) -> str:
    """Short hash of a model directory: small files' contents, large files' sizes and samples.

    Stable across loads and copies (no mtimes, no paths; ``_name_or_path`` in
    JSON files is ignored); two different models get different fingerprints
    even when their architecture and file sizes match.
    """
    h = hashlib.sha256()
    root = Path(directory)
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        dirnames[:] = sorted(d for d in dirnames
                             if not d.startswith(".") and d not in _FINGERPRINT_SKIP_DIRS)
        for fn in sorted(filenames):
            if fn.startswith(".") or fn in _FINGERPRINT_SKIP_FILES:
                continue
            p = Path(dirpath) / fn
            h.update(p.relative_to(root).as_posix().encode() + b"\0")
            _file_digest(p, h)
    return h.hexdigest()[:length]


def model_id(prefix: str, resolved: ResolvedModel) -> str:
    """``PREFIX:hub/name`` for hub models, ``PREFIX:dirname:hash`` for directories."""
    if not resolved.local_dir:
        return f"{prefix}:{resolved.name}"
    return f"{prefix}:{resolved.display_name}:{model_fingerprint(resolved.path)}"


def default_device(error: type[Exception] = EmbedderError, settings=None) -> str:
    return check_device(_settings(settings).embedder.st_device, error, source="RAG_ST_DEVICE")


def check_device(device: str, error: type[Exception] = EmbedderError, source: str = "device") -> str:
    device = device.strip().lower()
    if not _DEVICE_RE.match(device):
        raise error(f"{source}={device!r} is not a device: use cpu, cuda, cuda:N or mps")
    return device


def default_batch_size(settings=None) -> int:
    return _settings(settings).embedder.st_batch_size   # a positive whole number: checked by the settings


def check_batch_size(value, error: type[Exception] = EmbedderError, source: str = "batch_size") -> int:
    try:
        n = int(value)
    except (TypeError, ValueError):
        n = 0
    if n <= 0:
        raise error(f"{source}={value!r} is not a positive whole number")
    return n


def device_available(device: str, error: type[Exception] = EmbedderError) -> None:
    """Raise ``error`` if torch cannot use ``device`` here (imports torch)."""
    import torch

    if device.startswith("cuda") and not torch.cuda.is_available():
        raise error(f"device {device!r} was asked for but this torch ({torch.__version__}) "
                    f"sees no CUDA GPU; use device cpu (RAG_ST_DEVICE=cpu)")
    if device == "mps" and not (getattr(torch.backends, "mps", None)
                                and torch.backends.mps.is_available()):
        raise error("device 'mps' was asked for but is not available here; use device cpu")


def short_reason(exc: BaseException, limit: int = 300) -> str:
    text = " ".join(str(exc).split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class SentenceTransformerEmbedder(Embedder):
    """A sentence-transformers model as an :class:`Embedder`.

    Construction checks that the model is on local disk (fast, no network, no
    torch import); the model itself loads on first use.
    """

    def __init__(self, name_or_path: str, device: str | None = None,
                 batch_size: int | None = None, show_progress: bool | None = None, *, settings=None):
        """``settings`` (rag.settings.Settings; default: this process's) give the defaults."""
        require("st", "the sentence-transformers embedder", ST_NOTE)
        self._resolved = resolve_model(name_or_path, settings=settings)
        self._device = check_device(device) if device else default_device(settings=settings)
        self._batch_size = check_batch_size(batch_size) if batch_size is not None else default_batch_size(settings)
        self._show_progress = show_progress
        self._query_prefix, self._passage_prefix = prompt_convention(self._resolved.display_name)
        self._id = model_id("st", self._resolved)
        self._model = None
        self._lock = threading.Lock()

    # -- identity ---------------------------------------------------------
    @property
    def id(self) -> str:
        return self._id

    @property
    def name(self) -> str:
        return self._resolved.name

    @property
    def path(self) -> Path:
        return self._resolved.path

    @property
    def device(self) -> str:
        return self._device

    @property
    def batch_size(self) -> int:
        return self._batch_size

    @property
    def query_prefix(self) -> str:
        return self._query_prefix

    @property
    def passage_prefix(self) -> str:
        return self._passage_prefix

    @property
    def dimension(self) -> int:
        model = self._load()
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        dim = getter()
        if not dim:
            raise EmbedderError(f"sentence-transformers model {self.name!r} does not report "
                                f"its embedding dimension")
        return int(dim)

    def __repr__(self) -> str:
        return f"SentenceTransformerEmbedder({self.name!r}, device={self._device!r})"

    # -- loading ----------------------------------------------------------
    def _load(self):
        with self._lock:
            if self._model is not None:
                return self._model
            try:
                from sentence_transformers import SentenceTransformer
            except ImportError as exc:
                raise MissingExtra("the sentence-transformers embedder", "st",
                                   f"{ST_NOTE} ({short_reason(exc)})") from None
            device_available(self._device)
            try:
                model = SentenceTransformer(str(self._resolved.path), device=self._device,
                                            local_files_only=True)
            except Exception as exc:  # one clear error instead of a deep traceback
                raise EmbedderError(
                    f"could not load sentence-transformers model {self.name!r} from "
                    f"{self._resolved.path}: {short_reason(exc)}. Re-download it, or pass "
                    f"another directory: --embedder sentence-transformers:/path/to/model"
                ) from None
            self._model = model
            # Prefixes are applied here, explicitly; a model-level default prompt would be
            # added on top of them (to passages and queries alike), so it is switched off.
            if getattr(model, "default_prompt_name", None) is not None:
                model.default_prompt_name = None
            if not (self._query_prefix or self._passage_prefix):
                prompts = getattr(model, "prompts", None) or {}
                self._query_prefix = prompts.get("query", "") or ""
                self._passage_prefix = (prompts.get("document") or prompts.get("passage")
                                        or prompts.get("corpus") or "")
            return model

    # -- embedding --------------------------------------------------------
    def encode(self, texts: list[str], *, prefix: str = "") -> np.ndarray:
        """Normalised float32 vectors, shape (len(texts), dimension)."""
        texts = [prefix + (t if isinstance(t, str) else str(t)) for t in texts]
        model = self._load()
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        show = self._show_progress
        if show is None:
            show = len(texts) > PROGRESS_THRESHOLD
        out = model.encode(texts, batch_size=self._batch_size, show_progress_bar=show,
                           convert_to_numpy=True, normalize_embeddings=True)
        return np.asarray(out, dtype=np.float32).reshape(len(texts), -1)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        texts = list(texts)
        self._load()  # prompts from the model's config may set the prefix
        return self.encode(texts, prefix=self._passage_prefix).tolist()

    def embed_query(self, text: str) -> list[float]:
        self._load()
        return self.encode([text], prefix=self._query_prefix)[0].tolist()


__all__ = [
    "PROGRESS_THRESHOLD",
    "ResolvedModel",
    "SentenceTransformerEmbedder",
    "model_fingerprint",
    "model_id",
    "prompt_convention",
    "resolve_model",
]
