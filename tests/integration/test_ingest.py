"""Ingest on real on-disk indexes: per-file results, idempotence, replacement, removal, bad files."""
from __future__ import annotations

import hashlib
import os
import random

import pytest

from itest_support import (ARTICLE_ID, CORPUS, REPO, assert_consistent, build_pdf, catalog_chunks,
                           check_citation_verbatim, vector_entries)

ORION_V1 = ("Orion Logistics opened a warehouse in Rotterdam in 2022. The Rotterdam warehouse has 300 staff. "
            "Orion Logistics reported revenue of 75 million euros.\n")
ORION_V2 = ("Orion Logistics opened a warehouse in Gdansk in 2024. The Gdansk warehouse employs 450 people. "
            "Orion Logistics also leased a depot near Poznan. Revenue reached 91 million euros.\n")
ACME = "Acme Widgets opened a new data center in Jakarta in 2024. Acme Widgets hired 120 engineers.\n"


def _by_name(report):
    return {os.path.basename(r.path.rstrip("/")): r for r in report}


def test_contract_example_ingest_is_idempotent(tmp_path, monkeypatch):
    """`Assistant(index_dir=...)` then `ingest(["corpus/", "x.pdf"])` twice: added, then all unchanged."""
    from rag import Assistant

    pdf = build_pdf(tmp_path / "x.pdf")
    monkeypatch.chdir(REPO)  # "corpus/" is relative, as a user would type it
    index_dir = tmp_path / "some" / "dir"
    with Assistant(index_dir=index_dir) as a:
        first = a.ingest(["corpus/", str(pdf)])
        assert sorted((r.doc_id, r.status) for r in first) == [(ARTICLE_ID, "added"), ("x", "added")], \
            [r.line() for r in first]
        assert first.ok
        pdf_result = next(r for r in first if r.doc_id == "x")
        assert pdf_result.pages == 3 and pdf_result.chunks >= 3
        n_chunks = a.store.catalog.count_chunks()
        assert n_chunks == a.store.vectors.count() == sum(r.chunks for r in first)
        ids_before = set(vector_entries(a))
        assert_consistent(a)

        second = a.ingest(["corpus/", str(pdf)])
        assert sorted((r.doc_id, r.status) for r in second) == [(ARTICLE_ID, "unchanged"), ("x", "unchanged")]
        assert a.store.catalog.count_chunks() == a.store.vectors.count() == n_chunks
        assert set(vector_entries(a)) == ids_before
        assert_consistent(a)
        embedder = a.embedder

    # reopened from disk: same content, still unchanged, still answers
    with Assistant(index_dir=index_dir, embedder=embedder) as b:
        third = b.ingest([CORPUS / "article-alibaba-ai-rally.zh.txt"])
        assert [(r.doc_id, r.status) for r in third] == [(ARTICLE_ID, "unchanged")]
        assert b.store.catalog.count_chunks() == b.store.vectors.count() == n_chunks
        ans = b.ask("阿里巴巴在哪些国家开设数据中心？")
        assert not ans.abstained and any("荷兰" in c.quote for c in ans.citations)


def test_changed_file_is_replaced_and_old_chunks_are_gone(fresh_assistant, tmp_path):
    a = fresh_assistant
    f = tmp_path / "docs" / "orion-update.txt"
    f.parent.mkdir()
    f.write_text(ORION_V1, encoding="utf-8")
    other = tmp_path / "docs" / "acme.txt"
    other.write_text(ACME, encoding="utf-8")
    r1 = a.ingest([f, other])
    assert [(r.doc_id, r.status) for r in r1] == [("orion-update", "added"), ("acme", "added")]
    old_ids = {c["chunk_id"] for c in catalog_chunks(a) if c["doc_id"] == "orion-update"}
    acme_ids = {c["chunk_id"] for c in catalog_chunks(a) if c["doc_id"] == "acme"}

    f.write_text(ORION_V2, encoding="utf-8")
    r2 = a.ingest([f, other])
    assert [(r.doc_id, r.status) for r in r2] == [("orion-update", "replaced"), ("acme", "unchanged")]

    assert sorted(d["doc_id"] for d in a.sources()) == ["acme", "orion-update"]  # replaced, not duplicated
    orion = a.store.catalog.document("orion-update")
    assert orion["version"] == hashlib.sha256(ORION_V2.encode()).hexdigest()[:16]
    chunks = [c for c in catalog_chunks(a) if c["doc_id"] == "orion-update"]
    assert len(chunks) == r2.results[0].chunks == orion["chunks"]
    assert all("Rotterdam" not in c["text"] for c in chunks)
    assert any("Gdansk" in c["text"] for c in chunks)
    assert "Rotterdam" not in a.page_text("orion-update", None)
    vectors = vector_entries(a)
    assert old_ids.isdisjoint(vectors), "vectors of the replaced version are still in Chroma"
    assert acme_ids <= set(vectors)
    assert_consistent(a)

    ans = a.ask("Where did Orion Logistics open a warehouse?")
    assert not ans.abstained, ans.text
    assert any("Gdansk" in c.quote for c in ans.citations)
    assert all("Rotterdam" not in c.quote for c in ans.citations)


def test_remove_deletes_the_documents_chunks(fresh_assistant, tmp_path):
    a = fresh_assistant
    (tmp_path / "orion.txt").write_text(ORION_V1, encoding="utf-8")
    (tmp_path / "acme.txt").write_text(ACME, encoding="utf-8")
    report = a.ingest([tmp_path / "orion.txt", tmp_path / "acme.txt"])
    assert report.ok
    acme_chunks = a.store.catalog.document("acme")["chunks"]

    assert a.remove("orion") is True
    assert [d["doc_id"] for d in a.sources()] == ["acme"]
    assert a.store.catalog.count_chunks() == a.store.vectors.count() == acme_chunks
    assert all(m["doc_id"] == "acme" for m in vector_entries(a).values())
    assert a.page_text("orion", None) is None
    assert_consistent(a)
    assert a.remove("orion") is False

    ans = a.ask("Where did Orion Logistics open a warehouse in 2022?")
    assert all(c.doc_id != "orion" for c in ans.citations)
    assert "Rotterdam" not in ans.text


def test_bad_files_are_reported_and_skipped_good_files_ingested(fresh_assistant, tmp_path):
    a = fresh_assistant
    keep = tmp_path / "keep.txt"
    keep.write_text(ACME, encoding="utf-8")
    assert [r.status for r in a.ingest([keep])] == ["added"]
    keep_chunks = a.store.catalog.count_chunks()

    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "zero.txt").write_bytes(b"")
    (bad / "corrupt.pdf").write_bytes(b"%PDF-1.4\n1 0 obj<<>>garbage\x00\x01" + bytes(range(256)) * 4
                                      + b"\n%%EOF\n")
    whole = build_pdf(bad / "whole.pdf").read_bytes()
    (bad / "whole.pdf").unlink()
    (bad / "truncated.pdf").write_bytes(whole[: len(whole) // 2])
    (bad / "junk.txt").write_bytes(random.Random(1).randbytes(8192))
    build_pdf(bad / "image-only.pdf", pages=[""], header=None)
    good = tmp_path / "orion.txt"
    good.write_text(ORION_V1, encoding="utf-8")
    pdf = build_pdf(tmp_path / "northwind.pdf")
    missing = tmp_path / "missing.txt"

    report = a.ingest([missing, bad / "zero.txt", bad / "corrupt.pdf", good, bad / "junk.txt",
                       bad / "truncated.pdf", bad / "image-only.pdf", pdf])
    results = _by_name(report)
    assert {n: r.status for n, r in results.items()} == {
        "missing.txt": "failed", "zero.txt": "failed", "corrupt.pdf": "failed", "orion.txt": "added",
        "junk.txt": "failed", "truncated.pdf": "failed", "image-only.pdf": "failed", "northwind.pdf": "added"}
    expected_reason = {
        "missing.txt": ("no such file",),
        "zero.txt": ("empty",),
        "corrupt.pdf": ("corrupt PDF",),
        "truncated.pdf": ("truncated PDF", "corrupt PDF"),
        "junk.txt": ("binary", "encoding"),
        "image-only.pdf": ("no extractable text",),
    }
    assert not report.ok and len(report.failed) == 6
    for name, words in expected_reason.items():
        r = results[name]
        line = r.line()
        assert "\n" not in line
        assert name in line and r.reason in line
        assert any(w in r.reason for w in words), (name, r.reason)

    # nothing already in the index was lost, good files of the same call are searchable
    assert {d["doc_id"] for d in a.sources()} == {"keep", "orion", "northwind"}
    assert a.store.catalog.document("keep")["chunks"] == keep_chunks
    assert_consistent(a)
    ans = a.ask("Where did Acme Widgets open a new data center?")
    assert not ans.abstained and any(c.doc_id == "keep" and "Jakarta" in c.quote for c in ans.citations)


def test_encrypted_pdf_is_reported(fresh_assistant, tmp_path):
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    pdf.add_page()
    pdf.multi_cell(0, 8, "Secret text about revenue.")
    pdf.set_encryption(owner_password="owner", user_password="user")
    locked = tmp_path / "locked.pdf"
    pdf.output(str(locked))
    good = tmp_path / "acme.txt"
    good.write_text(ACME, encoding="utf-8")
    results = _by_name(fresh_assistant.ingest([locked, good]))
    assert results["locked.pdf"].status == "failed"
    assert "password" in results["locked.pdf"].reason
    assert "locked.pdf" in results["locked.pdf"].line()
    assert results["acme.txt"].status == "added"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root can read any file")
def test_unreadable_file_is_reported(fresh_assistant, tmp_path):
    f = tmp_path / "secret.txt"
    f.write_text(ACME, encoding="utf-8")
    f.chmod(0)
    try:
        [r] = fresh_assistant.ingest([f]).results
    finally:
        f.chmod(0o644)
    assert r.status == "failed" and "secret.txt" in r.line()
    assert "read" in r.reason or "permission" in r.reason


def test_failed_replacement_keeps_the_indexed_version(fresh_assistant, tmp_path):
    """A file that turns bad (here: emptied) is reported; its last good version stays searchable."""
    a = fresh_assistant
    f = tmp_path / "acme.txt"
    f.write_text(ACME, encoding="utf-8")
    assert [r.status for r in a.ingest([f])] == ["added"]
    before = {c["chunk_id"] for c in catalog_chunks(a)}
    f.write_bytes(b"")
    [r] = a.ingest([f]).results
    assert r.status == "failed" and "empty" in r.reason
    assert {c["chunk_id"] for c in catalog_chunks(a)} == before
    assert_consistent(a)


def test_folder_with_manifest_applies_metadata(fresh_assistant):
    report = fresh_assistant.ingest([CORPUS / "manifest.toml"])
    assert [(r.doc_id, r.status) for r in report] == [(ARTICLE_ID, "added")]
    meta = fresh_assistant.sources()[0]["meta"]
    assert meta["issuer"] == "Alibaba Group Holding Limited"
    assert meta["tickers"] == ["BABA", "9988"]


def test_empty_index_gives_a_clear_message(fresh_assistant):
    ans = fresh_assistant.ask("阿里巴巴在哪些国家开设数据中心？")
    assert ans.abstained and ans.citations == []
    assert "empty" in ans.text.lower() and "ingest" in ans.text.lower()
    assert fresh_assistant.sources() == []
    assert fresh_assistant.remove("anything") is False
