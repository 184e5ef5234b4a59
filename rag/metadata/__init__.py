"""Document metadata: who issued it, what kind it is, which period it covers.

A manifest entry gives these fields outright. Without one (or for fields it leaves empty) they
are inferred from the document by the conventions of its type (``infer``): an SEC cover page, an
earnings release's headline and dateline, a Chinese or English report's cover, 公司信息 and 释义.
Every inferred field is recorded with its evidence (page and text) in ``meta["inferred"]`` so the
user sees what was guessed (``rag sources --json``) and can correct it (``rag tag DOC key=value``).

Modules, by job:

- ``periods``: periods and dates in text (documents and questions alike), stored period labels;
- ``kinds``: document kinds and the words naming them;
- ``issuers``: name comparison keys, short names, legal-name shapes, the user's alias file;
- ``document``: the pages metadata is read from, ``Found`` values with evidence, ``Inference``;
- ``sec``, ``release``, ``reports``, ``generic``: the conventions of each document type;
- ``infer``: one field after another from those conventions;
- ``tags``: user corrections, merging with a manifest, a one-line description.

Vocabulary (kind words, period words, month names, legal suffixes, exchange names) is data in
``rag/data/*.toml`` (format: ``rag/data/README.md``). ``python -m rag.metadata FILE...`` prints
what would be inferred.
"""
from __future__ import annotations

from .document import Found, Inference
from .infer import FIELDS, infer_metadata
from .issuers import AliasBook, alias_paths, load_aliases, name_key, name_tokens, short_name
from .kinds import (REPORT_KINDS, SEC_FORMS, any_kind_word, find_kinds, kind_family, kind_from_filename,
                    kind_words, normalize_kind)
from .periods import (QUARTER_ENDS, DateMention, Period, calendar_end, find_dates, find_periods, normalize_date,
                      normalize_period, parse_iso_date, parse_period_label, period_ends, period_label)
from .tags import describe, merge_inferred, normalize_tag


def __getattr__(name: str):
    # KIND_WORDS / KIND_FAMILY were module constants before the vocabulary moved to data files
    if name == "KIND_WORDS":
        return kind_words()
    if name == "KIND_FAMILY":
        return kind_family()
    raise AttributeError(name)


__all__ = [
    "FIELDS", "QUARTER_ENDS", "REPORT_KINDS", "SEC_FORMS", "AliasBook", "DateMention", "Found", "Inference", "Period",
    "alias_paths", "any_kind_word", "calendar_end", "describe", "find_dates", "find_kinds", "find_periods",
    "infer_metadata", "kind_family", "kind_from_filename", "kind_words", "load_aliases", "merge_inferred", "name_key",
    "name_tokens", "normalize_date", "normalize_kind", "normalize_period", "normalize_tag", "parse_iso_date",
    "parse_period_label", "period_ends", "period_label", "short_name",
]
