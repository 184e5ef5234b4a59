"""Uploads: safe names, size/type limits, bad files change nothing, progress."""
from __future__ import annotations

from pathlib import Path

import pytest

from ui.uploads import UploadStore, safe_filename
from ui_helpers import PDF_SENTENCE, make_pdf


@pytest.mark.parametrize("name, expected", [
    ("report.pdf", "report.pdf"),
    ("../../etc/passwd.pdf", "passwd.pdf"),
    ("..\\..\\Windows\\win.ini.TXT", "win.ini.txt"),
    ("/abs/path/notes.md", "notes.md"),
    (".hidden.md", "hidden.md"),
    ("a b<c>|d;rm -rf.PDF", "a_b_c_d_rm_-rf.pdf"),
    ("年报 2024（草稿）.pdf", "年报_2024_草稿.pdf"),
    ("..pdf", "upload.pdf"),
    ("", "upload"),
    ("bad\x00name\x07.txt", "badname.txt"),
    ("x.p$d%f", "x.pdf"),
])
def test_safe_filename(name, expected):
    assert safe_filename(name) == expected


def test_safe_filename_is_short_and_never_a_path():
    out = safe_filename("a" * 500 + ".html")
    assert out.endswith(".html") and len(out) <= 106
    for evil in ("../..", "..", ".", "/", "\\", "a/../../b.txt"):
        s = safe_filename(evil)
        assert "/" not in s and "\\" not in s and s not in ("", ".", "..")


def _tmp_file(tmp_path: Path, name: str, data: bytes) -> Path:
    d = tmp_path / "incoming"
    d.mkdir(exist_ok=True)
    p = d / name
    p.write_bytes(data)
    return p


def test_upload_is_stored_safely_and_indexed(fresh_assistant, tmp_path):
    store = UploadStore(fresh_assistant)
    pdf = make_pdf(tmp_path / "incoming" / "brief.pdf")
    events = []
    rows = store.ingest([(pdf, "../../evil dir/Zephyr Brief.PDF")], "en",
                        progress=lambda f, d: events.append((f, d)))
    assert len(rows) == 1 and rows[0]["status"] == "added", rows
    stored = Path(rows[0]["path"])
    assert stored.parent == store.root == (fresh_assistant.index_dir / "uploads").resolve()
    assert stored.name == "Zephyr_Brief.pdf" and stored.read_bytes() == pdf.read_bytes()
    doc = fresh_assistant.store.catalog.document(rows[0]["doc_id"])
    assert doc["source"] == str(stored) and doc["pages"] == 2
    assert PDF_SENTENCE in fresh_assistant.page_text(doc["doc_id"], 2)
    fracs = [f for f, _ in events]
    assert fracs == sorted(fracs) and fracs[-1] == 1.0
    assert any("passages" in d for _, d in events), events  # embedding progress was reported


def test_bad_files_are_refused_and_change_nothing(fresh_assistant, tmp_path):
    store = UploadStore(fresh_assistant, max_bytes=1000)
    good = _tmp_file(tmp_path, "good.txt", "Alpha beta gamma delta. The Quokka Harbor stores tapes.".encode())
    assert store.ingest([(good, "good.txt")])[0]["status"] == "added"
    before = fresh_assistant.sources()
    files_before = sorted(p.name for p in store.root.iterdir())
    cases = {
        "tool.exe": (b"MZ\x00\x00", "unsupported file type .exe"),
        "noext": (b"hello", "unsupported file type (none)"),
        "big.txt": (b"x" * 2000, "file too large"),
        "empty.md": (b"", "empty file"),
        "broken.pdf": (b"%PDF-1.4 this is not really a pdf", ""),
        "blank.html": (b"<html><body>   </body></html>", ""),
    }
    for name, (data, reason) in cases.items():
        row = store.ingest([(_tmp_file(tmp_path, name, data), name)])[0]
        assert row["status"] == "failed", (name, row)
        assert row["reason"] and reason in row["reason"], (name, row)
        assert row["path"] == ""
    assert fresh_assistant.sources() == before
    assert sorted(p.name for p in store.root.iterdir()) == files_before


def test_same_name_never_overwrites_and_duplicates_are_not_kept(fresh_assistant, tmp_path):
    store = UploadStore(fresh_assistant)
    a = _tmp_file(tmp_path, "a.txt", b"The first version says the plant is in Ohio.")
    r1 = store.ingest([(a, "notes.txt")])[0]
    b = _tmp_file(tmp_path, "b.txt", b"The second file says the plant is in Texas.")
    r2 = store.ingest([(b, "notes.txt")])[0]
    assert r1["status"] == r2["status"] == "added"
    assert Path(r1["path"]).name == "notes.txt" and Path(r2["path"]).name == "notes-2.txt"
    assert Path(r1["path"]).read_bytes() == a.read_bytes()  # the first upload's file is untouched
    assert r1["doc_id"] != r2["doc_id"]
    # the same bytes again, under the same or another name: nothing new is stored
    r3 = store.ingest([(a, "notes.txt")])[0]
    assert r3["status"] == "unchanged" and r3["doc_id"] == r1["doc_id"]
    r4 = store.ingest([(a, "copy-of-notes.txt")])[0]
    assert r4["status"] == "unchanged" and r4["doc_id"] == r1["doc_id"] and r4["path"] == ""
    assert sorted(p.name for p in store.root.iterdir()) == ["notes-2.txt", "notes.txt"]
    assert len(fresh_assistant.sources()) == 2


def test_remove_deletes_the_uploaded_file_only(corpus_copy_assistant, tmp_path):
    a = corpus_copy_assistant
    store = UploadStore(a)
    row = store.ingest([(_tmp_file(tmp_path, "m.md", b"# Memo\n\nThe memo names Perth."), "m.md")])[0]
    path = Path(row["path"])
    assert path.exists()
    assert store.remove(row["doc_id"]) and not path.exists()
    corpus_doc = a.sources()[0]
    assert store.remove(corpus_doc["doc_id"])
    assert Path(corpus_doc["source"]).exists(), "files the UI did not store are never deleted"
    assert not store.remove("no-such-doc")
