"""What any document may say when no document-type convention applies, and fallbacks:
news articles and the company they are about, periods and kinds named by the file name,
period ends from "<span> ended <date>" phrases, and publication dates."""
from __future__ import annotations

import re
from collections import Counter
from datetime import date
from pathlib import Path

from ..patterns import CJK_RANGES, YEAR_ALONE
from .document import DocView, Found, squash_cjk_spaces
from .issuers import en_legal_name, name_key
from .kinds import file_tokens, is_file_vocabulary, kind_from_filename
from .periods import Period, calendar_end, find_dates, find_periods, parse_iso_date, span_of

_NEWS_CUES = re.compile(r"记者|報道|据.{0,12}(报道|消息)|分析师|市场(广泛)?关注|投资者应"
                        r"|\b(Reuters|Bloomberg|reporter|analysts? said|commentary|editorial)\b", re.I)


# not a sentence's first word (where any word is capitalised): after a word or a comma on the same line
_MID_SENTENCE = r"(?<=[\w,;:“\"(] )(?<![.!?] )"


def looks_like_article(view: DocView) -> bool:
    return bool(_NEWS_CUES.search(view.head[:6000]))


def article_subject(view: DocView) -> tuple[Found, list[str]] | None:
    """The company a news article is about, and the shorter forms of its name the article uses.

    A name the opening sentence begins with (a news lead opens with its subject) and the text
    keeps naming, at least 3 times; else the name from the opening sentence named most often.
    Names are CJK runs of 2-8 characters or capitalised English words."""
    text = view.head[:20000]
    first = re.split(r"(?<=[。！？!?])|(?<=\.)\s", text.strip(), maxsplit=1)[0][:200]
    cands = Counter()
    for run in re.findall(rf"[{CJK_RANGES}]{{2,}}", first):
        for n in range(min(8, len(run)), 1, -1):
            for i in range(0, len(run) - n + 1):
                sub = run[i:i + n]
                cnt = text.count(sub)
                if cnt >= 3:
                    cands[sub] = max(cands[sub], cnt)
    for m in re.finditer(r"\b[A-Z][\w&'’.\-]+(?:\s+[A-Z][\w&'’.\-]+){0,3}", first):
        # capitalised inside sentences, not merely as a sentence's first word
        cnt = len(re.findall(_MID_SENTENCE + re.escape(m.group(0)) + r"(?![\w])", text))
        if cnt >= 3:
            cands[m.group(0)] = cnt
    if not cands:
        return None
    lead = [c for c in cands if first.startswith(c)]
    if lead:
        best = max(lead, key=len)
        why = f"the opening sentence's subject, named {cands[best]}x"
    else:
        top = max(cands.values())
        best = max((c for c in cands if cands[c] == top), key=len)
        why = f"named in the opening sentence and {top}x in the text"
    shorter = [c for c in cands if c != best and best.startswith(c) and cands[c] > cands[best]]
    return Found(best, why, view.page_at(0), first), shorter


def frequent_legal_name(view: DocView) -> tuple[Found, list[str]] | None:
    """The company the first pages are about, by its legal name where they print one, and the
    names they use for it.

    Candidates are the English legal names the first pages print and the capitalised names of the
    opening sentence (a letter to shareholders or a report opens by naming its company); the one
    whose short form the first pages mention most (at least 3 times) wins, not merely the legal name
    printed most (a subsidiary's or counterparty's full name is often repeated in a table). A
    capitalised name counts only where it is written so inside a sentence (any word is capitalised
    at a sentence's start), and is completed to the legal name the text gives for it ('Acme' ->
    'Acme Group Holding Limited')."""
    from .issuers import display_case, short_name

    head = view.head
    text = view.text_of_pages(0, 16)[:200000]
    legal_at: dict[str, int] = {}
    for m in en_legal_name().finditer(head):
        name = re.sub(r"^(?:The|THE)\s+", "", (m.group(1) or m.group(2) or "").strip())
        if len(name) > 4:
            legal_at.setdefault(name, m.start())
    cands: dict[str, tuple[str, int]] = {short_name(n): (n, off) for n, off in legal_at.items()}
    body = re.sub(r"^\s*(?:Dear|To)\b[^\n]{0,40}\n", "", head.lstrip()[:3000])
    opening = re.split(r"(?<=[.!?])\s+", body, maxsplit=1)[0]
    opening_names = []
    for m in re.finditer(r"\b[A-Z][a-z][\w&'’\-]*(?:\s+[A-Z][\w&'’\-]*){0,3}", opening):
        words = m.group(0).split()
        if words[0].lower() not in _not_names():
            for i in range(1, len(words) + 1):      # "Acme Group" and "Acme"
                name = " ".join(words[:i])
                opening_names.append(name)
                cands.setdefault(name, (name, head.find(m.group(0))))
    best, best_n = None, 0
    for short in cands:
        if len(name_key(short)) < 3:
            continue
        words = r"\s+".join(map(re.escape, short.split()))
        if cands[short][0] in legal_at:      # a legal name's short form, in any case
            n = len(re.findall(r"(?<![\w])" + words + r"(?![\w])", head, re.I))
        else:                                # a capitalised name: as written, inside sentences
            n = len(re.findall(_MID_SENTENCE + words + r"(?![\w])", head))
        if n > best_n or (n == best_n and best is not None and cands[short][0] in legal_at and cands[best][0] not in legal_at):
            best, best_n = short, n
    if best is None or best_n < 3:
        return None
    name, off = cands[best]
    if name not in legal_at:
        full = [m.group(1) or m.group(2) for m in en_legal_name().finditer(text)]
        full = [f for f in full if f and name_key(f).startswith(name_key(name))]
        if full:
            name = max(set(full), key=full.count)
    used = [best] + [n for n in opening_names if n != best and n.startswith(best)]
    return view.found(display_case(name, head), f"named {best_n}x on the first pages", off, best), used


def _not_names() -> frozenset[str]:
    from ..vocabulary import vocabulary

    return frozenset(w.lower() for w in vocabulary("issuers")["not_names"]["en"])


def defined_short_names(view: DocView, issuer: str) -> list[str]:
    """The short names a document defines for its issuer: '<issuer> (“Acme,” “we,” …)',
    '<issuer> (Acme or the Company)', '<issuer> (the "Company" or "Acme")'."""
    if not issuer:
        return []
    from .issuers import self_references

    words = [re.escape(w) for w in issuer.split()]
    rx = re.compile(r"\s+".join(words) + r"\s*[（(]([^）)]{2,120})[）)]", re.I)
    out = []
    text = view.text_of_pages(0, 16)[:200000]
    for m in rx.finditer(text):
        inside = m.group(1)
        quoted = re.findall(r"[“\"「]([^”\"」]{2,40}?)[,，]?[”\"」]", inside)
        parts = quoted or re.split(r",|\bor\b|\band\b|;", inside)
        for q in parts:
            q = re.sub(r"^\s*(?:the|collectively|together)\s+", "", q.strip(" .,"), flags=re.I).strip(" .,")
            if q and len(q) <= 40 and not re.search(r"\d{3}|:", q) and (q[0].isupper() or q[0].isdigit()
                                                                      or "\u3400" <= q[0] <= "\u9fff"):
                out.append(q)
    return [n for n in dict.fromkeys(out) if name_key(n) not in self_references() and len(name_key(n)) >= 2]
def kind_from_file(path: Path) -> Found | None:
    k = kind_from_filename(path)
    return Found(k, f"file name {path.name!r}") if k else None


def period_from_file(path: Path, kind: str) -> Found | None:
    stem = re.sub(r"[_\-.]+", " ", Path(path).stem)
    ps = [p for p, _ in find_periods(stem, with_bare_years=False)]
    if not ps:
        ys = [int(y) for y in YEAR_ALONE.findall(stem)]
        if ys and kind in ("annual report", "10-K", "20-F"):
            ps = [Period(ys[0], None, fiscal=True)]
    return Found(ps, f"file name {Path(path).name!r}") if ps else None


def filename_name(path: Path) -> str:
    """The name a file name begins with: 'ACMEFOODS_2020_10K' -> 'acmefoods',
    'northwind-intl-trust-2025-annual-report' -> 'northwind intl trust' ('' when it begins otherwise)."""
    toks = file_tokens(path)
    words = []
    for t in toks:
        if re.search(r"\d", t) or is_file_vocabulary(t):
            if words:
                break
            continue
        words.append(t)
    return " ".join(words)


def period_end_votes(p: Period, body: str) -> tuple[date | None, str]:
    """The most-cited '<span> ended <date>' / '截至<date>止…' consistent with the period."""
    votes: Counter = Counter()
    examples = {}
    want = span_of(p)
    for dm, (a, b) in find_dates(body):
        if not dm.ended and not re.search(r"截至\s*$", body[max(0, a - 4):a]):
            continue
        y = dm.value.year
        ok = (y == p.year) if p.part is None else (y in (p.year, p.year - 1))
        if p.part is None and p.fiscal:
            ok = y in (p.year, p.year + 1)      # a fiscal year may end in the next January
        if p.part and not p.fiscal:
            # a calendar-named period ends near its calendar end (52/53-week quarters end a few days off)
            cal = calendar_end(p)
            ok = cal is not None and abs((dm.value - cal).days) <= 45
        if not ok:
            continue
        w = 3 if dm.span == want else (1 if dm.span in (None, "Q", "H", "9M", "FY") else 0)
        if p.part and p.part.startswith("Q") and dm.span == "FY":
            w = 0
        if p.part == "Q4" and dm.span == "FY":
            w = 2                                # a fourth quarter ends with its fiscal year
        if w:
            votes[dm.value] += w
            examples.setdefault(dm.value, body[max(0, a - 30):b].replace("\n", " "))
    if not votes:
        return None, ""
    best = max(votes, key=lambda d: (votes[d], d))
    return best, f"'…{examples[best].strip()}' ({votes[best]} votes)"


def board_signature_date(view: DocView, plausible) -> Found | None:
    """Chinese announcements close with '…董事会 2024年11月7日'."""
    tail = view.tail()
    for m in re.finditer(r"董事会\s*\n?\s*((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日", tail):
        try:
            d = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            continue
        if plausible(d):
            return Found(d.isoformat(), "board signature", view.all_pages[-1].number if view.all_pages else None,
                         m.group(0))
    return None


def cover_month(view: DocView, plausible) -> Found | None:
    """A report cover's month of publication: '2026年01月', '2026年2月'."""
    for ln, off in view.cover_lines(8):
        m = re.fullmatch(r"((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月", squash_cjk_spaces(ln))
        if m and 1 <= int(m.group(2)) <= 12:
            d = date(int(m.group(1)), int(m.group(2)), 28)
            if plausible(d):
                return view.found(f"{m.group(1)}-{int(m.group(2)):02d}", "cover date", off, ln)
    return None


def creation_date(view: DocView, plausible) -> Found | None:
    d = parse_iso_date(view.created)
    if d and plausible(d):
        return Found(view.created, "PDF creation date")
    return None
