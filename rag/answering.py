"""The default answerer: extractive, no LLM, one answer shape per kind of question.

Every answer is made of verbatim quotes of the stored page text, each followed by its
``[n]`` citation, or it abstains ("The indexed documents do not say."):

1. candidates are the sentences and table rows of the retrieved passages
   (``rag/evidence.py``); a sentence that addresses the reader with instructions is
   never evidence, and the answer says the documents hold such text;
2. a fitted model (``rag/answer_model.py``) gives each the probability that it states
   the answer; below the fitted threshold the answer abstains, and so it does when
   the question names something (a company, a place, a figure) that appears nowhere
   in the passages, literally or in translation;
3. the answer takes the shape of the question's kind (``rag/questions.py``):
   - figure: the one sentence or table row that states it; a row comes with the column
     header it is read under (periods, 本期/上期, 期末/期初, units), both verbatim;
   - yes/no and which-of-two: the sentence that decides it (negations included);
   - list: the enumeration, joined from the sentences that carry it;
   - who / when / where / descriptive: one sentence, or two when the second is as good.
   Answers stay under ``MAX_CHARS`` characters without markers: a longer sentence is cut
   to its verbatim clauses that matter most.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from langchain_core.documents import Document
from langchain_core.runnables import RunnableSerializable

from .answer_model import AnswerModel, load_model
from .evidence import (_ENUM, AUDIT_FIRM_NAMED, COLUMN_WORDS, FORM_ASKED, PRIMARY_STATEMENTS, RELATED_PARTY, SEAT_STATED,
                       Candidate, PageTexts, asked_phrases, asks_auditor, asks_cause, asks_seat, candidates, change_only,
                       exact_label, featurize, focus_stems, focus_words, form_language, label_of, names_phrase,
                       ordinals, page_rows, parent_only, passes_kind, related_party, roles_asked, states_cause,
                       subject_of)
from .evidence_periods import DATE_LIKE, FORECAST_Q, is_forecast, passes_period
from .extremes import asks_extreme, extreme_peer
from .measures import (Computed, Formula, compute, formula_asked, holds_operand, items_in, names_any, operand_rows,
                       statement_rows, states_measure)
from .glossary import equivalents, expand, translations, written_out
from .prompts import cannot_answer
from .questions import CHANGE_ASKED, DISCLOSURE, QUESTION_WORD, Question, main_question, read, search_text
from .ranking import PAGE_REF, pages_named
from .statements import (asks_parent_only, computed_items, concept_items, is_vocabulary_term, items_asked,
                         statements_named)
from .text import STOPWORDS, is_cjk_text, keyword_token_set, keyword_tokens, language_of, normalize, tokens
from .types import Answer, Citation

MAX_CHARS = 350
MAX_GROUP_QUOTE = 240   # a subtotal is quoted from its group's label line when the group is this short
# "Which segment had the highest …?" is read from the lists of peers on the pages of this many best candidates
EXTREME_CANDIDATES = 10

NOTICES = {
    "instructions": {"en": "the documents contain instruction-like text; it was not used as evidence",
                     "zh": "文档中含有类似指令的文字，未作为证据使用"},
    "weak": {"en": "no passage states it clearly enough (best evidence {p:.2f} < {t:.2f})",
             "zh": "没有段落足够明确地说明（最佳证据 {p:.2f} < {t:.2f}）"},
    "missing": {"en": "not mentioned in the documents: {terms}", "zh": "文档中未提及：{terms}"},
    "nothing": {"en": "no passage was found", "zh": "未找到相关段落"},
    "kind": {"en": "no passage states the asked {kind}", "zh": "没有段落给出所问的{kind}"},
    "period": {"en": "no passage is about the asked period", "zh": "没有段落涉及所问的期间"},
    "rows": {"en": "no sentence states this judgement; quoted are the statement rows it is computed from "
                   "(best sentence {p:.2f} < {t:.2f})",
             "zh": "没有句子直接给出这一判断；引用的是据以计算的报表行（最佳句子 {p:.2f} < {t:.2f}）"},
    "firm": {"en": "the quoted line names the firm of auditors; its words match the question weakly "
                   "({p:.2f} < {t:.2f})",
             "zh": "引用的文字点名了会计师事务所，但与问题的措辞匹配较弱（{p:.2f} < {t:.2f}）"},
}


# a question's kind as the notice names it, in the question's language
KIND_NAMES = {"figure": ("figure", "数字"), "when": ("date", "日期"), "who": ("person", "人物"),
              "where": ("place", "地点"), "list": ("list", "列举"), "choice": ("choice", "选项"),
              "yesno": ("yes or no", "是或否"), "describe": ("description", "说明")}


def notice(key: str, language: str, **kw) -> str:
    if "kind" in kw:
        kw["kind"] = KIND_NAMES.get(kw["kind"], (kw["kind"], kw["kind"]))[1 if language == "zh" else 0]
    return NOTICES[key]["zh" if language == "zh" else "en"].format(**kw)


# -- names and numbers the evidence must mention (a kind rule: the question names something) ---------

_PERIOD_WORD = re.compile(r"(?i)(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*|q[1-4](?:\d{2,4})?"
                          r"|(?:fy)?\d{2,4}(?:q[1-4]|h[12])|fy\d{2,4}|h[12]|\d{1,2}(st|nd|rd|th)")
# English word endings that make a capitalised word an ordinary word in Title Case, not a name
# ("Highest", "Contribution", "Operating", "Adjusted", "Management")
_COMMON_ENDING = re.compile(r"(?:est|ing|tion|sion|ment|ness|ity|ed|ly|ive|ous|able|ible|ance|ence)$")
_GENERIC_CAPS = {"gaap", "non-gaap", "ceo", "cfo", "eps", "ebitda", "ebit", "ebita", "usd", "rmb", "us", "fy", "yoy",
                 "adr", "adrs", "pp&e", "r&d", "ai", "i"}


_OTHER_NAME = re.compile(r"(?i)\((?:formerly(?: known as)?|f/k/a|also known as|a\.?k\.?a\.?|now)\s+([^)]+)\)")


def other_names(question: str) -> dict[str, list[str]]:
    """Each word of a name the question gives with another name in parentheses ("Block (formerly known
    as Square)"), mapped to the words of that other name: a document written before or after a
    renaming uses only one of them, so either one being there is enough."""
    question = search_text(question)
    out: dict[str, list[str]] = {}
    for m in _OTHER_NAME.finditer(question):
        other = re.findall(r"[A-Za-z][A-Za-z0-9&.\-']*", m.group(1))
        # the name just before the parenthesis: its run of capitalised words
        words = question[: m.start()].split()
        name = []
        for w in reversed(words):
            w = re.sub(r"['’]s$", "", w).strip(",;:")
            if not w[:1].isupper() or QUESTION_WORD.match(w):
                break
            name.insert(0, w)
        for w in name:
            out.setdefault(w, []).extend(other)
    return out


def salient_terms(question: str) -> list[str]:
    """Names and numbers in the question that the evidence must mention (capitalised words not at
    the start, acronyms, numbers; Chinese place, person, organisation and other proper nouns)."""
    out = []
    question = search_text(question)   # not the answer-format instructions after it ("Answer in USD millions.")
    question = PAGE_REF.sub(" ", question)   # "第169页", "page 42": where to look, not a figure to find
    # an abbreviation the question itself introduces ("free cash flow (FCF)") is not a name to look for
    defined = {m.group(1) for m in re.finditer(r"\(([A-Z][A-Za-z&]{1,9})\)", question)}
    # so is a former or other name given in passing ("Block (formerly known as Square)")
    for m in _OTHER_NAME.finditer(question):
        defined.update(re.findall(r"[A-Za-z][A-Za-z0-9&.\-']*", m.group(1)))
    found = list(re.finditer(r"[A-Za-z][A-Za-z0-9&.\-']*|\d+(?:[.,]\d+)*%?", question))
    words = [m.group(0) for m in found]
    # a capitalised word that opens a sentence ("… ratio? Define working capital as …") is no name
    opens = [not question[: m.start()].strip() or question[: m.start()].rstrip()[-1] in ".?!:;。？！：；"
             for m in found]
    rest = [w for w in words[1:] if w[0].isalpha() and not w.isupper()]
    # a question written in Title Case ("What Was The Adjusted EBITDA For FY 2023") capitalises
    # ordinary words: only acronyms and numbers count as names there
    title_case = len(rest) >= 3 and sum(w[0].isupper() for w in rest) / len(rest) > 0.6
    for i, w in enumerate(words):
        w = re.sub(r"['’]s$", "", w).rstrip(".'’")
        if not w or w.lower() in STOPWORDS or QUESTION_WORD.match(w) or _PERIOD_WORD.fullmatch(w) or w in defined:
            continue
        if w[0].isdigit():
            out.append(w.replace(",", ""))
        elif w[0].isupper() and (not opens[i] or w.isupper()) and len(w) > 1 and (w.isupper() or not title_case):
            if w.isupper() or not _COMMON_ENDING.search(w):
                out.append(w)
        elif any(c.isdigit() for c in w):
            out.append(w)
    if is_cjk_text(question):
        import jieba.posseg as pseg

        from .glossary import PAIRS

        # a place inside a term ("美国" in 美国存托股, American depositary shares) is not a place asked about
        terms = [z for zh, _ in PAIRS for z in zh if z in question]
        for p in pseg.cut(question):
            if p.flag in ("ns", "nr", "nt", "nz") and len(p.word) >= 2 and p.word not in STOPWORDS:
                if not any(p.word in t and p.word != t for t in terms):
                    out.append(p.word)
    return list(dict.fromkeys(out))


def _items_in(c: Candidate, items: list[str]) -> frozenset:
    """Which of a measure's line items a row's label names (whole phrases, stemmed)."""
    words = keyword_token_set(label_of(c))
    found = set()
    for it in items:
        toks = {t for t in keyword_token_set(it) if t not in STOPWORDS}
        if toks and toks <= words:
            found.add(it)
    return frozenset(found)


class ExtractiveAnswerer(RunnableSerializable):
    """Runnable: {"question": str, "documents": [Document]} -> Answer."""

    embedder: object
    catalog: object
    known_terms: frozenset = frozenset()   # names the index knows (issuers, aliases): never "unknown"
    model: object = None                    # AnswerModel; None = the fitted one in rag/data/answerer.json
    min_entity_sim: float = 0.70            # a translated name must be this close to a passage word
    _vector_cache: dict = {}

    model_config = {"arbitrary_types_allowed": True}

    def model_post_init(self, __context) -> None:
        self._vector_cache = {}

    @property
    def fitted(self) -> AnswerModel:
        return self.model or load_model()

    def invoke(self, input, config=None, **kwargs) -> Answer:
        # through LangChain's run machinery, so callbacks and tracing see the answerer
        return self._call_with_config(
            lambda x: self.answer(x["question"], x["documents"], qvec=x.get("qvec")), input, config)

    def _vectors(self, texts: list[str]) -> dict[str, np.ndarray]:
        """Embeddings of words and sentences, cached across questions (passages recur)."""
        cache = self._vector_cache
        missing = [t for t in dict.fromkeys(texts) if t not in cache]
        if missing:
            if len(cache) > 50_000:  # ~100 MB of float32 vectors
                cache.clear()
            for t, v in zip(missing, np.asarray(self.embedder.embed_documents(missing), dtype=np.float32)):
                cache[t] = v
        return {t: cache[t] for t in texts}

    # -- the answer ---------------------------------------------------------------------------
    def rank(self, question: str, docs: list[Document], qvec=None) -> tuple[Question, list[Candidate], list[str]]:
        """The question read, its candidates scored best first (instruction-like text removed), notices."""
        q = read(question)
        q.names = tuple(n.lower() for n in self._own_names(docs))
        if qvec is None:
            qvec = np.asarray(self.embedder.embed_query(question), dtype=np.float32)
        pages = PageTexts(self.catalog)
        # a figure question's passages that end inside a table stand for the rest of it: its rows that name
        # what is asked ("金融负债合计" below a chunk that ends at the table's first rows) are candidates too,
        # and for a question asking why, the rows of a table of changes whose last cell gives the reason
        why = q.kind == "describe" and asks_cause(question)
        cands = candidates(docs, self.catalog, pages,
                           focus_stems(q) - COLUMN_WORDS if (q.kind == "figure" or why) else frozenset(),
                           reasons=why, roles=roles_asked(q.text) if q.kind == "who" else None,
                           measures=self._measure_terms(question, q) if q.kind == "figure" else None,
                           row_phrases=asked_phrases(q) if q.kind == "figure" and is_cjk_text(q.text) else ())
        notices = []
        if any(c.instruction for c in cands):
            notices.append(notice("instructions", q.language))
            cands = [c for c in cands if not c.instruction]
        featurize(q, np.asarray(qvec, dtype=np.float32), cands, self._vectors)
        self.fitted.score(cands)
        cands.sort(key=lambda c: -c.prob)
        return q, cands, notices

    def evidence(self, question: str, docs: list[Document], qvec=None):
        """(question read, the candidates that may answer it scored best first, notices, why none may):
        candidates of another kind than asked (no figure for a figure question) or about another period
        than asked are left out; the last item is a notice when nothing is left, else None."""
        q, cands, notices = self.rank(question, docs, qvec)
        if not cands:
            return q, [], notices, notice("nothing", q.language)
        shaped = [c for c in cands if passes_kind(q, c)]
        # a measure no candidate states (a growth rate, 流动比率) is computed from the rows of its items'
        # amounts (rag/measures.py): those rows answer a question that otherwise wants a percentage
        formula = formula_asked(question)
        if formula is not None and not any(_states(formula, q, c) for c in shaped):
            for c in cands:
                if c.is_row and c not in shaped and holds_operand(formula, c):
                    c.operand_only = True
                    shaped.append(c)
            shaped.sort(key=lambda c: -c.prob)
        if not shaped:
            return q, [], notices, notice("kind", q.language, kind=q.kind)
        timed = [c for c in shaped if passes_period(q, c, self._doc_years(c.doc_id), self._doc_quarter(c.doc_id))]
        if not timed:
            return q, [], notices, notice("period", q.language)
        on_pages = pages_named(question)
        if on_pages:
            # "第169页的存出保证金": the page the question names, where it holds a candidate
            there = [c for c in timed if c.page in on_pages]
            timed = there or timed
        forecast_asked = q.kind == "figure" and bool(FORECAST_Q.search(search_text(question)))
        if forecast_asked:
            # a forecast figure asked: a forecast answers, not what was reported beside it ("营业收入 | 15,609,410" of the
            # quarter, beside the next quarter's "季度收入环比持平至增长2%"), where one is among the candidates
            forecasts = [c for c in timed if is_forecast(c)]
            timed = forecasts or timed
        on_statements = statements_named(search_text(question))
        if on_statements:
            # "Using the cash flow statement, …": the statement the question names, where a candidate sits on
            # a page titled so (the same figure in the MD&A's summary table is not what was asked to be read)
            there = [c for c in timed if statements_named(c.where) & on_statements]
            timed = there or timed
        # the group's figures, not the parent company's own statements printed after them ("银行利润表"
        # after "合并利润表") nor a note table's parent-only twin ("本行" after "本集团"), unless the
        # question asks for the parent's
        parent_asked = asks_parent_only(question)
        entity = [c for c in timed if parent_only(c) == parent_asked]
        # (unless only the parent's notes name the item asked: its investment in a subsidiary, "上海创投 6,309,033.00"
        # under the parent's 长期股权投资)
        phrases = asked_phrases(q) if q.kind == "figure" and is_cjk_text(main_question(question)) else ()
        if phrases and not any(names_phrase(subject_of(c), phrases) for c in entity):
            entity = [c for c in timed if names_phrase(subject_of(c), phrases)] or entity
        timed = entity or timed
        # nor a note's amounts of dealings with related parties ("吸收存款 68,435" under "本集团与…关联方在本年的主要交易
        # 情况"): the company's own figure is asked, unless the question asks about related parties
        if not RELATED_PARTY.search(question):
            own = [c for c in timed if not related_party(c)]
            timed = own or timed
        # nor a filing's formalities (an auditor's consent, a Regulation FD website notice, the board's guarantee
        # of the report's truth), unless the question asks about them
        if not FORM_ASKED.search(question):
            substantive = [c for c in timed if not form_language(c)]
            timed = substantive or timed
        asked = ordinals(q.text)
        if len(asked) == 1:
            # "the second risk": the item that says it is the second ("其次是…"), where one does
            placed = [c for c in timed if ordinals(c.text) & asked]
            timed = placed or timed
        if q.kind == "yesno" and DISCLOSURE.search(search_text(question)):
            # "Did the company disclose the price?": the sentence that says what was or was not disclosed
            # decides it, among those about as likely to answer as the best (the fitted second-answer margin)
            told = [c for c in timed if DISCLOSURE.search(c.text) and c.prob >= timed[0].prob - self.fitted.second_margin]
            timed = told or timed
        if q.kind == "where" and asks_seat(q.text):
            # where it is seated: a line giving the address ("… (Address of principal executive offices)",
            # "注册地址 …") before those that only name places
            stated = [c for c in timed if SEAT_STATED.search(c.text)]
            timed = stated + [c for c in timed if c not in stated]
        if q.kind == "who" and asks_auditor(q.text):
            # who audits: a sentence naming the firm ("… has been audited by PricewaterhouseCoopers LLP"), before
            # those that only mention an accounting firm
            named = [c for c in timed if AUDIT_FIRM_NAMED.search(c.text)]
            timed = named + [c for c in timed if c not in named]
        if q.kind == "describe" and asks_cause(question) and not states_cause(timed[0]) \
                and not states_cause(timed[0].next):
            # a question that asks why is answered by a sentence that states a cause: the likeliest of those
            # at least as much about what is asked (the question's focus words) as the best candidate, when
            # neither the best nor the sentence after it says what caused anything
            focus = timed[0].features.get("focus", 0.0)
            causes = [c for c in timed if states_cause(c) and c.features.get("focus", 0.0) >= focus]
            timed = causes[:1] + [c for c in timed if c not in causes[:1]]
        if q.kind == "figure" and not concept_items(question):
            # the one sentence or row that states the asked metric: where some name it as what their figure
            # is ("Revenue was …", a row labelled so), the others (a part of it, another metric measured
            # against it) do not answer. (A measure computed from line items, "working capital ratio", is
            # answered by those items' rows instead.)
            # (what it asks about may be a name: "Data Center and AI group revenue", a segment's)
            names = self._asked_names(question, q.names)
            named = [c for c in timed if c.features.get("subject")
                     or (names and names & keyword_token_set(subject_of(c)))]
            timed = named or timed
            # a Chinese question's item as it writes it ("信用借款的期末余额", "其他货币资金"): a row or sentence that
            # names it whole before a best one naming only part of it ("信用风险组合", "货币资金": another item),
            # among those about as likely to answer
            if phrases and is_cjk_text(timed[0].text) and not names_phrase(subject_of(timed[0]), phrases):
                whole = [c for c in timed if is_cjk_text(c.text) and names_phrase(subject_of(c), phrases)
                         and c.prob >= timed[0].prob - self.fitted.second_margin]
                timed = whole + [c for c in timed if c not in whole]
            # a measure derived from the asked one is another measure: "Operating profit margin of 16.8 percent"
            # does not state the operating profit, nor "net income per share" the net income, unless asked
            derived = [c for c in timed if _derived_measure(subject_of(c), question)]
            timed = [c for c in timed if c not in derived] + derived
            # so in English: a row whose label, read with its table's header and part, holds every asked word
            # ("Net investment income") before a best one missing some ("Net income attributable to …")
            asked_en = frozenset(w for w in focus_stems(q) if w.isascii())
            if asked_en and timed[0].is_row and not is_cjk_text(main_question(question)) \
                    and not asked_en <= _row_words(timed[0]):
                whole = [c for c in timed if c.is_row and asked_en <= _row_words(c)
                         and (not names or names & _row_words(c))   # and the name asked of, if any
                         and c.prob >= timed[0].prob - self.fitted.second_margin]
                timed = whole + [c for c in timed if c not in whole]
            if not names:
                # the company's own figure asked, a sentence stating that of another company of its group
                # ("平安理财总资产131.28亿元" for 平安银行's total assets: a name sharing the company's brand) comes
                # after those that do not
                others = [c for c in timed if not c.is_row and _group_entity(subject_of(c), q.names)]
                timed = [c for c in timed if c not in others] + others
                # so does a sentence stating the figure of a named part of the company ("Revenue from All others
                # segment was …", "Revenue from Cloud Intelligence Group was …"): the whole company's is asked
                # (or of an unnamed segment, "Segment operating profit decreased 74 percent to $19 million")
                segment_asked = bool(_SEGMENT_OF.search(question))
                parts = [c for c in timed if not c.is_row and (_names_part(subject_of(c), q.names) or (
                    not segment_asked and _SEGMENT_OF.search(subject_of(c))))]
                timed = [c for c in timed if c not in parts] + parts
            # a row labelled as exactly what is asked ("所得税费用") before the best row when that one's label
            # qualifies it ("当期所得税费用", "Current income tax expense"): a part of the asked figure or
            # another measure. The exact label holds every asked word the best one does ("贷款" is not
            # "贷款和垫款"); among those about as likely to answer as the best.
            if timed[0].is_row and timed[0].features.get("label_extra", 0.0) > 0:
                shared = keyword_token_set(label_of(timed[0])) & keyword_token_set(expand(question))
                exact = [c for c in timed if exact_label(c) and shared <= keyword_token_set(label_of(c))
                         and c.prob >= timed[0].prob - self.fitted.second_margin]
                timed = exact + [c for c in timed if c not in exact]
            # the same line, labelled alike, in a primary statement and in a note's table ("Cost of sales 30,821"
            # on the income statement, "Cost of sales 204" among restructuring charges): the statement's is the
            # company's figure, unless the question names the statement's part it reads (then the note's rows,
            # with the question's other words, score higher by themselves)
            if timed[0].is_row and not statements_named(timed[0].where) & PRIMARY_STATEMENTS:
                label = _plain(label_of(timed[0]))
                twins = [c for c in timed if c.is_row and _plain(label_of(c)) == label
                         and statements_named(c.where) & PRIMARY_STATEMENTS
                         and c.prob >= timed[0].prob - self.fitted.second_margin]
                timed = twins[:1] + [c for c in timed if c not in twins[:1]]
            # an English row labelled as the question writes its item ("other current assets") before a best row
            # whose label the question does not write ("Total current assets": the asked words, another line;
            # "other" is a stop word to every word-set feature), when it holds every asked word the best one
            # holds; among those about as likely to answer
            best = label_of(timed[0]) if timed[0].is_row else ""
            if best and not is_cjk_text(best) and not _label_written(best, question):
                shared = keyword_token_set(best) & keyword_token_set(question)
                written = [c for c in timed if c.is_row and _label_written(label_of(c), question)
                           and shared <= keyword_token_set(label_of(c))
                           and c.prob >= timed[0].prob - self.fitted.second_margin]
                timed = written[:1] + [c for c in timed if c not in written[:1]]
            # a row labelled with a name of the line item asked (rag/data/measures.toml: "cash flow from
            # operating activities" is "Net cash provided by operating activities") before a best row whose
            # label names another line item instead ("… investing activities"), among those about as
            # likely to answer. (A label naming no line item, "Membership fees" for 会员费收入, may be the
            # item asked.)
            items = items_in(main_question(question))
            if items and timed[0].is_row and _labels_other_item(timed[0], question) and not _labels_item(timed[0], items):
                labelled = [c for c in timed if c.is_row and _labels_item(c, items)
                            and c.prob >= timed[0].prob - self.fitted.second_margin]
                timed = labelled + [c for c in timed if c not in labelled]
            # an English question's metric as Chinese writes it (glossary: "non-performing loan ratio" is
            # 不良贷款率), right before a figure ("不良贷款率1.06%"), states it; a longer measure holding its
            # characters ("不良贷款生成率=…") or its characters scattered over a sentence do not. (English
            # names a measure in words that also stand alone: "Diluted $ 4,154" is no EPS.)
            terms = [t for t in translations(question, focus_words(q)) if is_cjk_text(t)]
            if terms:
                stating = [c for c in timed if _term_then_figure(terms, c.text) or (forecast_asked and is_forecast(c))]
                timed = stating or timed
        if q.kind == "figure" and change_only(timed[0]) and not CHANGE_ASKED.search(main_question(question)):
            # the level of what is asked before a sentence that gives only its change ("… increased by
            # approximately six percentage points"), unless a change is asked; among those about as likely
            # to answer as the best
            level = [c for c in timed if not change_only(c) and c.prob >= timed[0].prob - self.fitted.second_margin]
            timed = level + [c for c in timed if c not in level]
        return q, timed, notices, None

    @staticmethod
    def _measure_terms(question: str, q: Question) -> list[str]:
        """A figure question's measure as a Chinese report writes it: its Chinese terms of three characters or
        more, or the glossary's Chinese for its English ones ("gross margin" -> 毛利率)."""
        words = focus_words(q)
        terms = [w for w in words if len(w) >= 3 and is_cjk_text(w)]
        terms += [t for t in translations(question, words) if is_cjk_text(t) and len(t) >= 3]
        # and an abbreviated measure as a release writes it, both ways ("GMV", "Gross Merchandise Volume"): the
        # highlights state it once, often outside the chunk the question's words found
        for w in words:
            if re.fullmatch(r"[a-z]{2,6}", w) and (written_out(w) or equivalents(w)[1:]):
                terms += [w] + [t for t in equivalents(w)[1:] + written_out(w) if not is_cjk_text(t)]
        return list(dict.fromkeys(terms))

    def _asked_names(self, question: str, own_names: tuple[str, ...]) -> set[str]:
        """The names in a question other than the company's own (``own_names``: issuer, short names, tickers
        of the passages' documents, as ``rank`` read them), as keyword stems: a segment, a product, a region."""
        own = keyword_token_set(" ".join(own_names))
        words = [w for w in salient_terms(question) if not w[0].isdigit() and w.lower() not in _GENERIC_CAPS
                 and not is_vocabulary_term(w)]
        words += [t for w in words for t in translations(w)]   # "美国市场" is "U.S." in an English release
        return {t for t in keyword_token_set(" ".join(words)) if t not in STOPWORDS and t not in own}

    def _own_names(self, docs: list[Document]) -> list[str]:
        """The issuer, short names and tickers of the passages' documents."""
        out: list[str] = []
        for doc_id in dict.fromkeys(d.metadata.get("doc_id") for d in docs):
            m = (self.catalog.document(doc_id) or {}).get("meta", {})
            out += [str(m.get("issuer") or "")] + [str(x) for k in ("aliases", "tickers") for x in (m.get(k) or [])]
        return [n for n in dict.fromkeys(out) if n.strip()]

    def answer(self, question: str, docs: list[Document], qvec=None) -> Answer:
        lang = language_of(question)
        if not docs:
            return Answer(question, cannot_answer(lang), True, notices=[notice("nothing", lang)])
        q, cands, notices, why_not = self.evidence(question, docs, qvec)
        if why_not:
            return self._abstain(question, lang, docs, notices + [why_not])
        model = self.fitted
        best = cands[0]
        p_right = model.answer_probability(cands)
        # a judgement on a measure computed from line items ("is its operating margin improving?", "is
        # it capital intensive?") is judged from the rows of those items: read off the statement they live
        # on (among the candidates, or lower on a statement page a passage reached), else a summary of them
        # elsewhere. They replace the best candidate unless it is itself a row and they are not the
        # statement's. A figure question keeps the sentence that states the measure ("an operating margin
        # of 18.5%").
        items = computed_items(question) if q.kind != "figure" else []
        item_row, on_statement = self._judged_from(q, cands, items) if items else (None, False)
        # "which region had the highest …": a list of peers whose title names the measure answers it
        # however weakly any one sentence does
        extreme, computed = self._extreme(question, q, cands)
        weak = p_right < model.threshold
        if weak and not on_statement and not extreme:
            # a measure computed from its items' rows (rag/measures.py) is evidence of the same kind
            computed = self._computed(question, q, best, cands)
        # who audits is answered by a line naming a firm of auditors in the asked company's documents (an audit
        # report's signature, "会计师事务所名称 …"), however few of the question's words it repeats
        firm = q.kind == "who" and asks_auditor(q.text) and bool(AUDIT_FIRM_NAMED.search(best.text))
        from_rows = on_statement or bool(extreme) or computed is not None
        if weak:
            if not from_rows and not firm:
                return self._abstain(question, lang, docs,
                                     notices + [notice("weak", lang, p=p_right, t=model.threshold)], p_right)
            # the statement's rows (or the firm's name) are the evidence however weakly the prose answers; the
            # notice says so, and the confidence stays the evidence's
            notices = notices + [notice("rows" if from_rows else "firm", lang, p=p_right, t=model.threshold)]
        missing = self._missing_terms(question, docs, cands)
        if missing:
            return self._abstain(question, lang, docs, notices + [notice("missing", lang, terms=", ".join(missing))],
                                 p_right)
        if item_row is not None and (on_statement or not best.is_row):
            best = item_row
        chosen = extreme or self._shape(q, best, cands, model)
        if computed is None and not extreme:
            computed = self._computed(question, q, chosen[0], cands)
        if computed is not None:
            chosen = computed.rows
        elif chosen[0].operand_only:
            # a line item's row was let in to compute the measure from, and it could not be computed: the
            # row alone does not answer; the best candidate of the asked kind does, if any
            kept = [c for c in cands if not c.operand_only]
            if not kept or model.answer_probability(kept) < model.threshold:
                return self._abstain(question, lang, docs, notices + [notice("kind", lang, kind=q.kind)], p_right)
            chosen = self._shape(q, kept[0], kept, model)
        if computed is None and not extreme:
            chosen = _first_said(chosen, cands)
        if computed is None and not extreme and q.kind == "figure":
            unnamed = _items_unnamed(question, chosen)
            if unnamed:
                # the line item asked for ("研发投入") is named nowhere in the answer: a figure of something
                # else that shares a word with it ("…投入资本") is no answer. A row about as likely whose table
                # names it is ("International Operated Markets 11.9 13.0" under "COMPARABLE SALES", not the
                # bullet "• International Operated Markets segment increased 11.9%" below a lead-in that does)
                naming = [c for c in cands[1:] if c.is_row and c.header_text
                          and c.prob >= chosen[0].prob - model.second_margin and not _items_unnamed(question, [c])]
                if not naming:
                    return self._abstain(question, lang, docs, notices + [notice("missing", lang, terms=unnamed)],
                                         p_right)
                chosen = _first_said(self._shape(q, naming[0], cands, model), cands)
        answer = self._compose(question, q, chosen, docs, computed)
        answer.notices = notices + answer.notices
        answer.confidence = p_right
        return answer

    def _doc_years(self, doc_id: str) -> set[str]:
        """The years a document's own description names (period, period end, title; its date only when
        those name none: a 2024 annual report is dated 2025 and says nothing about 2025)."""
        m = (self.catalog.document(doc_id) or {}).get("meta", {})
        years = set()
        for keys in (("period", "period_end", "title"), ("date",)):
            text = " ".join(str(m.get(k, "")) for k in keys)
            years = set(re.findall(r"(?<!\d)((?:19|20)\d{2})(?!\d)", text))
            if years:
                break
        return years

    def _doc_quarter(self, doc_id: str) -> int | None:
        """The quarter a quarterly document reports (its period "2023Q1", "FY2023Q3"), else None."""
        period = str(((self.catalog.document(doc_id) or {}).get("meta", {})).get("period") or "")
        m = re.fullmatch(r"(?:FY)?(?:19|20)\d{2}Q([1-4])", period.strip())
        return int(m.group(1)) if m else None

    def _abstain(self, question: str, lang: str, docs, notices: list[str], score: float = 0.0) -> Answer:
        return Answer(question, cannot_answer(lang), True, notices=notices, passages=_passages(docs), confidence=score)

    def _shape(self, q: Question, best: Candidate, cands: list[Candidate], model: AnswerModel) -> list[Candidate]:
        """The candidates that make the answer, in the shape of the question's kind."""
        chosen = [best]
        if best.prev is not None and best.features.get("anaphor") and not best.is_row:
            chosen.insert(0, best.prev)          # "It rose to …" needs the sentence that says what "it" is
        nxt = best.next
        if q.kind == "where" and asks_seat(q.text) and nxt is not None and SEAT_STATED.search(nxt.text) \
                and _chars(chosen + [nxt]) <= MAX_CHARS:
            return chosen + [nxt]   # the address, then "(Address of principal executive offices)" under it
        cause = q.kind == "describe" and asks_cause(q.text)
        if cause and not states_cause(best) and states_cause(nxt) and not nxt.is_row:
            # "Why did its losses increase?": the sentence stating the change, then the one right after it
            # that says what caused it ("Losses increased … primarily due to …", "This decrease was …"); the
            # cause alone when both do not fit
            return chosen + [nxt] if _chars(chosen + [nxt]) <= MAX_CHARS else [nxt]
        if (nxt is not None and not best.is_row and q.kind not in ("figure", "list") and nxt.features
                and nxt.features.get("anaphor") and nxt.features.get("focus", 0) > best.features.get("focus", 0)
                and _chars(chosen + [nxt]) <= MAX_CHARS):
            # "…推出的Qwen3-Omni…" + "该模型定位为开放源代码的…": the next sentence, about the same subject,
            # holds more of what the question asks
            chosen.append(nxt)
        items = concept_items(q.text)
        if best.is_row and items:
            # a measure computed from line items ("working capital", "quick ratio"): the rows of its other
            # items on the same page join the best one, so the figures it is computed from are all quoted
            have = [_items_in(best, items)]
            for c in self._page_rows(best):
                if ((got := _items_in(c, items)) and not any(got <= h for h in have)
                        and _chars(chosen + [c]) <= MAX_CHARS):
                    chosen.append(c)
                    have.append(got)
                if len(chosen) >= 3:
                    break
        if q.kind == "list":
            # items counted out in words ("首先是监管风险。" … "其次是…风险。"), each followed by what it means,
            # when the list is what is asked ("What risks …"): the next counted item may come a few sentences on
            # (what lies between is not quoted), and those counted before the best one join it
            counted = bool(_ORDINAL_ITEM.match(best.text)) and _asks_for_items(q.text, best)
            if counted:
                chosen = _counted_before(best) + chosen
            nxt = best.next
            # (a short sentence leads into a list, unless it is itself one of the counted items asked for)
            lead_in = not counted and (best.text.rstrip().endswith((":", "：")) or len(best.text) < 40)
            between = 0   # sentences passed over since the last item
            while nxt is not None and _chars(chosen + [nxt]) <= MAX_CHARS:
                if lead_in or _ENUM.search(nxt.text):
                    chosen.append(nxt)
                    counted = counted or (bool(_ORDINAL_ITEM.match(nxt.text)) and _asks_for_items(q.text, nxt))
                    lead_in, between = False, 0
                elif counted and between < MAX_BETWEEN_ITEMS:
                    between += 1
                else:
                    break
                nxt = nxt.next
        elif q.kind in ("describe", "who", "when", "where") and not best.is_row \
                and not (q.kind == "who" and asks_auditor(q.text)):   # (one firm audits: its sentence answers)
            for c in cands[1:4]:
                if cause and not states_cause(c):
                    continue   # (beside a cause, only another cause)
                if (c.prob >= best.prob - model.second_margin and not c.is_row and c not in chosen
                        and c.text not in best.text and _chars(chosen + [c]) <= MAX_CHARS):
                    chosen.append(c)
                    break
        return chosen

    def _extreme(self, question: str, q: Question, cands: list[Candidate]) -> tuple[list[Candidate], Computed | None]:
        """For "which segment had the highest …": the peer with the extreme value, from a table or an
        enumeration among the best candidates' pages (rag/extremes.py); a bullet with the sentence that
        leads into its list, which says what the values measure; for "which region performed worst" with
        rows of amounts, the peer's change from the prior year, shown computed. Empty when the question is
        not such a comparison or no list of peers names what it measures."""
        which = asks_extreme(question, q.names)
        if not which:
            return [], None
        found = extreme_peer(q, which, cands[:EXTREME_CANDIDATES], PageTexts(self.catalog))
        if found is None:
            return [], None
        peer, peers, change = found
        if change is not None:
            name = "同比变化" if q.language == "zh" else "Change from the year before"
            return [peer], Computed(Formula(name, ()), [peer],
                                    [(change.period, f"{change.current} / {change.prior} - 1", f"{change.rate * 100:,.1f}%")])
        lead = peers.members[0].prev if not peer.is_row else None
        if lead is not None and lead.text == peers.lead and _chars([lead, peer]) <= MAX_CHARS:
            return [lead, peer], None
        return [peer], None

    def _computed(self, question: str, q: Question, best: Candidate, cands: list[Candidate]) -> Computed | None:
        """A measure no line states, computed from the rows of its line items (rag/measures.py): for a
        measure the question defines, whatever the best evidence; for one it names, when the best
        evidence does not state the measure itself and is a row (a line item), or the question names the
        statement to read it from ("… who only has access to the statement of income"), or asks for its
        figure or a judgement on it (a sentence about another ratio does not answer "what is the quick
        ratio?"). A judgement ("is it improving?") is shown over every period the rows share, a figure in
        the asked period's column."""
        formula = formula_asked(question)
        if formula is None or asks_cause(question):
            return None   # "what drove the margin change?" asks for reasons, which arithmetic does not give
        # (a judgement on a measure, "are its gross margins consistent?", is read off the rows however the
        # best sentence is worded, unless it states the measure)
        from_statement = best.is_row or _names_statement(q) or q.kind in ("yesno", "choice", "figure")
        if not formula.defined and (not from_statement or _states(formula, q, best)):
            return None
        pages = PageTexts(self.catalog)
        rows = operand_rows(best, cands, pages)
        # (whether an item went up or down is asked of one period: the asked one, else the latest)
        trend = not formula.direction and (q.kind in ("yesno", "choice")
                                           or bool(_TREND.search(main_question(question))))
        return compute(formula, question, q.years, trend, rows,
                       more=lambda term: statement_rows(self.catalog, pages, best.doc_id, term, len(cands)),
                       doc_years=self._doc_years(best.doc_id), parent=asks_parent_only(question))

    def _judged_from(self, q: Question, cands: list[Candidate], items: list[str]) -> tuple[Candidate | None, bool]:
        """The row of a measure's items that answers a judgement on it, and whether it is read off a
        statement the question needs: a candidate row on such a page, else a row lower on such a page
        (one a passage reached), else a candidate row elsewhere (an MD&A summary of the same cash flows)."""
        item_rows = [c for c in cands if c.is_row and _items_in(c, items)]
        row = (next((c for c in item_rows if c.features.get("statement")), None)
               or self._item_row_on_statement_pages(q, cands, items))
        if row is not None:
            return row, True
        return next(iter(item_rows), None), False

    def _item_row_on_statement_pages(self, q: Question, cands: list[Candidate], items: list[str]) -> Candidate | None:
        """A row of one of ``items`` on a page of the statement the question needs that the passages
        reached without reaching that row (a cash flow statement's chunk of its title and first lines
        stands for the whole page), best-ranked page first, of the asked period."""
        seen = set()
        for c in cands:
            key = (c.doc_id, c.page)
            if not c.features.get("statement") or key in seen:
                continue
            seen.add(key)
            row = next((r for r in self._page_rows(c) if _items_in(r, items)
                        and passes_period(q, r, self._doc_years(r.doc_id), self._doc_quarter(r.doc_id))), None)
            if row is not None:
                row.features = dict(c.features)   # how it ranks is its page's passage's
                return row
        return None

    def _page_rows(self, row: Candidate) -> list[Candidate]:
        """The other table rows on ``row``'s page, each with the header it is read under (a statement's
        rows beyond the passages retrieved: the balance sheet's current liabilities under its current assets)."""
        return [c for c in page_rows(row.doc, row.rank, PageTexts(self.catalog)) if c.start != row.start]

    def _compose(self, question: str, q: Question, chosen: list[Candidate], docs,
                 computed: Computed | None = None) -> Answer:
        # in reading order within a page (the passages that hold them may overlap or come in any order),
        # documents and pages in the order of their best passage
        chosen = list(dict.fromkeys(chosen))
        first = {}
        for c in chosen:
            first[(c.doc_id, c.page)] = min(first.get((c.doc_id, c.page), c.rank), c.rank)
        chosen.sort(key=lambda c: (first[(c.doc_id, c.page)], c.doc_id, c.page or 0, c.start))
        last_under = {(c.doc_id, c.page, c.header): c for c in chosen if c.is_row and c.header}
        parts, citations = [], []
        marks: dict[int, int] = {}
        lang = language_of(question)
        # the arithmetic leads the answer and its operand rows are quoted whole (every figure it uses is in
        # a quote): to fit, the earlier periods of a trend go first, then the rows' column header (whose
        # periods the arithmetic names too)
        budget = MAX_CHARS
        with_headers = True
        if computed is not None:
            rows = sum(len(c.text) + 1 for c in chosen)
            while len(computed.lines) > 1 and len(computed.text({}, lang)) + rows > MAX_CHARS:
                computed.lines.pop()
            budget = MAX_CHARS - len(computed.text({}, lang))
            headers = {(c.doc_id, c.page, c.header) for c in chosen if c.is_row and c.header}
            with_headers = rows + sum(h[2][1] - h[2][0] + 1 for h in headers) <= budget
        for c in chosen:
            doc = self.catalog.document(c.doc_id) or {}
            meta = doc.get("meta", {})
            page_text = self.catalog.page_text(c.doc_id, c.page) or ""
            if page_text[c.start:c.end] != c.text:
                continue   # the chunk and the page must agree: never show an unverifiable quote
            if computed is not None:
                start, end = c.start, c.end
            else:
                start, end = _trim(page_text, c.start, c.end, q, budget if len(chosen) == 1 else budget // len(chosen))
            if c.group and c.end - c.group[0] <= MAX_GROUP_QUOTE:
                start = c.group[0]   # a subtotal says what it sums only with its group: from the group's label on
            spans = [(start, end)]
            if (with_headers and c.is_row and c.header and c.header[1] <= c.start
                    and last_under.get((c.doc_id, c.page, c.header)) is c):
                spans.append(c.header)   # the column header the rows are read under, after the last of them
            first = True
            for a, b in spans:
                text = page_text[a:b]
                citations.append(Citation(n=len(citations) + 1, doc_id=c.doc_id, title=meta.get("title", ""),
                                          source=doc.get("source", ""), page=c.page, quote=text, start=a, end=b,
                                          kind=meta.get("kind", ""), date=meta.get("date", "")))
                marker = f"[{citations[-1].n}]"
                if first:
                    marks[id(c)] = citations[-1].n
                parts.append(f"{text} {marker}" if first else f"({' '.join(text.split())} {marker})")
                first = False
        if not citations:
            return Answer(question, cannot_answer(lang), True, passages=_passages(docs))
        if computed is not None:
            if all(id(r) in marks for r in computed.rows):   # (else a quote failed its check: no arithmetic on it)
                parts.insert(0, computed.text(marks, lang))
        return Answer(question, " ".join(parts), False, citations, passages=_passages(docs))

    # -- the question names something the passages never mention --------------------------------------
    def _missing_terms(self, question: str, docs: list[Document], cands: list[Candidate]) -> list[str]:
        """Salient question terms found neither literally nor (for names) in translation."""
        meta_text = []
        for doc_id in dict.fromkeys(d.metadata.get("doc_id") for d in docs):
            record = self.catalog.document(doc_id) or {}
            m = record.get("meta", {})
            meta_text += [str(m.get(k, "")) for k in ("title", "period", "period_end", "date", "issuer")]
            # the name the user's file goes by ("BLOCK_2020_10K.pdf"): scoping matched the question's company
            # to it, so the company is not missing from a document that calls itself by a former name
            meta_text.append(re.sub(r"[_\-.]+", " ", Path(str(record.get("source") or "")).stem))
            meta_text += [str(x) for k in ("aliases", "tickers") for x in (m.get(k) or [])]
        # (and the sentences read off the passages' pages beyond them: "Gross Merchandise Volume (GMV) was …")
        haystack = normalize(" ".join([d.page_content + " " + (d.metadata.get("context") or "") for d in docs]
                                      + [c.text for c in cands if c.text not in meta_text] + meta_text))
        hay_nospace = re.sub(r"\s+", "", haystack)
        # a number the question gives is read without its digit grouping ("512,004,300" -> 512004300)
        hay_digits = re.sub(r"(?<=\d)[,，](?=\d{3})", "", hay_nospace)
        missing, pending = [], []
        others = other_names(question)
        # the numbers of a date the question gives ("at March 25, 2023", "2024年12月31日") are a period, which
        # documents state in many ways ("3/25/2023", "as of the quarter's end"), like a year
        in_dates = {n for m in DATE_LIKE.finditer(question) for n in re.findall(r"\d+", m.group(0))}
        for term in salient_terms(question):
            t = normalize(term)
            if any(normalize(o) in haystack for o in others.get(term, [])):
                continue   # the document uses the company's other name
            if any(normalize(tr) in haystack for tr in translations(term)):
                continue   # a glossary term, written in the other language ("美国市场": "U.S.")
            if (t in _GENERIC_CAPS or t in haystack or re.sub(r"\s+", "", t) in hay_nospace or t in self.known_terms
                    or is_vocabulary_term(term)):   # "PPNE": a measure, written out as often as abbreviated
                continue
            if "-" in term:  # "AI-related" is there when "AI" is: its lower-case parts are modifiers
                named = [normalize(p) for p in term.split("-") if p[:1].isupper() or any(ch.isdigit() for ch in p)]
                if named and all(p in haystack or p in self.known_terms for p in named):
                    continue
            if t[0].isdigit():
                if t in hay_digits or t in in_dates:
                    continue
                if t.replace(".", "").isdigit() and len(t) == 4:
                    continue   # a year: documents state periods in many ways (FY, 本期, "the year ended")
                missing.append(term)
            elif (re.search(r"[a-z]", t) and is_cjk_text(haystack)) or (re.search(r"[\u3400-\u9fff]", t)
                                                                        and not is_cjk_text(haystack)):
                pending.append(term)   # a name in the other language: look for its translation
            else:
                missing.append(term)
        if pending:
            words = list(dict.fromkeys(w for c in cands[:40] for w in tokens(c.text) if len(w) >= 2))[:400]
            if words:
                wv = self._vectors(words)
                tv = self._vectors(pending)
                best = np.stack([tv[t] for t in pending]) @ np.stack([wv[w] for w in words]).T
                missing += [t for t, s in zip(pending, best.max(axis=1)) if s < self.min_entity_sim]
        return missing


# the head of a measure derived from another: "operating profit margin", "net income per share", "revenue growth"
_DERIVED = re.compile(r"\s+(margin|ratio|rate|percentage|growth|yield|per (?:diluted |basic )?share)\b", re.I)


_SEGMENT_OF = re.compile(r"\bsegment(?:'s|s)?\b|分部", re.I)


def _derived_measure(subject: str, question: str) -> bool:
    """Whether what an English candidate says its figure is is a measure derived from the question's (its words
    followed by "margin", "ratio", "per share" …) that the question does not ask for."""
    if is_cjk_text(subject):
        return False
    q = question.lower()
    for m in _DERIVED.finditer(subject):
        before = subject[: m.start()].lower().split()[-2:]
        head = m.group(1).lower().split()[0]
        if before and " ".join(before) in q and head not in q:
            return True
    return False


def _label_written(label: str, question: str) -> bool:
    """Whether the question writes a row's label, of two words at least, as one run of its words (stemmed,
    stop words kept): "Other current assets" in "What was the company's other current assets in 2021?"."""
    words = keyword_tokens(label, keep_stopwords=True)
    if len(words) < 2:
        return False
    asked = keyword_tokens(main_question(question), keep_stopwords=True)
    return any(asked[i : i + len(words)] == words for i in range(len(asked) - len(words) + 1))


def _row_words(row: Candidate) -> frozenset[str]:
    """The keyword stems a row says of its figure: its label's, its table header's and its part's."""
    return keyword_token_set(" ".join((label_of(row), row.header_text, row.part)))


def _plain(label: str) -> str:
    """A row label compared loosely: case, spacing and punctuation aside."""
    return re.sub(r"[\W_]+", "", label.lower())


def _items_unnamed(question: str, chosen: list[Candidate]) -> str:
    """The question's wording of the line items it asks for (rag/data/measures.toml), when the chosen
    candidates, in the question's language, name none of them by any of their names; "" otherwise, and
    for a measure computed from items (its name is not its items')."""
    main = main_question(question)
    if formula_asked(main) is not None:
        return ""
    items = items_in(main)
    # (a row's table title may name it: "主营业务收入分析" over "中国区 | 86.4%")
    if not items or any(names_any(n, " ".join((c.text, c.header_text, c.heading if c.is_row else "", c.part)))
                        for c in chosen for n in items):
        return ""
    if any(is_cjk_text(c.text) != is_cjk_text(main) for c in chosen):
        return ""   # across languages the vocabulary's names are fewer than the ways a report words an item
    norm = normalize(main)
    return ", ".join(dict.fromkeys(next((x for x in n if x in norm), n[0]) for n in items))


def _labels_item(row: Candidate, items: list[tuple[str, ...]]) -> bool:
    """Whether a row's label names one of ``items`` (each a line item's names, from ``items_in``)."""
    label = label_of(row)
    return any(names_any(n, label) for n in items)


def _first_said(chosen: list[Candidate], cands: list[Candidate]) -> list[Candidate]:
    """Each chosen sentence as its document first says it: a report repeats a sentence word for word (the
    dividend policy in the summary and again in the equity note), and the earlier page, the one the
    passages reached, is where a reader meets it. (Not rows: the same label and figures under another
    header are another period's.)"""
    first: dict[tuple, Candidate] = {}
    for c in cands:
        if not c.is_row:
            key = (c.doc_id, " ".join(c.text.split()))
            if key not in first or (c.page or 0) < (first[key].page or 0):
                first[key] = c
    return list(dict.fromkeys(c if c.is_row else first.get((c.doc_id, " ".join(c.text.split())), c)
                              for c in chosen))


# a part of a company named in what a sentence says its figure is: "from All others segment", "of our Cloud
# Intelligence Group", "Data Center and AI segment" (a capitalised name before segment, group, division …)
_NAMED_PART = re.compile(r"\b[A-Z][\w&'’-]*(?:\s+(?:and\s+|&\s+)?[A-Za-z][\w&'’-]*){0,6}\s+(?:segments?|Group|"
                         r"[Bb]usiness(?:es| segments?| units?| groups?)?|[Dd]ivisions?|[Uu]nits?)\b")


# (or the figure is said to come from a name: "Revenue from Cainiao Smart Logistics Network Limited was …")
_FROM_NAME = re.compile(r"\b(?:from|of|at|by)\s+(?:our\s+|the\s+|its\s+)?([A-Z][\w&'’.-]*(?:\s+[A-Z][\w&'’.-]*)*)")


def _names_part(subject: str, own_names: tuple[str, ...]) -> bool:
    """Whether what a sentence says its figure is names a part of a company (a segment, a business, a
    subsidiary) other than the company asked about (``own_names``, lower case)."""
    if _NAMED_PART.search(subject):
        return True
    return any(not any(m.group(1).lower().startswith(n) or n.startswith(m.group(1).lower()) for n in own_names if n)
               for m in _FROM_NAME.finditer(subject))


def _group_entity(subject: str, own_names: tuple[str, ...]) -> bool:
    """Whether what a sentence says its figure is names another company of the group than the one
    asked about: a Chinese name that opens with the company's short name's first two characters (its
    brand) but is not one of its own names ("平安理财" beside 平安银行)."""
    own = [n for n in own_names if is_cjk_text(n) and len(n) >= 3]
    for name in own:
        brand = name[:2]
        for m in re.finditer(re.escape(brand), subject):
            here = subject[m.start():]
            if not any(here.startswith(n) for n in own) and re.match(r"[\u4e00-\u9fff]{4}", here):
                return True
    return False


def _labels_other_item(row: Candidate, question: str) -> bool:
    """Whether a row's label names a line item of the vocabulary, none of them one ``question`` asks."""
    named = items_asked(label_of(row))
    return bool(named) and not named & items_asked(expand(main_question(question)))


def _term_then_figure(terms: list[str], text: str) -> bool:
    low = text.lower()
    return any(re.search(re.escape(t.lower()) + _THEN_FIGURE, low) for t in terms)


# (a table's cell separator may stand between, "净利润 | 1,059,907"; a footnote mark is no figure, "净利润(2) | …")
_THEN_FIGURE = (r"\s*(?:为|是|达到?|:|：|\||\bof\b|\bwas\b|\bwere\b|\bis\b)?\s*(?![(（]\d{1,2}[)）])[-(]?"
                r"(?:us\$|rmb|\$|¥)?\s?\d")
# a question about the course of a measure over time: shown for every period the rows share
_TREND = re.compile(r"\b(?:chang|improv|trend|consisten|fluctuat|historical|over time|declin|deteriorat)\w*"
                    r"|变化|变动|趋势|改善|恶化", re.I)


# an item of a list counted out in words at the start of its sentence, which promises the next ones
_ORDINAL_ITEM = re.compile(r"^\s*(?:首先|其次|再次|第[一二三四五六七八九十]|最后|(?:first|second|third|fourth|fifth|finally|lastly)\b)",
                           re.I)
MAX_BETWEEN_ITEMS = 3   # sentences explaining one counted item before the next


def _asks_for_items(question: str, item: Candidate) -> bool:
    """Whether a list question asks for what a counted item is one of: the item's last word, the kind of
    thing it counts, is in the question or its translation ("What risks …" and "第三是竞争风险。"; not
    "哪几家国内竞争对手", which the sentence after the item names)."""
    said = [t for t in keyword_tokens(_ORDINAL_ITEM.sub("", item.text)) if t not in STOPWORDS and not t[0].isdigit()]
    return bool(said) and said[-1] in keyword_token_set(expand(question))


def _counted_before(item: Candidate) -> list[Candidate]:
    """The items of a list counted out in words before ``item`` (each at most MAX_BETWEEN_ITEMS sentences
    before the next), and the short sentence or colon clause that leads into the first, in page order."""
    out: list[Candidate] = []
    first, p, between = item, item.prev, 0
    while p is not None and between < MAX_BETWEEN_ITEMS:
        if _ORDINAL_ITEM.match(p.text):
            out.insert(0, p)
            first, between = p, 0
        else:
            between += 1
        p = p.prev
    lead = first.prev
    if lead is not None and (lead.text.rstrip().endswith((":", "：")) or len(lead.text) < 40):
        out.insert(0, lead)
    while out and _chars(out + [item]) > MAX_CHARS:
        out.pop(0)
    return out


def _names_statement(q: Question) -> bool:
    return any(v >= 1.0 for v in q.statements.values())


def _states(formula: Formula, q: Question, c: Candidate) -> bool:
    """Whether ``c`` states the measure asked, as an answer to ``q``: a line elsewhere does not answer a
    question that names the statement to read it from ("… who only has access to the statement of
    income"); that statement's rows do."""
    return states_measure(formula, c.text) and not (_names_statement(q) and not c.features.get("statement"))


def _chars(cands: list[Candidate]) -> int:
    return sum(len(c.text) + 1 for c in cands)


_CLAUSE = re.compile(r"(?<=[;；，、])\s*|(?<=,)(?!\d)\s*|(?<=[.。])\s+")   # not inside "381,603"
# a new row's label after a row's figures, on a line where the PDF's text layer ran a table's rows
# together ("... activities$ 381,603 $ 465,699 Net cash provided by (used in) investing ...")
_ROW_START = re.compile(r"(?<=[\d)%])\s+(?=[A-Z\u3400-\u9fff])")
_TWO_FIGURES_AT_END = re.compile(r"\d[\d,.]*\)?%?\s+[(\-$¥]*\s?\d[\d,.]*\)?%?\s*$")


def _row_cuts(text: str) -> set[int]:
    """Where the rows of a table line begin, if the line is rows run together: three or more parts,
    most of them ending in two figures (a label's own year or note number does not make a row)."""
    cuts = [m.end() for m in _ROW_START.finditer(text)]
    parts = [text[a:b] for a, b in zip([0] + cuts, cuts + [len(text)])]
    if len(parts) < 3 or sum(bool(_TWO_FIGURES_AT_END.search(p)) for p in parts) < 2 * len(parts) / 3:
        return set()
    return set(cuts)


def _trim(page_text: str, start: int, end: int, q: Question, budget: int) -> tuple[int, int]:
    """A sentence longer than ``budget`` is cut to the contiguous clauses that hold the most of the
    question's words (a verbatim span still: offsets move, the text is not rewritten). A table line
    holding several rows is cut to the fewest rows that hold the most of them, whatever its length:
    a figure's answer is its row."""
    text = page_text[start:end]
    row_cuts = _row_cuts(text)
    if end - start <= budget and not row_cuts:
        return start, end
    cuts = sorted({0, len(text), *row_cuts, *(m.end() for m in _CLAUSE.finditer(text))})
    # the question's words, and its glossary terms' translations (a Chinese question quoting an English
    # sentence); what it asks about (focus words, not the company's name or the period) counts twice
    asked = focus_words(q)
    translated = {t for t in keyword_tokens(" ".join(translations(q.text, about=asked)))
                  if t not in STOPWORDS and len(t) > 1} - set(q.words)
    focus = {t for w in asked for t in keyword_tokens(w)} | translated
    words = set(q.words) | translated
    # (words are read apart from figures run into them, "activities2,315,195", for scoring only)
    clause_words = [words & set(keyword_tokens(re.sub(r"(?<=[A-Za-z])(?=[\d$(])", " ", text[a:b])))
                    for a, b in zip(cuts, cuts[1:])]
    best, best_score = (0, min(len(text), budget)), float("-inf")
    for i in range(len(cuts) - 1):
        covered: set[str] = set()
        hits = 0
        for j in range(i + 1, len(cuts)):
            if cuts[j] - cuts[i] > budget:
                break
            covered |= clause_words[j - 1]
            hits += len(clause_words[j - 1]) + len(clause_words[j - 1] & focus)
            # clauses: the run holding the most of the words, the longest among equals; rows: the
            # run holding the most distinct words, the shortest among equals
            score = (len(covered) - 0.001 * (cuts[j] - cuts[i])) if row_cuts else hits + 0.001 * (cuts[j] - cuts[i])
            if score > best_score:
                best, best_score = (cuts[i], cuts[j]), score
    a, b = best
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return start + a, start + b


def _passages(docs: list[Document]) -> list[dict]:
    return [{"text": d.page_content, **d.metadata} for d in docs]
