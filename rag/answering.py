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

from .glossary import mention_positions, mentions, metric_groups
from .prompts import cannot_answer
from .text import STOPWORDS, is_cjk_text, language_of, normalize, tokens
from .types import Answer, Citation


@dataclass
class Thresholds:
    min_score: float = 0.36       # best sentence score below this -> abstain
    min_entity_sim: float = 0.70  # a translated name must be at least this close to a passage word
    min_soft_sim: float = 0.45    # cross-language word match counts (weighted by similarity) above this
    extra_margin: float = 0.06    # further sentences within this of the best are included
    max_sentences: int = 3
    lexical_weight: float = 0.35
    passage_weight: float = 0.3   # share of the passage's own similarity in a sentence's
    type_margin: float = 0.21     # how far below the best a sentence with the asked type may score
    prior_penalty: float = 0.05   # a prior-period sentence when the question did not ask for one
    year_penalty: float = 0.08    # a sentence naming only other years than the question's


@dataclass
class _Sentence:
    doc: Document
    start: int   # offsets in the page text
    end: int
    text: str
    rank: int
    prev: "_Sentence | None" = None  # the sentence before it in the same passage
    next: "_Sentence | None" = None
    dense: float = 0.0
    lexical: float = 0.0
    score: float = 0.0
    vector: "np.ndarray | None" = None  # stored at ingest, when the embedder could give it for free


# A sentence that opens with one of these leans on the previous one for its subject
# ("该模型能够处理文本…" after "阿里推出的Qwen3-Omni…"), so it inherits some of its words
# and is quoted together with it.
_ANAPHOR = re.compile(r"^(该|这|此|其|它|他们|她|他|上述|前者|后者|同时|此外|另外|因此|而|但|"
                      r"(It|Its|This|These|That|Those|They|Their|The company|Such|Both)\b)")


_NUMBER_Q = re.compile(r"\b(how (much|many)|what (percentage|percent|share|proportion|amount)|by how much)\b"
                       r"|^\s*(what|how)\b.*\b(revenues?|income|margins?|eps|earnings per share|profits?|sales|cash flows?"
                       r"|ebitda?|expenses?|assets|liabilities|ratio|dividends?|guidance|gmv|headcount|employees)\b"
                       r"|多少|(?<!哪)几[个家项国年]|百分之|比例|占比|增长了|增幅|金额|规模多大", re.I)
_WHO_Q = re.compile(r"\b(who|whom|whose|name of|named)\b|谁|哪位|姓名|名字|叫什么", re.I)
_WHEN_Q = re.compile(r"\b(when|what date|which year|what year|what day)\b|何时|什么时候|哪一年|哪年|哪天|日期|几月", re.I)
_DIGIT = re.compile(r"\d|[一二三四五六七八九十百千万亿两]")
_DATE = re.compile(r"\b(19|20)\d{2}\b|\d+\s*年|\d+\s*月|\d+\s*日|\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\b|\bQ[1-4]\b|第[一二三四]季度", re.I)
_PERSON_EN = re.compile(r"\b(?:Mr\.|Ms\.|Mrs\.|Dr\.)\s*[A-Z][a-z]+|\b[A-Z][a-z]+(?:\s[A-Z]\.)?\s[A-Z][a-z]{2,}\b")
_NOT_PERSON = set("""The This That These Those Our We Group Holding Limited Inc Corporation Company Board Annual Report
Interim Cloud Intelligence International Commerce Taobao Tmall Alibaba Intel Costco Ebay Mcdonald Hong Kong Stock Exchange
United States China Chinese American Net Income Revenue Total Fiscal Year First Second Third Fourth Quarter Financial Results
Data Center Non GAAP Operating Cash Flow Adjusted Ping An Bank Smic Semiconductor Manufacturing Digital Media Entertainment""".split())

# months, quarters and fiscal-period labels are matched by scoping and the date check, not here
_PERIOD_WORD = re.compile(r"(?i)(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*|q[1-4]|fy\d{2,4}|h[12]|\d{1,2}(st|nd|rd|th)")
_Q_WORD = re.compile(r"^(what|which|who|how|when|where|why|did|does|do|is|are|was|were|can|could|according|in|for|on|by|list|name|give|tell)$", re.I)


def answer_type(question: str) -> str:
    if _WHO_Q.search(question):
        return "person"
    if _WHEN_Q.search(question):
        return "date"
    if _NUMBER_Q.search(question):
        return "number"
    return "any"


_NUM_IN_TEXT = re.compile(r"(?<![A-Za-z\d.])\d+(?:[.,]\d+)*(?![A-Za-z\d])(\s*%|\s*percent)?|[一二三四五六七八九十两][十百千万亿]*[个家项国年倍成]")
_AMOUNT_Q = re.compile(r"元|人民币|美元|港元|RMB|US\$|HK\$|\$|dollar|yuan|金额|收入是多少|营收是多少|\bhow much (revenue|money|cash)", re.I)


# Dates and years are numbers, but never the figure a "how much" question asks for.
_DATES = re.compile(
    r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2}(?:st|nd|rd|th)?(?:,\s*\d{4})?"
    r"|\d{4}\s*年(?:\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?)?|\d{1,2}\s*月\s*\d{1,2}\s*日|\d{1,2}/\d{1,2}/\d{2,4}"
    r"|\d{1,2}(?:\s*[-–]\s*\d{1,2})?\s*月|[一二三四五六七八九十]+个月|\b(?:FY|Q[1-4])\s*'?\d{2,4}\b|\b(?:19|20)\d{2}\b(?![.,]\d|\s*%)|第[一二三四1-4]季度|\d{1,2}\s*(?:a\.m\.|p\.m\.)",
    re.I)


def _numbers(text: str, exclude: set[str] = frozenset(), amounts_only: bool = False) -> list[str]:
    out = []
    text = _DATES.sub(" ", text)
    for m in _NUM_IN_TEXT.finditer(text):
        tok = m.group(0).replace(" ", "")
        if tok.rstrip("%percent") in exclude:
            continue
        if amounts_only and (m.group(1) or tok.endswith(("年", "倍", "成"))):
            continue
        out.append(tok)
    return out


def _has_type(text: str, kind: str, question: str = "") -> bool:
    if kind == "number":
        q_nums = {n.rstrip("%percent") for n in _numbers(question)}
        return bool(_numbers(text, q_nums, amounts_only=bool(_AMOUNT_Q.search(question))))
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
        w = re.sub(r"['’]s$", "", w).rstrip(".'’")
        if not w or w.lower() in STOPWORDS or _Q_WORD.match(w) or _PERIOD_WORD.fullmatch(w):
            continue
        if w[0].isdigit():
            out.append(w.replace(",", ""))  # years included: checked against passages and their documents' periods
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
    _vector_cache: dict = {}

    model_config = {"arbitrary_types_allowed": True}

    def model_post_init(self, __context) -> None:
        self._vector_cache = {}

    def invoke(self, input, config=None, **kwargs) -> Answer:
        return self.answer(input["question"], input["documents"])

    # -- scoring -------------------------------------------------------------
    def _candidates(self, docs: list[Document]) -> list[_Sentence]:
        seen: dict[tuple, _Sentence] = {}
        out = []
        stored = {}
        if hasattr(self.catalog, "sentence_vectors"):
            stored = self.catalog.sentence_vectors([d.metadata["chunk_id"] for d in docs if "chunk_id" in d.metadata])
        for rank, d in enumerate(docs):
            text = d.page_content
            base = d.metadata.get("start", 0)
            prev = None
            spans = split_sentences(text)
            vectors = stored.get(d.metadata.get("chunk_id"))
            if vectors is not None and len(vectors) != len(spans):
                vectors = None   # split differently than at ingest: embed them here
            for j, (a, b) in enumerate(spans):
                s = text[a:b]
                if len(s) < 4 or not re.search(r"\w", s):
                    continue
                key = (d.metadata["doc_id"], d.metadata.get("page"), base + a)
                sent = seen.get(key)
                if sent is None:  # overlapping passages repeat sentences: keep one, link both ways
                    sent = seen[key] = _Sentence(d, base + a, base + b, s, rank)
                    out.append(sent)
                if sent.vector is None and vectors is not None:
                    sent.vector = vectors[j]
                if prev is not None:
                    sent.prev = sent.prev or prev
                    prev.next = prev.next or sent
                prev = sent
        return out

    def _token_vectors(self, toks: list[str]) -> dict[str, np.ndarray]:
        """Embeddings of words and sentences, cached across questions (passages recur).

        Words bridge languages (Brazil ~ 巴西 at 0.9); sentence vectors were most of the
        answer time before they were cached.
        """
        cache = self._vector_cache
        missing = [t for t in dict.fromkeys(toks) if t not in cache]
        if missing:
            if len(cache) > 50_000:  # ~100 MB of float32 vectors
                cache.clear()
            for t, v in zip(missing, np.asarray(self.embedder.embed_documents(missing), dtype=np.float32)):
                cache[t] = v
        return {t: cache[t] for t in toks}

    def _score(self, question: str, qvec: np.ndarray, cands: list[_Sentence]) -> None:
        question = _expand_periods(question)
        svd = self._token_vectors([c.text for c in cands if c.vector is None])
        vecs = np.stack([c.vector if c.vector is not None else svd[c.text] for c in cands])
        sims = vecs @ qvec
        q_toks = list(dict.fromkeys(tokens(question)))
        weights = {t: _weight(t) for t in q_toks}
        total = sum(weights.values()) or 1.0
        th = self.thresholds
        q_zh = is_cjk_text(question)
        own_tokens = [set(tokens(c.text)) for c in cands]
        # Cross-language word matches: a question word absent from a sentence in the other
        # language still counts if one of the sentence's words translates it (cosine >= min).
        soft: dict[int, dict[str, float]] = {}
        cross = [i for i, c in enumerate(cands) if is_cjk_text(c.text) != q_zh]
        if cross:
            q_words = [t for t in q_toks if not t[0].isdigit() and len(t) >= 2]
            s_words = sorted({w for i in cross for w in own_tokens[i] if not w[0].isdigit() and len(w) >= 2})
            if q_words and s_words:
                vq = self._token_vectors(q_words)
                vs = self._token_vectors(s_words)
                Q = np.stack([vq[t] for t in q_words])
                col = {w: j for j, w in enumerate(s_words)}
                S = np.stack([vs[w] for w in s_words])
                M = Q @ S.T
                for i in cross:
                    idx = [col[w] for w in own_tokens[i] if w in col]
                    if idx:
                        best = M[:, idx].max(axis=1)
                        soft[i] = {t: float(b) for t, b in zip(q_words, best) if b >= th.min_soft_sim}
        index = {id(c): i for i, c in enumerate(cands)}
        asks_prior = bool(_PRIOR.search(question))
        q_years = set(_YEAR_IN_TEXT.findall(question))
        for i, (c, sim, s_toks) in enumerate(zip(cands, sims, own_tokens)):
            matched = soft.get(i, {})
            lex = sum(w if t in s_toks else w * matched.get(t, 0.0) for t, w in weights.items())
            if c.prev is not None and _ANAPHOR.match(c.text):
                j = index[id(c.prev)]
                prev_toks, prev_soft = own_tokens[j], soft.get(j, {})
                lex += 0.6 * sum(w if t in prev_toks else w * prev_soft.get(t, 0.0)
                                 for t, w in weights.items() if t not in s_toks and t not in matched)
            passage_dense = c.doc.metadata.get("dense")
            c.dense = float(sim) if passage_dense is None else (1 - th.passage_weight) * float(sim) + th.passage_weight * passage_dense
            c.lexical = min(1.0, lex / total)
            c.score = c.dense + th.lexical_weight * c.lexical + 0.03 / (1 + c.rank)
            if not asks_prior and _PRIOR.search(c.text):
                c.score -= th.prior_penalty  # "Last year's third quarter net income was …"
            if q_years:
                s_years = set(_YEAR_IN_TEXT.findall(c.text))
                if s_years and not (s_years & q_years):
                    c.score -= th.year_penalty  # asked about 2023, sentence speaks of 2022 only

    def _missing_terms(self, question: str, docs: list[Document], cands: list[_Sentence]) -> list[str]:
        """Salient question terms found neither literally nor (for names) in translation."""
        # a document's period and dates vouch for the years its passages leave implicit
        meta_text = []
        for doc_id in dict.fromkeys(d.metadata.get("doc_id") for d in docs):
            m = (self.catalog.document(doc_id) or {}).get("meta", {})
            meta_text += [str(m.get(k, "")) for k in ("title", "period", "period_end", "date")]
        haystack = normalize(" ".join([d.page_content for d in docs] + meta_text))
        hay_nospace = re.sub(r"\s+", "", haystack)
        missing = []
        pending_translate = []
        for term in salient_terms(question):
            t = normalize(term)
            if t in haystack or re.sub(r"\s+", "", t) in hay_nospace or t in self.known_terms:
                continue
            if "-" in term:  # "AI-related" is there when "AI" is: its lower-case parts are modifiers
                named = [normalize(p) for p in term.split("-") if p[:1].isupper() or any(ch.isdigit() for ch in p)]
                if named and all(p in haystack or p in self.known_terms for p in named):
                    continue
            if t[0].isdigit():
                missing.append(term)
            elif re.search(r"[a-z]", t) and is_cjk_text(haystack):
                pending_translate.append(term)
            elif re.search(r"[\u3400-\u9fff]", t) and not is_cjk_text(haystack):
                pending_translate.append(term)  # Chinese name over English passages: 中国 ~ China
            else:
                missing.append(term)
        if pending_translate:
            words = list(dict.fromkeys(w for c in cands[:40] for w in tokens(c.text) if len(w) >= 2))[:400]
            if words:
                wvd = self._token_vectors(words)
                tvd = self._token_vectors(pending_translate)
                wv = np.stack([wvd[w] for w in words])
                tv = np.stack([tvd[t] for t in pending_translate])
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
        groups = metric_groups(question) if kind in ("number", "person") else []
        best = cands[0]
        if kind != "any":
            # headlines and datelines score high on words alone; the sentence that holds the
            # asked kind of answer may sit a little lower
            typed = [c for c in cands[:15] if c.score >= best.score - th.type_margin and _has_type(c.text, kind, question)]
            if not typed:
                return self._abstain(question, lang, docs, f"no evidence of the asked {kind}")
            if kind in ("number", "person"):
                # "how many employees": a figure about buyers or revenue does not answer it
                # any one of the named metrics will do: 营业收入 is also glossed "operating income"
                if groups:
                    typed = [c for c in typed if any(mentions(_with_context(c), g) for g in groups)]
                    if not typed:
                        return self._abstain(question, lang, docs, f"no {kind} given for " + " / ".join(g[0] for g in groups))
                    if kind == "number":  # prefer the sentence where the figure follows the metric
                        typed.sort(key=lambda c: not _figure_near(c.text, groups, question))
            best = typed[0]
        if best.score < th.min_score:
            return self._abstain(question, lang, docs, f"best evidence score {best.score:.2f} < {th.min_score}", best.score)
        missing = self._missing_terms(question, docs, cands)
        if missing:
            return self._abstain(question, lang, docs, "not mentioned: " + ", ".join(missing), best.score)
        chosen = [best]
        for c in cands:
            if len(chosen) >= th.max_sentences:
                break
            if c is best or c.score < best.score - th.extra_margin:
                continue
            if kind != "any" and not _has_type(c.text, kind, question):
                continue  # a headline beside the figure adds nothing
            if any(c.text in x.text or x.text in c.text for x in chosen):
                continue
            chosen.append(c)
        answer = self._compose(question, chosen, docs)
        answer.confidence = best.score
        return answer

    def _abstain(self, question: str, lang: str, docs, why: str, score: float = 0.0) -> Answer:
        return Answer(question, cannot_answer(lang), True, notices=[why], passages=_passages(docs), confidence=score)

    def _compose(self, question: str, chosen: list[_Sentence], docs) -> Answer:
        with_context = []
        for c in chosen:
            if c.prev is not None and _ANAPHOR.match(c.text) and c.prev not in chosen and c.prev not in with_context:
                with_context.append(c.prev)
            with_context.append(c)
            # a lead-in such as "第三是竞争风险。" says nothing alone: quote what follows it
            nxt = c.next
            if nxt is not None and nxt not in chosen and nxt not in with_context and (
                    _is_lead_in(c.text) or (_ANAPHOR.match(nxt.text) and nxt.score >= c.score - 0.3)):
                with_context.append(nxt)  # "阿里推出的Qwen3-Omni…" + "该模型能够处理文本、图像…"
        chosen = with_context
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


def _with_context(c: _Sentence) -> str:
    """A sentence with what tells its subject: a table's header, and the previous sentence
    when this one refers back to it ("It rose to …")."""
    prev = c.prev.text if c.prev is not None and _ANAPHOR.match(c.text) else ""
    return " ".join([c.doc.metadata.get("context") or "", prev, c.text])


def _figure_near(text: str, groups, question: str) -> bool:
    """Does a figure follow one of the asked metrics closely ("net income was $1.30 billion")?"""
    window = 30 if is_cjk_text(text) else 80
    for g in groups:
        for end in mention_positions(text, g):
            if _numbers(text[end : end + window], amounts_only=bool(_AMOUNT_Q.search(question))):
                return True
    return False


def _is_lead_in(text: str) -> bool:
    return (len(text) <= 14 if is_cjk_text(text) else len(text) <= 40) or text.rstrip().endswith((":", "："))


_YEAR = re.compile(r"(19|20)\d{2}")
_YEAR_IN_TEXT = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
_PRIOR = re.compile(r"(?i)\b(last year|prior year|previous year|a year ago|year-ago)\b|上年同期|去年同期|上年|去年")
_PERIOD_SYNONYMS = {"q1": "first quarter", "q2": "second quarter", "q3": "third quarter", "q4": "fourth quarter",
                    "1h": "six months", "h1": "six months", "fy": "fiscal year"}
_PERIOD_TOKEN = re.compile(r"(?i)\b(q[1-4]|[1h]h|h1|fy)(?=\s|\d|'|$|\W)")


def _expand_periods(question: str) -> str:
    """'Q1 2023' also matches 'first-quarter' sentences: add the spelled-out words."""
    extra = [_PERIOD_SYNONYMS[m.group(1).lower()] for m in _PERIOD_TOKEN.finditer(question)
             if m.group(1).lower() in _PERIOD_SYNONYMS]
    return question + (" " + " ".join(extra) if extra else "")


def _weight(tok: str) -> float:
    if _YEAR.fullmatch(tok):
        return 0.7  # the year is usually implied by the document's period, not repeated
    if tok[0].isdigit():
        return 2.0
    if re.match(r"[a-z]", tok):
        return 1.5 if len(tok) > 2 else 0.7
    return 1.0 if len(tok) >= 2 else 0.4


def _passages(docs: list[Document]) -> list[dict]:
    return [{"text": d.page_content, **d.metadata} for d in docs]
