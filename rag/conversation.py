"""Follow-up questions in a conversation, rewritten into standalone questions before retrieval.

``history`` is what a chat UI keeps; any of these forms is accepted:

* messages: ``[{"role": "user"|"assistant", "content": str}, ...]`` (Gradio "messages");
* pairs: ``[(question, answer), ...]`` (answer may be ``None``);
* earlier :class:`~rag.types.Answer` objects, or plain strings (earlier questions).

With an LLM configured, the LLM rewrites the follow-up from the last few turns (same
language; it is told not to answer, and not to add anything the conversation does
not say). If that call fails or returns something unusable (empty, several lines,
far too long, an answer instead of a question), the heuristic below is used and a
notice says so.

Without an LLM, the heuristic: a follow-up that leans on the conversation, i.e. one
that

* starts with a pronoun or a continuation ("it", "its", "they", "what about", "and",
  "also", "how about"; 它, 其, 他们, 该, 这, 那, 那么, 还有, 另外, 同时), or ends
  with 呢 / "?" after at most a few words, or
* is short (at most 6 English words / 12 Chinese characters) and names nothing
  itself (no company, place, product, figure or year of its own),

* or refers to something with a pronoun ("How many employees did it have?", 它的/其/该公司)
  and names no company of its own,
* or asks how something changed or compares and names nothing else ("同比增长了多少？",
  "比上年末变化了多少？", "How did that compare with a year earlier?"): the earlier measure's change,

gets the key terms of the conversation prepended: the companies the last standalone
question names (as written there: the index's issuers, short names and tickers when the
pipeline passes ``names``, and whatever looks like a company name), other names (places,
products, as found by the answerer's ``salient_terms``), its years and fiscal periods, and
its two (four, when it names nothing) most specific nouns; the terms of follow-ups in
between come first ("那示例云呢？" adds 示例云). A short Chinese follow-up whose words
jieba does not know contributes its core ("示例云").
A follow-up that asks for a measure of its own ("And net income?", "那商品交易总额呢？")
keeps the companies and periods but not the earlier measure, which would pull retrieval
back to the figure already answered, and in Chinese it is asked the way the earlier question
was ("不良贷款率呢？" after "…净利润是多少？" becomes "…不良贷款率是多少？", "What about membership
fees?" after a question for a figure "How much was membership fees?"); one that points
back at the earlier topic with a demonstrative ("这能降低哪些风险？", "What does this mean for
margins?") keeps it. A
follow-up that names its own period drops the earlier one. Terms the follow-up already
contains are not repeated, and standalone questions pass through unchanged. E.g. after
"示例集团在哪些国家开设数据中心？", "这能降低哪些风险？" becomes "示例集团 数据中心
这能降低哪些风险？" and "那它的资本开支呢？" becomes "示例集团 那它的资本开支呢？"; after
"What was Acme's revenue in fiscal 2025?", "And net income?" becomes "Acme fiscal 2025 How
much was net income?" and "What about fiscal 2024?" becomes "Acme revenue What about fiscal 2024?".
The prepended terms steer retrieval (keyword and dense); the answer's
``rewritten_question`` shows what was searched.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Iterable

from .glossary import is_general_term
from .questions import CHANGE_ASKED
from .text import STOPWORDS, is_cjk_text, normalize, tokens

REWRITE_SYSTEM = """\
You rewrite the user's latest message in a conversation about corporate disclosures into a standalone question \
that can be understood without the conversation.
Rules: keep the language of the latest message; resolve pronouns and omissions (which company, which period, \
which figure) from the conversation only; do not answer the question; do not add facts, names or numbers \
that the conversation does not contain; if the message is already standalone, return it unchanged.
Output only the rewritten question, on one line, nothing else."""

REWRITE_USER = """\
Conversation so far:
{transcript}

Latest message: {question}

Standalone question:"""

MAX_TURNS = 4            # previous user turns shown to the LLM
ANSWER_CHARS = 300       # of each previous answer

_FOLLOWUP_EN = re.compile(
    r"^\s*(it|its|it's|they|them|their|theirs|this|that|these|those|he|she|his|her|and|also|what about|how about|"
    r"what else|same|then|so|why|how come|compared|versus|vs\.?|in that case|and what|what of)\b", re.I)
_FOLLOWUP_ZH = re.compile(r"^\s*(它们|它|其|他们|她们|他|她|该|这些|那些|这个|那个|这|那么|那|此|还有|另外|同时|以及|而|并且|对比|相比|那它)")
# a period of a year, not the year itself: a follow-up naming one replaces the earlier one and keeps the year
_PARTS_OF_YEAR = r"|".join([
    r"\b(?:Q[1-4]|H[12])\b", r"第[一二三四]季度", r"[上下]半年", r"前[一二三四]季度", r"年初至今",
    r"\b(?:first|second|third|fourth)\s+(?:fiscal\s+)?quarter\b", r"\b(?:first|second)\s+half\b",
    r"\b(?:the\s+)?first\s+(?:\d+|six|nine|twelve)\s+(?:weeks|months)\b", r"\byear[\s-]to[\s-]date\b"])
_YEAR = re.compile(r"\b(?:fiscal(?:\s+year)?\s+|FY\s*)?(?:19|20)\d{2}\b|\d{2,4}\s*(?:财年|年度|年)|" + _PARTS_OF_YEAR, re.I)
_PART_OF_YEAR = re.compile(rf"^(?:{_PARTS_OF_YEAR})$", re.I)
# another quarter than the one asked before, named relative to it
_SHIFTED_QUARTER = re.compile(r"[上下]一?个?季度|\bnext quarter\b|\b(?:last|previous|prior) quarter\b", re.I)
# a period named relative to the conversation's ("下个季度", "next quarter", "the same period last year"):
# a question naming one and no company leans on the earlier question for both
_RELATIVE_PERIOD = re.compile(_SHIFTED_QUARTER.pattern + r"|下半年|明年|去年同期|上年同期|\bnext year\b"
                              r"|\b(?:last|previous|prior) year\b|\bthe same (?:quarter|period)\b", re.I)
# a demonstrative pointing back at the earlier topic (the topic is kept, see the module docstring)
_DEMONSTRATIVE = re.compile(r"^\s*(?:这些|这个|那个|那些|这|此|(?:and\s+)?(?:this|that|these|those)\b)", re.I)
# a pronoun anywhere: a question leaning on an earlier one for its subject
_PRONOUN = re.compile(r"\b(?:it|its|they|their|them)\b|它们|它|其|该公司|该集团|该行|他们", re.I)
# words of a period or of asking, not a measure: a follow-up made of these asks for the earlier measure
_NOT_A_MEASURE = {"quarter", "quarters", "year", "years", "month", "months", "week", "weeks", "period", "fiscal",
                  "half", "same",
                  "first", "second", "third", "fourth", "last", "previous", "prior", "next", "季度", "年度", "半年",
                  "同期", "上期", "本期", "去年", "今年", "kinds", "kind", "types", "type",
                  # a date in a period ("At the end of 2023?", "期初呢？"): the earlier measure at another date
                  "end", "ending", "beginning", "start", "close", "year-end", "期末", "期初",
                  # a change or comparison of the earlier measure ("比上年末变化了多少？", "What drove the increase?")
                  "change", "changes", "compare", "comparison", "growth", "increase", "decrease", "decline", "drop",
                  "rise", "earlier", "ago", "drove", "driver", "drivers", "reason", "reasons", "rate",
                  "变化", "变动", "增长", "增长率", "增幅", "降幅", "增速", "增减", "原因", "上年", "上年末", "年初", "年末",
                  # a basis the earlier measure is stated on ("Per diluted share?", "On a non-GAAP basis?", "经调整的呢？")
                  "per", "diluted", "basic", "share", "adjusted", "gaap", "non", "non-gaap", "basis", "excluding", "reported",
                  "constant", "currency", "neutral", "organic", "摊薄", "稀释", "经调整", "调整后", "每股"}
# a Chinese word made of change and comparison morphemes only ("同比增长", "环比", "增长率"): no measure
_CHANGE_WORD_ZH = re.compile(r"(?:同比|环比|增长|下降|减少|增加|上升|变化|变动|增减|增幅|降幅|增速|率|多少|原因|了)+")


def _no_measure(word: str) -> bool:
    return word.lower() in _NOT_A_MEASURE or bool(_CHANGE_WORD_ZH.fullmatch(word))



@dataclass
class Rewrite:
    question: str                # what retrieval and the answerer use
    original: str
    method: str = "none"         # none | heuristic | llm
    notice: str = ""

    @property
    def changed(self) -> bool:
        return self.question.strip() != self.original.strip()


def normalize_history(history: Iterable[Any] | None) -> list[dict]:
    """Any accepted history form -> [{"role", "content"}] (user and assistant turns only)."""
    out: list[dict] = []
    for item in history or []:
        if item is None:
            continue
        if isinstance(item, str):
            out.append({"role": "user", "content": item})
        elif isinstance(item, dict):
            role = item.get("role")
            content = item.get("content")
            if isinstance(content, list):   # content blocks
                content = " ".join(c.get("text", "") if isinstance(c, dict) else str(c) for c in content)
            if role in ("user", "assistant") and isinstance(content, str):
                out.append({"role": role, "content": content})
        elif isinstance(item, (tuple, list)) and len(item) >= 1:
            q = item[0]
            a = item[1] if len(item) > 1 else None
            if isinstance(q, str):
                out.append({"role": "user", "content": q})
            if a is not None:
                out.append({"role": "assistant", "content": a if isinstance(a, str) else getattr(a, "text", str(a))})
        elif hasattr(item, "question") and hasattr(item, "text"):   # an Answer
            out.append({"role": "user", "content": getattr(item, "rewritten_question", "") or item.question})
            out.append({"role": "assistant", "content": item.text})
    return out


def previous_questions(history) -> list[str]:
    return [m["content"] for m in normalize_history(history) if m["role"] == "user" and m["content"].strip()]


_GENERIC = {"what", "which", "many", "much", "company", "companies", "according", "report", "document", "said",
            "say", "says", "about", "国家", "哪些", "什么", "多少", "公司", "情况", "内容", "问题", "方面"}
_ZH_TAIL = re.compile(r"(的呢|呢|怎么样|如何|怎样|是多少|有多少|是什么|吗)?\s*[？?。！!]*\s*$")
_NOUN_FLAGS = ("n", "eng", "vn")


def _core(question: str) -> str:
    """The question without a leading pronoun/continuation and (Chinese) its question tail."""
    q = question.strip()
    m = _FOLLOWUP_ZH.match(q) or _FOLLOWUP_EN.match(q)
    if m:
        q = q[m.end():].lstrip(" ,，、:：的")
    return _ZH_TAIL.sub("", q) if is_cjk_text(q) else q.rstrip(" ?？.")


def company_mentions(text: str, names=None) -> list[str]:
    """The companies ``text`` names, as written there, in order: the index's names (``names``, a
    callable returning (start, end) spans in the NFKC form of the text) and what looks like a company
    name (rag/company_names.py)."""
    import unicodedata

    from .company_names import company_candidates

    q = unicodedata.normalize("NFKC", text or "").replace("’", "'")
    spans = list(names(q)) if names is not None else []
    for _, (a, b) in company_candidates(q):
        if not any(not (b <= x or a >= y) for x, y in spans):
            spans.append((a, b))
    return list(dict.fromkeys(q[a:b].strip(" ,.'") for a, b in sorted(spans) if q[a:b].strip(" ,.'")))


def key_terms(question: str, names=None) -> list[str]:
    """What a question is about: companies and other names, years/periods, then its most specific nouns.

    Companies come from :func:`company_mentions`, other names from the answerer's
    ``salient_terms``; for Chinese, nouns from jieba's tagger; a short Chinese follow-up whose
    words are unknown ("那示例云呢？") gives its remaining core ("示例云").
    """
    terms, words = _terms_and_nouns(question, names)
    return terms + words


def _terms_and_nouns(question: str, names=None) -> tuple[list[str], list[str]]:
    from .answering import salient_terms   # jieba-backed; imported lazily

    core = _core(question)
    names_found = company_mentions(core, names)
    names = list(names_found)
    general: list[str] = []   # glossary words among the salient terms ("EPS", "CFO"): what is asked, no name
    for t in salient_terms(core):
        t = re.sub(r"['’]s$", "", t)
        if (t and not re.fullmatch(r"\d+(?:\.\d+)?%?", t) and t.lower() not in _GENERIC
                and not any(normalize(t) in normalize(c) for c in names_found)):
            (general if is_general_term(t) else names).append(t)
    periods = [m.group(0).strip() for m in _YEAR.finditer(core)]
    terms = list(dict.fromkeys(names + periods))
    if is_cjk_text(core):
        import jieba.posseg as pseg

        cut = list(pseg.cut(core))
        # a reporting term is one noun however jieba cuts it ("营业收入" is 营业/n + 收入/v to its tagger)
        known = _reporting_terms(core)
        words = known + [w.word for w in cut if w.flag.startswith(_NOUN_FLAGS) and len(w.word) >= 2
                         and not any(w.word in k for k in known)]
        # a Chinese question that opens with a noun names its subject there ("示例集团在哪些国家…",
        # "示例集团的…"): a subject, kept like a name, not a measure
        if not names_found and len(cut) >= 3 and cut[0].flag.startswith(_NOUN_FLAGS) and len(cut[0].word) >= 2 \
                and cut[0].word not in terms and cut[0].word.lower() not in _GENERIC:
            terms.insert(0, cut[0].word)
            words = [w for w in words if w != cut[0].word]
        cjk_len = len(re.sub(r"[^\u3400-\u9fff]", "", core))
        if not terms and not words and 2 <= cjk_len <= 6:
            words = [core.strip()]
    else:
        words = [re.sub(r"['’]s$", "", w) for w in tokens(core) if len(w) >= 3 and not w[0].isdigit()]
    seen: set[str] = set()
    words = [w for w in general + words if not (w.lower() in seen or seen.add(w.lower()))]   # once, as first written
    terms_norm = [normalize(t) for t in terms]
    words = [w for w in words if w.lower() not in _GENERIC and normalize(w) not in STOPWORDS
             and not any(normalize(w) in t or t in normalize(w) for t in terms_norm)]
    words = sorted(words, key=len, reverse=True)[: (2 if terms else 4)]
    return terms, words


def _reporting_terms(text: str) -> list[str]:
    """The Chinese reporting terms of the glossary and the statements vocabulary that ``text`` holds,
    longest first and not one inside another ("营业收入", not also 收入)."""
    found: list[str] = []
    for t in _chinese_terms():
        if t in text and not any(t in f for f in found):
            found.append(t)
    return found


@lru_cache(maxsize=1)
def _chinese_terms() -> tuple[str, ...]:
    from .glossary import chinese_terms
    from .statements import chinese_items

    return tuple(sorted({t for t in (*chinese_terms(), *chinese_items()) if len(t) >= 2}, key=len, reverse=True))


def asks_own_measure(question: str) -> bool:
    """Whether a follow-up names a measure or topic of its own ("And net income?", "那商品交易总额呢？")
    rather than only a period or a pronoun ("What about 2024?", "它呢？"), and does not point back
    at the earlier topic with a demonstrative ("这能降低哪些风险？")."""
    if _DEMONSTRATIVE.match(question) or _DEMONSTRATIVE.match(_core(question)):
        return False
    _, words = _terms_and_nouns(question)
    return any(not _no_measure(w) and not _YEAR.fullmatch(w) for w in words)


def _own_names(question: str) -> list[str]:
    from .answering import salient_terms

    # (a word of the glossary, "CFO", is no name: "Who is its CFO?" asks about the earlier company)
    return [t for t in salient_terms(question) if t.lower() not in _GENERIC and not _YEAR.fullmatch(t)
            and not re.fullmatch(r"(?i)what|which|how|who|when|where|and|\d+(?:\.\d+)?%?", t)
            and not is_general_term(t)]


def is_followup(question: str, names=None) -> bool:
    q = question.strip()
    if _FOLLOWUP_EN.match(q) or _FOLLOWUP_ZH.match(q):
        return True
    if _PRONOUN.search(q) and not company_mentions(q, names) and not _own_names(q):
        return True   # "How many employees did it have?": nothing in the question for "it" to be
    if _RELATIVE_PERIOD.search(q) and not company_mentions(q, names) and not _own_names(q):
        return True   # "下个季度的指引是多少？": the next quarter after the one asked about, of the same company
    if CHANGE_ASKED.search(q) and not company_mentions(q, names) and not _own_names(q):
        # "同比增长了多少？", "How did that compare with a year earlier?": a change of the earlier measure,
        # when the question names no measure of its own
        terms, words = _terms_and_nouns(q, names)
        if not terms and all(_no_measure(w) for w in words):
            return True
    if is_cjk_text(q):
        n = len(re.sub(r"[^\u3400-\u9fff]", "", q))
        if re.search(r"呢\s*[？?]?\s*$", q) and n <= 12:
            return True
        short = n <= 6
    else:
        short = len(q.split()) <= 6
    if short:
        from .answering import salient_terms

        own = [t for t in salient_terms(q) if t.lower() not in _GENERIC and not is_general_term(t)
               and not re.fullmatch(r"(?i)what|which|how|who|when|where|and", t)]
        if not own and not _YEAR.search(q):
            return True
    return False


MAX_CONTEXT_TERMS = 5


def context_terms(previous: list[str], names=None) -> tuple[list[str], set[str]]:
    """Key terms of the conversation so far, newest first (a standalone question resets them), and
    which of them are nouns (measures and topics) rather than names or periods."""
    ctx: list[str] = []
    nouns: set[str] = set()
    for q in previous:
        terms, words = _terms_and_nouns(q, names)
        own = terms + words
        if is_followup(q, names):
            ctx = list(dict.fromkeys(own + ctx))[:MAX_CONTEXT_TERMS]
            nouns |= set(words)
        else:
            ctx, nouns = own, set(words)
    return ctx, nouns


def heuristic_rewrite(question: str, history, names=None) -> str:
    """See the module docstring. ``names``: the index's company names (see :func:`company_mentions`)."""
    prev = previous_questions(history)
    if not prev or not is_followup(question, names):
        return question
    have = normalize(question)
    ctx, nouns = context_terms(prev, names)
    terms = [t for t in ctx if normalize(t) not in have]
    said = [m.group(0).strip() for m in _YEAR.finditer(question)]
    relative = bool(_SHIFTED_QUARTER.search(question))
    if said or relative:
        # "那2025年第一季度呢？" names its own period: the earlier one no longer holds; "前三季度呢？" names a
        # part of a year, which replaces the earlier part and keeps its year, as does a period relative to the
        # earlier one ("下个季度": not the first quarter asked before)
        part_only = all(_PART_OF_YEAR.match(p) for p in said)
        terms = [t for t in terms if not _YEAR.fullmatch(t.strip())
                 or (part_only and not _PART_OF_YEAR.match(t.strip()))]
    swapped = _swap_region(question, prev[-1], names)
    if swapped:
        return swapped
    if asks_own_measure(question):   # "And net income?": not the earlier measure as well
        terms = [t for t in terms if t not in nouns]
        question = _ask_as_before(question, prev[-1])
    if not terms:
        return question
    return " ".join(terms) + " " + question.strip()


def _swap_region(question: str, previous: str, names=None) -> str | None:
    """"美国市场呢？" after "示例公司2023年第二季度全球可比销售额增长了多少？" asks the same about the U.S.:
    "示例公司2023年第二季度美国市场可比销售额增长了多少？". Only for a Chinese follow-up that names a
    market or region (rag/data/glossary.toml, region = true) and little else, after a question naming
    one other region outside a company's name ("中国平安" names no region)."""
    import unicodedata

    from .glossary import REGIONS_ZH

    q = question.strip()
    if not is_cjk_text(q) or not re.search(r"呢\s*[？?]?\s*$", q):
        return None
    core = _core(q)
    region = next((r for r in REGIONS_ZH if r in core), None)
    if region is None or len(core.replace(region, "")) > 2:   # "美国市场", "欧洲地区", not a question of its own
        return None
    prev = unicodedata.normalize("NFKC", previous).strip()
    taken = [(prev.find(c), prev.find(c) + len(c)) for c in company_mentions(prev, names) if c in prev]
    found = []
    for r in REGIONS_ZH:
        for m in re.finditer(re.escape(r), prev):
            if (not any(a < m.end() and m.start() < b for a, b in taken) and r not in core
                    and not any(a <= m.start() < b for a, b in found)):
                found.append((m.start(), m.end()))
    if len(found) != 1:
        return None
    a, b = found[0]
    return prev[:a] + core + prev[b:]


_ZH_ASK = re.compile(r"(?:是|有|为|共|约)?(?:多少|几|什么|哪些)[^，。？?！!]{0,6}[？?]?\s*$")


_EN_ALSO = re.compile(r"^\s*(?:and\s+)?(?:what|how)\s+about\s+|^\s*and\s+(?:what\s+(?:of|was|is|were|are)\s+)?", re.I)


def _ask_as_before(question: str, previous: str) -> str:
    """"不良贷款率呢？" after "…净利润是多少？" asks the same way: "不良贷款率是多少？"; "What about
    membership fees?" after "What was net income …?" asks "How much was membership fees?" (so the
    answer takes the shape the earlier question's did: a figure, a list)."""
    q = question.strip()
    if not is_cjk_text(q):
        from .questions import kind_of

        m = _EN_ALSO.match(q)
        if not m or kind_of(previous) != "figure" or kind_of(q) == "figure":
            return question
        return f"How much was {q[m.end():]}"
    if not re.search(r"呢\s*[？?]?\s*$", q):
        return question
    m = _ZH_ASK.search(previous.strip())
    if m:
        asked = m.group(0)
    elif not is_cjk_text(previous):
        # after a question in English ("What was net sales growth …?" then "那电商销售呢？"): asked as a figure
        # when the earlier one asked for a figure
        from .questions import CHANGE_ASKED, kind_of

        if kind_of(previous) != "figure":
            return question
        asked = "增长了多少？" if CHANGE_ASKED.search(previous) else "是多少？"   # (a change asked before: a change)
    else:
        return question
    return re.sub(r"(?:的)?呢\s*[？?]?\s*$", "", q) + asked


def rewrite_question(question: str, history=None, llm=None, config=None, names=None) -> Rewrite:
    """The standalone form of ``question`` given ``history`` (LLM when given, else heuristic);
    ``names``: the index's company names, for the heuristic (see :func:`company_mentions`)."""
    msgs = normalize_history(history)
    if not any(m["role"] == "user" for m in msgs):
        return Rewrite(question, question)
    if llm is not None:
        try:
            out = _llm_rewrite(question, msgs, llm, config)
        except Exception as e:  # endpoint failed: the heuristic still helps retrieval
            from .llm import describe_error

            reason = describe_error(e, getattr(llm, "openai_api_base", "") or "", float(getattr(llm, "request_timeout", 0) or 0))
            out = None
        else:
            reason = "the LLM's rewrite was unusable"
        if out:
            return Rewrite(out, question, "llm")
        fallback = heuristic_rewrite(question, msgs, names)
        return Rewrite(fallback, question, "heuristic",
                       f"follow-up rewritten without the LLM ({reason})" if fallback != question else "")
    rewritten = heuristic_rewrite(question, msgs, names)
    return Rewrite(rewritten, question, "heuristic" if rewritten != question else "none")


def _llm_rewrite(question: str, msgs: list[dict], llm, config=None) -> str | None:
    from langchain_core.messages import HumanMessage, SystemMessage

    from .grounding import strip_citations
    from .llm import _content_text, strip_thinking

    turns = msgs[-2 * MAX_TURNS:]
    lines = []
    for m in turns:
        text = " ".join(strip_citations(m["content"]).split())
        if m["role"] == "assistant":
            text = text[:ANSWER_CHARS] + ("…" if len(text) > ANSWER_CHARS else "")
            lines.append(f"Assistant: {text}")
        else:
            lines.append(f"User: {text}")
    reply = llm.invoke([SystemMessage(content=REWRITE_SYSTEM),
                        HumanMessage(content=REWRITE_USER.format(transcript="\n".join(lines), question=question.strip()))],
                       config=config)
    out = strip_thinking(_content_text(getattr(reply, "content", ""))).strip()
    out = re.sub(r"^(standalone question|rewritten question|question|独立问题|问题)\s*[:：]\s*", "", out, flags=re.I)
    out = out.strip().strip('"“”「」\'').strip()
    if not out or "\n" in out or len(out) > max(300, 4 * len(question)):
        return None
    if re.search(r"\[\d+\]", out):          # it answered instead of rewriting
        return None
    return out
