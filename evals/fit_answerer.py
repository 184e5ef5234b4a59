"""``python -m evals.fit_answerer``: fit the extractive answerer's model (rag/answer_model.py) on tune data.

Training questions: the ``tune`` halves of the external benchmarks and the project's dev
suites. Each question is retrieved exactly as ``Assistant.ask`` retrieves it; every
sentence and table row of the passages becomes a candidate with the features of
``rag/evidence.py``, labelled by whether it states the gold evidence:

- own suites: the item's ``evidence`` text (or, without one, an expected answer string)
  in the item's document;
- FinanceBench: inside a gold ``evidence_text`` on a gold page;
- FinDoc: on a gold page and stating a figure of the gold answer (or, for answers
  without a figure, sharing most of its characters).

A logistic regression (L2, positives weighted to balance) gives the weights. The
abstention threshold is then chosen on the same questions, asked for real: the threshold
under which they score best as ``rag eval`` scores them (a right answer; an unanswerable
question abstained) among those whose abstentions are right at least ``--precision`` of
the time (right to abstain: unanswerable, or the answer would have been wrong).

Writes ``rag/data/answerer.json`` and prints, for tune and for held-out data (check
halves, test suites), how often the best candidate is evidence before and after.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path

import numpy as np

from rag.answer_model import (ABSTAIN_FEATURES, DEFAULT_ABSTAIN, DEFAULT_WEIGHTS, MODEL_FILE, AnswerModel,
                              abstain_features, load_model)
from rag.evidence import FEATURES

from . import external, fit_data
from .figures import states_figure
from .runner import DEFAULT_WORK, _Indexes
from .scoring import norm
from .shared import REPO

OWN_DEV = ["evals/suites/article.dev.jsonl", "evals/suites/disclosures.dev.jsonl", "evals/suites/scoped.dev.jsonl",
           "evals/suites/followup.dev.jsonl"]
OWN_TEST = ["evals/suites/article.test.jsonl", "evals/suites/disclosures.test.jsonl", "evals/suites/scoped.test.jsonl",
            "evals/suites/followup.test.jsonl"]


@dataclass
class Example:
    source: str
    question: str
    refuse: bool
    x: np.ndarray          # candidates x features
    y: np.ndarray          # 1 = states the gold evidence


def _inside(text: str, evidence: str) -> bool:
    t, e = norm(text), norm(evidence)
    if len(t) < 12 or not e:
        return False
    if t in e or e in t:
        return True
    m = SequenceMatcher(None, t, e, autojunk=False).find_longest_match(0, len(t), 0, len(e))
    return m.size >= max(12, 0.6 * min(len(t), len(e)))


def _features(assistant, question: str):
    _, qvec, docs = assistant.passages_for(question)
    if not docs:
        return []
    _, cands, _, _ = assistant.extractive.evidence(question, docs, qvec)   # as the answerer sees them
    return cands


def _example(source, question, refuse, cands, label) -> Example:
    x = np.array([[c.features[f] for f in FEATURES] for c in cands], dtype=np.float64).reshape(-1, len(FEATURES))
    y = np.array([label(c) for c in cands], dtype=np.float64)
    return Example(source, question, refuse, x, y)


def _standalone(item: dict) -> str:
    """A suite question as the assistant asks it (a follow-up rewritten with its history)."""
    if item.get("history"):
        from rag.conversation import rewrite_question

        return rewrite_question(item["q"], item["history"]).question
    return item["q"]


def collect(indexes: _Indexes, halves: set[str], suites: list[str], log) -> list[Example]:
    out: list[Example] = []
    for src, it in fit_data.questions(indexes, halves, suites, log):
        if isinstance(it, external.BenchItem):
            cands = _features(src.assistant, it.question)

            def label(c, it=it, stem_of=src.stem_of):
                if (stem_of.get(c.doc_id), c.page) not in it.gold_pages:
                    return False
                if it.evidence:
                    return any(_inside(c.text, e) for e in it.evidence)
                fig = states_figure(c.text, it.answer, it.question)
                if fig is not None:
                    return fig
                return SequenceMatcher(None, norm(c.text), norm(it.answer)).ratio() >= 0.5

            out.append(_example(src.name, it.question, False, cands, label))
            continue
        q = _standalone(it)
        cands = _features(src.assistant, q)
        variants = [v for g in (it.get("all") or it.get("any") or []) for v in g]

        def label(c, it=it, variants=variants):
            if it.get("refuse") or (it.get("doc") and c.doc_id != it["doc"]):
                return False
            if it.get("evidence"):
                return _inside(c.text, it["evidence"])
            return any(norm(v) in norm(c.text) for v in variants)

        out.append(_example(src.name, q, bool(it.get("refuse")), cands, label))
    return out


def fit(examples: list[Example], l2: float = 0.05, steps: int = 3000, lr: float = 1.0) -> tuple[np.ndarray, float]:
    """Weights: a conditional logit (softmax over one question's candidates) so that the evidence
    outranks the other candidates of the same question; then the bias: a one-feature logistic
    regression of "the best candidate is evidence" on the best candidate's score, so that the
    model's output is a probability the abstention threshold can be set on."""
    data = [(e.x, e.y) for e in examples if len(e.x) > 1 and e.y.any()]
    # L2 toward the prior weights (rag/answer_model.py DEFAULT_WEIGHTS), not toward zero: with ~100
    # questions the data decides the size of each effect, the prior keeps its direction where the data
    # says little (a year that clashes with the question's should not come out helping a candidate)
    prior = np.array([DEFAULT_WEIGHTS.get(f, 0.0) for f in FEATURES], dtype=np.float64)
    w = prior.copy()
    for _ in range(steps):
        grad = l2 * (w - prior)
        for x, y in data:
            s = x @ w
            p = np.exp(s - s.max())
            p /= p.sum()
            grad -= ((y / y.sum()) - p) @ x / len(data)
        w -= lr * grad
    # calibration on every question (the unanswerable ones too): best score -> is it evidence?
    tops, hits = [], []
    for e in examples:
        if len(e.x):
            s = e.x @ w
            i = int(s.argmax())
            tops.append(s[i])
            hits.append(float(e.y[i]) if not e.refuse else 0.0)
    t, h = np.array(tops), np.array(hits)
    a, b = 1.0, 0.0
    for _ in range(5000):
        p = 1.0 / (1.0 + np.exp(-(a * t + b)))
        a -= 0.5 * ((p - h) * t).mean()
        b -= 0.5 * (p - h).mean()
    return w * a, float(b)


def outcomes(examples: list[Example], model: AnswerModel) -> list[tuple[float, bool, bool, bool]]:
    """Per question: (best probability, best is evidence, unanswerable, any candidate is evidence)."""
    out = []
    for e in examples:
        if not len(e.x):
            out.append((0.0, False, e.refuse, False))
            continue
        probs = np.array([model.probability(dict(zip(FEATURES, row))) for row in e.x])
        i = int(probs.argmax())
        out.append((float(probs[i]), bool(e.y[i]), e.refuse, bool(e.y.any())))
    return out


def _asked(assistant, question: str, history=None):
    """The answer at threshold 0, and the features the abstention model sees for it (None when a rule
    abstains whatever the threshold: nothing of the asked kind or period, a name the passages lack)."""
    ans = assistant.ask(question, history=history)
    if ans.abstained:
        return ans, None
    from rag.conversation import rewrite_question

    q = rewrite_question(question, history).question if history else question
    _, qvec, docs = assistant.passages_for(q)
    _, cands, _, _ = assistant.extractive.evidence(q, docs, qvec)
    return ans, (abstain_features(cands) if cands else None)


def answer_outcomes(indexes: _Indexes, model: AnswerModel, halves: set[str], suites: list[str]) -> list[tuple]:
    """Ask every question with ``model`` at threshold 0 (answer whenever a rule allows) and record
    (abstention features or None when a rule abstains anyway, would the answer be right, must it
    abstain): right as ``rag eval`` scores it (own suites: the expected text is in the answer;
    benchmarks: a gold page is cited)."""
    from .scoring import answer_passes

    out = []
    for src, it in fit_data.questions(indexes, halves, suites, lambda m: None):
        answerer = src.assistant.extractive
        kept, answerer.model = answerer.model, model
        try:
            if isinstance(it, external.BenchItem):
                ans, f = _asked(src.assistant, it.question)
                ok = any((src.stem_of.get(c.doc_id), c.page) in it.gold_pages for c in ans.citations)
                out.append((f, ok, False))
            else:
                ans, f = _asked(src.assistant, it["q"], it.get("history"))
                out.append((f, not it.get("refuse") and answer_passes(it, ans.text, ans.abstained),
                            bool(it.get("refuse"))))
        finally:
            answerer.model = kept
    return out


def fit_abstention(outs, l2: float = 0.05, steps: int = 4000, lr: float = 0.5) -> tuple[dict, float]:
    """Logistic regression: is answering right? (prior: DEFAULT_ABSTAIN, as for the candidate weights)."""
    rows = [(f, ok and not refuse) for f, ok, refuse in outs if f is not None]
    x = np.array([[f[k] for k in ABSTAIN_FEATURES] for f, _ in rows], dtype=np.float64)
    y = np.array([float(v) for _, v in rows])
    prior = np.array([DEFAULT_ABSTAIN[k] for k in ABSTAIN_FEATURES], dtype=np.float64)
    w, b = prior.copy(), 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ w + b, -30, 30)))
        w -= lr * ((x.T @ (p - y)) / len(y) + l2 * (w - prior))
        b -= lr * (p - y).mean()
    return {k: round(float(v), 4) for k, v in zip(ABSTAIN_FEATURES, w)}, round(float(b), 4)


def choose_threshold(outs, model: AnswerModel, precision: float) -> tuple[float, dict]:
    """The threshold under which the answers score best as ``rag eval`` scores them (a right answer,
    an unanswerable question abstained), among those whose abstentions are right at least
    ``precision`` of the time (right to abstain: unanswerable, or the answer would have been wrong)."""
    def p_right(f):
        z = model.abstain_bias + sum(model.abstain_weights[k] * f[k] for k in ABSTAIN_FEATURES)
        return 1.0 / (1.0 + np.exp(-z))

    scored = [(p_right(f) if f is not None else None, ok, refuse) for f, ok, refuse in outs]
    best = (0.0, {"right": -1})
    for t in sorted({round(p, 3) for p, *_ in scored if p is not None} | {0.0}):
        right = abst = should = 0
        for p, ok, refuse in scored:
            abstains = p is None or p < t
            right += refuse if abstains else ok
            if abstains and p is not None:
                abst += 1
                should += refuse or not ok
        prec = should / abst if abst else 1.0
        stats = {"right": right, "abstained_by_threshold": abst, "abstention_precision": round(prec, 3),
                 "questions": len(outs)}
        if prec >= precision and right > best[1]["right"]:
            best = (t, stats)
    return best


def top1(examples: list[Example], model: AnswerModel) -> dict[str, tuple[int, int, int]]:
    """Per source: (best candidate is evidence, questions with some evidence among the candidates, questions)."""
    out: dict[str, list[int]] = {}
    for e, (p, ok, refuse, any_ok) in zip(examples, outcomes(examples, model)):
        r = out.setdefault(e.source, [0, 0, 0])
        r[0] += ok
        r[1] += any_ok
        r[2] += 1
    return {k: tuple(v) for k, v in out.items()}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m evals.fit_answerer", description=__doc__.split("\n")[0])
    p.add_argument("--work", default=str(DEFAULT_WORK), help="eval index cache (shared with rag eval)")
    p.add_argument("--precision", type=float, default=0.8, help="abstentions must be right this often")
    p.add_argument("--dry-run", action="store_true", help="print the figures, do not write the model file")
    args = p.parse_args(argv)
    log = lambda m: print(m, file=sys.stderr)  # noqa: E731
    indexes = _Indexes(Path(args.work), baseline=False, log=log)
    train = collect(indexes, {"tune"}, OWN_DEV, log)
    held = collect(indexes, {"check"}, OWN_TEST, log)
    before = load_model()
    w, b = fit(train)
    fitted = AnswerModel({f: float(v) for f, v in zip(FEATURES, w)}, b, 0.0, before.second_margin, {},
                         {k: -50.0 if k == "prob" else 0.0 for k in ABSTAIN_FEATURES}, 100.0)  # never abstains
    outs = answer_outcomes(indexes, fitted, {"tune"}, OWN_DEV)
    aw, ab = fit_abstention(outs)
    fitted = AnswerModel(fitted.weights, b, 0.0, before.second_margin, {}, aw, ab)
    t, stats = choose_threshold(outs, fitted, args.precision)
    fitted = AnswerModel(fitted.weights, b, t, before.second_margin, {}, aw, ab)
    print(f"fitted on {len(train)} questions, {sum(len(e.y) for e in train)} candidates "
          f"({int(sum(e.y.sum() for e in train))} evidence)")
    print("weights: " + ", ".join(f"{f}={v:+.2f}" for f, v in fitted.weights.items()) + f", bias={b:+.2f}")
    print("abstention: " + ", ".join(f"{k}={v:+.2f}" for k, v in aw.items()) + f", bias={ab:+.2f}")
    print(f"threshold {t:.3f} (abstention precision >= {args.precision}): {stats}")
    print("\nbest candidate is evidence (of questions with evidence among the candidates)   before -> after")
    for name, exs in (("train", train), ("held out", held)):
        a, z = top1(exs, before), top1(exs, fitted)
        for src in a:
            print(f"  {name:9} {src:32} {a[src][0]:3}/{a[src][1]:<3} -> {z[src][0]:3}/{z[src][1]:<3} ({a[src][2]} questions)")
    if not args.dry_run:
        MODEL_FILE.write_text(json.dumps({
            "weights": {f: round(v, 4) for f, v in fitted.weights.items()}, "bias": round(b, 4),
            "threshold": t, "second_margin": fitted.second_margin, "abstain": {"weights": aw, "bias": ab}, "abstention_precision_target": args.precision,
            "threshold_stats": stats, "model": "logistic regression over evidence candidates",
            "fitted_on": sorted({e.source for e in train}), "questions": len(train),
            "date": dt.date.today().isoformat(), "script": "python -m evals.fit_answerer",
        }, indent=1) + "\n", encoding="utf-8")
        load_model.cache_clear()
        print(f"\nwrote {MODEL_FILE.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
