"""jieba's dictionary tables, read word by word until a process needs them whole.

A fresh process that cuts one Chinese question paid for all of jieba's dictionary:
``jieba.initialize()`` unmarshals its prefix dictionary (~500k entries; 0.3-0.8 s of CPU here) and
importing ``jieba.posseg`` reads the 350k-line dictionary again for the part-of-speech tags
(0.2-0.4 s) — most of a `rag ask` process, for a dozen words. Here both tables are kept in one
SQLite file, built once per machine from jieba's own tables (under ``$RAG_CACHE_DIR``, keyed on
jieba's version and its dictionary file), and looked up word by word: the same numbers and tags,
so the same cuts. A process that looks up many words (an ingest cuts every passage) loads jieba's
in-memory tables after ``LOOKUPS_BEFORE_LOADING`` lookups, as jieba itself would have at first.

``install()`` runs on the first Chinese text (rag.text); ``register()`` (at rag.text's import)
makes a later ``import jieba.posseg``, by anyone, use the tags table too. Were jieba.posseg imported
before that, its tags would be loaded whole and left so.
"""
from __future__ import annotations

import importlib.abc
import importlib.machinery
import io
import logging
import os
import sqlite3
import sys
import threading
from pathlib import Path

LOOKUPS_BEFORE_LOADING = 50_000

log = logging.getLogger(__name__)
_lock = threading.Lock()


class _OnDemand:
    """The read side of a dict (``in``, ``[]``, ``get``) answered from one SQLite table; after
    LOOKUPS_BEFORE_LOADING lookups ``load_all()`` replaces it where jieba holds it."""

    def __init__(self, conn: sqlite3.Connection, table: str, load_all):
        self._conn = conn
        self._sql = f"SELECT v FROM {table} WHERE k=?"
        self._load_all = load_all
        self._extra: dict = {}     # words added in this process (jieba.add_word)
        self._seen: dict = {}      # answers so far: jieba asks for the same prefixes again and again
        self._lookups = 0

    def get(self, key, default=None):
        if key in self._extra:
            return self._extra[key]
        value = self._seen.get(key, _UNSEEN)
        if value is _UNSEEN:
            self._lookups += 1
            if self._lookups == LOOKUPS_BEFORE_LOADING:
                self._load_all()      # later lookups go to the loaded dict; this one is still answered here
            with _lock:
                row = self._conn.execute(self._sql, (key,)).fetchone()
            value = self._seen[key] = _MISSING if row is None else row[0]
        return default if value is _MISSING else value

    def __contains__(self, key) -> bool:
        return self.get(key, _MISSING) is not _MISSING

    def __getitem__(self, key):
        value = self.get(key, _MISSING)
        if value is _MISSING:
            raise KeyError(key)
        return value

    def __setitem__(self, key, value) -> None:
        self._extra[key] = value

    def update(self, other) -> None:
        self._extra.update(other)


_MISSING = object()
_UNSEEN = object()


def _cache_file(jieba) -> Path | None:
    try:
        st = os.stat(jieba.dt.get_dict_file().name)
    except Exception:
        return None
    from .settings import current   # jieba is one per process: so is its cache (the cache_dir setting)

    return Path(current().cache_dir) / f"jieba-{getattr(jieba, '__version__', '0')}-{st.st_size}-{int(st.st_mtime)}.sqlite"


def _build(jieba, path: Path) -> None:
    """The two tables from jieba's own (loaded in full this once)."""
    jieba.dt.check_initialized()
    tags = _read_tags(jieba)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    conn = sqlite3.connect(tmp)
    try:
        conn.execute("CREATE TABLE freq(k TEXT PRIMARY KEY, v INTEGER) WITHOUT ROWID")
        conn.execute("CREATE TABLE tag(k TEXT PRIMARY KEY, v TEXT) WITHOUT ROWID")
        conn.execute("CREATE TABLE meta(k TEXT PRIMARY KEY, v)")
        conn.executemany("INSERT INTO freq VALUES(?, ?)", jieba.dt.FREQ.items())
        conn.executemany("INSERT INTO tag VALUES(?, ?)", tags.items())
        conn.execute("INSERT INTO meta VALUES('total', ?)", (jieba.dt.total,))
        conn.commit()
    finally:
        conn.close()
    os.replace(tmp, path)


def _read_tags(jieba) -> dict[str, str]:
    """What jieba.posseg reads at import: word -> part-of-speech tag."""
    tags = {}
    with jieba.dt.get_dict_file() as f:
        for line in f:
            parts = line.strip().decode("utf-8").split(" ")
            if len(parts) == 3:
                tags[parts[0]] = parts[2]
    return tags


def install(jieba) -> bool:
    """Point jieba's default tokenizer at the on-demand tables (jieba.posseg's too, whenever it is
    imported: see ``register``). False (jieba untouched: it loads as usual) when they cannot be had."""
    global _conn
    dt = jieba.dt
    if isinstance(dt.FREQ, _OnDemand):
        return True
    if dt.initialized:
        return False
    path = _cache_file(jieba)
    if path is None:
        return False
    try:
        if not path.is_file():
            _build(jieba, path)     # jieba is initialised in full now: nothing more to do here
            return False
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        total = conn.execute("SELECT v FROM meta WHERE k='total'").fetchone()[0]
    except Exception as e:  # only slower: jieba loads its own tables
        log.debug("jieba tables at %s not used: %s", path, e)
        return False

    def load_words():
        dt.FREQ, dt.total = _full_freq(jieba)

    _conn = conn
    dt.FREQ, dt.total, dt.initialized = _OnDemand(conn, "freq", load_words), total, True
    return True


_conn: sqlite3.Connection | None = None


def _full_freq(jieba):
    """jieba's prefix dictionary loaded as jieba.initialize() would (from its marshal cache)."""
    fresh = jieba.Tokenizer()
    fresh.initialize()
    return fresh.FREQ, fresh.total


class _PossegFinder(importlib.abc.MetaPathFinder):
    """Importing ``jieba.posseg`` builds its tagger at once (``dt = POSTokenizer(jieba.dt)``), which
    reads the whole dictionary for tags. This finder hands the import jieba's words on demand
    first (``install``) and the tagger an empty dictionary to read, then gives it the tags table."""

    def find_spec(self, name, path=None, target=None):
        if name != "jieba.posseg":
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        spec.loader = _PossegLoader(spec.loader)
        return spec


class _PossegLoader(importlib.abc.Loader):
    def __init__(self, inner):
        self.inner = inner

    def create_module(self, spec):
        return self.inner.create_module(spec)

    def exec_module(self, module):
        import jieba

        if not install(jieba):
            return self.inner.exec_module(module)
        jieba.dt.get_dict_file = lambda: io.BytesIO(b"")     # read by POSTokenizer.__init__ for the tags
        try:
            self.inner.exec_module(module)
        finally:
            del jieba.dt.get_dict_file
        pos = module.dt

        def load_tags():
            pos.word_tag_tab = _read_tags(jieba)

        pos.word_tag_tab = _OnDemand(_conn, "tag", load_tags)


def register() -> None:
    """Make a later ``import jieba.posseg`` (by anyone) use the tables; cheap, imports nothing."""
    if "jieba.posseg" not in sys.modules and not any(isinstance(f, _PossegFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _PossegFinder())
