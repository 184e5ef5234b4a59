"""A bilingual glossary of disclosure terms, for cross-language keyword matching.

The default embedder bridges Chinese and English only roughly (cosine 0.1–0.4 for
a Chinese question against the English sentence that answers it), and keyword
search cannot bridge them at all. Financial reports use a small, stable
vocabulary, so a glossary of their standard terms lets a question in one language
match the line items of a report in the other ("净利润" finds "net income").
Expansion only adds words; it never removes the question's own.
"""
from __future__ import annotations

import re

# (Chinese terms, English terms): each side expands to the other.
PAIRS: list[tuple[tuple[str, ...], tuple[str, ...]]] = [
    (("营业收入", "营业总收入", "收入", "营收"), ("revenue", "revenues")),
    (("净利润", "净收益", "净收入"), ("net income",)),
    (("净亏损",), ("net loss",)),
    (("归属于", "股东"), ("attributable",)),
    (("每股收益", "每股盈利", "摊薄每股收益", "每股摊薄收益"), ("earnings per share", "eps", "diluted")),
    (("毛利率",), ("gross margin",)),
    (("毛利",), ("gross profit",)),
    (("经营利润", "营业利润"), ("operating income",)),
    (("经营利润率", "营业利润率"), ("operating margin",)),
    (("经营活动产生的现金流量净额", "经营现金流", "经营活动现金流"), ("cash flow from operations", "operating activities", "operating cash flow")),
    (("自由现金流",), ("free cash flow",)),
    (("员工", "员工总数", "雇员"), ("employees", "headcount")),
    (("股息", "分红", "现金股利"), ("dividend", "dividends")),
    (("回购",), ("repurchase", "repurchased", "buyback")),
    (("指引", "预期", "展望"), ("guidance", "outlook", "forecasting")),
    (("第一季度", "一季度"), ("first quarter", "first-quarter", "q1")),
    (("第二季度", "二季度"), ("second quarter", "second-quarter", "q2")),
    (("第三季度", "三季度"), ("third quarter", "third-quarter", "q3")),
    (("第四季度", "四季度"), ("fourth quarter", "fourth-quarter", "q4")),
    (("财年", "财政年度", "财务年度"), ("fiscal year", "fiscal")),
    (("中期报告", "中期"), ("interim",)),
    (("年度报告", "年报"), ("annual report",)),
    (("六个月", "上半年"), ("six months",)),
    (("同比", "同比增长"), ("year-over-year", "year over year", "yoy")),
    (("可比销售额", "同店销售"), ("comparable sales",)),
    (("商品交易总额", "成交额"), ("gross merchandise volume", "gmv")),
    (("会员费",), ("membership fees",)),
    (("经调整", "调整后"), ("adjusted",)),
    (("息税摊销前利润",), ("ebita",)),
    (("不良贷款率",), ("non-performing loan ratio", "npl ratio")),
    (("总资产", "资产总额"), ("total assets",)),
    (("云智能集团", "阿里云"), ("cloud intelligence group",)),
    (("淘天集团", "淘宝和天猫集团"), ("taobao and tmall group",)),
    (("数据中心",), ("data center", "data centers", "data centre")),
    (("研发", "研究开发"), ("research and development", "r&d")),
    (("资本开支", "资本支出"), ("capital expenditures", "capex")),
    (("市场份额",), ("market share",)),
    (("中国",), ("china",)),
    (("美国存托凭证", "存托凭证", "美国存托股"), ("american depositary receipts", "depositary receipts", "adr", "adrs", "ads")),
    (("股价", "股票价格"), ("share price", "stock price")),
    (("市值",), ("market capitalization", "market value")),
    (("估值",), ("valuation",)),
    (("增持", "加仓"), ("raised its stake", "increased its stake", "stake increase", "bought shares")),
    (("投资者",), ("investors",)),
    (("竞争对手", "竞争"), ("competitors", "competition", "rivals")),
    (("监管",), ("regulation", "regulatory", "regulators")),
    (("芯片", "半导体"), ("chips", "chip", "semiconductors", "semiconductor")),
    (("开放源代码", "开源"), ("open source", "open-source")),
    (("云计算", "云业务", "云服务"), ("cloud computing", "cloud business", "cloud services")),
    (("电商", "电子商务"), ("e-commerce", "ecommerce", "online retail")),
    (("合作", "合作伙伴"), ("partnership", "cooperation", "partner")),
    (("出口管制",), ("export controls",)),
    (("风险",), ("risk", "risks")),
    (("首席执行官", "行政总裁", "总裁"), ("chief executive officer", "chief executive", "ceo")),
    (("首席财务官", "财务负责人", "财务总监"), ("chief financial officer", "cfo")),
    (("董事长", "董事会主席"), ("chairman", "chairwoman", "chair of the board")),
    (("审计委员会",), ("audit committee",)),
    (("会计师事务所", "审计机构", "核数师"), ("accounting firm", "auditor", "auditors")),
]

# Entries that name what a figure measures; an answer to "how much X" must mention X.
METRICS = {"营业收入", "净利润", "净亏损", "每股收益", "毛利率", "毛利", "经营利润", "经营利润率",
           "经营活动产生的现金流量净额", "自由现金流", "员工", "股息", "回购", "可比销售额", "商品交易总额",
           "会员费", "息税摊销前利润", "不良贷款率", "总资产", "资本开支", "市场份额", "研发",
           # roles: "who is the CFO" is answered only by a sentence that names the role
           "首席执行官", "首席财务官", "董事长", "审计委员会", "会计师事务所"}

_ZH_TO_EN: dict[str, tuple[str, ...]] = {}
_EN_TO_ZH: dict[str, tuple[str, ...]] = {}
for zh_terms, en_terms in PAIRS:
    for z in zh_terms:
        _ZH_TO_EN[z] = _ZH_TO_EN.get(z, ()) + en_terms
    for e in en_terms:
        _EN_TO_ZH[e] = _EN_TO_ZH.get(e, ()) + (zh_terms[0],)

_EN_PATTERN = re.compile(r"(?<![a-z])(" + "|".join(sorted(map(re.escape, _EN_TO_ZH), key=len, reverse=True)) + r")(?![a-z])")


def translations(text: str) -> list[str]:
    """Glossary terms of the other language for the terms found in ``text``."""
    out: list[str] = []
    for z, ens in _ZH_TO_EN.items():
        if z in text:
            out.extend(ens)
    low = text.lower()
    for m in _EN_PATTERN.finditer(low):
        out.extend(_EN_TO_ZH[m.group(1)])
    return list(dict.fromkeys(t for t in out if t.lower() not in low and t not in text))


def expand(text: str) -> str:
    """``text`` followed by the glossary translations of its terms."""
    extra = translations(text)
    return text + (" " + " ".join(extra) if extra else "")


def metric_groups(text: str) -> list[tuple[str, ...]]:
    """For each metric the text names, all its names in both languages (lower-cased)."""
    low = text.lower()
    found: list[tuple[str, tuple[str, ...]]] = []
    for zh_terms, en_terms in PAIRS:
        if zh_terms[0] not in METRICS:
            continue
        hits = [z for z in zh_terms if z in text]
        hits += [e for e in en_terms if re.search(rf"(?<![a-z]){re.escape(e)}(?:s|es|d|ed)?(?![a-z])", low)]
        if hits:
            found.append((max(hits, key=len), tuple(t.lower() for t in zh_terms + en_terms)))
    # 毛利率 also contains 毛利: a metric named only inside a longer one is not asked for
    return [g for term, g in found if not any(term != other and term in other for other, _ in found)]


def mentions(text: str, group: tuple[str, ...]) -> bool:
    low = text.lower()
    return any(t in low for t in group)


def mention_positions(text: str, group: tuple[str, ...]) -> list[int]:
    """End offsets of the group's terms in ``text`` (lower-cased match)."""
    low = text.lower()
    return [m.end() for t in group for m in re.finditer(re.escape(t), low)]
