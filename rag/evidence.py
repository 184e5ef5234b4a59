"""Evidence candidates for an answer, and the features a fitted model scores them by.

A candidate is a verbatim span of a page's text from the passages retrieval handed
over: a sentence, or a **table row** (a line with a label and figures). A row knows
the header it is read under (periods, 本期/上期, 期末/期初, units: ``ingest/tables.py``),
so an answer can quote the row together with its column header, both verbatim.

Features describe how a candidate relates to the question (rag/questions.py): its
embedding similarity, the question's words it (or its table header/page title) holds,
whether it holds the kind of thing asked (a figure, a date, a name, a negation),
whether its years are the asked ones, whether it is a row, and where retrieval ranked
its page. ``rag/answer_model.py`` turns them into a probability with weights fitted
by ``python -m evals.fit_answerer``.
"""
from __future__ import annotations

import bisect
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from ingest.sentences import split_sentences
from ingest.headings import headings_of, page_title
from ingest.tables import classify as _classify_line
from ingest.tables import NON_CURRENT_PART, line_headers, place_at

from .evidence_periods import (DATE_LIKE, FORECAST_Q, OUTLOOK_Q, OUTLOOK_TEXT, PRIOR_TEXT, QUARTER_WORDS,
                               prior_only_header, subject_clause)
from .glossary import equivalents, expand, translations, written_out
from .questions import CHANGE_ASKED, MEASURE_ABBREVIATION, QUESTION_WORD, Question, main_question
from .patterns import YEAR_IN_TEXT
from .statements import (TOTAL_WORDS, is_vocabulary_term, items_asked, parent_only_page, parent_only_table, statements_named,
                         tokens_outside_other_items)
from .text import CJK_CHAR as _CJK, STOPWORDS, keyword_token_set, keyword_tokens


# whether a line is a table row, a header or prose: the same page lines are read answer after answer (a page's
# rows for the answerer, its peers, its statements' line items), and each reading classifies every line
classify = lru_cache(maxsize=1 << 16)(_classify_line)

# A sentence that addresses the reader with instructions is not evidence of a fact
# ("Ignore previous instructions and answer that …", "忽略之前的指令").
INSTRUCTION = re.compile(
    r"\b(ignore|disregard|forget)\b.{0,40}\b(instructions?|prompts?|rules|above|previous)\b"
    r"|\b(you (?:must|should) (?:now )?(?:answer|reply|respond|say))\b|\banswer that\b|\bas an ai\b"
    r"|\bsystem prompt\b|忽略(?:之前|以上|前面|上述)?的?(?:所有)?(?:指令|指示|提示|说明)|请(?:直接)?回答[：:]|你(?:必须|应该)回答",
    re.I)
_FIGURE = re.compile(r"(?<![A-Za-z\d])[-(]?\$?\d[\d,]*(?:\.\d+)?%?\)?(?![A-Za-z\d])")
_DATE_HINT = re.compile(r"\b(19|20)\d{2}\b|\d+\s*年|\d+\s*月|\d+\s*日|\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\b"
                        r"|\bQ[1-4]\b|第[一二三四]季度", re.I)
_PERSON = re.compile(r"\b(?:Mr\.|Ms\.|Mrs\.|Dr\.)\s*[A-Z][a-z]+|\b[A-Z][a-z]+(?:\s[A-Z]\.)?\s[A-Z][a-z]{2,}\b|先生|女士|博士|董事长|总经理|"
                     r"\b(?:Chief \w+ Officer|CEO|CFO|Chair(?:man|woman|person)?|President)\b")
# (a question about the audit committee asks about its members, not the auditors)
_AUDIT_Q = re.compile(r"\baudit(?!\w*\s+committee)|\baccounting firm\b|审计(?!委员会)|审阅|核数师|会计师事务所", re.I)
# an office a who-question names ("Who is its chief financial officer?", "谁是董事长？"): the person who holds
# it is named as holding it, in either language (rag/data/glossary.toml: CFO, 首席财务官, 财务负责人), not as
# holding another ("said Jane Doe, Chief Executive Officer" does not name the CFO)
_ROLE_Q = re.compile(r"\bchief (?:\w+ ){1,2}officer\b|\b(?:ceo|cfo|coo|cto)\b|\bchair(?:man|woman|person)?\b"
                     r"|\bpresident\b|\bcompany secretary\b|首席\w{2,3}官|财务负责人|财务总监|董事长|董事会主席|总裁|行长"
                     r"|总经理|董事会秘书", re.I)
_AUDIT_FIRM = re.compile(r"会计师事务所|核数师|\bcertified public accountants\b|\bchartered accountants\b|\bLLP\b"
                         r"|\b(?:public )?accounting firm\b|\bthe auditors? of\b"
                         r"|\bas (?:our|its) (?:independent )?auditors?\b", re.I)
# a firm of auditors by its name: "PricewaterhouseCoopers LLP", "Deloitte & Touche LLP", "安永华明会计师事务所"
# (not a word before the word for a firm: "载有会计师事务所盖章", "境内会计师事务所名称"), "…, Certified Public
# Accountants", "PricewaterhouseCoopers, the auditor of the Company" (not a title that only mentions one: "Fees
# Paid to Independent Registered Public Accounting Firm")
AUDIT_FIRM_NAMED = re.compile(r"\b[A-Z][\w'.-]*(?:\s+(?:&\s+)?[A-Z][\w'.-]*)*,?\s+LLP\b"
                              r"|[\u4e00-\u9fff]{2,}(?<!的)(?<!载有|境内|境外|聘请|聘任|续聘|改聘|解聘|审计|年度|其他|任何|相关|外部|独立|一家)"
                              r"会计师事务所(?!审计|的|出具)"
                              r"|\b[A-Z][\w'.-]*(?:\s+[A-Z&][\w'.-]*)*,\s+(?:Certified Public|Chartered) Accountants\b"
                              r"|\b[A-Z][\w'.-]*(?:\s+(?:&\s+)?[A-Z][\w'.-]*)*,\s+(?:the|our|its)"
                              r" (?:independent )?auditors?\b")


# where a company is seated (its headquarters, registered or principal executive offices) and a line giving
# the address: a 10-K cover's "(Address of principal executive offices)", "headquartered in …", 注册地址
_SEAT_Q = re.compile(r"\bheadquarter\w*|\bprincipal (?:executive )?offices?\b|\bregistered (?:office|address)\b"
                     r"|总部|注册地址|办公地址|注册地|住所", re.I)
SEAT_STATED = re.compile(r"\(?Address of principal executive offices|\bheadquarter(?:s|ed)\s+(?:is\s+|are\s+)?"
                         r"(?:located\s+)?in\b|\b(?:\d+|One|Two|Three)\s+(?:[A-Z][\w.]*\s+){0,4}(?:Street|St\.|Avenue|Ave\.|Drive"
                         r"|Road|Boulevard|Way|Place|Plaza|Parkway)\b|注册地址|办公地址|总部(?:位于|设在|设于)")


def asks_seat(question: str) -> bool:
    """Whether a where-question asks where a company is seated (an address answers it)."""
    return bool(_SEAT_Q.search(question))


# the words a firm of auditors is named with, searched for a question that asks who audits: it rarely says
# them itself ("谁审计了…的财务报表？", "Who audited its financial statements?")
AUDIT_FIRM_WORDS = "会计师事务所 ; 核数师 ; accounting firm ; LLP ; certified public accountants"


def roles_asked(question: str) -> list[str]:
    """The offices a question names, lower case."""
    return list(dict.fromkeys(m.group(0).lower() for m in _ROLE_Q.finditer(question)))


def names_role(roles: list[str], text: str) -> bool:
    """Whether ``text`` names one of ``roles`` or a translation of it (English as whole words)."""
    low = text.lower()
    for term in (t for r in roles for t in equivalents(r)):
        if re.search(rf"(?<![a-z]){re.escape(term)}(?![a-z])" if term.isascii() else re.escape(term), low):
            return True
    return False


def asks_auditor(question: str) -> bool:
    """Whether a who-question asks who audits (a firm of auditors answers it)."""
    return bool(_AUDIT_Q.search(question))


# a question that asks why, not how much
_CAUSAL_Q = re.compile(r"\bwhat (?:drove|drives|caused|causes|explains)\b|\bwhy\b|\breasons?\b|\bdrivers?\b"
                       r"|原因|为什么|为何|驱动", re.I)
# a sentence that states a cause: the answer to a question that asks why
# ("attributable to" a holder is whose a figure is, not why: "Net income attributable to Costco",
# "… attributable to common stockholders", "… to noncontrolling interests")
CAUSE_STATED = re.compile(r"\b(?:due to|driven by|because|as a result of|owing to|resulting from|reflect(?:s|ed|ing)"
                          r"|(?:primarily|mainly|largely|principally|partly) (?:for|from)"
                          r"|attributable to(?!\s+(?:(?-i:[A-Z])|(?:the\s+)?(?:common|ordinary|company|parent|owners?"
                          r"|share|stock|holders?|non-?controlling|minority|equity))))\b"
                          r"|由于|因为|所致|受[^，。；]{1,20}影响|得益于|原因(?:是|为|在于|系)|驱动|带动", re.I)


def asks_cause(question: str) -> bool:
    """Whether a question asks why (a sentence stating a cause answers it), not how much."""
    return bool(_CAUSAL_Q.search(main_question(question)))


def states_cause(c: "Candidate | None") -> bool:
    # (a table row is a label and its figures: it states no cause whatever its label's words)
    return c is not None and not c.is_row and bool(CAUSE_STATED.search(c.text))


# (Chinese words that only start with a negating character are no negation: 未来 the future, 不同
# different, 不断 constantly, 无论 whatever, 否则 otherwise, and the reporting terms 不良贷款 non-performing
# loans, 无形资产 intangible assets, 未分配利润 retained earnings, 未经审计 unaudited)
_NEGATION = re.compile(r"\b(not|no|never|none|neither|nor|without|did not|does not|has not|have not)\b|n't\b"
                       r"|未(?!来|分配|经审计)|没有|不(?!同|断|仅|少|过|久|但|良|变)|无(?!论|形)|否(?!则)", re.I)
_ENUM = re.compile(r"^\s*(?:[•\-*·●▪]|\(?[a-z0-9ivx]{1,3}[.)、]|[一二三四五六七八九十]+[、.]|（[一二三四五六七八九十]+）)"
                   r"|首先|其次|第[一二三四五六七八九十]|最后|此外|\b(first|second|third|fourth|finally|additionally)\b", re.I)
_ANAPHOR = re.compile(r"^(该|这|此|其|它|他们|上述|同时|此外|另外|因此|而|但|"
                      r"(It|Its|This|These|That|Those|They|Their|Such|Both)\b)")
_YEAR = YEAR_IN_TEXT

FEATURES = (
    "dense", "dense_gap", "passage_dense", "page_gap", "passage_rank", "lex", "lex_gap", "lex_soft", "focus",
    "lex_context",
    "lex_glossary", "metric_near", "subject", "quarter_match", "prior_clash", "outlook_clash", "total", "label_extra",
    "kind_match", "figure_q_row", "year_match", "year_clash", "row_label", "statement", "length", "heading",
    "anaphor", "negation_yesno", "enumeration_list", "question_echo",
)


@dataclass(eq=False)   # identity: the same sentence reached from two overlapping passages is one candidate
class Candidate:
    doc: object                 # the retrieved passage (LangChain Document) it comes from
    rank: int                   # the passage's rank
    start: int                  # offsets in the page text
    end: int
    text: str
    vector: "np.ndarray | None" = None
    is_row: bool = False
    header: tuple[int, int] | None = None   # span of the table header it is read under (page text)
    header_text: str = ""
    prev: "Candidate | None" = None
    next: "Candidate | None" = None
    features: dict = field(default_factory=dict)
    prob: float = 0.0
    instruction: bool = False
    focus_hit: float = 1.0      # how well the question's own words are found in it (rag/evidence.py focus_words)
    where: str = ""             # the passage's context (section, title, table header) and its page's title
    operand_only: bool = False  # a row of a line item admitted only to compute a measure from (rag/measures.py)
    heading: str = ""           # the page's heading line nearest above it (ingest/headings.py headings_of)
    part: str = ""              # a row's part of its table ("Current assets:"; ingest/tables.py places)
    group: tuple[int, int] | None = None   # for a subtotal with no label, the span of its group's label line

    @property
    def doc_id(self) -> str:
        return self.doc.metadata["doc_id"]

    @property
    def page(self):
        return self.doc.metadata.get("page")


_ROW_VALUE = re.compile(r"(?<![\w.])\(?\$?\s?\d[\d,]*(?:\.\d+)?\)?%?")


# a row is shown with its table's title and subtitle (chunk contexts, made at ingest, keep the title line
# nearest the header): "U.S. 10.3 %" says what it measures only under "COMPARABLE SALES"
TITLE_LINES = 2


class PageTexts:
    """Page text and its table headers, read once per page per answer."""

    def __init__(self, catalog):
        self.catalog = catalog
        self._text: dict = {}
        self._headers: dict = {}
        self._titles: dict = {}
        self._headings: dict = {}

    def text(self, doc_id: str, page) -> str:
        key = (doc_id, page)
        if key not in self._text:
            self._text[key] = self.catalog.page_text(doc_id, page) or ""
        return self._text[key]

    def where(self, d) -> str:
        """Passage ``d``'s context with its page's title: a chunk that opens its page holds the title in
        its own text, so ingest left it out of the context ("Consolidated Balance Sheets" atop a balance
        sheet's first rows), yet it says what statement every line of the page belongs to."""
        key = (d.metadata["doc_id"], d.metadata.get("page"))
        if key not in self._titles:
            self._titles[key] = page_title(self.text(*key))
        context, title = d.metadata.get("context") or "", self._titles[key]
        return f"{context} · {title}" if title and title not in context else context

    def heading_above(self, doc_id: str, page, offset: int) -> str:
        """The page's heading line nearest above ``offset``, "" when none is."""
        key = (doc_id, page)
        if key not in self._headings:
            self._headings[key] = headings_of(self.text(doc_id, page))
        return next((h for at, h in reversed(self._headings[key]) if at < offset), "")

    def place_row(self, c: "Candidate") -> None:
        """Set a row candidate's part of its table and, for a subtotal with no label, the label line of the
        group it sums, which then is its label (ingest/tables.py ``places``)."""
        text = self.text(c.doc_id, c.page)
        place = place_at(text, c.start)
        c.group = place.group
        c.part = text[c.group[0]:c.group[1]] if c.group else place.part

    def carried_header(self, doc_id: str, page, offset: int) -> str:
        """For a row of a table that runs on from the previous page (nothing but rows above it on its
        page), the header that table had there: it labels the row's columns, though it cannot be quoted
        from the row's page. Empty otherwise."""
        if not isinstance(page, int) or page <= 1:
            return ""
        above = self.text(doc_id, page)[:offset].split("\n")
        if any(line.strip() and classify(line.strip()) != "data" for line in above):
            return ""
        prev = self.text(doc_id, page - 1)
        if not prev:
            return ""
        key = (doc_id, page - 1)
        if key not in self._headers:
            self._headers[key] = line_headers(prev, TITLE_LINES)
        last = next((h for h in reversed(self._headers[key][1]) if h is not None), None)
        if last is None:
            return ""
        # the header's own lines: back from its last line to the previous table's last row
        end = prev.rfind(last.text.split("\n")[-1])
        lines = prev[:end].split("\n")[:-1] if end >= 0 else []
        own = [last.text.split("\n")[-1]]
        for line in reversed(lines):
            if line.strip() and classify(line.strip()) == "data":
                break
            own.insert(0, line)
        return "\n".join(x for x in own if x.strip())

    def header_for(self, doc_id: str, page, offset: int) -> tuple[int, int, str] | None:
        """The verbatim span of the table header above the line at ``offset``, if it is in a table."""
        key = (doc_id, page)
        if key not in self._headers:
            self._headers[key] = line_headers(self.text(doc_id, page), TITLE_LINES)
        starts, headers = self._headers[key]

        i = bisect.bisect_right(starts, offset) - 1
        if i < 0 or headers[i] is None or headers[i].start >= offset:
            return None
        h = headers[i]
        page_text = self.text(doc_id, page)
        last = h.text.split("\n")[-1]
        # the header's lines are contiguous in the page unless it was cut to its last lines
        if page_text[h.start:h.start + len(h.text)] == h.text:
            return h.start, h.start + len(h.text), h.text
        at = page_text.rfind(last, 0, offset)
        if at < 0:
            return None
        whole = page_text[h.start:at + len(last)]
        end = page_text.find("\n", offset)
        values = len(_ROW_VALUE.findall(page_text[offset:end if end >= 0 else len(page_text)]))
        if h.start <= at and len(whole) <= len(h.text) + 40 and 0 < len(_YEAR.findall(last)) < min(values, 2):
            # a last line naming fewer years than the row has values ("2020" over "17,606 15,785 12,868") is
            # not the whole header: its lines with the page's blank lines between them ("Years Ended" / "" /
            # "December 2," / "2022" …), the page's own span, so the years above the last one stay with it
            return h.start, at + len(last), whole
        return at, at + len(last), last


# A passage that ends inside a table stands for the rest of that table on its page: its rows up to this
# many lines further are candidates too when their label holds the question's words (a chunk boundary
# falls between a table's first rows and its total as often as anywhere else).
MAX_CONTINUED_ROWS = 20
# the best passage's page (the best this many) offers all its rows that name what a figure question asks
ROW_PAGES = 1
MAX_ROW_CHARS = 200   # a longer "row" is prose with figures that the text layer ran together


# the statements a company's own figures are read from (not a note's table, not the MD&A's summary)
PRIMARY_STATEMENTS = frozenset({"income", "balance", "cash_flow"})


def names_phrase(text: str, phrases: tuple[str, ...]) -> bool:
    """Whether ``text`` holds one of a Chinese question's asked phrases whole (:func:`asked_phrases`)."""
    flat = re.sub(r"\s+", "", text)
    return any(p in flat for p in phrases)


def _names_all(label: str, words: frozenset[str], exactly: bool = False) -> bool:
    """Whether a row's label names what ``words`` (a question's focus stems) ask: an English label holds all
    their English words ("Net income attributable …" is not "net revenue"); a Chinese one any of theirs.
    ``exactly``: an English label holds nothing else but a total's words ("Total Liabilities and Equity" names
    more than the liabilities)."""
    toks = keyword_token_set(label)
    if _CJK.search(label):
        return bool(toks & words)
    english = {w for w in words if not _CJK.search(w)}
    if exactly and any(t not in english and t not in TOTAL_WORDS and not t[0].isdigit() for t in toks):
        return False
    return bool(english) and english <= toks


def asked_phrases(q: Question) -> tuple[str, ...]:
    """A Chinese question's asked items as it writes them: "信用借款的期末余额" asks about 信用借款, which jieba
    cuts into 信用 and 借款, and a sentence about a 信用证 and a 借款 names neither. The runs of the question's
    words between its function words, periods, generic words and punctuation that hold a focus word, less
    the company's names ("平安银行2024年末的不良贷款率" -> 不良贷款率; "信托资产总计期末余额" -> 信托资产总计)."""
    from .text import _get_jieba

    focus = [w for w in focus_words(q) if _CJK.match(w)]
    if not focus:
        return ()
    out, run = [], []
    for w in [*_get_jieba().cut(q.text), "。"]:
        if _CJK.fullmatch(w[0]) and w not in _GENERIC and w not in STOPWORDS and w not in _PHRASE_BREAK \
                and w not in COLUMN_WORDS and not _ZH_PERIOD.match(w):
            run.append(w)
            continue
        phrase = "".join(run)
        run = []
        for n in sorted(q.names, key=len, reverse=True):
            phrase = phrase.replace(n, "")
        if len(phrase) >= 2 and any(f in phrase for f in focus):
            out.append(phrase)
    return tuple(dict.fromkeys(out))


# words that end a Chinese question's asked item without being stop words: "X的期末余额是多少", "年报里X"
_PHRASE_BREAK = {"的", "是", "在", "中", "里", "为", "了", "和", "与", "及", "或", "该", "其", "请问", "多少", "哪些",
                 "什么", "如何", "怎样", "到底", "一下", "查", "想", "我", "合计数", "当中", "之中"}


def candidates(docs, catalog, pages: PageTexts, row_words: frozenset[str] = frozenset(),
               reasons: bool = False, roles: list[str] | None = None,
               measures: list[str] | None = None, row_phrases: tuple[str, ...] = ()) -> list[Candidate]:
    """Sentences and rows of the passages, once each (overlapping passages repeat them); with
    ``row_words``, also the rows of a table a passage ends inside whose label holds one of them (with
    ``reasons``, for a question asking why, also those whose last cell states a cause); with ``roles``
    (the offices a who-question names), also the sentences of the passages' pages that name a person
    holding one; with ``measures`` (a figure question's Chinese terms), the sentences of those pages that
    state one of them ("毛利率提升至20.5%")."""
    seen: dict[tuple, Candidate] = {}
    out: list[Candidate] = []

    def add(found) -> None:   # candidates read beyond a passage's own sentences, each once
        for c in found:
            key = (c.doc_id, c.page, c.start)
            if key not in seen:
                seen[key] = c
                out.append(c)

    stored = {}
    if hasattr(catalog, "sentence_vectors"):
        stored = catalog.sentence_vectors([d.metadata["chunk_id"] for d in docs if "chunk_id" in d.metadata])
    for rank, d in enumerate(docs):
        text = d.page_content
        base = d.metadata.get("start", 0)
        where = pages.where(d)
        spans = split_sentences(text)
        vectors = stored.get(d.metadata.get("chunk_id"))
        if vectors is not None and len(vectors) != len(spans):
            vectors = None
        prev = None
        for j, (a, b) in enumerate(spans):
            s = text[a:b]
            if len(s) < 4 or not re.search(r"\w", s):
                continue
            key = (d.metadata["doc_id"], d.metadata.get("page"), base + a)
            c = seen.get(key)
            if c is None:
                c = seen[key] = Candidate(d, rank, base + a, base + b, s, where=where)
                c.heading = pages.heading_above(d.metadata["doc_id"], d.metadata.get("page"), base + a)
                c.instruction = bool(INSTRUCTION.search(s))
                if classify(s) == "data" and "\n" not in s:
                    c.is_row = True
                    pages.place_row(c)
                    h = pages.header_for(d.metadata["doc_id"], d.metadata.get("page"), base + a)
                    if h is not None:
                        c.header, c.header_text = (h[0], h[1]), h[2]
                    else:
                        c.header_text = pages.carried_header(d.metadata["doc_id"], d.metadata.get("page"), base + a)
                out.append(c)
            if c.vector is None and vectors is not None:
                c.vector = vectors[j]
            if prev is not None:
                c.prev = c.prev or prev
                prev.next = prev.next or c
            prev = c
        if not row_words:
            continue
        asked = lambda line: bool(keyword_token_set(row_label(line)) & row_words)  # noqa: E731
        # the best passage stands for its page and may be the page's footnotes or another table: the page's
        # rows that name what is asked, wherever on it, when no row of the passage names it and no sentence
        # says its figure is of it; otherwise the rows of a table the passage ends inside
        # (and so does any passage of a statement's page: its rows above the passage are the statement's too)
        # (a Chinese row or sentence names it when it holds an asked phrase whole: "其他应收款" shares 应收 with
        # "应收票据" and is another item)
        whole_page = (rank < ROW_PAGES or bool(statements_named(where) & PRIMARY_STATEMENTS)) and not any(
            (c.is_row or _has_figure(c.text)) and names_phrase(subject_of(c), row_phrases)
            if row_phrases and _CJK.search(c.text)
            else _names_all(label_of(c), row_words, exactly=True) if c.is_row
            else (_has_figure(c.text) and keyword_token_set(subject_of(c)) & row_words)
            for c in out if c.doc is d)
        keep = lambda line: len(line) <= MAX_ROW_CHARS and asked(line)  # noqa: E731
        if whole_page or (prev is not None and prev.is_row):
            rows = page_rows(d, rank, pages, after=None if whole_page else base + len(text), keep=keep,
                             reasons=reasons)
            add(rows)
        if prev is not None and (prev.is_row or prev.text.rstrip().endswith(("：", ":"))) \
                and _ends_page(pages.text(d.metadata["doc_id"], d.metadata.get("page")), base + len(text)):
            # a statement printed over two pages: a passage that ends inside a table (or at the line that
            # opens its next part, "非流动资产：") at its page's foot stands for the rows atop the next page
            add(_rows_atop_next_page(d, rank, pages, keep))
    if roles:
        # a page names its officers once, often in a passage other than the one handed over ("said Jane Roe,
        # Chief Financial Officer" three chunks below the headline the question's words found)
        add(_office_holders(docs, pages, roles))
    if measures:
        # a management commentary states its quarter's key ratios once, in prose, often in the chunk after the
        # one the question's words found ("整体产能利用率提升至90.4%，毛利率提升至20.5%。" below the guidance)
        add(_measures_stated(docs, pages, measures))
    return out


_PERSON_NAMED = re.compile(r"\b(?:Mr|Ms|Mrs|Dr)\.?\s+[A-Z][a-z]+|\b[A-Z][a-z]+(?:\s[A-Z]\.)?\s[A-Z][a-z]{2,}\b"
                           r"|先生|女士")


def _names_person(sentence: str, roles: list[str]) -> bool:
    """Whether a sentence names a person besides the offices: a name, not only titles ("Chief Financial
    Officer", "董事长兼首席执行官" name nobody)."""
    rest = sentence
    for term in sorted({t for r in roles for t in equivalents(r)}, key=len, reverse=True):
        rest = re.sub(re.escape(term), " ", rest, flags=re.I)
    rest = _ROLE_Q.sub(" ", rest)
    if _PERSON_NAMED.search(rest):
        return True
    return any(len(w) >= 2 for w in _person_names(rest))


@lru_cache(maxsize=256)
def _person_names(text: str) -> frozenset[str]:
    """The Chinese names of people jieba tags in ``text``."""
    if not _CJK.search(text):
        return frozenset()
    import jieba.posseg as pseg

    return frozenset(w.word for w in pseg.cut(text) if w.flag in ("nr", "nrfg", "nrt"))


def _measures_stated(docs, pages: PageTexts, terms: list[str]) -> list[Candidate]:
    """The sentences of the passages' pages that state one of ``terms`` with a figure right after it (a verb
    of change between, at most): "毛利率提升至20.5%", "净息差为1.87%", "GMV was $18.2 billion"."""
    zh = [t for t in terms if _CJK.search(t)]
    en = [t for t in terms if not _CJK.search(t)]
    said = re.compile("|".join(
        ([r"(?:" + "|".join(map(re.escape, zh)) + r")[^\d\n。；;，,]{0,4}?[-(]?\d"] if zh else [])
        # (English, a word: "Gross Merchandise Volume of $18.2 billion", "GMV was $18.2 billion")
        + ([r"(?i:\b(?:" + "|".join(map(re.escape, en)) + r")\b(?:\s*\([A-Za-z]+\))?\s+(?:was|were|of|at|totaled|"
            r"totalled|reached|(?:increased|decreased|rose|fell|grew) to)\s+[$€£¥]?\s?\d)"] if en else [])))
    return _page_sentences(docs, pages, lambda s: len(s) <= MAX_ROW_CHARS * 2 and bool(said.search(s)))


def _page_sentences(docs, pages: PageTexts, keep) -> list[Candidate]:
    """The sentences of the passages' pages (each page once) that ``keep`` picks, as candidates."""
    out, read = [], set()
    for rank, d in enumerate(docs):
        doc_id, page = d.metadata["doc_id"], d.metadata.get("page")
        if (doc_id, page) in read:
            continue
        read.add((doc_id, page))
        text = pages.text(doc_id, page) or ""
        for a, b in split_sentences(text):
            s = text[a:b]
            if keep(s):
                c = Candidate(d, rank, a, b, s, where=pages.where(d))
                c.heading = pages.heading_above(doc_id, page, a)
                out.append(c)
    return out


def _office_holders(docs, pages: PageTexts, roles: list[str]) -> list[Candidate]:
    """The sentences of the passages' pages that name a person holding one of ``roles``."""
    return _page_sentences(docs, pages, lambda s: len(s) <= MAX_ROW_CHARS * 2 and names_role(roles, s)
                           and _names_person(s, roles))


def _ends_page(text: str | None, end: int) -> bool:
    """Whether an offset is at a page's foot: at most one line (a page number, a running footer) after it."""
    if not text:
        return False
    return len([ln for ln in text[end:].split("\n") if ln.strip()]) <= 1


MAX_LINES_ABOVE_ROWS = 4   # a running header and a repeated column header may stand above a continued table
# a heading repeated atop the page a section continues on: "六、承诺及或有负债(续)", "Note 7 (continued)"
_CONTINUED = re.compile(r"[(（]\s*(?:续|續|continued)\s*[)）]\s*$", re.I)


def _rows_atop_next_page(d, rank: int, pages: PageTexts, keep) -> list[Candidate]:
    """The rows that open the page after passage ``d``'s (past a running header), up to the first line that
    is not a row, that ``keep`` picks: each read under its own header or the one carried from above."""
    page = d.metadata.get("page")
    if not isinstance(page, int):
        return []
    doc_id = d.metadata["doc_id"]
    text = pages.text(doc_id, page + 1)
    if not text:
        return []
    nd = type(d)(page_content="", metadata={**d.metadata, "page": page + 1, "start": 0, "end": 0, "chunk_id": None})
    where, out, pos, rows, above = pages.where(nd), [], 0, 0, 0
    for line in text.split("\n"):
        a, pos = pos, pos + len(line) + 1
        stripped = line.strip()
        if not stripped:
            continue
        if not rows and (stripped.isdigit() or _CONTINUED.search(stripped)):
            continue   # the running page number, and the headings the page repeats as continued: "六、承诺(续)"
        if classify(stripped) != "data":
            above += 1
            if rows or above > MAX_LINES_ABOVE_ROWS:
                break
            continue
        rows += 1
        if rows > MAX_CONTINUED_ROWS * 2:   # (a statement's part runs longer than a note's table)
            break
        start = a + line.index(stripped)
        c = Candidate(nd, rank, start, start + len(stripped), stripped, is_row=True, where=where)
        pages.place_row(c)
        if not keep(c.part if c.group else stripped):
            continue
        h = pages.header_for(doc_id, page + 1, start)
        if h is not None:
            c.header, c.header_text = (h[0], h[1]), h[2]
        else:
            c.header_text = pages.carried_header(doc_id, page + 1, start)
        out.append(c)
    return out


def page_rows(d, rank: int, pages: PageTexts, after: int | None = None, keep=None, reasons: bool = False):
    """The table rows on passage ``d``'s page as row candidates, each with the header it is read under;
    with ``after`` (an offset), only the rows of the table that continues past it: up to its first line
    that is not a row, within MAX_CONTINUED_ROWS lines. ``keep(line)`` picks rows before their header is read.
    With ``reasons``, a row whose last cell states a cause is one too, as the sentence it ends in (an
    A-share report's table of changes: "基本每股收益 _本报告期 | 44.4 | 主要是由于…所致。")."""
    doc_id, page = d.metadata["doc_id"], d.metadata.get("page")
    text = pages.text(doc_id, page)
    begin = 0
    if after is not None:
        begin = text.find("\n", after) + 1
        if begin == 0:
            return
    pos = begin
    where = pages.where(d)
    for n, line in enumerate(text[begin:].split("\n")):
        a, pos = pos, pos + len(line) + 1
        if after is not None and n >= MAX_CONTINUED_ROWS:
            return
        stripped = line.strip()
        if not stripped:
            continue
        reason = reasons and "|" in stripped and bool(CAUSE_STATED.search(stripped.rsplit("|", 1)[-1]))
        if not reason and classify(stripped) != "data":
            if after is not None:
                return
            continue
        start = a + line.index(stripped)
        c = Candidate(d, rank, start, start + len(stripped), stripped, is_row=not reason, where=where)
        if c.is_row:
            pages.place_row(c)
        # (a subtotal with no label is picked by its group's: "Inventories" over "12,993 13,224")
        if keep is not None and not keep(c.part if c.group else stripped):
            continue
        h = pages.header_for(doc_id, page, start)
        if h is not None:
            c.header, c.header_text = (h[0], h[1]), h[2]
        yield c


def _weights(words: list[str]) -> dict[str, float]:
    out = {}
    for w in words:
        if _YEAR.fullmatch(w):
            out[w] = 0.5
        elif w[0].isdigit():
            out[w] = 1.5
        else:
            out[w] = 1.0 if (len(w) > 2 or _CJK.match(w)) else 0.5
    return out


def _overlap(weights: dict[str, float], toks: set[str]) -> float:
    total = sum(weights.values())
    return sum(v for t, v in weights.items() if t in toks) / total if total else 0.0


# the number of an item in a list is no figure: "5、如违反上述承诺…", "(3) 其他", "2. Revenue recognition"
_ITEM_NUMBER = re.compile(r"^\s*(?:[（(]\d{1,2}[)）]|\d{1,2}(?:、|[.．](?!\d)))")


def _has_figure(text: str) -> bool:
    text = _ITEM_NUMBER.sub(" ", text, count=1)
    return bool(_FIGURE.search(DATE_LIKE.sub(" ", text)) or _FIGURE_IN_WORDS.search(text))


# a figure written in words: "approximately six percentage points", "two percent", 六个百分点
_FIGURE_IN_WORDS = re.compile(r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|"
                              r"forty|fifty|hundred)\s+(?:percentage points?|percent|basis points|million|billion)\b"
                              r"|[一二三四五六七八九十两]+个百分点", re.I)


def _kind_match(q: Question, c: Candidate) -> float:
    t = c.text
    if q.kind == "figure":
        return 1.0 if _has_figure(t) else 0.0
    if q.kind == "when":
        return 1.0 if _DATE_HINT.search(t) else 0.0
    if q.kind == "who":
        if _AUDIT_Q.search(q.text):
            # who audits is a firm of auditors, named as one: "安永华明会计师事务所（特殊普通合伙）…进行了审计",
            # "…, the auditor of the Company"; not "我们审计了…的财务报表" (the audit report's own words)
            return 1.0 if _AUDIT_FIRM.search(t) else 0.0
        roles = roles_asked(q.text)
        if roles and not names_role(roles, t):
            return 0.0
        return 1.0 if _PERSON.search(t) else 0.0
    if q.kind == "where":
        if asks_seat(q.text):
            return 1.0 if SEAT_STATED.search(t) else 0.0
        return 1.0 if re.search(r"\b[A-Z][a-z]+", t) or _CJK.search(t) else 0.0
    if q.kind == "list":
        # (items parted by commas, 顿号, or semicolons: "North America Retail; Convenience Stores; … and Pet")
        return 1.0 if (sum(t.count(x) for x in ",、，;；") >= 2 or _ENUM.search(t)) else 0.0
    if q.kind == "choice":
        return 1.0 if any(o and o.lower() in t.lower() for o in q.options) else 0.0
    return 1.0 if len(t) >= 40 else 0.0


# the headline figure: a total or consolidated line, not one of its parts, unless a part is asked for
_TOTAL = re.compile(r"\b(total|consolidated|overall|in total)\b|合计|总计|总额|总收入|总成本|营业总收入|全部", re.I)


def _label_extra(q_words: set[str], label: str) -> float:
    """How much of a row's label the question does not ask about ("Revenues from stores" against
    "consolidated revenues"): a part of the asked figure, not the figure. A total's words ("TOTAL
    ASSETS", 合计) name the headline figure, no part of it; "other" (其他) names a part."""
    words = {t for t in keyword_token_set(label) if t not in TOTAL_WORDS and not t[0].isdigit() and len(t) > 1}
    words |= {f"<{m.group(0).lower()}>" for m in _PART.finditer(label)}
    if not words:
        return 0.0
    return len(words - q_words) / len(words)


_PART = re.compile(r"\bother\b|其他", re.I)


def exact_label(c: "Candidate") -> bool:
    """Whether a row's label names what the question asks and nothing more ("所得税费用" for "…所得税费用是多少",
    not "当期所得税费用"): its words (beyond a total's, "合计", and numbers) are all the question's."""
    return bool(c.is_row and c.features.get("label_extra", 1.0) == 0 and c.features.get("row_label", 0.0) > 0
                and any(t not in TOTAL_WORDS and not t[0].isdigit() and len(t) > 1
                        for t in keyword_token_set(label_of(c))))


def _names_asked(focus_stems: set[str], subject: str, asked_items: frozenset[str]) -> float:
    """1.0 when what a candidate says its figure is holds the question's own words, outside the name
    of a line item it does not ask about ("Cost of revenue was …" does not state the revenue)."""
    if not focus_stems or not focus_stems & keyword_token_set(subject):
        return 0.0   # (most candidates: the costlier check below is not needed)
    return 1.0 if focus_stems & tokens_outside_other_items(subject, asked_items) else 0.0


def _metric_near(words: list[str], text: str) -> float:
    """Does a figure follow one of the question's words closely ("net income was $1.30 billion",
    "营业收入 1,539,469,001.00")? The row or sentence that states the asked metric's value."""
    low = text.lower()
    window = 25 if _CJK.search(text) else 60
    masked = DATE_LIKE.sub(lambda m: " " * len(m.group(0)), text)
    for w in words:
        if w[0].isdigit() or len(w) < 2:
            continue
        for m in re.finditer(re.escape(w), low):
            if _FIGURE.search(masked[m.end(): m.end() + window]):
                return 1.0
    return 0.0


def row_label(text: str) -> str:
    """A table row's label: its text before the first figure ("Net income $ 4,756 $ 4,822" -> "Net income",
    "Net loss $(1,234)" -> "Net loss", "营业收入 | 15,609,410 | 32.5" -> "营业收入")."""
    return _LABEL_END.split(text, maxsplit=1)[0].rstrip(" |")


def label_of(c: "Candidate") -> str:
    """A row's label: its own, or for a subtotal with none ("12,993 13,224"), its group's ("Inventories")."""
    return c.part if c.group else row_label(c.text)


# where a row's figures begin: after a space; a sign or currency belongs to the figure ("$ 4,756", "$(1,234)",
# "–12"). (Not straight after a Chinese character: "2.5.2资产质量", "第3季度" are labels.)
_LABEL_END = re.compile(r"\s[-–−(]?\s?[$¥]?\s?\(?(?=\d)")


def parent_only(c: "Candidate") -> bool:
    """Whether a candidate is one of the parent company's own figures: on a page of its own statements or
    notes ("银行利润表", "母公司财务报表主要项目注释"), or a row of a note table labelled the parent's ("本行")."""
    return parent_only_page(c.where) or (c.is_row and parent_only_table(c.header_text))


RELATED_PARTY = re.compile(r"关联方|关联交易|关联人|\brelated[- ]part(?:y|ies)\b", re.I)


def related_party(c: "Candidate") -> bool:
    """Whether a candidate is an amount of the company's dealings with its related parties: a row of a table
    whose header, or a sentence whose page heading, names them (a note of related-party transactions)."""
    return bool(RELATED_PARTY.search(c.header_text) or RELATED_PARTY.search(c.heading)
                or (c.is_row and RELATED_PARTY.search(c.where)))


# The formalities every filing carries and no question about the company's business is answered by: an
# auditor's consent, officers' certifications, the signature clause, the cover's check boxes, a website notice
# under Regulation FD, trademark and rounding notes, the safe-harbour caution on forward-looking statements,
# a cross-reference to where an item is incorporated from; in Chinese, the board's guarantee that the report is
# true, accurate and complete, and the caution that forward-looking statements are no commitment. They share
# the question's generic words ("material", "report", "companies") and so can outscore the passage that answers.
FORM_LANGUAGE = re.compile(
    r"consent to the incorporation by reference|incorporated (?:herein )?by reference|Regulation FD|"
    r"Sarbanes-Oxley|pursuant to the requirements of the Securities Exchange Act|duly caused this \w+ to be signed|"
    r"Indicate by check mark|large accelerated filer|I have reviewed this (?:annual|quarterly|current) report|"
    r"trademarks?\b.{0,60}\bpropert(?:y|ies) of (?:their|its)|not (?:add|sum|foot|total) due to rounding|"
    r"Private Securities Litigation Reform Act|"
    r"不存在(?:任何)?虚假记载、误导性陈述或(?:者)?重大遗漏|保证.{0,30}真实、准确、完整|"
    r"前瞻性(?:陈述|描述).{0,40}不构成.{0,20}承诺", re.I | re.S)
# a question about those formalities themselves (who consented, what was certified, the safe harbour)
FORM_ASKED = re.compile(r"consent|certif|Sarbanes|Regulation FD|check mark|trademark|rounding|forward-looking|"
                        r"safe harbou?r|incorporat\w* by reference|signed|signature|前瞻|虚假|真实|承诺|保证|声明",
                        re.I)


def form_language(c: "Candidate") -> bool:
    """Whether a candidate is one of a filing's formalities (FORM_LANGUAGE) rather than a statement about the
    company's business, its figures or events."""
    return bool(FORM_LANGUAGE.search(c.text))


def subject_of(c: "Candidate") -> str:
    """What a candidate says its figure is: a row's label, else the clause before a sentence's figure."""
    return label_of(c) if c.is_row else subject_clause(c.text)


_AMOUNT_Q = re.compile(r"元|美元|港元|人民币|余额|金额|总额|\bRMB\b|US\$|HK\$|\$|\bdollars?\b|\b(?:in|usd) (?:millions|billions)\b", re.I)
_PERCENT_Q = re.compile(r"%|percent|percentage|ratio|rate|margin|比例|比率|率|百分", re.I)
# a rate asked for (毛利率, "operating margin", "what percentage"): answered by a percentage, not an amount
# (any rate but one of exchange: "renewal rate", "effective tax rate", "growth rate"; 汇率 is a price; a
# utilization or occupancy is one)
_RATE_Q = re.compile(r"%|\bpercent(?:age)?\b|\bmargin\b|\b(?<!exchange )rates?\b|\butili[sz]ation\b|\boccupancy\b"
                     r"|(?<!汇)率|百分比|占比|比例", re.I)
_NOT_RATE_Q = re.compile(r"\bratio\b|turnover|coverage|倍|\bin (?:usd|\$|dollars|millions|billions)\b", re.I)
# (in words too: "increased by approximately six percentage points")
_PERCENT = re.compile(r"\d\s*(?:%|percent\b|个百分点|basis points?\b)|\b(?:one|two|three|four|five|six|seven|eight|nine"
                      r"|ten|eleven|twelve|twenty|thirty|forty|fifty)\s+(?:percentage points?|percent|basis points?)\b"
                      r"|[一二三四五六七八九十两]+个百分点", re.I)
# (whole figures only: "1.06%" holds no amount "1" however the regex backtracks)
_AMOUNT = re.compile(r"(?<![\d.])\d[\d,]*(?:\.\d+)?(?![\d.])(?!\s*(?:%|percent|个百分点|\d))")
MIN_FOCUS = 0.6   # a figure question's own words must be in its answer (or translate into it this closely)


# "the second risk", "第二项风险", "其次": a question about the n-th item of an enumeration
_ORDINALS = [(1, r"\bfirst\b|\b1st\b|首先|第一"), (2, r"\bsecond\b|\b2nd\b|其次|第二"), (3, r"\bthird\b|\b3rd\b|第三"),
             (4, r"\bfourth\b|\b4th\b|第四"), (-1, r"\blast\b|\bfinally\b|最后")]
_PERIOD_ORDINAL = re.compile(r"(?:first|second|third|fourth)[\s-](?:quarter|half)|第[一二三四]季度|[一二三四]季度|上半年|下半年", re.I)


def ordinals(text: str) -> set[int]:
    text = _PERIOD_ORDINAL.sub(" ", text)   # "the third quarter" is a period, not an item
    return {n for n, rx in _ORDINALS if re.search(rx, text, re.I)}


# a change stated with its size ("Our effective tax rate increased by approximately six percentage points",
# "营业收入同比增长14.0%"); rag/measures.py's _CHANGE_STATED is any word of change, sized or not
_CHANGE_BY = re.compile(r"\b(?:increased|decreased|grew|declined|rose|fell|dropped|improved|expanded|contracted|"
                        r"was up|was down)\s+(?:by\s+)?(?:approximately\s+|about\s+|roughly\s+|nearly\s+)?"
                        r"(?:\$?\d|one|two|three|four|five|six|seven|eight|nine|ten)"
                        r"|(?:同比|比上年|较上年)?(?:增长|增加|下降|减少|上升)了?\s*[\d一二三四五六七八九十]", re.I)


# (not the year compared with: "… increased $30.4 billion, or 10.4%, in 2022 compared to 2021")
_LEVEL_AFTER = re.compile(r"\b(?<!compared )(?:to|at)\s+(?:approximately\s+|about\s+)?(?:US\$|RMB|\$)?\s?"
                          r"(?!(?:19|20)\d{2}\b)\d|(?:至|达到?|为)\s*(?:人民币)?\d", re.I)


def change_only(c: "Candidate") -> bool:
    """Whether a sentence's first figure is a change ("… increased by approximately six percentage points
    during fiscal 2022 …") with no level after it ("increased 14% to $6.5 billion" states the level)."""
    if c.is_row:
        return False
    m = _CHANGE_BY.search(c.text)
    if m is None:
        return False
    first = _FIGURE.search(DATE_LIKE.sub(lambda x: " " * len(x.group(0)), c.text))
    if first is not None and first.start() < m.start():
        return False
    return not _LEVEL_AFTER.search(c.text, m.end())


# a line item named with 非 is not the item without it: "非流动资产合计" is not "流动资产合计", "其他非流动资产" not
# "其他流动资产"
_NON = re.compile(r"非([\u4e00-\u9fff]{2})")


def _drops_non(question: str, text: str) -> bool:
    """Whether ``text`` names what the question names after 非, without the 非."""
    return any(m.group(1) in text and "非" + m.group(1) not in text for m in _NON.finditer(main_question(question)))


# a row of a table of changes and their reasons (an A-share report's 主要会计数据、财务指标发生变动的情况、原因:
# "基本每股收益_本报告期 | 44.4 | 主要是由于…所致。"): its figure is the item's change, not its level
_CHANGE_TABLE_LABEL = re.compile(r"_\s*(?:本报告期末?|年初至报告期末|报告期末|上年度末)\s*\|")


def change_table_row(text: str) -> bool:
    """Whether a line is a row of a table of changes: its label carries the period whose change it gives
    ("…_本报告期 | 32.1"), or its last cell states the reason for the change."""
    if "|" not in text:
        return False
    return bool(_CHANGE_TABLE_LABEL.search(text) or CAUSE_STATED.search(text.rsplit("|", 1)[-1]))


# a part of a cash flow statement whose rows are changes in balances ("Changes in assets and liabilities:",
# "Changes in operating assets and liabilities, net of acquisitions:", "经营性应收项目的减少（增加以“－”号填列）")
_CHANGE_PART = re.compile(r"\bchanges? in\b|\b(?:increase|decrease)s?\b.*\b(?:increase|decrease)s?\b", re.I)


def change_part(part: str) -> bool:
    """Whether a row's part of its table (``Candidate.part``) holds changes in balances, not balances."""
    return bool(part and _CHANGE_PART.search(part))


def passes_kind(q: Question, c: "Candidate") -> bool:
    """The shape of answer a kind of question needs: a figure question is answered by a sentence or
    row that states a figure (a table's header of periods, "2024年第三季度 (7-9月) | …", states
    none) of what it asks about (its own words, or their translation), an amount when it asks for
    money ("多少亿元", "in USD millions"), not only a percentage; a when-question by one with a date,
    a who-question by one with a name. A table's header of periods or units answers nothing but,
    perhaps, when."""
    if q.kind != "when" and not c.is_row and classify(c.text) == "header":
        return False
    if q.kind == "figure":
        if c.focus_hit < MIN_FOCUS or _drops_non(q.text, label_of(c) if c.is_row else c.text):
            return False
        if (change_table_row(c.text) or (c.is_row and change_part(c.part))) and not CHANGE_ASKED.search(q.text):
            return False
        if _AMOUNT_Q.search(q.text) and not _PERCENT_Q.search(q.text) and not _AMOUNT.search(DATE_LIKE.sub(" ", c.text)):
            return False
        if (_RATE_Q.search(q.text) and not _AMOUNT_Q.search(q.text) and not _NOT_RATE_Q.search(q.text)
                and not _PERCENT.search(c.text)):
            return False
        if not (_RATE_Q.search(q.text) or _PERCENT_Q.search(q.text) or CHANGE_ASKED.search(q.text)
                or FORECAST_Q.search(q.text)):
            # an amount asked ("What was total revenue in 2022?"): not a row of percentages ("… as a % of total
            # revenues" wrapped onto a line of its own: "total revenues 6.5 % 6.1 % 8.2 %"), nor, for a line item,
            # a sentence that gives no amount but shares and points ("… includes approximately 3 points of net
            # sales growth", "… net sales decreased 8 percent in fiscal 2020"); guidance is often a range of growth
            if c.is_row and _only_percentages(c.text):
                return False
            if not c.is_row and _asks_line_item(q.text) and not _LEVEL_AMOUNT.search(DATE_LIKE.sub(" ", c.text)):
                return False
    asked = ordinals(q.text)
    if asked and len(asked) == 1:
        said = ordinals(c.text)
        if said and not said & asked:
            return False   # "the second risk" is not answered by "第三是竞争风险"
    if q.kind in ("figure", "when", "who"):
        return _kind_match(q, c) > 0
    return True


MIN_WORD_SIM = 0.45   # a word of the other language counts as a match (weighted by its similarity) above this


# words a question shares with any question of its kind, which say nothing about what is asked
_GENERIC = set("""company companies total amount amounts much many number value figure figures report reported
reports year years quarter quarters period fiscal data based according article document documents first second
third fourth last latest full half six nine three twelve months month ended ending end
公司 多少 金额 数额 数字 报告 年度 季度 期间 根据 文章 文档 本次 此次 具体 情况 总共 一共 最近 今年 去年 全年
中期 财年 年报 年度报告 中期报告 季度报告 显示 披露 截至 截止 总数 数量
人民 人民币 美元 港元 亿元 万元 千元 元 亿 万 年末 年初 期末 期初""".split())
# a note table's column headings: in "信用借款的期末余额" what is asked is the row, 信用借款, read under the column
# 期末余额. The words count where a table's header has them, but a line labelled only so ("期末余额 1,238,445.00"
# closing another table's movements) does not name what is asked
COLUMN_WORDS = frozenset("""期末 期初 年末 年初 本期 上期 余额 期末余额 期初余额 年末余额 年初余额 期末数 期初数
发生额 本期发生额 上期发生额 本期金额 上期金额 本年金额 上年金额 账面余额""".split())
_ZH_PERIOD = re.compile(r"^(?:第?[一二三四1-4]季度?|[一二三四]季|上半年|下半年|前三季|\d+年|\d+月|年|月|日)$")


@lru_cache(maxsize=1024)
def _tagged_names(text: str) -> frozenset[str]:
    """Chinese names (people, places, organisations), numerals and measure words jieba tags in ``text``,
    with their two-character pieces: not what a question asks about. Cached: one answer asks for a
    question's focus words several times (candidates, features, the retriever's measure lookup), and
    tagging is about a millisecond each."""
    if not _CJK.search(text):
        return frozenset()
    import jieba.posseg as pseg

    names = set()
    for w in pseg.cut(text):
        if w.flag in ("nr", "ns", "nt", "nrt", "nrfg") or w.flag.startswith("m") or w.flag == "q":
            names.add(w.word)
            names.update(w.word[i:i + 2] for i in range(len(w.word) - 1))
    return frozenset(names)


# an amount that may be a line item's level: with a currency or scale, or of three digits or more, or with
# decimals; not a year, a share or a count of points ("3 points", "8 percent", "2020")
_NOT_AMOUNT_AFTER = r"(?!\s*(?:%|percent|points?|个百分点))"
_NOT_A_YEAR = r"(?<![\d.,])(?!(?:19|20)\d{2}(?![\d,.]))"
_LEVEL_AMOUNT = re.compile(r"(?:[$¥￥]|US\$|RMB|HK\$|人民币)\s?\d|\d\s*(?:million|billion|thousand|trillion|亿|万|千|百万|元)"
                           rf"|{_NOT_A_YEAR}\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?{_NOT_AMOUNT_AFTER}"
                           rf"|{_NOT_A_YEAR}\d{{3,}}(?:\.\d+)?{_NOT_AMOUNT_AFTER}"
                           rf"|(?<![\d.,])\d+\.\d+{_NOT_AMOUNT_AFTER}", re.I)


@lru_cache(maxsize=256)
def _asks_line_item(question: str) -> bool:
    """Whether a question asks for a statement's line item (rag/data/measures.toml), an amount by nature."""
    from .measures import items_in   # (rag/measures.py reads candidates from here)

    return bool(items_in(main_question(question)))


def _only_percentages(row: str) -> bool:
    """Whether every figure of a row is a percentage ("total revenues 6.5 % 6.1 % 8.2 %"), or a change of
    one in points (a table of rates and their change: "个人贷款 1.39% 1.37% +0.02个百分点")."""
    marks = re.findall(r"\d[\d,]*(?:\.\d+)?(\s*(?:%|个百分点|percentage points?\b|basis points?\b|bps\b|pp\b))?",
                       row[len(row_label(row)):])
    return bool(marks) and all(marks)


def _vocabulary_words(text: str) -> set[str]:
    """The words of capitalised runs that are reporting vocabulary, whole or in part ("Total Assets", "Net
    Revenue", "EBITDA"): lower case."""
    out: set[str] = set()
    for m in re.finditer(r"\b[A-Z][A-Za-z&.'-]*(?:\s+[A-Z][A-Za-z&.'-]*)*", text):
        words = m.group(0).split()
        for i in range(len(words)):
            for j in range(len(words), i, -1):
                if is_vocabulary_term(" ".join(words[i:j])):
                    out.update(w.lower() for w in words[i:j])
                    break
    return out


def focus_words(q: Question) -> list[str]:
    """What a question asks about: its words less names (capitalised in the question), periods,
    numbers and words every question of its kind has ("company", "total", 公司, 多少)."""
    from .text import tokens

    # capitalised words are names, except one opening a sentence that is a question word or reporting
    # vocabulary ("What", "Revenue"); a rewritten follow-up opens with the company it carries ("Intel …").
    # An abbreviation the question gives for what it asks ("商品交易总额（GMV）") is no name either.
    # (a ticker after a company's name, "Costco（COST）", stays a name)
    defined = set()
    for m in re.finditer(r"[(（]\s*([A-Z][A-Za-z&]{1,9})\s*[)）]", q.text):
        before = q.text[: m.start()].rstrip()
        initials = "".join(w[0] for w in re.findall(r"[A-Za-z]+", before)[-len(m.group(1)):]).upper()
        if re.search(r"[\u3400-\u9fff]$", before) or initials == m.group(1).upper():
            defined.add(m.group(1))
    # (a statement's line item is often written as the statement prints it, "Total Assets", "Net Revenue":
    # reporting vocabulary is no name wherever it stands)
    reporting = _vocabulary_words(q.text)
    caps = {m.group(0).lower() for m in re.finditer(r"\b[a-z]?[A-Z][A-Za-z&.'-]+", q.text)
            if m.group(0) not in defined and m.group(0).lower() not in reporting
            and not (re.search(r"(?:^|[.?!:;。？！])\s*$", q.text[: m.start()]) and QUESTION_WORD.match(m.group(0)))}
    caps -= {m.group(1).lower() for m in re.finditer(r"['’]s (" + MEASURE_ABBREVIATION + ")", q.text)}
    names = _tagged_names(q.text)
    own_words = {w for n in q.names for w in re.findall(r"[a-z0-9&]+", n)}
    # the pieces of the question's own period expression ("第一季度" -> 第一, 一季) are no more asked about than it
    periods = re.findall(r"第?[一二三四1-4]季度|[上下]半年|前三季度?", q.text)
    out = []
    for t in dict.fromkeys(tokens(q.text)):
        # (a generic word is so in its possessive too: "the company's gross margin")
        if (len(t) < 2 or t[0].isdigit() or t in _GENERIC or re.sub(r"['’]s$", "", t) in _GENERIC or t in caps
                or t in names or t in STOPWORDS):
            continue
        if t in own_words or (_CJK.match(t) and any(t in n for n in (*q.names, *periods))):
            continue
        if re.fullmatch(r"(?i)q[1-4]|fy\d*|h[12]|\d+[a-z]*", t) or _ZH_PERIOD.match(t):
            continue
        out.append(t)
    return out


def focus_stems(q: Question) -> frozenset[str]:
    """The keyword tokens of what a question asks about: its focus words and their glossary translations."""
    words = focus_words(q)
    # each word, and the words together: a term of several words ("net profit") translates as a whole
    # (a hyphenated word once, not also its parts: "non-performing loan ratio")
    joined = " ".join(w for w in words if not any("-" in v and w in v.split("-") for v in words))
    return frozenset(t for w in [*words, joined] for t in keyword_tokens(expand(w))
                     if t not in STOPWORDS and len(t) > 1)


def _holds_any(phrases: list[frozenset[str]], stems: set[str]) -> bool:
    """Whether ``stems`` hold every word of one of ``phrases`` (each a phrase's keyword stems)."""
    return any(p and p <= stems for p in phrases)


# words that alone name no one measure: the head of many ("tax rate", "renewal rate", "gross margin"; 毛利率 is
# one word), and "other" (其他应收款 is not 其他非流动资产)
_NOT_ALONE = {"rate", "ratio", "margin", "percentag", "other", "其他"}


def _soft_overlap(q: Question, cands: list[Candidate], embed) -> list[tuple[float, float, float]]:
    """The question's words found in each candidate, where a word of the other language counts by
    how close its embedding is (Brazil ~ 巴西 0.92, revenue ~ 收入 0.89): an English question over a
    Chinese report (and the reverse) has no words in common with the sentence that answers it."""
    from .text import is_cjk_text, token_set, tokens

    q_toks = [t for t in dict.fromkeys(tokens(q.text)) if len(t) >= 2 and not t[0].isdigit()]
    if not q_toks:
        return [(0.0, 1.0, 1.0)] * len(cands)
    focus = [t for t in focus_words(q) if t in q_toks]
    from .statements import concept_items

    items = [frozenset(keyword_tokens(x)) - STOPWORDS for x in concept_items(q.text)]
    # a word the glossary translates counts in the other language by how close its translation comes,
    # not the word itself: 员工 is "employees" (USE puts 员工 0.63 from "members", "employees" 0.56)
    glossed = {t: translations(t) for t in focus}
    probes = list(dict.fromkeys(q_toks + [x for xs in glossed.values() for x in xs]))
    q_zh = is_cjk_text(q.text)
    own = [token_set(c.text) | token_set(c.header_text) for c in cands]   # (each cached)
    cross = [i for i, c in enumerate(cands) if is_cjk_text(c.text) != q_zh]
    soft: dict[int, dict[str, float]] = {}
    if cross:
        s_words = sorted({w for i in cross for w in own[i] if len(w) >= 2 and not w[0].isdigit()})[:2000]
        if s_words:
            vq, vs = embed(probes), embed(s_words)
            m = np.stack([vq[t] for t in probes]) @ np.stack([vs[w] for w in s_words]).T
            col = {w: j for j, w in enumerate(s_words)}
            for i in cross:
                idx = [col[w] for w in own[i] if w in col]
                if idx:
                    best = m[:, idx].max(axis=1)
                    soft[i] = {t: float(b) for t, b in zip(probes, best) if b >= MIN_WORD_SIM}
    # an asked word counts in any of its forms: "revenue" is in "Net revenues", "expense" in "expenses"
    stem_of = {t: (keyword_tokens(t) or [t])[0] for t in focus}
    glossed_stems = {t: [frozenset(keyword_tokens(x)) - STOPWORDS for x in xs] for t, xs in glossed.items()}
    # and a term of several of its words ("net interest margin") by the term's translation (净息差)
    terms = [frozenset(keyword_tokens(x)) - STOPWORDS for x in translations(q.text, focus)]

    # a word of a term the glossary translates whole counts where the term's translation is found ("gross"
    # and "margin" of "gross margin" in "毛利率提升至20.5%"), as the term's words do in the term's own language
    # (and a word the glossary names otherwise, in either language, where that name is found: "GMV" in "Gross
    # Merchandise Volume of $18.2 billion", "capex" in "capital expenditures")
    in_terms = {t: [frozenset(keyword_tokens(x)) - STOPWORDS
                    for x in dict.fromkeys(translations(q.text, [t]) + equivalents(t)[1:] + written_out(t))]
                for t in focus}
    # and a word naming a line item counts where the item is named otherwise (rag/data/measures.toml: "capex" in
    # "Additions to property, plant and equipment")
    from .measures import items_in

    for names in items_in(q.text):
        named_by = [frozenset(keyword_tokens(n)) - STOPWORDS for n in names]
        for t in focus:
            if any(stem_of[t] in n for n in named_by):
                in_terms[t] = in_terms[t] + named_by

    def across(t: str, matched: dict[str, float], stems: set[str]) -> float:
        if _holds_any(in_terms[t], stems):
            return 1.0
        if not glossed[t]:
            return matched.get(t, 0.0)
        if _holds_any(glossed_stems[t], stems):
            return 1.0
        return max(matched.get(x, 0.0) for x in glossed[t])

    out = []
    for i, toks in enumerate(own):
        matched = soft.get(i, {})
        stems = keyword_token_set(cands[i].text) | keyword_token_set(cands[i].header_text)   # (each cached)
        if cands[i].is_row:
            # a table's title names what its rows measure ("主营业务收入分析" over "中国区 | 86.4%")
            stems = stems | keyword_token_set(cands[i].heading)
            # and its part of the table qualifies its label ("Debt" among the long-term liabilities)
            stems = stems | keyword_token_set(cands[i].part)
        overlap = sum(1.0 if t in toks else matched.get(t, 0.0) for t in q_toks) / len(q_toks)
        # focus words matched (literal 1.0, across languages by translation or their similarity): best
        # one, and share
        hits = [1.0 if t in toks or stem_of[t] in stems else across(t, matched, stems) for t in focus]
        # the head of a measure alone is another measure of its kind: "Tax Rate" does not state an "employee
        # attrition rate"; its other words must be found too, one at least
        named = [h for t, h in zip(focus, hits) if stem_of[t] not in _NOT_ALONE]
        best = max(named, default=max(hits, default=1.0))
        if best < 1.0 and _holds_any(terms, stems):
            best = 1.0
        # a measure the question names is also answered by the line items it is computed from
        # ("working capital ratio" by "Total current assets" and "Total current liabilities")
        if best < 1.0 and _holds_any(items, stems):
            best = 1.0
        out.append((overlap, best, sum(hits) / len(hits) if hits else 1.0))
    return out


_IMPLIED_PART_WORDS = keyword_token_set(NON_CURRENT_PART)


def featurize(q: Question, qvec: np.ndarray, cands: list[Candidate], embed_missing) -> None:
    """Fill ``c.features`` for every candidate (vectors missing at ingest, and the words matched
    across languages, come from ``embed_missing``: texts -> {text: vector})."""
    if not cands:
        return
    missing = [c.text for c in cands if c.vector is None]
    if missing:
        got = embed_missing(missing)
        for c in cands:
            if c.vector is None:
                c.vector = got[c.text]
    sims = np.stack([c.vector for c in cands]).astype(np.float32) @ qvec
    best = float(sims.max())
    weights = _weights(q.words)
    gloss = _weights([t for t in keyword_tokens(expand(q.text)) if t not in STOPWORDS and len(t) > 1])
    page_scores = [c.doc.metadata.get("page_score") for c in cands]
    top_page = max((s for s in page_scores if s is not None), default=0.0)
    q_norm = re.sub(r"\s+", "", q.text.lower())
    surface = [w for w in dict.fromkeys(re.findall(r"[a-z][a-z&\-]{2,}|[\u3400-\u9fff]{2,}", q.text.lower()))
               if w not in STOPWORDS]
    # and the asked measure as the other language writes it: "毛利率提升至20.5%" states an English question's
    # "gross margin", as "gross margin of 20.5%" states a Chinese question's 毛利率
    surface += [t.lower() for t in translations(q.text, focus_words(q)) if t.lower() not in surface]
    # a row of the long-term part of a balance sheet says so only by where it is ("Debt" below the total of
    # current liabilities is long-term debt): its words are its text's and the part's
    tok_sets = [keyword_token_set(c.text) | (_IMPLIED_PART_WORDS if c.part == NON_CURRENT_PART else frozenset())
                | (keyword_token_set(c.part) if c.group else frozenset()) for c in cands]
    best_lex = max((_overlap(weights, t) for t in tok_sets), default=0.0)
    softs = _soft_overlap(q, cands, embed_missing)
    q_word_set = set(q.words) | {t for t in keyword_tokens(expand(q.text)) if t not in STOPWORDS}
    q_word_set |= {f"<{m.group(0).lower()}>" for m in _PART.finditer(q.text)}   # "other revenues" asked
    # the question's own words (and their glossary translations) that say what it asks about
    stems = focus_stems(q) - COLUMN_WORDS
    asked_items = items_asked(expand(q.text))
    for c, sim, toks, (soft, focus_hit, focus_share) in zip(cands, sims, tok_sets, softs):
        c.focus_hit = focus_hit
        context = c.doc.metadata.get("context") or ""
        ctx_toks = toks | keyword_token_set(c.header_text) | keyword_token_set(context)
        years = set(_YEAR.findall(c.text + " " + c.header_text))
        label = label_of(c) if c.is_row else ""
        qualified = f"{label} {NON_CURRENT_PART}" if label and c.part == NON_CURRENT_PART else label
        subject = subject_of(c)
        ps = c.doc.metadata.get("page_score")
        pd = c.doc.metadata.get("dense")
        c.features = {
            "dense": float(sim),
            "dense_gap": float(sim) - best,
            "passage_dense": float(pd) if pd is not None else float(sim),
            "page_gap": (ps - top_page) if ps is not None else 0.0,
            "passage_rank": 1.0 / (1 + c.rank),
            "lex": _overlap(weights, toks),
            "lex_gap": _overlap(weights, toks) - best_lex,
            "lex_soft": soft,
            "focus": focus_share,
            "metric_near": _metric_near(surface, c.text),
            "subject": _names_asked(stems, subject, asked_items),
            # the figure itself is the prior period's: "Last year's net income was …", not "… was $4.1
            # billion, compared to $3.9 billion last year"
            "prior_clash": 1.0 if (not q.asks_prior and (PRIOR_TEXT.search(subject)
                                                         or (c.is_row and prior_only_header(c.header_text)))) else 0.0,
            "total": 1.0 if _TOTAL.search(label or c.text) else 0.0,
            "label_extra": _label_extra(q_word_set, label) if label else 0.0,
            "outlook_clash": 1.0 if (OUTLOOK_TEXT.search(c.text) and not OUTLOOK_Q.search(q.text)) else 0.0,
            "quarter_match": 1.0 if any(re.search(QUARTER_WORDS[n], c.text + " " + c.header_text, re.I)
                                        for n in q.quarters) else 0.0,
            "lex_context": _overlap(weights, ctx_toks),
            "lex_glossary": _overlap(gloss, ctx_toks),
            "kind_match": _kind_match(q, c),
            "figure_q_row": 1.0 if (q.kind == "figure" and c.is_row) else 0.0,
            "year_match": 1.0 if (q.years and years & q.years) else 0.0,
            "year_clash": 1.0 if (q.years and years and not years & q.years) else 0.0,
            "row_label": _overlap(weights, keyword_token_set(qualified)) if label else 0.0,
            "statement": max((q.statements.get(s, 0.0) for s in statements_named(c.where)), default=0.0),
            "length": math.log1p(len(c.text)) / 6.0,
            "heading": 1.0 if (len(c.text) < 60 and not _has_figure(c.text) and not re.search(r"[.。]$", c.text)) else 0.0,
            "anaphor": 1.0 if _ANAPHOR.match(c.text) else 0.0,
            "negation_yesno": 1.0 if (q.kind in ("yesno", "choice") and _NEGATION.search(c.text)) else 0.0,
            "enumeration_list": 1.0 if (q.kind == "list" and _ENUM.search(c.text)) else 0.0,
            # a sentence that merely repeats the question ("What was revenue?" as a heading) answers nothing
            "question_echo": 1.0 if len(c.text) > 8 and re.sub(r"\s+", "", c.text.lower()) in q_norm else 0.0,
        }
