"""The `rag` command: ingest, ask (--json), sources, remove; exit codes 0 / 1 / 2; no tracebacks.

Exit codes and stream contents are checked through the installed console script
(a real subprocess); a few cheaper checks call ``rag.cli.main`` in-process.
"""
from __future__ import annotations

import json

import pytest

from itest_support import ARTICLE_ID, ARTICLE_TITLE, REPO, run_rag
from rag.cli import main

ACME = "Acme Widgets opened a new data center in Jakarta in 2024. Acme Widgets hired 120 engineers.\n"


def _no_traceback(proc):
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stdout, proc.stdout


@pytest.fixture(scope="module")
def cli_index(tmp_path_factory):
    index = tmp_path_factory.mktemp("cli") / "index"
    proc = run_rag("--index", index, "ingest", "corpus/", cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    _no_traceback(proc)
    assert "added" in proc.stdout and ARTICLE_ID in proc.stdout
    return index


def test_ask_json_prints_one_object_with_cited_answer(cli_index):
    question = "阿里巴巴在哪些国家开设数据中心？"
    proc = run_rag("--index", cli_index, "ask", question, "--json")
    assert proc.returncode == 0, proc.stderr
    _no_traceback(proc)
    data = json.loads(proc.stdout)  # the whole stdout is exactly one JSON object
    assert isinstance(data, dict)
    assert {"question", "answer", "abstained", "citations"} <= set(data)
    assert data["question"] == question
    assert data["abstained"] is False
    assert isinstance(data["answer"], str) and "巴西" in data["answer"] and "荷兰" in data["answer"]
    assert data["citations"], data
    for i, c in enumerate(data["citations"], 1):
        assert set(c) == {"n", "doc_id", "title", "source", "page", "quote"}
        assert c["n"] == i
        assert c["doc_id"] == ARTICLE_ID
        assert c["title"] == ARTICLE_TITLE
        assert c["source"].endswith("article-alibaba-ai-rally.zh.txt")
        assert c["page"] is None
        assert isinstance(c["quote"], str) and c["quote"] in data["answer"]
    assert any(all(k in c["quote"] for k in ("巴西", "法国", "荷兰")) for c in data["citations"])


def test_ask_json_abstains_on_unanswerable(cli_index, capsys):
    code = main(["--index", str(cli_index), "ask", "Who chairs Alibaba's audit committee?", "--json"])
    out, _ = capsys.readouterr()
    assert code == 0
    data = json.loads(out)
    assert data["abstained"] is True and data["citations"] == []
    assert data["answer"]


def test_ask_plain_text_shows_answer_and_citation(cli_index, capsys):
    code = main(["--index", str(cli_index), "ask", "How large could global AI investment become over the next five years?"])
    out, _ = capsys.readouterr()
    assert code == 0
    assert "4万亿" in out
    assert "[1]" in out and ARTICLE_ID in out


def test_sources_lists_the_article(cli_index, capsys):
    assert main(["--index", str(cli_index), "sources"]) == 0
    out, _ = capsys.readouterr()
    assert ARTICLE_ID in out and ARTICLE_TITLE in out
    assert main(["--index", str(cli_index), "sources", "--json"]) == 0
    out, _ = capsys.readouterr()
    docs = json.loads(out)
    assert [d["doc_id"] for d in docs] == [ARTICLE_ID]


def test_ask_empty_question_is_usage_error(cli_index):
    proc = run_rag("--index", cli_index, "ask", "   ")
    assert proc.returncode == 2
    _no_traceback(proc)
    assert proc.stdout == ""
    assert "empty" in proc.stderr.lower()
    assert len(proc.stderr.strip().splitlines()) == 1


def test_ask_on_empty_index_is_usage_error(tmp_path, capsys):
    index = tmp_path / "empty-index"
    assert main(["--index", str(index), "ingest", str(tmp_path / "nothing-here.txt"), "--quiet"]) == 1
    assert (index / "catalog.sqlite").is_file()
    capsys.readouterr()
    proc = run_rag("--index", index, "ask", "阿里巴巴在哪些国家开设数据中心？", "--json")
    assert proc.returncode == 2
    _no_traceback(proc)
    assert proc.stdout == ""
    err = proc.stderr.lower()
    assert "empty" in err and "ingest" in err
    assert len(proc.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("command", [["ask", "Which countries?"], ["ask", "哪些国家？", "--json"], ["sources"],
                                     ["remove", "some-doc"], ["tag", "some-doc", "kind=10-K"]])
def test_commands_on_a_directory_without_an_index_say_so_and_create_nothing(tmp_path, command):
    where = tmp_path / "not-an-index"
    proc = run_rag("--index", where, *command)
    assert proc.returncode == 2, proc.stderr
    _no_traceback(proc)
    assert proc.stdout == ""
    assert proc.stderr.strip() == (f"rag: error: there is no index at {where}; make one with "
                                   f"`rag --index {where} ingest PATH...` (files, folders or a manifest .toml)")
    assert not where.exists(), "nothing is created"
    # the same in a directory that exists but holds no index, and for the default index
    where.mkdir()
    assert run_rag("--index", where, *command).returncode == 2 and list(where.iterdir()) == []
    proc = run_rag(*command, cwd=tmp_path)
    assert proc.returncode == 2 and "no index at .rag (the default; choose another with --index" in proc.stderr
    assert not (tmp_path / ".rag").exists()


def test_ingest_with_failures_exits_1_and_ingests_the_rest(tmp_path, capsys):
    good = tmp_path / "acme.txt"
    good.write_text(ACME, encoding="utf-8")
    zero = tmp_path / "zero.txt"
    zero.write_bytes(b"")
    junk = tmp_path / "junk.txt"
    junk.write_bytes(bytes(range(256)) * 16)
    missing = tmp_path / "missing.pdf"
    index = tmp_path / "index"
    proc = run_rag("--index", index, "ingest", good, zero, missing, junk)
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    _no_traceback(proc)
    err_lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(err_lines) == 3, proc.stderr
    for path, word in ((zero, "empty"), (missing, "no such file"), (junk, "binary")):
        [line] = [ln for ln in err_lines if str(path) in ln]
        assert line.startswith("failed") and word in line, line
    assert "added" in proc.stdout and "acme" in proc.stdout

    assert main(["--index", str(index), "sources", "--json"]) == 0
    assert [d["doc_id"] for d in json.loads(capsys.readouterr().out)] == ["acme"]

    assert main(["--index", str(index), "ingest", str(good)]) == 0  # again: unchanged, success
    assert "unchanged" in capsys.readouterr().out


def test_remove_deletes_document(tmp_path, capsys):
    good = tmp_path / "acme.txt"
    good.write_text(ACME, encoding="utf-8")
    index = str(tmp_path / "index")
    assert main(["--index", index, "ingest", str(good)]) == 0
    capsys.readouterr()
    assert main(["--index", index, "remove", "acme"]) == 0
    out, _ = capsys.readouterr()
    assert "removed acme" in out
    assert main(["--index", index, "sources", "--json"]) == 0
    out, _ = capsys.readouterr()
    assert json.loads(out) == []
    assert main(["--index", index, "remove", "acme"]) == 2
    _, err = capsys.readouterr()
    assert "acme" in err and "Traceback" not in err


@pytest.mark.parametrize("argv", [
    [],
    ["ask"],
    ["ingest"],
    ["remove"],
    ["frobnicate"],
    ["ask", "question", "--bogus-flag"],
])
def test_usage_errors_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    _, err = capsys.readouterr()
    assert "usage:" in err and "Traceback" not in err


def test_console_script_usage_error_exit_2():
    proc = run_rag()
    assert proc.returncode == 2
    _no_traceback(proc)
    assert "usage:" in proc.stderr
