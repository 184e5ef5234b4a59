"""Metadata inferred from the shared documents alone (no manifest) against evals/metadata_truth.toml.

Issue #14's bar: issuer and period right for at least 95% of the 30 documents (10 in ../shared/corpus,
18 FinanceBench filings, 2 Chinese annual reports), kind right for all. Inference reads only each
PDF's first pages (and text files whole), extracted once per session.
"""
from __future__ import annotations

import pytest

from evals.metadata_accuracy import check, format_table, measure


def test_metadata_accuracy_meets_the_bar(shared_rows, truth):
    result = measure(shared_rows, truth)
    print("\n" + format_table(result))
    assert result["documents"] == len(shared_rows)
    assert result["issuer"] >= 0.95, format_table(result)
    assert result["period"] >= 0.95, format_table(result)
    assert result["kind"] == 1.0, format_table(result)


def test_every_inferred_field_has_evidence(shared_rows):
    for row in shared_rows:
        assert set(row["evidence"]) == set(row["meta"]), row["doc_id"]
        assert all(row["evidence"].values()), (row["doc_id"], row["evidence"])


def test_a_wrong_value_is_reported_as_wrong(truth):
    """The measure itself: a swapped issuer, a calendar quarter for a fiscal one and a wrong kind are counted."""
    name = "COSTCO_2023Q3_EARNINGS.pdf"
    want = truth[name]
    right = {"issuer": want["issuer"], "period": want["period"], "period_end": want["period_end"], "kind": want["kind"],
             "aliases": want["names"], "tickers": want["tickers"]}
    assert all(ok for ok, _, _ in check(want, right).values())
    wrong = dict(right, issuer="Nasdaq Global Select Market", period="2023Q2", period_end="2023-06-30", kind="10-Q")
    got = check(want, wrong)
    assert not got["issuer"][0] and not got["period"][0] and not got["kind"][0]
    result = measure([{"doc_id": "x", "source": f"/somewhere/{name}", "meta": wrong}], truth)
    assert result["documents"] == 1 and result["issuer"] == 0.0
    assert {w["field"] for w in result["wrong"]} >= {"issuer", "period", "kind"}


@pytest.mark.parametrize("field", ["issuer", "period", "kind"])
def test_fiscal_and_calendar_periods_are_told_apart(shared_rows, truth, field):
    """Documents whose fiscal year is not the calendar year: their periods and end dates as the filer names them."""
    cases = {"BESTBUY_2023_10K.pdf", "JOHNSON_JOHNSON_2022_10K.pdf", "GENERALMILLS_2020_10K.pdf",
             "COSTCO_2023Q3_EARNINGS.pdf", "AMCOR_2023Q4_EARNINGS.pdf", "ADOBE_2022_10K.pdf"}
    rows = [r for r in shared_rows if r["source"].rsplit("/", 1)[-1] in cases]
    if not rows:
        pytest.skip("the shared documents with fiscal years are not here")
    for r in rows:
        ok, want, got = check(truth[r["source"].rsplit("/", 1)[-1]], r["meta"])[field]
        assert ok, (r["doc_id"], field, want, got, r["evidence"].get(field))
