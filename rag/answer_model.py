"""The answerer's fitted model: which candidate is the evidence, and when to abstain.

A logistic regression over the features of ``rag/evidence.py`` gives each candidate
the probability that it states the answer. ``DEFAULT_WEIGHTS`` are the prior the fit
starts from and is regularised toward (what each feature is expected to do: a clash of
years or periods lowers a candidate, matching words raise it); the data moves them. The best candidate's probability decides
abstention: below ``threshold`` the answer is "the documents do not say". Weights and
threshold are fitted by ``python -m evals.fit_answerer`` on the tune halves of the
external benchmarks and the project's dev suites, the threshold chosen for a stated
precision of abstentions; they live in ``rag/data/answerer.json`` with what they were
fitted on. The defaults below are only the starting point of that fit.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .evidence import FEATURES, Candidate

MODEL_FILE = Path(__file__).resolve().parent / "data" / "answerer.json"

DEFAULT_WEIGHTS = {
    "dense": 3.0, "dense_gap": 2.0, "passage_dense": 1.0, "page_gap": 0.3, "passage_rank": 0.5, "lex": 2.0,
    "lex_context": 1.0, "lex_glossary": 1.0, "kind_match": 1.0, "figure_q_row": 0.5, "year_match": 0.5,
    "year_clash": -0.5, "row_label": 1.0, "statement": 0.3, "length": 0.0, "heading": -1.0, "anaphor": -0.3,
    "negation_yesno": 0.2, "enumeration_list": 0.3, "question_echo": -2.0, "lex_gap": 1.0, "lex_soft": 2.0,
    "metric_near": 1.0, "quarter_match": 0.5, "prior_clash": -0.5, "outlook_clash": -0.5, "total": 0.3,
    "label_extra": -0.5, "subject": 1.0,
}


# Whether to answer at all: a small logistic regression over the best candidate (its probability,
# how much of the question it holds, literally and across languages, whether a figure follows the
# asked metric) and its lead over the runner-up. A candidate can be the best of a poor lot.
ABSTAIN_FEATURES = ("prob", "lex", "lex_soft", "dense", "metric_near", "margin")
DEFAULT_ABSTAIN = {"prob": 4.0, "lex": 1.0, "lex_soft": 1.0, "dense": 1.0, "metric_near": 0.5, "margin": 1.0}


def abstain_features(cands: list[Candidate]) -> dict[str, float]:
    best = cands[0]
    second = cands[1].prob if len(cands) > 1 else 0.0
    return {"prob": best.prob, "lex": best.features.get("lex", 0.0), "lex_soft": best.features.get("lex_soft", 0.0),
            "dense": best.features.get("dense", 0.0), "metric_near": best.features.get("metric_near", 0.0),
            "margin": best.prob - second}


@dataclass(frozen=True)
class AnswerModel:
    weights: dict = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    bias: float = -4.0
    threshold: float = 0.3          # abstain when the probability that the answer is right is below
    second_margin: float = 0.15     # a second sentence joins when its probability is this close
    info: dict = field(default_factory=dict)
    abstain_weights: dict = field(default_factory=lambda: dict(DEFAULT_ABSTAIN))
    abstain_bias: float = -3.0

    def answer_probability(self, cands: list[Candidate]) -> float:
        """The probability that answering from the best of ``cands`` (scored, best first) is right."""
        f = abstain_features(cands)
        z = self.abstain_bias + sum(self.abstain_weights.get(k, 0.0) * v for k, v in f.items())
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def probability(self, features: dict) -> float:
        z = self.bias + sum(self.weights.get(f, 0.0) * features.get(f, 0.0) for f in FEATURES)
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def score(self, cands: list[Candidate]) -> None:
        for c in cands:
            c.prob = self.probability(c.features)


@lru_cache(maxsize=4)
def load_model(path: Path = MODEL_FILE) -> AnswerModel:
    if not path.is_file():
        return AnswerModel()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        abstain = data.get("abstain") or {}
        return AnswerModel({f: float(data["weights"].get(f, 0.0)) for f in FEATURES}, float(data["bias"]),
                           float(data["threshold"]), float(data.get("second_margin", 0.15)),
                           {k: v for k, v in data.items() if k not in ("weights", "bias", "threshold", "abstain")},
                           {k: float(abstain.get("weights", DEFAULT_ABSTAIN).get(k, 0.0)) for k in ABSTAIN_FEATURES},
                           float(abstain.get("bias", -3.0)))
    except (OSError, ValueError, KeyError) as e:
        raise ValueError(f"{path}: not a valid answerer model ({e}); re-run python -m evals.fit_answerer") from None


def configured_model(answering) -> AnswerModel:
    """The model an Assistant answers with: the fitted file its settings name (``answering`` is
    rag.settings.AnsweringSettings), with the abstention threshold and second-sentence margin
    replaced where those settings are given."""
    from dataclasses import replace

    model = load_model(Path(answering.model_file))
    changes = {k: v for k, v in (("threshold", answering.threshold), ("second_margin", answering.second_margin))
               if v is not None}
    return replace(model, **changes) if changes else model
