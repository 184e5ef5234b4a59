"""Settings: one model, read from a settings file and the environment (the names the project has
always used), overridden by flags and keywords, each value's origin recorded; and no other module
of rag/, ingest/ or ui/ reads the environment or needs fcntl."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from rag import settings as S
from rag.settings import ENV, FIELDS, KEYWORDS, Settings, SettingsError, current, load, using

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _no_settings_environment(monkeypatch, tmp_path):
    """No variable of the table set, and a working directory without rag.toml."""
    for name in (*ENV.values(), S.SETTINGS_FILE_ENV):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def test_defaults_are_the_ones_the_project_always_had():
    s = load()
    assert (s.store.index_dir, s.store.chroma_url, s.store.collection, s.store.chroma_timeout) == \
        (Path(".rag"), None, "rag_chunks", 60.0)
    assert (s.embedder.spec, s.embedder.threads, s.embedder.sentence_vectors) == ("use", 1, True)
    assert (s.embedder.st_device, s.embedder.st_batch_size) == ("cpu", 32)
    assert (s.retrieval.top_k, s.retrieval.candidates, s.retrieval.rrf_k, s.retrieval.reranker) == (8, 30, 60, None)
    assert s.store.overfetch_factor == 5.0
    assert s.retrieval.page_ranker_file == REPO / "rag" / "data" / "page_ranker.json"
    assert s.answering.model_file == REPO / "rag" / "data" / "answerer.json"
    assert (s.answering.threshold, s.answering.second_margin, s.answering.min_entity_sim) == (None, None, 0.70)
    assert (s.llm.base_url, s.llm.model, s.llm.api_key, s.llm.timeout) == (None, None, None, 60.0)
    assert (s.llm.max_retries, s.llm.temperature, s.llm.max_tokens) == (1, 0.0, None)
    assert (s.ui.host, s.ui.port, s.ui.auth, s.ui.lang, s.ui.seed, s.ui.max_upload_mb) == \
        ("127.0.0.1", 7860, None, "en", True, 50)
    assert (s.ingest.chunk_size, s.ingest.pipeline, s.ingest.workers) == (160.0, True, None)
    assert s.cache_dir == Path.home() / ".cache" / "rag-disclosures"
    assert (s.preload, s.debug) == (False, False)
    assert {s.origin(p) for p in FIELDS} == {"default"} and s.file is None


# every variable users and tests set, with a value and what it must become
ENVIRONMENT = [
    ("RAG_INDEX", "/tmp/idx", "store.index_dir", Path("/tmp/idx")),
    ("RAG_CHROMA_URL", "http://127.0.0.1:8000", "store.chroma_url", "http://127.0.0.1:8000"),
    ("RAG_CHROMA_TIMEOUT", "2", "store.chroma_timeout", 2.0),
    ("RAG_COLLECTION", "other", "store.collection", "other"),
    ("RAG_OVERFETCH_FACTOR", "2.5", "store.overfetch_factor", 2.5),
    ("RAG_SCOPE_CACHE_MB", "8", "store.scope_cache_mb", 8.0),
    ("RAG_ALIASES", "/tmp/a.toml", "store.aliases", "/tmp/a.toml"),
    ("RAG_EMBEDDER", "sentence-transformers:/m", "embedder.spec", "sentence-transformers:/m"),
    ("RAG_EMBED_THREADS", "2", "embedder.threads", 2),
    ("RAG_SENTENCE_VECTORS", "0", "embedder.sentence_vectors", False),
    ("RAG_ST_DEVICE", "cuda:1", "embedder.st_device", "cuda:1"),
    ("RAG_ST_BATCH_SIZE", "7", "embedder.st_batch_size", 7),
    ("SENTENCE_TRANSFORMERS_HOME", "/models", "embedder.st_home", Path("/models")),
    ("RAG_TOP_K", "5", "retrieval.top_k", 5),
    ("RAG_CANDIDATES", "40", "retrieval.candidates", 40),
    ("RAG_RRF_K", "30", "retrieval.rrf_k", 30),
    ("RAG_RERANKER", "sentence-transformers:/ce", "retrieval.reranker", "sentence-transformers:/ce"),
    ("RAG_PAGE_RANKER_FILE", "/w.json", "retrieval.page_ranker_file", Path("/w.json")),
    ("RAG_ANSWERER_FILE", "/a.json", "answering.model_file", Path("/a.json")),
    ("RAG_ANSWER_THRESHOLD", "0.4", "answering.threshold", 0.4),
    ("RAG_ANSWER_SECOND_MARGIN", "0.2", "answering.second_margin", 0.2),
    ("RAG_MIN_ENTITY_SIM", "0.8", "answering.min_entity_sim", 0.8),
    ("RAG_LLM_BASE_URL", "http://localhost:11434/v1", "llm.base_url", "http://localhost:11434/v1"),
    ("RAG_LLM_MODEL", "qwen2.5:7b", "llm.model", "qwen2.5:7b"),
    ("RAG_LLM_TIMEOUT", "7", "llm.timeout", 7.0),
    ("RAG_LLM_MAX_RETRIES", "0", "llm.max_retries", 0),
    ("RAG_LLM_TEMPERATURE", "none", "llm.temperature", None),
    ("RAG_LLM_MAX_TOKENS", "256", "llm.max_tokens", 256),
    ("RAG_UI_HOST", "0.0.0.0", "ui.host", "0.0.0.0"),
    ("RAG_UI_PORT", "9001", "ui.port", 9001),
    ("RAG_UI_LANG", "zh", "ui.lang", "zh"),
    ("RAG_UI_SEED", "0", "ui.seed", False),
    ("RAG_UI_MAX_UPLOAD_MB", "5", "ui.max_upload_mb", 5),
    ("RAG_CHUNK_SIZE", "200", "ingest.chunk_size", 200.0),
    ("RAG_INGEST_PIPELINE", "0", "ingest.pipeline", False),
    ("RAG_INGEST_WORKERS", "1", "ingest.workers", 1),
    ("RAG_SHARED_CORPUS", "/data/corpus", "ingest.shared_corpus", Path("/data/corpus")),
    ("RAG_CACHE_DIR", "/tmp/cache", "cache_dir", Path("/tmp/cache")),
    ("RAG_PRELOAD", "1", "preload", True),
    ("RAG_DEBUG", "1", "debug", True),
]
SECRET_ENVIRONMENT = [("RAG_LLM_API_KEY", "llm.api_key"), ("OPENAI_API_KEY", "llm.openai_api_key"),
                      ("RAG_UI_AUTH", "ui.auth")]


def test_the_table_above_covers_every_setting():
    assert {e for e, *_ in ENVIRONMENT} | {e for e, _ in SECRET_ENVIRONMENT} == set(ENV.values())
    assert len(set(ENV.values())) == len(ENV)


@pytest.mark.parametrize("env, raw, path, expected", ENVIRONMENT, ids=[e for e, *_ in ENVIRONMENT])
def test_each_environment_variable_keeps_its_name_and_meaning(monkeypatch, env, raw, path, expected):
    monkeypatch.setenv(env, raw)
    s = load()
    assert s.value(path) == expected
    assert s.origin(path) == f"env {env}"
    assert {p for p in FIELDS if s.origin(p) != "default"} == {path}


@pytest.mark.parametrize("env, path", SECRET_ENVIRONMENT)
def test_secrets_are_read_and_never_shown(monkeypatch, env, path):
    monkeypatch.setenv(env, "bob:hunter2")
    s = load()
    assert s.value(path).get_secret_value() == "bob:hunter2"
    assert "hunter2" not in repr(s) and "hunter2" not in str(S.describe(s))
    assert S.shown(s, path) == S.MASK


def test_an_empty_variable_counts_as_unset(monkeypatch):
    monkeypatch.setenv("RAG_LLM_BASE_URL", "")
    monkeypatch.setenv("RAG_TOP_K", "")
    s = load()
    assert s.llm.base_url is None and s.retrieval.top_k == 8 and s.origin("retrieval.top_k") == "default"


def test_a_bad_value_is_one_error_naming_the_variable(monkeypatch):
    monkeypatch.setenv("RAG_TOP_K", "many")
    with pytest.raises(SettingsError, match=r"RAG_TOP_K='many': Input should be a valid integer"):
        load()
    monkeypatch.setenv("RAG_TOP_K", "5")
    monkeypatch.setenv("RAG_LLM_API_KEY", "")
    monkeypatch.setenv("RAG_UI_PORT", "99999")
    with pytest.raises(SettingsError, match=r"RAG_UI_PORT='99999'"):
        load()


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_file_then_environment_then_flags_then_keywords(monkeypatch, tmp_path):
    _write(tmp_path / "rag.toml", 'cache_dir = "cache"\n[retrieval]\ntop_k = 4\ncandidates = 12\nrrf_k = 10\n'
                                  '[store]\nindex_dir = "indexes/main"\n[llm]\nmodel = "from-file"\n')
    monkeypatch.setenv("RAG_CANDIDATES", "20")
    monkeypatch.setenv("RAG_RRF_K", "20")
    s = load(flags={"retrieval.rrf_k": ("30", "flag --set"), "llm.model": ("from-flag", "flag --llm-model")},
             top_k=None, llm_model="from-keyword")
    file = Path("rag.toml")
    assert s.file == file
    assert (s.retrieval.top_k, s.origin("retrieval.top_k")) == (4, f"settings file {file}")
    assert (s.retrieval.candidates, s.origin("retrieval.candidates")) == (20, "env RAG_CANDIDATES")
    assert (s.retrieval.rrf_k, s.origin("retrieval.rrf_k")) == (30, "flag --set")
    assert (s.llm.model, s.origin("llm.model")) == ("from-keyword", "argument llm_model")
    # paths in a settings file are relative to the file
    assert s.store.index_dir == Path("indexes/main") and s.cache_dir == Path("cache")
    other = tmp_path / "conf"
    other.mkdir()
    monkeypatch.setenv("RAG_SETTINGS_FILE", str(_write(other / "mine.toml", '[store]\nindex_dir = "idx"\n')))
    s = load()
    assert s.file == other / "mine.toml" and s.store.index_dir == other / "idx"
    assert s.retrieval.top_k == 8   # ./rag.toml is not read when another file is named


def test_settings_file_problems_are_clear(monkeypatch, tmp_path):
    with pytest.raises(SettingsError, match=r"settings file .*nope.toml \(--settings\) not found"):
        load(tmp_path / "nope.toml")
    monkeypatch.setenv("RAG_SETTINGS_FILE", str(tmp_path / "gone.toml"))
    with pytest.raises(SettingsError, match=r"\(RAG_SETTINGS_FILE\) not found"):
        load()
    monkeypatch.delenv("RAG_SETTINGS_FILE")
    _write(tmp_path / "rag.toml", "[retrieval]\ntop_kk = 4\nrerank = 1\n")
    with pytest.raises(SettingsError, match=r"unknown setting\(s\) in rag.toml: \[retrieval\] top_kk, \[retrieval\] rerank"):
        load()
    _write(tmp_path / "rag.toml", "[retrieval\n")
    with pytest.raises(SettingsError, match="not valid TOML"):
        load()
    _write(tmp_path / "rag.toml", '[retrieval]\ntop_k = "four"\n')
    with pytest.raises(SettingsError, match=r"rag.toml: \[retrieval\] top_k='four'"):
        load()


def test_keywords_are_the_assistants_and_unknown_ones_are_refused():
    s = Settings().with_overrides(index_dir="x", chroma_url="http://h:1", embedder="use", reranker=None,
                                  top_k=3, candidates=9, chunk_size=100, collection="c", llm_base_url="u",
                                  llm_model="m", llm_api_key="k", llm_timeout=5)
    assert (s.store.index_dir, s.store.chroma_url, s.retrieval.top_k, s.retrieval.candidates) == \
        (Path("x"), "http://h:1", 3, 9)
    assert (s.ingest.chunk_size, s.store.collection, s.llm.base_url, s.llm.model, s.llm.timeout) == \
        (100.0, "c", "u", "m", 5.0)
    assert s.retrieval.reranker is None and s.origin("retrieval.reranker") == "default"
    assert s.origin("retrieval.top_k") == "argument top_k"
    with pytest.raises(TypeError, match="unknown setting.*topk"):
        s.with_overrides(topk=3)
    assert set(KEYWORDS.values()) == set(FIELDS)


def test_settings_are_frozen():
    s = Settings()
    with pytest.raises(Exception):
        s.retrieval.top_k = 3


def test_current_follows_the_environment_until_an_entry_point_installs_its_own(monkeypatch):
    assert current().retrieval.top_k == 8
    monkeypatch.setenv("RAG_TOP_K", "5")
    assert current().retrieval.top_k == 5 and current() is current()   # read again only when it changed
    mine = Settings().with_overrides(top_k=2)
    with using(mine):
        assert current() is mine
    assert current().retrieval.top_k == 5


# -- the criteria of issue #16 -------------------------------------------------------------------
def _sources():
    for folder in ("rag", "ingest", "ui"):
        yield from sorted((REPO / folder).rglob("*.py"))


def test_only_the_settings_module_touches_the_environment():
    offenders = [f"{p.relative_to(REPO)}:{n}" for p in _sources() if p != REPO / "rag" / "settings.py"
                 for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
                 if re.search(r"os\.environ|getenv\(", line)]
    assert offenders == []


def test_the_readme_table_lists_every_setting():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Settings", 1)[1].split("\n## ", 1)[0]
    rows = {m.group(1): m.group(2) for m in re.finditer(r"^\| `([\w.]+)` \| `(\w+)` \|", section, re.M)}
    assert rows == {path: ENV[path] for path in FIELDS}
