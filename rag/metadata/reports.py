"""Annual, interim and quarterly reports, Chinese (A-share, HK) and English, read by their conventions.

- Cover and title lines: the issuer's legal name and "2024年年度报告", "2024年第三季度报告",
  "2025财务年度中期报告", "Fiscal Year 2024 Interim Report".
- The 公司信息 table of an A-share report: 股票简称 / 证券简称, 股票代码, 公司的中文名称, 公司的中文简称,
  公司的外文名称, 公司的外文名称缩写.
- The 释义 (definitions): the terms defined as the issuer ("示例、公司、本公司 指 北京示例…有限公司",
  "「示例」…指Example Group Holding Limited（示例集团控股有限公司）") are its short names
  (generic ones such as 本公司 left out); "报告期 指 2025年1月1日至2025年12月31日" gives the period end.
- Listing codes: 证券代码：600999, 港交所代号：9999, 纽交所代码：EXG, "NYSE: EXG HKEX: 9999".
"""
from __future__ import annotations

import functools
import re
from collections import Counter

from ..patterns import CJK_RANGES
from ..vocabulary import vocabulary
from .document import DocView, Found
from .issuers import name_key, self_references, split_camel, zh_legal_name
from .kinds import report_kind, report_kind_match
from .periods import Period, find_dates, find_periods


@functools.lru_cache(maxsize=1)
def _labels() -> dict[str, list[str]]:
    return vocabulary("issuers")["exchanges"]


def _alt(words) -> str:
    return "(?:" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) + ")"


@functools.lru_cache(maxsize=1)
def _any_label() -> re.Pattern:
    v = _labels()
    words = (v["code_labels_zh"] + v["us_code_labels_zh"] + v["short_name_labels_zh"] + v["legal_name_labels_zh"]
             + v["foreign_name_labels_zh"] + v["foreign_abbr_labels_zh"]
             + ["股票上市证券交易所", "变更后的股票简称", "公司的法定代表人", "注册地址", "公告编号", "编号", "股票种类",
                "上市交易所", "办公地址", "公司网址", "电子信箱"])
    return re.compile(_alt(words))


def _after_label(text: str, labels: list[str], max_len: int = 40) -> list[tuple[str, int]]:
    """Values printed after a label (up to the next label, line end or separator), with offsets."""
    out = []
    for m in re.finditer(_alt(labels) + r"(?:（如有）|\(如有\))?\s*[:：]?\s*", text):
        rest = text[m.end(): m.end() + 120]
        nxt = _any_label().search(rest)
        val = rest[: nxt.start()] if nxt else rest
        val = re.split(r"[\n;；|]|\s{2,}", val)[0].strip(" ，,:：")
        if 0 < len(val) <= max_len:
            out.append((val, m.start()))
    return out


def is_report(view: DocView) -> bool:
    return any(report_kind(ln) for ln, _ in view.cover_lines(14) if len(ln) <= 90) or \
        bool(re.search(_alt(_labels()["code_labels_zh"]), view.head[:3000]))


def _zh_short(v: str) -> str:
    v = re.sub(r"\s+", "", v)
    ok = re.fullmatch(rf"[{CJK_RANGES}]{{2,10}}[A-Z]?|[A-Za-z][A-Za-z0-9.&]{{1,15}}", v)
    return v if ok else ""


def read(view: DocView) -> dict[str, Found]:
    out: dict[str, Found] = {}
    head = view.head
    v = _labels()
    cover = view.cover_lines(20)

    # kind and period from the title line of the cover
    for ln, off in cover:
        if len(ln) > 90:
            continue
        k = report_kind(ln)
        if not k:
            continue
        out["kind"] = view.found(k, "cover title", off, ln)
        ps = [p for p, _ in find_periods(ln, with_bare_years=False)]
        if not ps:
            ys = re.findall(r"(?<!\d)((?:19|20)\d{2})(?!\d)", ln)
            if ys:
                ps = [Period(int(ys[0]), None, fiscal=bool(re.search(r"fiscal|财年|财务年度|財務年度", ln, re.I)))]
        if ps:
            p = ps[0]
            if k == "interim report" and p.part is None:
                p = Period(p.year, "H1", p.fiscal)   # "fiscal 2025 interim report" = its first half
            out["period"] = view.found([p], "cover title", off, ln)
            out["title_line"] = view.found(ln, "cover title", off, ln)
        break

    # names: 公司信息 labels, the cover's legal name, listing codes
    legal = _after_label(head, v["legal_name_labels_zh"])
    legal = [(x, o) for x, o in legal if zh_legal_name().fullmatch(x)]
    from ..text import language_of

    english = language_of(head[:5000]) == "en"
    if legal:
        out["issuer"] = view.found(legal[0][0], "公司信息 中文名称", legal[0][1], legal[0][0])
    elif not english:
        for ln, off in cover:
            m = zh_legal_name().search(ln)
            if m and len(ln) <= 60:
                out["issuer"] = view.found(m.group(1), "cover", off, ln)
                break
    if "issuer" not in out:
        # an English report: the legal name of the company its first pages are about
        from .generic import frequent_legal_name

        found = frequent_legal_name(view)
        if found:
            out["issuer"], used = found
            out["used_names"] = Found(used, found[0].where, found[0].page, used[0])

    names: list[tuple[str, Found]] = []
    for val, off in _after_label(head, v["short_name_labels_zh"], 16):
        s = _zh_short(val)
        if s:
            names.append((s, view.found(s, "证券简称/中文简称", off, head[off: off + 30])))
    for val, off in _after_label(head, v["foreign_name_labels_zh"], 90):
        if re.search(r"[A-Za-z]{2}", val) and not re.search(rf"[{CJK_RANGES}]", val):
            val = split_camel(val)
            names.append((val, view.found(val, "公司的外文名称", off, head[off: off + 60])))
    for val, off in _after_label(head, v["foreign_abbr_labels_zh"], 16):
        if re.fullmatch(r"[A-Za-z][A-Za-z0-9.&\-]{1,15}", val):
            names.append((val, view.found(val, "外文名称缩写", off, head[off: off + 30])))

    tickers: list[str] = []
    first_code = None
    for m in re.finditer(_alt(v["code_labels_zh"]) + r"\s*[:：]?\s*(\d{4,6})(?!\d)", head):
        tickers.append(m.group(1))
        first_code = first_code or view.found(None, "listing code", m.start(), m.group(0))
    for m in re.finditer(_alt(v["us_code_labels_zh"]) + r"\s*[:：]?\s*([A-Z]{1,5})\b", head):
        tickers.append(m.group(1))
        first_code = first_code or view.found(None, "listing code", m.start(), m.group(0))
    for m in re.finditer(r"\b(?:NYSE|HKEX|SEHK|Nasdaq|NASDAQ)\s*[:：]\s*([A-Z]{1,5}|\d{4,5})\b", head[:6000]):
        tickers.append(m.group(1))
        first_code = first_code or view.found(None, "listing code", m.start(), m.group(0))
    if tickers:
        codes = Counter(t for t in tickers)
        ordered = sorted(dict.fromkeys(tickers), key=lambda t: -codes[t])
        out["tickers"] = Found(ordered, first_code.where, first_code.page, first_code.text)

    # 释义: terms defined as the issuer, and the reporting period
    issuer = out.get("issuer")
    legal_names = [issuer.value] if issuer else []
    legal_names += [n for n, _ in names if re.search(r"[A-Za-z]", n) and len(n) > 12]
    defs = definitions(view, legal_names)
    if defs:
        terms, english, found = defs
        for t in terms:
            names.append((t, found))
        if english:
            names.append((english, found))
        if issuer is None:
            out["issuer"] = Found(found.value, "释义", found.page, found.text)
    if names:
        out["names"] = Found([n for n, _ in names], "; ".join(dict.fromkeys(f.where for _, f in names)),
                             names[0][1].page, names[0][1].text)
    rp = reporting_period_end(view)
    if rp:
        out["period_end"] = rp
    return out


_SHIYI = re.compile(r"(?m)^\s*#*\s*(?:第[一二三四五六七八九十]+[节章]\s*)?释\s*义\s*$|^\s*释义\s*(?:项|$)|适用于本\S{0,6}的定义")


def _definition_pages(view: DocView) -> list[tuple[int | None, str]]:
    out = []
    for p in view.all_pages[:400]:
        t = p.text or ""
        if "释义" in t or "釋義" in t or "适用于本" in t:
            from .document import squash_cjk_spaces

            tt = squash_cjk_spaces(t)
            if _SHIYI.search(tt) and "指" in tt:
                out.append((getattr(p, "number", None), tt))
    return out[:3]


def definitions(view: DocView, legal_names: list[str]) -> tuple[list[str], str, Found] | None:
    """Terms the 释义 defines as the issuer (any of ``legal_names``), an English legal name given
    there, and the evidence."""
    keys = [name_key(n) for n in legal_names if n]
    for page, text in _definition_pages(view):
        for m in re.finditer(r"指", text):
            definition = text[m.end(): m.end() + 120]
            dkey = name_key(definition[:100])
            hit = next((k for k in keys if k and dkey.startswith(k)), None)
            english = ""
            if hit is None:
                # "指Example Group Holding Limited（示例集团控股有限公司）"
                mm = re.match(r"\s*([A-Z][\w&.,' \-]{3,80}?)\s*[（(]\s*" + zh_legal_name().pattern + r"\s*[）)]", definition)
                if not mm or not any(name_key(mm.group(2)) == k or name_key(mm.group(1)) == k for k in keys):
                    continue
                english = mm.group(1).strip()
            elif re.match(r"\s*[A-Z]", definition):
                mm = re.match(r"\s*([A-Z][\w&.,' \-]{3,80}?)\s*[（(]", definition)
                english = mm.group(1).strip() if mm else ""
            seg = text[max(0, m.start() - 80): m.start()]
            seg = re.split(r"[\n。；;]|有限公司|[）)](?![」”])|释义内容|定义如下[：:]?|涵义如下[：:]?", seg)[-1]
            quoted = re.findall(r"[「“\"]([^」”\"]{1,20})[」”\"]", seg)
            terms = quoted or re.split(r"[、，,/]|或|及", seg)
            terms = [re.sub(r"^[\s\-*•]+|\s+$", "", t) for t in terms]
            terms = [t for t in terms if t and name_key(t) not in self_references() and 2 <= len(t) <= 20
                     and not re.search(r"[：:（(]", t)]
            if terms or english:
                value = legal_names[0] if legal_names else (english or terms[0])
                return terms, english, Found(value, "释义", page, text[max(0, m.start() - 40): m.end() + 40])
    return None


def reporting_period_end(view: DocView) -> Found | None:
    """'报告期 指 2025年1月1日至2025年12月31日' / '报告期末 指 2025年12月31日' in the 释义."""
    for page, text in _definition_pages(view):
        m = re.search(r"报告期(?:、本期|、本报告期)?\s*指\s*[^指\n]{0,6}?(\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日)\s*(?:至|到|-|—)\s*"
                      r"(\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日)", text)
        if m:
            ds = find_dates(m.group(2))
            if ds:
                return Found(ds[0][0].iso(), "释义 报告期", page, m.group(0))
        m = re.search(r"报告期末\s*指\s*(\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日)", text)
        if m:
            ds = find_dates(m.group(1))
            if ds:
                return Found(ds[0][0].iso(), "释义 报告期末", page, m.group(0))
    return None


def repeated_title_years(title_line: str, full: str) -> set[int]:
    """Years of the same cover title repeated in the file (several reports concatenated). The title
    ends with the words naming the report's kind: on a short cover page, cleaning may have joined the
    line after it ("Fiscal Year 2024 Interim Report NYSE: ACME …"), which the other covers need not repeat."""
    title = title_line.strip()
    found = report_kind_match(title)
    if found:
        title = title[:found[1].end()]
    own = re.search(r"(?:19|20)\d{2}", title)
    if own is None:
        return set()
    pat = re.sub(r"(?:19|20)\d{2}", r"((?:19|20)\\d{2})", re.escape(title), count=1)
    years = {int(y) for y in re.findall(r"(?m)^[ #*|]*" + pat + r"[ *|]*$", full)}
    return years | {int(own.group(0))} if years else set()
