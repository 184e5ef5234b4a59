"""Which of several peers is highest or lowest: "Which region had the highest EBITDAR?",
"Which business unit reported the lowest revenue?", "哪个分部的经调整EBITA最高？".

Filings answer such a question with a list of peers, one value each: a table with a row per
segment or region, or an enumeration with a bullet per segment ("• U.S. increased 10.3%").
No sentence says which is highest, so the best-scored sentence is usually a summary that
names several of them. The answer is the peer whose value is the extreme one, quoted verbatim
(a row with the header it is read under), from the list whose title or lead-in names what the
question measures. Which column a row's value is read from follows the header's years (the
asked year; of two such columns, "three months" before "twelve months", the later one unless
a quarter is asked). These are conventions of financial tables in general; nothing here names
an issuer.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .evidence import _ENUM, Candidate, PageTexts, classify, page_rows, row_label
from .patterns import YEAR_ALONE
from .questions import Question, main_question
from .quantities import extract_quantities
from .statements import items_asked
from .glossary import written_out
from .text import STOPWORDS, keyword_token_set

_MAX = re.compile(r"\b(highest|largest|biggest|greatest|most|best|strongest)\b|最高|最大|最多|最好|最强", re.I)
_MIN = re.compile(r"\b(lowest|smallest|least|fewest|worst|weakest)\b|最低|最小|最少|最差|最弱", re.I)
# "the most recent filing", "at least": not a comparison of peers
_NOT_EXTREME = re.compile(r"\b(?:most|least)\s+(?:recent|recently|likely|important|of)\b|\bat (?:most|least)\b", re.I)
_WHICH = re.compile(r"\b(which|what)\b|哪", re.I)
# what a question's peers are ("which region"): words that say nothing about what is measured
_PEER_WORDS = keyword_token_set(
    "region regions segment segments business businesses unit units division divisions group groups market markets "
    "geography geographies country countries operation operations line lines product products category categories "
    "brand brands highest largest biggest greatest most best strongest lowest smallest least fewest worst weakest "
    "contribution contribute contributed 分部 地区 区域 业务 集团 板块 产品 市场 最高 最大 最多 最低 最小 最少")
# how a question states its period ("截至9月30日止六个月", "during fiscal 2022"): not what is measured
_PERIOD_WORDS = keyword_token_set(
    "during ended ending year years quarter quarters month months fiscal period first second third fourth full half "
    "截至 日止 止 六个 六个月 三个 三个月 九个 九个月 十二 个月 年度 季度 全年 上半年 下半年 报告期 本期")
# rows that are not one of the peers: a total, a reconciling line, the remainder
_NOT_PEER = re.compile(r"^\s*(?:total|consolidated|all other|other|corporate|unallocated|eliminations?|"
                       r"inter-?segment|reconcil\w*|adjustments?)\b|合计|总计|抵销|抵消|未分摊|^\s*(?:所有)?其他|^\s*合并", re.I)
_RATE_ASKED = re.compile(r"%|\bpercent|\brate\b|\bgrowth\b|\bmargin\b|\bincrease\b|\bdecrease\b|\bdecline\b|\bchange\b|"
                     r"增长|增速|增幅|降幅|变动|率|百分", re.I)
# a question about how each peer changed ("the worst topline performance", "grew the most"): compared by the
# change from the prior year's column where the rows print amounts only
_CHANGE_ASKED = re.compile(r"\b(?:growth|grew|grow|grown|performance|performed|increase[sd]?|decline[sd]?|decrease[sd]?|"
                           r"drop(?:ped)?|shr[ai]nk|shrunk|change[sd]?)\b|增长|增速|增幅|下降|下滑|降幅|变化|表现", re.I)
_DOWN = re.compile(r"\b(?:down|decrease[sd]?|decline[sd]?|lower|fell|dropped)\s*(?:by\s*)?$|下降\s*$|减少\s*$", re.I)
_QUARTERLY = re.compile(r"\bthree months\b|\bquarter\b|\bQ[1-4]\b|季度|三个月", re.I)
MIN_PEERS = 3
MAX_LEAD_LINES = 4


def asks_extreme(question: str, names: tuple[str, ...] = ()) -> str:
    """"max" or "min" for a question that asks which of several peers is highest or lowest, else "".
    ``names`` (the company's own) are read past: "Best Buy" compares nothing."""
    q = _NOT_EXTREME.sub(" ", main_question(question))
    for n in sorted(names, key=len, reverse=True):
        q = re.sub(re.escape(n), " ", q, flags=re.I) if n.strip() else q
    if not _WHICH.search(q):
        return ""
    hi, lo = bool(_MAX.search(q)), bool(_MIN.search(q))
    return "" if hi == lo else ("max" if hi else "min")


@dataclass
class Change:
    """A peer's change from the prior period, computed from two of its row's amounts."""
    current: str     # the figures as printed
    prior: str
    rate: float
    period: str      # "2022 vs 2021"


@dataclass
class Peers:
    lead: str                   # the list's header or lead-in: what its values measure
    members: list[Candidate]
    rank: int                   # the best rank of a passage it comes from


def _line_items(labels: list[str]) -> bool:
    """Whether a table's rows are line items of a statement ("Diluted earnings per share", "Provision for
    credit losses"): its peers, if any, are its columns, which this module does not read."""
    return sum(bool(items_asked(x) - _PEER_WORDS) for x in labels) * 2 >= len(labels)


def _is_peer(label: str) -> bool:
    """A row's label names one of the peers: words (a line of figures alone is a total), not a total,
    a reconciling line or the remainder."""
    return bool(re.search(r"[A-Za-z\u3400-\u9fff]", label)) and not _NOT_PEER.search(label)


def _value(c: Candidate, rate: bool | None, column: int | None) -> float | None:
    """The member's value of the asked kind (a percentage for a rate, else an amount; any for None), signed."""
    text = c.text
    label = row_label(text) if c.is_row else ""
    qs = [x for x in extract_quantities(text) if x.start >= len(label) and x.unit != "bp"
          and (rate is None or (x.unit == "%") == rate)]
    if not qs:
        return None
    x = qs[min(column, len(qs) - 1)] if column is not None else qs[0]
    before = text[:x.start].rstrip()
    negative = before.endswith(("(", "-", "−")) or bool(_DOWN.search(before))
    return -x.value if negative else x.value


def _column(q: Question, header: str) -> int | None:
    """Which of a row's values is the asked period's: the header's years in order, the asked year's
    position (of two, the later one unless a quarter is asked: "Three months … Twelve months …")."""
    years = YEAR_ALONE.findall(header)
    at = [i for i, y in enumerate(years) if y in q.years]
    if not at:
        return None
    if len(at) > 1 and _QUARTERLY.search(header):
        return at[0] if q.quarters else at[-1]
    return at[0]


def _prior_column(header: str, column: int) -> int | None:
    """The column of the year before ``column``'s in a header's years, after it first (the same block of
    "Three months … Twelve months …"), else anywhere."""
    years = YEAR_ALONE.findall(header)
    if column >= len(years):
        return None
    want = str(int(years[column]) - 1)
    after = [j for j in range(column + 1, len(years)) if years[j] == want]
    return after[0] if after else next((j for j, y in enumerate(years) if y == want), None)


def _change(c: Candidate, column: int, prior: int, header: str) -> Change | None:
    cur, prev = _value(c, False, column), _value(c, False, prior)
    if cur is None or prev is None or prev <= 0:
        return None
    label = row_label(c.text)
    amounts = [x for x in extract_quantities(c.text) if x.start >= len(label) and x.unit not in ("%", "bp")]
    if max(column, prior) >= len(amounts):
        return None
    years = YEAR_ALONE.findall(header)

    def shown(i: int, value: float) -> str:
        digits = c.text[amounts[i].start:amounts[i].end].replace("$", "").strip()
        return f"({digits})" if value < 0 else digits
    return Change(shown(column, cur), shown(prior, prev), cur / prev - 1, f"{years[column]} vs {years[prior]}")


def _lead_of_table(page_text: str, header_start: int) -> str:
    """A table's header with the lines above it back to the previous table's last row (at most
    MAX_LEAD_LINES): its title ("SUPPLEMENTAL DATA – ADJUSTED PROPERTY EBITDAR"), its units, its
    columns. Two tables on one page share the page's title; their own titles tell them apart."""
    lines = page_text[:header_start].split("\n")[:-1]
    above = []
    for line in reversed(lines):
        line = line.strip()
        if not line:
            continue
        # up to the previous table's rows, or prose: a sentence, a bullet (a lead-in ending in ":" belongs)
        if (len(above) >= MAX_LEAD_LINES or classify(line) == "data" or _ENUM.search(line)
                or re.search(r"[.。;；!?！？]$", line)):
            break
        above.insert(0, line)
    return "\n".join(above)


def peer_lists(cands: list[Candidate], pages: PageTexts) -> list[Peers]:
    """The lists of peers among the candidates' pages: each table's rows under one header, and each run
    of enumerated sentences with the sentence that leads into it."""
    out: list[Peers] = []
    seen_pages, seen_bullets = set(), set()
    for c in cands:
        key = (c.doc_id, c.page)
        if key not in seen_pages:
            seen_pages.add(key)
            tables: dict = {}
            for r in page_rows(c.doc, c.rank, pages):
                if r.header is not None:
                    tables.setdefault(r.header, []).append(r)
            for rows in tables.values():
                peers = [r for r in rows if _is_peer(row_label(r.text))]
                if len(peers) >= MIN_PEERS and not _line_items([row_label(r.text) for r in rows]):
                    for r in peers:
                        r.features = dict(c.features)
                    text = pages.text(*key)
                    lead = _lead_of_table(text, rows[0].header[0]) + "\n" + text[rows[0].header[0]:rows[0].header[1]]
                    out.append(Peers(lead, peers, c.rank))
        if _ENUM.search(c.text) and c.start not in seen_bullets:
            first = c
            while first.prev is not None and _ENUM.search(first.prev.text):
                first = first.prev
            run, x = [], first
            while x is not None and _ENUM.search(x.text):
                run.append(x)
                seen_bullets.add(x.start)
                x = x.next
            lead = first.prev.text if first.prev is not None else ""
            peers = [x for x in run if classify(x.text) != "header"]
            if len(peers) >= MIN_PEERS:
                out.append(Peers(lead, peers, c.rank))
    return out


def extreme_peer(q: Question, which: str, cands: list[Candidate],
                 pages: PageTexts) -> tuple[Candidate, Peers, Change | None] | None:
    """The peer with the highest (``which`` = "max") or lowest value, from the list whose lead names most
    of what the question measures (its words less the peers' kind, the company's names and periods; an
    abbreviation written out: "topline" is revenue), best-ranked first; None when no list names any of it
    or no value of the asked kind is there to compare. A question about change compares the rates the
    list states, else each row's change from the prior year's column (returned with the peer)."""
    names = keyword_token_set(" ".join(q.names))
    asked = {t for t in q.words if t not in _PEER_WORDS | _PERIOD_WORDS | STOPWORDS | names
             and not any(ch.isdigit() for ch in t)}
    asked |= {t for t in keyword_token_set(" ".join(written_out(q.text))) if t not in STOPWORDS}
    if not asked:
        return None
    main = main_question(q.text)
    rate = bool(_RATE_ASKED.search(main))
    change = bool(_CHANGE_ASKED.search(main))
    scored = []
    for peers in peer_lists(cands, pages):
        said = keyword_token_set(peers.lead + " " + " ".join(m.where for m in peers.members[:1]))
        hits = len(asked & said)
        if hits:
            scored.append((-hits, peers.rank, peers))
    for _, _, peers in sorted(scored, key=lambda s: s[:2]):
        column = _column(q, peers.lead) if peers.members[0].is_row else None
        pick = max if which == "max" else min
        valued = [(v, m) for m in peers.members if (v := _value(m, rate or change, column)) is not None]
        prior = _prior_column(peers.lead, column) if change and column is not None else None
        if len(valued) < MIN_PEERS and prior is not None:
            # no rates printed: each peer's change from the year before, from its amounts
            changes = [(ch, m) for m in peers.members if (ch := _change(m, column, prior, peers.lead)) is not None]
            if len(changes) >= MIN_PEERS:
                ch, m = pick(changes, key=lambda cm: cm[0].rate)
                return m, peers, ch
        if len(valued) < MIN_PEERS and peers.members[0].is_row:
            # a table of rates often prints its figures without "%" under a header that says so
            valued = [(v, m) for m in peers.members if (v := _value(m, None, column)) is not None]
        if len(valued) < MIN_PEERS:
            continue
        return pick(valued, key=lambda vm: vm[0])[1], peers, None
    return None
