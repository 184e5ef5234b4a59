"""Metadata as stored: a user's corrections (``rag tag DOC key=value``), merging inferred fields
under a manifest's, and a one-line description."""
from __future__ import annotations

import re

from .document import Inference
from .infer import FIELDS
from .kinds import normalize_kind
from .periods import normalize_date, normalize_period


def normalize_tag(key: str, value) -> object:
    """A user's correction (``rag tag DOC key=value``) in stored form; ValueError if it cannot be."""
    if key not in FIELDS:
        raise ValueError(f"cannot tag {key!r}: use one of {', '.join(FIELDS)}")
    if isinstance(value, (list, tuple)):
        items = [str(v).strip() for v in value]
    else:
        items = [v.strip() for v in re.split(r"[,，、;]", str(value or ""))]
    text = str(value).strip() if not isinstance(value, (list, tuple)) else ", ".join(items)
    if key in ("tickers", "aliases"):
        return [v for v in dict.fromkeys(items) if v]
    if not text:
        return ""
    if key == "kind":
        return normalize_kind(text)
    if key == "period":
        p = normalize_period(text)
        if not p:
            raise ValueError(f"cannot read period {text!r}: try 2023Q1, FY2025, FY2025H1, FY2022H1-FY2024H1")
        return p
    if key in ("date", "period_end"):
        d = normalize_date(text)
        if not d:
            raise ValueError(f"cannot read {key} {text!r}: use YYYY-MM-DD (or YYYY-MM, YYYY)")
        return d
    if key == "language":
        low = text.lower()
        if low in ("zh", "zh-cn", "zh-hans", "chinese", "中文", "cn"):
            return "zh"
        if low in ("en", "english", "英文"):
            return "en"
        raise ValueError(f"language must be zh or en, not {text!r}")
    return text


def merge_inferred(info: dict, inferred: Inference) -> dict:
    """Fill the fields ``info`` (from a manifest) leaves empty; record which were inferred."""
    out = dict(info)
    evidence = dict(out.get("inferred") or {})
    for name in FIELDS:
        if out.get(name) in (None, "", [], ()) and name in inferred.fields:
            out[name] = inferred.fields[name]
            evidence[name] = inferred.evidence.get(name, "")
    if evidence:
        out["inferred"] = evidence
    return out


def describe(meta: dict) -> str:
    """One line for people: 'Acme Corp. (ACM) · earnings release · 2023Q1 · 2023-04-27 · en'."""
    issuer = meta.get("issuer", "")
    tick = ", ".join(meta.get("tickers", []) or [])
    parts = [f"{issuer} ({tick})" if issuer and tick else issuer, meta.get("kind", ""), meta.get("period", ""),
             meta.get("date", ""), meta.get("language", "")]
    return " · ".join(p for p in parts if p)
