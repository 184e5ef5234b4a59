"""Tokens for keyword search and lexical matching, for Chinese and English alike.

Chinese runs are cut with jieba (search mode, so 数据中心 also yields 数据/中心);
Latin text is lower-cased words; numbers keep their decimals ("4.5", "53.0") and
percentages also index the bare number, so "26%" and "26 percent" meet.
"""
from __future__ import annotations

import logging
import re
import threading
import unicodedata
from functools import lru_cache

from . import jieba_tables

# dotted initials ("U.S.", "U.K.") are one word, read without their dots' last: "u.s" (as one letter, "u",
# it matched nothing a glossary or a question could ask for)
_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+|[A-Za-z](?:\.[A-Za-z])+(?![A-Za-z0-9])|"
                  r"[A-Za-z][A-Za-z0-9]*(?:[-'][A-Za-z0-9]+)*|\d+(?:[.,]\d+)*%?")

STOPWORDS = frozenset("""
a an the of and or to in on for by with at from as is are was were be been being it its this that these those
what which who whom whose when where why how did does do has have had will would can could should may might
than then there their they them our we us you your he she his her not no yes if about into over under per
much many any some all each both was also such more most other only own same so too very just whether
s t ve ll re d
的 了 是 在 和 与 及 等 中 为 对 也 将 其 之 而 或 并 以 于 由 被 把 向 从 到 这 那 该 此 各 个 所 有 没有 吗 呢 吧 啊
什么 哪些 哪个 哪 多少 几 几个 如何 怎么 怎样 是否 是不是 为什么 谁 何 何时 哪里 哪儿 哪一 请问 一下 请 公司 哪家
""".split())

_jieba_lock = threading.Lock()
_jieba = None
jieba_tables.register()   # jieba.posseg, when someone imports it, tags from the cached tables too


def _get_jieba():
    global _jieba
    if _jieba is None:
        with _jieba_lock:
            if _jieba is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                if not jieba_tables.install(jieba):   # its tables word by word from a cache; else loaded whole, now
                    jieba.initialize()
                _jieba = jieba
    return _jieba


def preload_in_background(*models) -> list[threading.Thread]:
    """Load jieba's dictionaries and each model's weights (``warm()``) in background threads.

    A fresh process otherwise pays them one after another on its first question (USE ~1-2 s,
    jieba ~0.7-1 s, jieba.posseg ~0.3 s on the 2-core bench machine). The Assistant calls it when
    the preload setting is on (``RAG_PRELOAD=1``; e.g. for the UI, where it cuts a first answer asked
    3 s after opening from ~1.3 s to ~0.2 s): on by default, it made
    tests/reliability/test_concurrency.py::test_two_ingest_processes_serialise fail 1 run in 3
    (embedded Chroma "database is locked" in the other ingest process; 0 in 5 without).
    """

    def jieba_words():
        _get_jieba()
        import jieba.posseg  # noqa: F401  (the answerer tags parts of speech)

    jobs = [jieba_words] + [m.warm for m in models if callable(getattr(m, "warm", None))]
    threads = []
    for job in jobs:
        t = threading.Thread(target=_quietly, args=(job,), name=f"rag-preload-{len(threads)}", daemon=True)
        t.start()
        threads.append(t)
    return threads


def _quietly(job) -> None:
    try:
        job()
    except Exception:  # a failed preload only means the first question loads it (and reports the error)
        logging.getLogger(__name__).debug("preload failed", exc_info=True)


def normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def tokens(text: str, keep_stopwords: bool = False) -> list[str]:
    """Search tokens of ``text`` in order (may repeat)."""
    out: list[str] = []
    for m in _RUN.finditer(normalize(text)):
        run = m.group(0)
        c = run[0]
        if "\u3400" <= c <= "\u9fff" or "\uf900" <= c <= "\ufaff":
            words = list(_get_jieba().cut_for_search(run))
            for i, w in enumerate(words):
                if keep_stopwords or w not in STOPWORDS:
                    out.append(w)
                if w == "非" and i + 1 < len(words):
                    # a prefix jieba cuts off: 非流动资产 is no 流动资产, so 非流动 is a token too
                    out.append(w + words[i + 1])
        elif c.isdigit():
            num = run.replace(",", "")
            out.append(num)
            if num.endswith("%"):
                out.append(num[:-1])
        else:
            if keep_stopwords or run not in STOPWORDS:
                out.append(run)
                if "-" in run:
                    out.extend(p for p in run.split("-") if p and p not in STOPWORDS)
    return out


_stemmer = None


def _english_stems(words: list[str]) -> list[str]:
    global _stemmer
    if _stemmer is None:
        import Stemmer   # PyStemmer: the Snowball English stemmer, with its own cache

        _stemmer = Stemmer.Stemmer("english")
    return _stemmer.stemWords(words)


def keyword_tokens(text: str, keep_stopwords: bool = False) -> list[str]:
    """Tokens for the keyword index and keyword queries: ``tokens`` with English words stemmed
    (Snowball), so "statements of cash flows" meets "cash flow statement" and "revenues" meets
    "revenue". Chinese words and numbers are as ``tokens`` gives them. The answerer keeps surface
    words (``tokens``): it embeds them to match words across languages, and stems embed poorly.
    """
    toks = tokens(text, keep_stopwords)
    latin = [i for i, t in enumerate(toks) if t[0].isascii() and t[0].isalpha() and "." not in t]
    if latin:
        for i, stem in zip(latin, _english_stems([toks[i] for i in latin])):
            toks[i] = stem
    return toks


@lru_cache(maxsize=65536)
def token_set(text: str) -> frozenset:
    """``tokens`` as a set, cached as ``keyword_token_set`` is (the answerer's candidates recur)."""
    return frozenset(tokens(text))


@lru_cache(maxsize=65536)
def keyword_token_set(text: str) -> frozenset:
    """``keyword_tokens`` as a set, cached: the answerer and the page ranker see the same sentences,
    contexts and titles question after question (jieba was most of an answer's time)."""
    return frozenset(keyword_tokens(text))


# one CJK ideograph (the range is_cjk_text counts)
CJK_CHAR = re.compile(r"[\u3400-\u9fff]")


def is_cjk_text(text: str, threshold: float = 0.2) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return False
    cjk = sum(1 for ch in letters if "\u3400" <= ch <= "\u9fff")
    return cjk / len(letters) >= threshold


def language_of(text: str) -> str:
    return "zh" if is_cjk_text(text) else "en"
