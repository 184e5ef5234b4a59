"""Every setting in one place, read once: defaults < settings file < environment < flags and keywords.

Each field below is one setting, with one name per place it can be given:

* a settings file (TOML): ``rag.toml`` in the working directory, or the file named by
  ``--settings FILE`` / ``RAG_SETTINGS_FILE``; ``[section] field = value``, e.g.
  ``[retrieval]`` ``top_k = 6`` (top-level fields before any section); relative paths in it
  are relative to the file;
* the environment: the variable in the field's ``env`` (``RAG_TOP_K``), the names the project
  has always used; an empty variable counts as unset;
* the ``rag`` command: a flag where the setting has one (``--index``), any setting with
  ``--set retrieval.top_k=6``;
* Python: ``Assistant(top_k=6)`` or ``settings.with_overrides(top_k=6)``, by the field's
  ``keyword``.

:func:`load` records where each value came from (:meth:`Settings.origin`), which `rag config`
prints. No other module of rag/, ingest/ or ui/ reads ``os.environ``: code is handed a
Settings (the Assistant's own) or, deep down where nothing is handed over (jieba's cache, the
PDF reading processes), asks :func:`current` for the settings of this process.
"""
from __future__ import annotations

import os
import tomllib
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DATA = Path(__file__).resolve().parent / "data"   # the fitted models shipped with the package
SETTINGS_FILE = "rag.toml"                         # read from the working directory when present
SETTINGS_FILE_ENV = "RAG_SETTINGS_FILE"
MASK = "********"


class SettingsError(ValueError):
    """A setting cannot take the value it was given; the message names it and where it came from."""


def setting(default: Any = None, *, env: str, doc: str, keyword: str | None = None, factory=None, **constraints):
    """A field with its environment variable and Python keyword (default: the variable's name
    without RAG_, lower-cased: RAG_TOP_K -> top_k)."""
    extra = {"env": env, "keyword": keyword or env.removeprefix("RAG_").lower()}
    if factory is not None:
        return Field(default_factory=factory, description=doc, json_schema_extra=extra, **constraints)
    return Field(default, description=doc, json_schema_extra=extra, **constraints)


def _none_word(value):
    """'none' / 'null' in the environment: leave it unset (e.g. the server's own temperature)."""
    return None if isinstance(value, str) and value.strip().lower() in ("none", "null") else value


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class StoreSettings(_Section):
    index_dir: Path = setting(Path(".rag"), env="RAG_INDEX", keyword="index_dir",
                              doc="index directory: catalog, keyword snapshot, embedded Chroma")
    chroma_url: str | None = setting(env="RAG_CHROMA_URL",
                                     doc="a Chroma server (e.g. http://127.0.0.1:8000) instead of the embedded store")
    chroma_timeout: float = setting(60.0, env="RAG_CHROMA_TIMEOUT", gt=0,
                                    doc="seconds a request to the Chroma server may take before it counts as "
                                        "unreachable (its client would otherwise wait forever on a hung server)")
    collection: str = setting("rag_chunks", env="RAG_COLLECTION",
                              doc="Chroma collection (on a server each index gets its own, with a suffix)")
    overfetch_factor: float = setting(5.0, env="RAG_OVERFETCH_FACTOR", ge=0,
                                      doc="a scope of s of the index's t chunks is searched through Chroma unfiltered, "
                                          "then filtered, when s*s >= this * n * t (n results); a smaller one exactly "
                                          "over the catalog's vectors (measured: evals/BENCHMARKS.md, Storage)")
    scope_cache_mb: float = setting(64.0, env="RAG_SCOPE_CACHE_MB", ge=0,
                                    doc="a large index's scoped searches keep the documents' vectors they read, "
                                        "up to this many MB (float32: 2 KB a chunk, 64 MB holds 32k chunks); "
                                        "0 reads them from the catalog every time")
    aliases: str | None = setting(env="RAG_ALIASES", keyword="aliases",
                                  doc="alias files (tickers, house abbreviations) read before <index>/aliases.toml; "
                                      "several paths separated by the OS path separator")


class EmbedderSettings(_Section):
    spec: str = setting("use", env="RAG_EMBEDDER", keyword="embedder",
                        doc="use (the bundled multilingual USE) or sentence-transformers:NAME_OR_PATH")
    threads: int = setting(1, env="RAG_EMBED_THREADS", keyword="embed_threads", ge=1,
                           doc="BLAS threads for USE (1: its matrix products are small, more threads cost "
                               "more in synchronisation than they gain)")
    sentence_vectors: bool = setting(True, env="RAG_SENTENCE_VECTORS",
                                     doc="USE: store each sentence's vector at ingest, for the answerer")
    st_device: str = setting("cpu", env="RAG_ST_DEVICE", doc="sentence-transformers device: cpu, cuda, cuda:N, mps")
    st_batch_size: int = setting(32, env="RAG_ST_BATCH_SIZE", gt=0, doc="sentence-transformers batch size")
    st_home: Path | None = setting(env="SENTENCE_TRANSFORMERS_HOME", keyword="st_home",
                                   doc="another folder of cached sentence-transformers models (besides the "
                                       "Hugging Face cache)")


class RetrievalSettings(_Section):
    top_k: int = setting(8, env="RAG_TOP_K", ge=1, doc="passages handed to the answerer (8 beat 6 and 10 on dev)")
    candidates: int = setting(30, env="RAG_CANDIDATES", ge=1, doc="candidates per retriever, before fusion")
    rrf_k: int = setting(60, env="RAG_RRF_K", ge=0,
                         doc="reciprocal-rank fusion constant: a chunk scores 1/(rrf_k + rank) per retriever")
    reranker: str | None = setting(env="RAG_RERANKER", doc="sentence-transformers:NAME_OR_PATH cross-encoder")
    page_ranker_file: Path = setting(DATA / "page_ranker.json", env="RAG_PAGE_RANKER_FILE",
                                     doc="the page ranker's fitted weights (python -m evals.fit_ranker)")


class AnsweringSettings(_Section):
    model_file: Path = setting(DATA / "answerer.json", env="RAG_ANSWERER_FILE", keyword="answerer_file",
                               doc="the extractive answerer's fitted model (python -m evals.fit_answerer)")
    threshold: float | None = setting(env="RAG_ANSWER_THRESHOLD", keyword="answer_threshold", ge=0, le=1,
                                      doc="abstain when the probability that the answer is right is below this "
                                          "(default: the fitted model's)")
    second_margin: float | None = setting(env="RAG_ANSWER_SECOND_MARGIN", keyword="answer_second_margin", ge=0,
                                          doc="a second sentence joins the answer when its probability is this "
                                              "close to the best (default: the fitted model's)")
    min_entity_sim: float = setting(0.70, env="RAG_MIN_ENTITY_SIM", ge=0, le=1,
                                    doc="a name the question asks about, in translation, must be this similar "
                                        "to a passage word, else the answer abstains")


class LLMSettings(_Section):
    base_url: str | None = setting(env="RAG_LLM_BASE_URL",
                                   doc="OpenAI-compatible endpoint ending in /v1; with a model: LLM answers")
    model: str | None = setting(env="RAG_LLM_MODEL", doc="model name at that endpoint")
    api_key: SecretStr | None = setting(env="RAG_LLM_API_KEY", doc="API key (any string for servers that ignore it)")
    timeout: float = setting(60.0, env="RAG_LLM_TIMEOUT", gt=0,
                             doc="seconds to connect, to the first token and between tokens; a whole answer "
                                 "is abandoned after 5x this")
    max_retries: int = setting(1, env="RAG_LLM_MAX_RETRIES", ge=0,
                               doc="retries on connection errors, timeouts and 5xx")
    temperature: float | None = setting(0.0, env="RAG_LLM_TEMPERATURE",
                                        doc="sampling temperature; none leaves it to the server")
    max_tokens: int | None = setting(env="RAG_LLM_MAX_TOKENS", gt=0, doc="answer length limit (default: the server's)")
    openai_api_key: SecretStr | None = setting(env="OPENAI_API_KEY", keyword="openai_api_key",
                                               doc="used when no API key is set and the endpoint is OpenAI's")

    @field_validator("temperature", "max_tokens", mode="before")
    @classmethod
    def _none_words(cls, value):
        return _none_word(value)


class UISettings(_Section):
    host: str = setting("127.0.0.1", env="RAG_UI_HOST", doc="rag ui: address to listen on")
    port: int = setting(7860, env="RAG_UI_PORT", ge=0, le=65535, doc="rag ui: port")
    auth: SecretStr | None = setting(env="RAG_UI_AUTH", doc="rag ui: USER:PASSWORD login (needed off localhost)")
    lang: str = setting("en", env="RAG_UI_LANG", doc="rag ui: interface language, en or zh")
    seed: bool = setting(True, env="RAG_UI_SEED", doc="rag ui: ingest the bundled corpus into an empty index, once")
    max_upload_mb: int = setting(50, env="RAG_UI_MAX_UPLOAD_MB", ge=1, doc="rag ui: largest upload, per file")


class IngestSettings(_Section):
    chunk_size: float = setting(160.0, env="RAG_CHUNK_SIZE", gt=0,
                                doc="chunk length in rough tokens (a CJK character = 1, 4 Latin characters = 1)")
    pipeline: bool = setting(True, env="RAG_INGEST_PIPELINE",
                             doc="read, clean and chunk the next files in a child process while this one embeds")
    workers: int | None = setting(env="RAG_INGEST_WORKERS", ge=1,
                                  doc="processes reading one long PDF's pages (default: the number of cores; "
                                      "1: this process alone)")
    shared_corpus: Path | None = setting(env="RAG_SHARED_CORPUS", keyword="shared_corpus",
                                         doc="where manifests whose root is ../shared/corpus find it")


def _default_cache_dir() -> Path:
    return Path.home() / ".cache" / "rag-disclosures"


class Settings(BaseSettings):
    """All settings; :func:`load` builds one from the settings file, environment and overrides."""

    model_config = SettingsConfigDict(frozen=True, extra="forbid")

    store: StoreSettings = StoreSettings()
    embedder: EmbedderSettings = EmbedderSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    answering: AnsweringSettings = AnsweringSettings()
    llm: LLMSettings = LLMSettings()
    ui: UISettings = UISettings()
    ingest: IngestSettings = IngestSettings()
    cache_dir: Path = setting(env="RAG_CACHE_DIR", factory=_default_cache_dir,
                              doc="caches shared by every index: jieba's tables, USE's decoded weights")
    preload: bool = setting(False, env="RAG_PRELOAD",
                            doc="load the embedder and jieba in the background when an index opens, not at the "
                                "first question (off by default: on, a concurrent ingest's embedded Chroma "
                                "sometimes reported 'database is locked')")
    debug: bool = setting(False, env="RAG_DEBUG", doc="rag: show the traceback of an error, not one line")

    _origins: dict = PrivateAttr(default_factory=dict)
    _file: Path | None = PrivateAttr(default=None)

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings,
                                   file_secret_settings):
        # load() reads the settings file and the environment itself, field by field, to record
        # where each value came from; the model validates what it is given.
        return (init_settings,)

    # -- where values came from ----------------------------------------------------------
    def origin(self, path: str) -> str:
        """Where the value of ``path`` ("retrieval.top_k") came from: "default", "settings file
        FILE", "env NAME", "flag --NAME" or "argument NAME"."""
        return self._origins.get(path, "default")

    @property
    def file(self) -> Path | None:
        """The settings file that was read, if any."""
        return self._file

    def value(self, path: str) -> Any:
        section, _, name = path.rpartition(".")
        return getattr(getattr(self, section) if section else self, name)

    def with_overrides(self, **keywords) -> "Settings":
        """These settings with some fields replaced, by keyword (``top_k=6``, ``llm_model="m"``; see
        the table in the README); None leaves a field as it is."""
        unknown = sorted(set(keywords) - set(KEYWORDS))
        if unknown:
            raise TypeError(f"unknown setting(s) {', '.join(unknown)}; the keywords are: {', '.join(sorted(KEYWORDS))}")
        layer = {KEYWORDS[k]: (v, f"argument {k}") for k, v in keywords.items() if v is not None}
        if not layer:
            return self
        values, origins = self.model_dump(), dict(self._origins)
        _apply(values, origins, layer)
        return _build(values, origins, self._file)


def _fields() -> dict[str, Any]:
    """Dotted path -> pydantic FieldInfo, for every setting."""
    out = {}
    for name, info in Settings.model_fields.items():
        sub = info.annotation
        if isinstance(sub, type) and issubclass(sub, _Section):
            for field, finfo in sub.model_fields.items():
                out[f"{name}.{field}"] = finfo
        else:
            out[name] = info
    return out


FIELDS = _fields()
ENV = {path: f.json_schema_extra["env"] for path, f in FIELDS.items()}
KEYWORDS = {f.json_schema_extra["keyword"]: path for path, f in FIELDS.items()}
assert len(KEYWORDS) == len(FIELDS), "two settings share a keyword"
SECRETS = {path for path, f in FIELDS.items() if "SecretStr" in str(f.annotation)}
PATHS = {path for path, f in FIELDS.items() if "Path" in str(f.annotation)}


# -- reading ---------------------------------------------------------------------------------
def _apply(values: dict, origins: dict, layer: dict[str, tuple[Any, str]]) -> None:
    for path, (value, origin) in layer.items():
        section, _, name = path.rpartition(".")
        (values.setdefault(section, {}) if section else values)[name] = value
        origins[path] = origin


def _build(values: dict, origins: dict, file: Path | None) -> Settings:
    try:
        settings = Settings(**values)
    except ValidationError as e:
        problems = []
        for err in e.errors():
            path = ".".join(str(p) for p in err["loc"])
            given = err.get("input")
            given = MASK if path in SECRETS else given
            where = origins.get(path, "default")
            problems.append(f"{_described(path, where)}={given!r}: {err['msg']}")
        raise SettingsError("invalid setting: " + "; ".join(problems)) from None
    settings._origins.update(origins)
    settings._file = file
    return settings


def _described(path: str, origin: str) -> str:
    """How the user gave the setting at ``path``: RAG_TOP_K, --index, rag.toml: [retrieval] top_k."""
    kind, _, name = origin.partition(" ")
    if kind == "env" or (kind == "flag" and name != "--set"):
        return name
    if kind == "flag":
        return f"--set {path}"
    if kind == "settings":
        section, _, field = path.rpartition(".")
        return f"{name.removeprefix('file ')}: {'[' + section + '] ' if section else ''}{field}"
    return name or path   # a keyword argument, or the default


def _environment_layer(environ) -> dict[str, tuple[Any, str]]:
    return {path: (environ[env], f"env {env}") for path, env in ENV.items() if environ.get(env, "") != ""}


def _file_layer(file: Path) -> dict[str, tuple[Any, str]]:
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except OSError as e:
        raise SettingsError(f"cannot read the settings file {file}: {e.strerror or e}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise SettingsError(f"the settings file {file} is not valid TOML: {e}") from None
    layer, unknown = {}, []
    for key, value in data.items():
        items = value.items() if isinstance(value, dict) else [(None, value)]
        for field, v in items:
            path = f"{key}.{field}" if field is not None else key
            if path not in FIELDS:
                unknown.append(f"[{key}] {field}" if field is not None else key)
                continue
            if path in PATHS and isinstance(v, str):
                v = file.parent / Path(v).expanduser()   # relative to the file, not the working directory
            layer[path] = (v, f"settings file {file}")
    if unknown:
        raise SettingsError(f"unknown setting(s) in {file}: {', '.join(unknown)} (`rag config` lists them all)")
    return layer


def _settings_file(explicit: str | Path | None, environ) -> Path | None:
    named = explicit or environ.get(SETTINGS_FILE_ENV) or None
    if named:
        path = Path(named)
        if not path.is_file():
            where = "--settings" if explicit else SETTINGS_FILE_ENV
            raise SettingsError(f"settings file {path} ({where}) not found")
        return path
    local = Path(SETTINGS_FILE)
    return local if local.is_file() else None


def load(settings_file: str | Path | None = None, *, flags: dict[str, tuple[Any, str]] | None = None,
         **keywords) -> Settings:
    """The settings of the settings file, then the environment, then ``flags`` ({dotted path:
    (value, "flag --NAME")}, the `rag` command's) and ``keywords`` (``top_k=6``), each over the
    one before. Raises SettingsError, naming the setting and its source, for a value it cannot take."""
    environ = os.environ
    file = _settings_file(settings_file, environ)
    values: dict = {}
    origins: dict = {}
    if file is not None:
        _apply(values, origins, _file_layer(file))
    _apply(values, origins, _environment_layer(environ))
    _apply(values, origins, flags or {})
    return _build(values, origins, file).with_overrides(**keywords)


# -- the settings of this process ------------------------------------------------------------
_active: Settings | None = None
_cached: tuple[tuple, Settings] | None = None


def current() -> Settings:
    """The settings of this process: those its entry point (the `rag` command, with its flags)
    installed with :func:`using`, else the settings file's and the environment's, read again only
    when either changed."""
    global _cached
    if _active is not None:
        return _active
    key = _environment_key()
    if _cached is None or _cached[0] != key:
        _cached = (key, load())
    return _cached[1]


def _environment_key() -> tuple:
    names = (*ENV.values(), SETTINGS_FILE_ENV)
    file = os.environ.get(SETTINGS_FILE_ENV) or SETTINGS_FILE
    try:
        stamp = os.stat(file).st_mtime_ns
    except OSError:
        stamp = None
    return (tuple(os.environ.get(n) for n in names), os.path.abspath(file), stamp)


@contextmanager
def using(settings: Settings) -> Iterator[Settings]:
    """Make ``settings`` this process's (what :func:`current` returns, and what an Assistant made
    without settings starts from) for the duration of the block."""
    global _active
    previous, _active = _active, settings
    try:
        yield settings
    finally:
        _active = previous


# -- what `rag config` prints -------------------------------------------------------------------
def shown(settings: Settings, path: str) -> Any:
    """A value as `rag config` shows it: secrets masked, paths as text, None as None."""
    value = settings.value(path)
    if value is None:
        return None
    if path in SECRETS:
        return MASK
    return str(value) if isinstance(value, Path) else value


def describe(settings: Settings) -> list[dict]:
    """Every setting: path, value (secrets masked), origin, environment variable, keyword, meaning."""
    return [{"setting": path, "value": shown(settings, path), "origin": settings.origin(path), "env": ENV[path],
             "keyword": info.json_schema_extra["keyword"], "doc": info.description}
            for path, info in FIELDS.items()]


# -- the environment of processes this one starts --------------------------------------------------
def child_environment(*, python_path: str | None = None, **variables: str) -> dict[str, str]:
    """The environment for a helper process: this process's own (so it reads the same settings),
    with ``variables`` set and ``python_path`` put first on PYTHONPATH."""
    env = dict(os.environ, **variables)
    if python_path:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [python_path, os.environ.get("PYTHONPATH")]))
    return env


def quiet_gradio() -> None:
    """Gradio reads GRADIO_ANALYTICS_ENABLED when it is imported: no usage reports from this app
    unless the user's environment asks for them."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
