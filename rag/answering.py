"""The default answerer: extractive, no LLM.

It answers with the best evidence sentences from the retrieved passages, each
copied verbatim from the stored page text and followed by its citation marker,
and it abstains when the evidence does not answer the question. Sentences are
scored by meaning (embedding similarity to the question, which works across
languages) plus exact overlap of the question's words, numbers and names.

Abstention rules, each a failure mode seen in evals:
- nothing scores high enough (the documents are about something else);
- the question asks for a kind of answer (a number, a date, a person) that
  the best evidence does not contain;
- the question names something (a country, a product, a year) that appears
  nowhere in the retrieved passages, directly or in translation.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from langchain_core.documents import Document
from langchain_core.runnables import RunnableSerializable

from ingest.sentences import split_sentences

from .prompts import cannot_answer
from .text import STOPWORDS, is_cjk_text, language_of, normalize, tokens
from .types import Answer, Citation


@dataclass
class Thresholds:
    min_score: float = 0.36       # best sentence score below this -> abstain
    min_entity_sim: float = 0.55  # a translated name must be at least this close to a passage word
    extra_margin: float = 0.06    # further sentences within this of the best are included
    max_sentences: int = 3
    lexical_weight: float = 0.35


@dataclass
class _Sentence:
    doc: Document
    start: int   # offsets in the page text
    end: int
    text: str
    rank: int
    dense: float = 0.0
    lexical: float = 0.0
    score: float = 0.0


_NUMBER_Q = re.compile(r"\b(how (much|many)|what (percentage|percent|share|proportion|amount|was the .*(revenue|income|margin|eps|profit|growth|rate))|by how much|what was .* (revenue|income|margin|profit|eps|sales|cash))\b|多少|几[个家项国年]|百分之|比例|占比|增长了|增幅|金额|规模多大", re.I)
_WHO_Q = re.compile(r"\b(who|whom|whose|name of|named)\b|谁|哪位|姓名|名字|叫什么", re.I)
_WHEN_Q = re.compile(r"\b(when|what date|which year|what year|what day)\b|何时|什么时候|哪一年|哪年|哪天|日期|几月", re.I)
_DIGIT = re.compile(r"\d|[一二三四五六七八九十百千万亿两]")
_DATE = re.compile(r"\b(19|20)\d{2}\b|\d+\s*年|\d+\s*月|\d+\s*日|\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\b|\bQ[1-4]\b|第[一二三四]季度", re.I)
_PERSON_EN = re.compile(r"\b(?:Mr\.|Ms\.|Mrs\.|Dr\.)\s*[A-Z][a-z]+|\b[A-Z][a-z]+(?:\s[A-Z]\.)?\s[A-Z][a-z]{2,}\b")
_NOT_PERSON = set("""The This That These Those Our We Group Holding Limited Inc Corporation Company Board Annual Report
Interim Cloud Intelligence International Commerce Taobao Tmall Alibaba Intel Costco Ebay Mcdonald Hong Kong Stock Exchange
United States China Chinese American Net Income Revenue Total Fiscal Year First Second Third Fourth Quarter Financial Results
Data Center Non GAAP Operating Cash Flow Adjusted Ping An Bank Smic Semiconductor Manufacturing Digital Media Entertainment""".split())

_Q_WORD = re.compile(r"^(what|which|who|how|when|where|why|did|does|do|is|are|was|were|can|could|according|in|for|on|by|list|name|give|tell)$", re.I)


def answer_type(question: str) -> str:
    if _WHO_Q.search(question):
        return "person"
    if _WHEN_Q.search(question):
        return "date"
    if _NUMBER_Q.search(question):
        return "number"
    return "any"


def _has_type(text: str, kind: str) -> bool:
    if kind == "number":
        return bool(_DIGIT.search(text))
    if kind == "date":
        return bool(_DATE.search(text))
    if kind == "person":
        return _has_person(text)
    return True


def _has_person(text: str) -> bool:
    for m in _PERSON_EN.finditer(text):
        words = re.findall(r"[A-Z][a-z]+", m.group(0))
        if not any(w in _NOT_PERSON for w in words):
            return True
    if is_cjk_text(text):
        import jieba.posseg as pseg

        for w in pseg.cut(text):
            if w.flag == "nr" and len(w.word) >= 2 and w.word not in ("阿里", "英伟达"):
                return True
        if re.search(r"(先生|女士|博士)", text):
            return True
    return False


def salient_terms(question: str) -> list[str]:
    """Names and numbers in the question that the evidence must mention."""
    out = []
    words = re.findall(r"[A-Za-z][A-Za-z0-9&.\-']*|\d+(?:[.,]\d+)*%?", question)
    for i, w in enumerate(words):
        w = w.rstrip(".'")
        if not w or w.lower() in STOPWORDS or _Q_WORD.match(w):
            continue
        if w[0].isdigit():
            if not re.fullmatch(r"(19|20)\d{2}", w):  # years: often implied by the document's period
                out.append(w.replace(",", ""))
        elif w[0].isupper() and (i > 0 or w.isupper()) and len(w) > 1:
            out.append(w)
        elif any(c.isdigit() for c in w):
            out.append(w)
    if is_cjk_text(question):
        import jieba.posseg as pseg

        for p in pseg.cut(question):
            if p.flag in ("ns", "nr", "nt", "nz") and len(p.word) >= 2 and p.word not in STOPWORDS:
                out.append(p.word)
    return list(dict.fromkeys(out))


class ExtractiveAnswerer(RunnableSerializable):
    """Runnable: {"question": str, "documents": [Document]} -> Answer."""

    embedder: object
    catalog: object
    thresholds: Thresholds = Thresholds()
    known_terms: frozenset = frozenset()   # names the index knows (issuers, aliases): never "unknown"

    model_config = {"arbitrary_types_allowed": True}

    def invoke(self, input, config=None, **kwargs) -> Answer:
        return self.answer(input["question"], input["documents"])

    # -- scoring -------------------------------------------------------------
    def _candidates(self, docs: list[Document]) -> list[_Sentence]:
        seen = set()
        out = []
        for rank, d in enumerate(docs):
            text = d.page_content
            base = d.metadata.get("start", 0)
            for a, b in split_sentences(text):
                s = text[a:b]
                if len(s) < 4 or not re.search(r"\w", s):
                    continue
                key = (d.metadata["doc_id"], d.metadata.get("page"), base + a)
                if key in seen:
                    continue
                seen.add(key)
                out.append(_Sentence(d, base + a, base + b, s, rank))
        return out

    def _score(self, question: str, qvec: np.ndarray, cands: list[_Sentence]) -> None:
        vecs = np.asarray(self.embedder.embed_documents([c.text for c in cands]), dtype=np.float32)
        sims = vecs @ qvec
        q_toks = set(tokens(question))
        weights = {t: _weight(t) for t in q_toks}
        total = sum(weights.values()) or 1.0
        for c, sim in zip(cands, sims):
            s_toks = set(tokens(c.text))
            c.dense = float(sim)
            c.lexical = sum(w for t, w in weights.items() if t in s_toks) / total
            c.score = c.dense + self.thresholds.lexical_weight * c.lexical + 0.03 / (1 + c.rank)

    def _missing_terms(self, question: str, docs: list[Document], cands: list[_Sentence]) -> list[str]:
        """Salient question terms found neither literally nor (for names) in translation."""
        haystack = normalize(" ".join(d.page_content for d in docs))
        hay_nospace = re.sub(r"\s+", "", haystack)
        missing = []
        pending_translate = []
        for term in salient_terms(question):
            t = normalize(term)
            if t in haystack or re.sub(r"\s+", "", t) in hay_nospace or t in self.known_terms:
                continue
            if t[0].isdigit():
                missing.append(term)
            elif re.search(r"[a-z]", t) and is_cjk_text(haystack):
                pending_translate.append(term)
            elif re.search(r"[\u3400-\u9fff]", t) and not is_cjk_text(haystack):
                continue  # Chinese name over English passages: cannot check literally
            else:
                missing.append(term)
        if pending_translate:
            words = list(dict.fromkeys(w for c in cands[:40] for w in tokens(c.text) if len(w) >= 2))[:400]
            if words:
                wv = np.asarray(self.embedder.embed_documents(words), dtype=np.float32)
                tv = np.asarray(self.embedder.embed_documents(pending_translate), dtype=np.float32)
                best = (tv @ wv.T).max(axis=1)
                missing += [t for t, s in zip(pending_translate, best) if s < self.thresholds.min_entity_sim]
        return missing

    # -- the answer ------------------------------------------------------------
    def answer(self, question: str, docs: list[Document], qvec=None) -> Answer:
        lang = language_of(question)
        th = self.thresholds
        if not docs:
            return Answer(question, cannot_answer(lang), True)
        if qvec is None:
            qvec = np.asarray(self.embedder.embed_query(question), dtype=np.float32)
        cands = self._candidates(docs)
        if not cands:
            return Answer(question, cannot_answer(lang), True)
        self._score(question, qvec, cands)
        cands.sort(key=lambda c: -c.score)
        kind = answer_type(question)
        best = cands[0]
        if kind != "any":
            typed = [c for c in cands[:6] if _has_type(c.text, kind) and c.score >= best.score - 0.12]
            if not typed:
                return self._abstain(question, lang, docs, f"no evidence of the asked {kind}")
            best = typed[0]
        if best.score < th.min_score:
            return self._abstain(question, lang, docs, f"best evidence score {best.score:.2f} < {th.min_score}")
        missing = self._missing_terms(question, docs, cands)
        if missing:
            return self._abstain(question, lang, docs, "not mentioned: " + ", ".join(missing))
        chosen = [best]
        for c in cands:
            if len(chosen) >= th.max_sentences:
                break
            if c is best or c.score < best.score - th.extra_margin:
                continue
            if any(c.text in x.text or x.text in c.text for x in chosen):
                continue
            chosen.append(c)
        return self._compose(question, chosen, docs)

    def _abstain(self, question: str, lang: str, docs, why: str) -> Answer:
        return Answer(question, cannot_answer(lang), True, notices=[why], passages=_passages(docs))

    def _compose(self, question: str, chosen: list[_Sentence], docs) -> Answer:
        chosen.sort(key=lambda c: (c.rank, c.doc.metadata.get("page") or 0, c.start))
        parts, citations = [], []
        for n, c in enumerate(chosen, 1):
            doc = self.catalog.document(c.doc.metadata["doc_id"]) or {}
            meta = doc.get("meta", {})
            page = c.doc.metadata.get("page")
            page_text = self.catalog.page_text(c.doc.metadata["doc_id"], page) or ""
            quote = page_text[c.start : c.end]
            if quote != c.text:  # the chunk and page text must agree; never show an unverifiable quote
                continue
            citations.append(Citation(n=len(citations) + 1, doc_id=c.doc.metadata["doc_id"],
                                      title=meta.get("title", ""), source=doc.get("source", ""), page=page,
                                      quote=quote, start=c.start, end=c.end, kind=meta.get("kind", ""),
                                      date=meta.get("date", "")))
            parts.append(f"{quote} [{citations[-1].n}]")
        if not citations:
            return Answer(question, cannot_answer(language_of(question)), True, passages=_passages(docs))
        return Answer(question, " ".join(parts), False, citations, passages=_passages(docs))


def _weight(tok: str) -> float:
    if tok[0].isdigit():
        return 2.0
    if re.match(r"[a-z]", tok):
        return 1.5 if len(tok) > 2 else 0.7
    return 1.0 if len(tok) >= 2 else 0.4


def _passages(docs: list[Document]) -> list[dict]:
    return [{"text": d.page_content, **d.metadata} for d in docs]
