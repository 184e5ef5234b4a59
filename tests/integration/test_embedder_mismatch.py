"""An index built with one embedder must refuse to be opened with another."""
from __future__ import annotations

import pytest

from itest_support import HashEmbedder
from rag.vectors import EmbedderMismatch

NOTE = "Acme Widgets opened a new data center in Jakarta in 2024. Acme Widgets hired 120 engineers.\n"


@pytest.fixture
def hash_index(tmp_path):
    from rag import Assistant

    note = tmp_path / "acme.txt"
    note.write_text(NOTE, encoding="utf-8")
    index_dir = tmp_path / "index"
    with Assistant(index_dir=index_dir, embedder=HashEmbedder()) as a:
        assert [r.status for r in a.ingest([note])] == ["added"]
        assert a.store.vectors.count() == a.store.catalog.count_chunks() > 0
    return index_dir


def test_opening_with_default_embedder_is_a_clear_error(hash_index):
    from rag import Assistant

    with pytest.raises(EmbedderMismatch) as info:
        Assistant(index_dir=hash_index)
    message = str(info.value)
    assert HashEmbedder.ID in message and "use-multilingual-v3" in message
    assert str(hash_index) in message


def test_index_still_usable_with_its_own_embedder(hash_index):
    from rag import Assistant

    with pytest.raises(EmbedderMismatch):
        Assistant(index_dir=hash_index)
    with Assistant(index_dir=hash_index, embedder=HashEmbedder()) as a:
        assert [d["doc_id"] for d in a.sources()] == ["acme"]
        assert a.store.vectors.count() == a.store.catalog.count_chunks() > 0
        assert a.store.catalog.get_meta("embedder") == HashEmbedder.ID


def test_cli_reports_mismatch_with_exit_2(hash_index, capsys):
    from rag.cli import main

    code = main(["--index", str(hash_index), "ask", "Where did Acme open a data center?"])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("rag: error:")
    assert HashEmbedder.ID in lines[0]
