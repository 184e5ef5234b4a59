"""Synthetic table-row questions over a report's tables: does the answer state the asked row's figure?

A development aid for the answerer's choice of row, many questions from one document at no writing cost.

- A Chinese report: every line of a page whose header names 期末余额 and 期初余额 that reads
  "<label> <closing> <opening>" (two amounts with cents) is asked as "<short name><year>年年报里，<label>的期末余额
  是多少元？"; the figure asked is the closing amount.
- A Chinese report's tables under date columns (``--dates``: a bank's statements and notes, a quarterly report's
  balance sheet): every line "<label> <amount> <amount>" of a page whose first two different dates name the
  current one first is asked as "<short name>的<label>在<date>是多少？"; the figure asked is the first amount.
  (A label must open exactly one line of the whole report here: a bank's related-party notes repeat its
  statements' labels with other figures.)
- An English filing (``--english``): every line of an income statement, balance sheet or cash flow statement
  page (by its title) that reads "<label> <amount> <amount> …" is asked as "What was <name>'s <label> in
  fiscal <year>?"; the figure asked is the first column's (a 10-K prints the latest year first).

Labels printed more than once (坏账准备 in every receivables note) are left out: their right answer depends on
which table is meant, which the question does not say. An answer is right when it states the figure as printed;
the page is right when a citation is on the row's page.

Run it on documents of a benchmark's `tune` half (the default is FinDoc's tune report), never on a `check`
one: it is for tuning. Not part of the eval gate.

    python -m evals.row_probe [--index DIR] [--pdf FILE] [--english | --dates] [--limit N] [--show]

Without ``--index`` the report is ingested into a temporary index first (a few minutes for 200 pages).
"""
from __future__ import annotations

import argparse
import collections
import re
import sys
import tempfile
from pathlib import Path

from evals.shared import shared_benchmarks

_ROW = re.compile(r"^([\u4e00-\u9fff][\u4e00-\u9fff（）()、：:]{2,24}?)\s*(-?[\d,]+\.\d{2})\s+(-?[\d,]+\.\d{2})\s*$")


_EN_ROW = re.compile(r"^([A-Z][A-Za-z ,'’&\-()/]{3,70}?)\s*\$?\s*(\(?[\d,]{1,9}(?:\.\d+)?\)?)\s+\$?\s*"
                     r"(\(?[\d,]{1,9}(?:\.\d+)?\)?)(?:\s|$)")


def english_rows_of(pages: dict[int, str]) -> list[tuple[int, str, str]]:
    """(page, label, first amount) of each row of a primary statement's page with a label printed once."""
    from rag.statements import statements_named

    found, seen = [], collections.Counter()
    for page, text in sorted(pages.items()):
        if not statements_named("\n".join(text.splitlines()[:6])) & {"income", "balance", "cash_flow"}:
            continue
        for line in text.splitlines():
            m = _EN_ROW.match(line.strip())
            label = m.group(1).strip(" ,$") if m else ""
            # a label of two words at least, no figure in it ("Subsidiary Companies (the Company) as of December")
            if m and len(label.split()) >= 2 and not re.search(r"\d|\(|\)", label):
                found.append((page, label, m.group(2).strip("()")))
                seen[label.lower()] += 1
    return [r for r in found if seen[r[1].lower()] == 1]


def rows_of(pages: dict[int, str]) -> list[tuple[int, str, str]]:
    """(page, label, closing amount) of each two-amount row with a label printed once, in page order."""
    found, seen = [], collections.Counter()
    for page, text in sorted(pages.items()):
        if "期末余额" not in text or "期初余额" not in text:
            continue
        for line in text.splitlines():
            m = _ROW.match(line.strip())
            # a total is asked by its table's name, not as "合计"; a zero closing amount proves nothing
            if m and "合计" not in m.group(1) and float(m.group(2).replace(",", "")) != 0:
                found.append((page, m.group(1), m.group(2)))
                seen[m.group(1)] += 1
    return [r for r in found if seen[r[1]] == 1]


_AMOUNT = r"(?:-?\(?\d{1,3}(?:,\d{3})+(?:\.\d+)?\)?|\d{2,3}(?:\.\d+)?)"
_DATED_ROW = re.compile(rf"^\|?\s*([\u4e00-\u9fff][\u4e00-\u9fff（）()、：:]{{2,24}}?)\s*\|?\s*({_AMOUNT})\s*\|?\s*"
                        rf"({_AMOUNT})\s*\|?\s*$")
_LABEL_OPENING = re.compile(r"^\|?\s*([\u4e00-\u9fff][\u4e00-\u9fff（）()、：:]{2,24}?)\s*\|?\s*[-\d(]")
_DATE = re.compile(r"(20\d\d)\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")


def dated_rows_of(pages: dict[int, str]) -> list[tuple[int, str, str, str]]:
    """(page, label, first amount, the date it is read at) of each two-amount row under date columns whose label
    opens one line of the whole report."""
    opened = collections.Counter(m.group(1) for text in pages.values() for line in text.splitlines()
                                 if (m := _LABEL_OPENING.match(line.strip())))
    found = []
    for page, text in sorted(pages.items()):
        dates = list(_DATE.finditer(text))
        later = next((d for d in dates if d.group(0) != dates[0].group(0)), None) if dates else None
        if later is None:
            continue
        first = dates[0]
        if (int(first.group(1)), int(first.group(2))) < (int(later.group(1)), int(later.group(2))):
            continue   # the earlier date's column first: which amount is the current one is not certain
        when = f"{first.group(1)}年{int(first.group(2))}月{int(first.group(3))}日"
        for line in text.splitlines():
            m = _DATED_ROW.match(line.strip())
            if m and "合计" not in m.group(1) and opened[m.group(1)] == 1:
                found.append((page, m.group(1), m.group(2).strip("()"), when))
    return found


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m evals.row_probe", description=__doc__.splitlines()[0])
    ap.add_argument("--pdf", type=Path,
                    default=shared_benchmarks() / "findoc-zh-dev" / "pdfs" / "compass-2025-annual-report.pdf")
    ap.add_argument("--index", type=Path, help="an index holding the report (default: ingest it into a temporary one)")
    ap.add_argument("--english", action="store_true", help="an English filing's statement rows")
    ap.add_argument("--dates", action="store_true", help="a Chinese report's rows under date columns")
    ap.add_argument("--limit", type=int, default=0, help="ask at most this many rows (default: all)")
    ap.add_argument("--show", action="store_true", help="print each wrong answer")
    args = ap.parse_args(argv)

    from rag import Assistant

    with tempfile.TemporaryDirectory() as tmp:
        assistant = Assistant(args.index or Path(tmp) / "index")
        if args.index is None:
            assistant.ingest([args.pdf])
        source = next((s for s in assistant.sources() if Path(s["source"]).name == args.pdf.name), None)
        if source is None:
            print(f"{args.pdf.name} is not in the index {assistant.index_dir}", file=sys.stderr)
            return 2
        meta = source.get("meta") or {}
        if args.english:
            name = next(iter(meta.get("aliases") or []), meta.get("issuer") or "")
        else:
            name = next((a for a in meta.get("aliases") or [] if re.search(r"[\u4e00-\u9fff]", a)), "")
        year = (re.search(r"\d{4}", meta.get("period") or "") or re.search(r"\d{4}", args.pdf.name))
        year = year.group(0) if year else ""
        # a quarter's filing is asked of its quarter ("Q1 2023"), a year's (or a fourth quarter's release, which
        # reports the fiscal year too) of its fiscal year
        quarter = re.fullmatch(r"(\d{4})Q([1-3])", meta.get("period") or "")
        when = f"Q{quarter.group(2)} {quarter.group(1)}" if quarter else f"fiscal {year}"
        pages = {}
        for p in range(1, 2000):
            text = assistant.page_text(source["doc_id"], p)
            if text is None:
                break
            pages[p] = text
        if args.dates:
            rows = [(page, label, amount, f"{name}的{label}在{date}是多少？")
                    for page, label, amount, date in dated_rows_of(pages)]
        elif args.english:
            rows = [(page, label, amount, f"What was {name}'s {label[0].lower() + label[1:]} in {when}?")
                    for page, label, amount in english_rows_of(pages)]
        else:
            rows = [(page, label, amount, f"{name}{year}年年报里，{label}的期末余额是多少元？")
                    for page, label, amount in rows_of(pages)]
        rows = rows[: args.limit or None]
        figure = cited = 0
        for page, label, closing, question in rows:
            answer = assistant.ask(question, doc_ids=[source["doc_id"]])
            ok = closing in answer.text
            figure += ok
            cited += any(c.page == page for c in answer.citations)
            if args.show and not ok:
                print(f"  p{page} {label} {closing} -> {answer.text[:140]!r}")
        n = len(rows) or 1
        print(f"{args.pdf.name}: {len(rows)} rows asked; figure stated {figure} ({100 * figure / n:.1f}%), "
              f"row's page cited {cited} ({100 * cited / n:.1f}%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
