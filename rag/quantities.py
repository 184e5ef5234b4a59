"""Figures in text as values: amounts, percentages and counts, in English and Chinese.

``extract_quantities`` reads the figures a text states, with scale words and languages
normalised (``4万亿美元`` = ``US$4 trillion`` = 4e12, ``530亿美元`` = ``US$53.0 billion``,
``26%`` = ``26 percent`` = ``百分之二十六``) and the currency each names; ``quantities_match``
says whether an answer's figure is a passage's (within a relative tolerance; a table cell
without a scale word also matches the same digits in thousands, millions or billions).
Years, dates, list ordinals and digits inside names are not figures. Used by the grounding
check of generated answers (rag/grounding.py).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from .citation_markers import strip_citations

REL_TOL = 0.005   # figures agree within 0.5%


@dataclass(frozen=True)
class Quantity:
    raw: str             # as written
    value: float         # mantissa * scale (absolute value)
    mantissa: float      # the digits as written
    scale: float         # 1, 1e3, 1e4, 1e6, 1e8, 1e9, 1e12 ...
    unit: str            # "%" | "bp" | "" (amount or bare count)
    currency: str | None  # "USD" | "CNY" | "HKD" | "EUR" | "GBP" | "JPY" | None
    start: int
    end: int

    @property
    def kind(self) -> str:
        if self.unit:
            return self.unit
        return "amount" if (self.currency or self.scale != 1) else "bare"


_ZH_SCALES = [("万亿", 1e12), ("千亿", 1e11), ("百亿", 1e10), ("十亿", 1e9), ("亿", 1e8), ("千万", 1e7),
              ("百万", 1e6), ("十万", 1e5), ("万", 1e4), ("千", 1e3)]
_EN_SCALES = {"trillion": 1e12, "tn": 1e12, "trn": 1e12, "billion": 1e9, "bn": 1e9, "million": 1e6, "mn": 1e6,
              "mln": 1e6, "thousand": 1e3}
_ADJ_SCALES = {"t": 1e12, "b": 1e9, "m": 1e6, "k": 1e3}   # only directly attached: "US$53b", "5m", "10k"

_CUR_BEFORE = [
    (re.compile(r"(?:US|U\.S\.)\s*\$\s*$|USD\s*$", re.I), "USD"),
    (re.compile(r"(?:HK|H\.K\.)\s*\$\s*$|HKD\s*$", re.I), "HKD"),
    (re.compile(r"(?:RMB|CNY|Rmb)\s*$|[¥￥]\s*$|人民币\s*$"), "CNY"),
    (re.compile(r"(?:EUR\s*|€\s*)$"), "EUR"),
    (re.compile(r"(?:GBP\s*|£\s*)$"), "GBP"),
    (re.compile(r"(?:JPY|円)\s*$"), "JPY"),
    (re.compile(r"(?<![A-Za-z])\$\s*$"), "USD"),
]
_CUR_AFTER = [
    (re.compile(r"^\s*(?:美元|美金|US\s*dollars?|USD\b|U\.S\.\s*dollars?)", re.I), "USD"),
    (re.compile(r"^\s*(?:港元|港币|港幣|HK\s*dollars?|Hong\s+Kong\s+dollars?|HKD\b)", re.I), "HKD"),
    (re.compile(r"^\s*(?:人民币|RMB\b|CNY\b|renminbi|yuan)", re.I), "CNY"),
    (re.compile(r"^\s*(?:欧元|euros?\b|EUR\b)", re.I), "EUR"),
    (re.compile(r"^\s*(?:英镑|pounds?\s+sterling|GBP\b)", re.I), "GBP"),
    (re.compile(r"^\s*(?:日元|JPY\b)", re.I), "JPY"),
    (re.compile(r"^\s*dollars?\b", re.I), "USD"),
    (re.compile(r"^\s*元"), None),       # bare 元: yuan of an unstated kind (usually RMB)
]
_PERCENT_AFTER = re.compile(r"^\s*(?:%|percent\b|per\s+cent\b|pct\b|percentage\s+points?\b|个百分点|百分点|pp\b|p\.p\.)", re.I)
_BP_AFTER = re.compile(r"^\s*(?:bps?\b|basis\s+points?\b|个基点|基点)", re.I)

_MONTHS = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
_MONTH_BEFORE = re.compile(_MONTHS + r"\.?\s+$", re.I)
_MONTH_AFTER = re.compile(r"^(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTHS + r"\b", re.I)
_DATE_AFTER_ZH = re.compile(r"^\s*(?:月|日|号|號|时|時|点钟|季度|财年|財年|年度|年)")
_ISO_DATE = re.compile(r"\b(?:19|20)\d{2}[-/.]\d{1,2}(?:[-/.]\d{1,2})?\b|\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b|\b\d{1,2}:\d{2}\b")
_ORDINAL_AFTER = re.compile(r"^(?:st|nd|rd|th)\b", re.I)

_DIGITS = re.compile(r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+")
_ZH_DIGIT = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "兩": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_ZH_UNIT = {"十": 10, "百": 100, "千": 1000}
_ZH_BIG = {"万": 1e4, "萬": 1e4, "亿": 1e8, "億": 1e8}
_ZH_NUM = re.compile(r"[零〇一二两兩三四五六七八九十百千万萬亿億]+")
_EN_WORDS = {w: i for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve thirteen "
                                        "fourteen fifteen sixteen seventeen eighteen nineteen twenty".split())}
_EN_WORDS.update({"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
                  "hundred": 100, "dozen": 12})
_EN_WORD = re.compile(r"\b(" + "|".join(sorted(_EN_WORDS, key=len, reverse=True)) + r")\b", re.I)


def _prepare(text: str) -> str:
    """Length-preserving normalisation: full-width forms to ASCII, markup noise to spaces."""
    out = []
    for ch in text:
        n = unicodedata.normalize("NFKC", ch)
        out.append(n if len(n) == 1 else ch)
    s = "".join(out)
    # "US\ $137,300", "$8%$" (LaTeX-ish residue of PDF conversion)
    s = s.replace("\\", " ")
    s = re.sub(r"(?<=%)\$", " ", s)
    s = re.sub(r"\$(?=\s*\d[\d,.]*\s*%)", " ", s)
    return s


def _zh_to_number(run: str) -> float | None:
    """三千八百 -> 3800, 四万亿 -> 4e12, 二十六 -> 26, 十一 -> 11, 一亿二千万 -> 1.2e8; None if malformed."""
    total = section = number = 0.0
    digit: int | None = None
    prev_digit = False
    for ch in run:
        if ch == "〇":          # 二〇二五: a year spelt digit by digit
            return None
        if ch == "零":
            digit, prev_digit = None, False
        elif ch in _ZH_DIGIT:
            if prev_digit:       # "二五": digit after digit is not a number
                return None
            digit, prev_digit = _ZH_DIGIT[ch], True
        elif ch in _ZH_UNIT:
            number += (digit if digit is not None else 1) * _ZH_UNIT[ch]
            digit, prev_digit = None, False
        elif ch in "万萬":
            number += digit or 0
            if number == 0 and section == 0 and total == 0:
                return None
            section += number * 1e4
            number, digit, prev_digit = 0.0, None, False
        elif ch in "亿億":
            number += digit or 0
            if total + section + number == 0:
                return None
            total = (total + section + number) * 1e8
            section = number = 0.0
            digit, prev_digit = None, False
        else:
            return None
    return total + section + number + (digit or 0)


def _currency_before(text: str, i: int) -> tuple[str | None, int]:
    """(currency, where its symbol starts) written just before position ``i``."""
    lo = max(0, i - 8)
    for rx, cur in _CUR_BEFORE:
        m = rx.search(text[lo:i])
        if m:
            return cur, lo + m.start()
    return None, i


def _identifier_digit(text: str, a: int, b: int) -> bool:
    """Digits that are part of a name: Qwen3, Q3, FY2025, GPT-4, 5G, A100, 3D."""
    before = text[max(0, a - 6):a]
    if re.search(r"[A-Za-z]$", before):
        # allowed letter prefixes: currency codes
        if re.search(r"(?:RMB|USD|HKD|CNY|EUR|GBP|JPY|US|HK)$", before):
            return False
        return True
    if re.search(r"[A-Za-z]-$", before):
        return True
    after = text[b:b + 12]
    m = re.match(r"[A-Za-z]+", after)
    if m:
        word = m.group(0).lower()
        if word in _EN_SCALES or word in _ADJ_SCALES or word in ("pct", "pp", "bp", "bps", "x"):
            return False
        if _ORDINAL_AFTER.match(after):
            return False   # ordinal: handled elsewhere
        return True
    return False


def _is_list_ordinal(text: str, a: int, b: int) -> bool:
    line_start = text.rfind("\n", 0, a) + 1
    prefix = text[line_start:a]
    after = text[b:b + 2]
    if re.fullmatch(r"[\s>*#\-•·]*[(（]?", prefix) and re.match(r"[.)）、:：]", after):
        # "1. item", "(2) item", "3、" at the start of a line
        if not re.match(r"\.\d", text[b:b + 2]):
            return True
    if re.search(r"[(（]$", text[max(0, a - 1):a]) and re.match(r"[)）]", after) and b - a <= 2:
        return True
    if re.search(r"第\s*$", text[max(0, a - 3):a]):
        return True
    if re.search(r"(?:No\.|#|Item|Note|Page|p\.|pp\.|Section|Chapter|Table|Figure|Fig\.)\s*$",
                 text[max(0, a - 9):a], re.I):
        return True
    return False


def _scale_after(text: str, b: int) -> tuple[float, int]:
    rest = text[b:b + 14]
    for word, mult in _ZH_SCALES:
        m = re.match(r"\s*" + word, rest)
        if m:
            return mult, b + m.end()
    m = re.match(r"\s*([A-Za-z]+)\b", rest)
    if m and m.group(1).lower() in _EN_SCALES:
        return _EN_SCALES[m.group(1).lower()], b + m.end()
    m = re.match(r"([A-Za-z])\b", rest)
    if m and m.group(1).lower() in _ADJ_SCALES:
        return _ADJ_SCALES[m.group(1).lower()], b + m.end()
    return 1.0, b


def _unit_after(text: str, i: int) -> tuple[str, str | None, int, bool]:
    """(unit, currency, end, currency_given) for what follows a number (after its scale)."""
    rest = text[i:i + 24]
    m = _PERCENT_AFTER.match(rest)
    if m:
        return "%", None, i + m.end(), False
    m = _BP_AFTER.match(rest)
    if m:
        return "bp", None, i + m.end(), False
    for rx, cur in _CUR_AFTER:
        m = rx.match(rest)
        if m:
            return "", cur, i + m.end(), True
    return "", None, i, False


def extract_quantities(text: str, *, liberal: bool = False) -> list[Quantity]:
    """Figures in ``text`` (citation markers, years, dates, ordinals and names excluded).

    ``liberal`` (used for passages) also reads every Chinese numeral and English
    number words ("五年", "eight percent"), so that either spelling in a passage
    supports digits in an answer.
    """
    s = _prepare(strip_citations(text))
    found: list[Quantity] = []
    taken = [False] * (len(s) + 1)
    date_spans = [(m.start(), m.end()) for m in _ISO_DATE.finditer(s)]

    def in_date(a: int) -> bool:
        return any(x <= a < y for x, y in date_spans)

    def add(a: int, b: int, mantissa: float) -> None:
        pre_cur, pre_at = _currency_before(s, a)
        scale, j = _scale_after(s, b)
        unit, cur_after, k, _ = _unit_after(s, j)
        cur = None if unit else (cur_after if cur_after is not None else pre_cur)
        if pre_cur is not None and not unit:
            a = pre_at
        for x in range(a, k):
            taken[x] = True
        found.append(Quantity(text[a:k].strip(), abs(mantissa) * scale, abs(mantissa), scale, unit, cur, a, k))

    # Arabic digits
    for m in _DIGITS.finditer(s):
        a, b = m.start(), m.end()
        raw = m.group(0)
        if a > 0 and (s[a - 1].isdigit() or (s[a - 1] == "." and a > 1 and s[a - 2].isdigit())):
            continue
        if in_date(a) or _identifier_digit(s, a, b) or _is_list_ordinal(s, a, b):
            continue
        if _ORDINAL_AFTER.match(s[b:b + 3]):
            continue
        if _MONTH_BEFORE.search(s[max(0, a - 11):a]) or _MONTH_AFTER.match(s[b:b + 16]):
            continue
        try:
            mantissa = float(raw.replace(",", ""))
        except ValueError:
            continue
        pre_cur, _ = _currency_before(s, a)
        scale, j = _scale_after(s, b)
        unit, cur_after, _, _ = _unit_after(s, j)
        is_year = ("," not in raw and "." not in raw and 1900 <= mantissa <= 2100 and len(raw) == 4
                   and scale == 1 and not unit and pre_cur is None and cur_after is None)
        if is_year:
            continue
        # day of month / month numbers: "3月31日"
        if scale == 1 and not unit and re.match(r"\s*(?:月|日|号|號)", s[b:b + 3]) and mantissa <= 31:
            continue
        if scale == 1 and not unit and re.match(r"\s*年", s[b:b + 3]) and len(raw) in (2, 4) and "." not in raw \
                and "," not in raw and (len(raw) == 4 or re.search(r"\d{2}年\s*\d{1,2}\s*月", s[a:b + 6])):
            continue
        add(a, b, mantissa)

    # Chinese numerals
    for m in _ZH_NUM.finditer(s):
        a, b = m.start(), m.end()
        if any(taken[a:b]):
            continue
        run = m.group(0)
        # strip scale characters that belong to a following unit word we read separately
        has_digit = any(c in _ZH_DIGIT and c not in "零〇" for c in run)
        has_mag = any(c in "十百千万萬亿億" for c in run)
        percent_before = s[max(0, a - 3):a] == "百分之"
        if run.startswith("百") and s[a:a + 3] == "百分之":
            continue
        if not has_digit and not (percent_before and run):
            continue
        if not liberal and not (has_mag or percent_before):
            continue
        if re.search(r"第\s*$", s[max(0, a - 2):a]):
            continue
        if _DATE_AFTER_ZH.match(s[b:b + 3]) and not re.match(r"年", s[b:b + 1]):
            continue
        # 一些/一样/一起 ... : a lone 一 followed by a word is rarely a figure
        value = _zh_to_number(run)
        if value is None:
            continue
        if percent_before:
            for x in range(a - 3, b):
                taken[x] = True
            found.append(Quantity(text[a - 3:b], value, value, 1.0, "%", None, a - 3, b))
            continue
        pre_cur, pre_at = _currency_before(s, a)
        unit, cur_after, k, _ = _unit_after(s, b)
        cur = None if unit else (cur_after if cur_after is not None else pre_cur)
        # split mantissa/scale for table-style comparison: 三千八百亿 -> 3800 x 1e8
        scale = 1.0
        for word, mult in (("万亿", 1e12), ("亿", 1e8), ("億", 1e8), ("万", 1e4), ("萬", 1e4)):
            if run.endswith(word) and len(run) > len(word) and _zh_to_number(run[: -len(word)]):
                scale = mult
                break
        mantissa = value / scale
        if pre_cur is not None and not unit:
            a = pre_at
        for x in range(a, k):
            taken[x] = True
        found.append(Quantity(text[a:k].strip(), value, mantissa, scale, unit, cur, a, k))

    # English number words (passages only)
    if liberal:
        for m in _EN_WORD.finditer(s):
            a, b = m.start(), m.end()
            if any(taken[a:b]):
                continue
            add(a, b, float(_EN_WORDS[m.group(1).lower()]))

    found.sort(key=lambda q: q.start)
    return _propagate_ranges(s, found)


def _propagate_ranges(s: str, qs: list[Quantity]) -> list[Quantity]:
    """"5-10%", "30至50亿元", "US$1 to 2 billion": the first figure takes the second's unit."""
    out = list(qs)
    for i in range(len(out) - 1, 0, -1):
        a, b = out[i - 1], out[i]
        gap = s[a.end:b.start]
        if not re.fullmatch(r"\s*(?:-|–|—|~|～|至|到|to|and)\s*(?:US\$|HK\$|RMB|\$)?\s*", gap, re.I):
            continue
        if a.scale == 1 and not a.unit and a.currency is None and (b.scale != 1 or b.unit or b.currency):
            out[i - 1] = Quantity(a.raw, a.mantissa * b.scale, a.mantissa, b.scale, b.unit, b.currency, a.start, a.end)
    return out


def _table_figure(raw: str) -> bool:
    """Digits as a table cell gives them: "996,347", "53.0", "530" (not "4", not 四, not "four")."""
    raw = raw.strip()
    return bool(re.fullmatch(r"\d[\d,]*(?:\.\d+)?", raw)) and ("," in raw or "." in raw or len(raw) >= 3)


def _close(x: float, y: float, tol: float) -> bool:
    if x == y:
        return True
    return abs(x - y) <= tol * max(abs(x), abs(y))


def quantities_match(answer: Quantity, passage: Quantity, rel_tol: float = REL_TOL) -> bool:
    """Does a passage figure support an answer figure? (see the module docstring)"""
    ka, kp = answer.kind, passage.kind
    if ka in ("%", "bp") or kp in ("%", "bp"):
        if ka != kp and "bare" not in (ka, kp):
            return False
    elif ka == "amount" and kp == "amount" and answer.currency and passage.currency \
            and answer.currency != passage.currency:
        return False
    if _close(answer.value, passage.value, rel_tol):
        return True
    if passage.scale == 1 and not passage.unit and _table_figure(passage.raw):
        if answer.scale != 1 and _close(answer.mantissa, passage.value, rel_tol):
            return True
        if answer.kind == "amount" and any(_close(answer.value, passage.value * m, rel_tol) for m in (1e3, 1e6, 1e9)):
            return True
    return False
