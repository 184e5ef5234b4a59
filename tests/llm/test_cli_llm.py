"""`rag` with an LLM endpoint: flags, streamed output, fallback messages, JSON, and `rag eval`."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from fake_openai import Reply
from llm_helpers import TIMEOUT, cite, echo_answer

from rag.cli import main
from rag.llm import UNVERIFIED_LABEL

REPO = Path(__file__).resolve().parents[2]
Q_ZH = "阿里巴巴的AI投入计划是多少？"
LLM_ENV = ("RAG_LLM_BASE_URL", "RAG_LLM_MODEL", "RAG_LLM_API_KEY", "RAG_LLM_TIMEOUT")


@pytest.fixture
def clean_llm_env(monkeypatch):
    """No RAG_LLM_* from the developer's shell; no retries against the fake endpoint."""
    for name in LLM_ENV:
        monkeypatch.setenv(name, "")
    monkeypatch.setenv("RAG_LLM_MAX_RETRIES", "0")
    yield


def _flags(server) -> list[str]:
    return ["--llm-base-url", server.base_url, "--llm-model", "fake-model", "--llm-api-key", "k",
            "--llm-timeout", str(TIMEOUT)]


def test_flags_configure_the_llm_and_ask_streams(llm_index, fake_llm, clean_llm_env, capsys):
    reply = "阿里巴巴宣布了三年逾530亿美元的AI投入计划[{n}]。"
    fake_llm.script(Reply(lambda b: reply.format(n=cite("530亿美元")(b)), chunk_chars=2))
    code = main(["--index", str(llm_index), *_flags(fake_llm), "ask", Q_ZH])
    out, err = capsys.readouterr()
    assert code == 0
    (req,) = fake_llm.chat_requests
    n = cite("530亿美元")(req["body"])
    assert req["body"]["stream"] is True and req["body"]["model"] == "fake-model"
    assert req["headers"]["authorization"] == "Bearer k"
    lines = out.splitlines()
    assert lines[0] == reply.format(n=n)                     # the streamed tokens, then a newline
    assert lines[1].startswith(f"  [{n}] 阿里巴巴加码AI投入、ADR大涨") and "530亿美元" in lines[1]
    assert "unverified" not in out and err == ""
    assert os.environ["RAG_LLM_BASE_URL"] == ""   # flags are settings of this command, not exported


def test_ask_marks_unverified_sentences(llm_index, fake_llm, clean_llm_env, capsys):
    fake_llm.script(Reply(lambda b: f"阿里巴巴宣布了三年逾600亿美元的AI投入计划[{cite('530亿美元')(b)}]。"))
    assert main(["--index", str(llm_index), *_flags(fake_llm), "ask", Q_ZH]) == 0
    out, err = capsys.readouterr()
    assert "⚠ unverified: “阿里巴巴宣布了三年逾600亿美元的AI投入计划[" in out
    assert "figure '600亿美元' not found in the cited passage" in out
    assert "rag: note:" in err and "marked unverified" in err


def test_ask_fallback_is_explained(llm_index, fake_llm, clean_llm_env, capsys):
    fake_llm.script(Reply(status=500))
    assert main(["--index", str(llm_index), *_flags(fake_llm), "ask", Q_ZH]) == 0
    out, err = capsys.readouterr()
    assert "returned HTTP 500" in err and "showing the extractive answer" in err
    assert "530亿美元" in out.splitlines()[0]                 # the extractive answer is printed


def test_ask_json_has_the_grounding_data(llm_index, fake_llm, clean_llm_env, capsys):
    fake_llm.script(Reply(lambda b: f"阿里巴巴宣布了三年逾600亿美元的AI投入计划[{cite('530亿美元')(b)}]。"))
    assert main(["--index", str(llm_index), *_flags(fake_llm), "ask", Q_ZH, "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert not fake_llm.chat_requests[0]["body"].get("stream")   # --json: no streaming
    assert d["answerer"] == "llm" and d["verified"] is False
    assert d["answer"].endswith(UNVERIFIED_LABEL["zh"])
    assert d["sentences"][0]["verified"] is False and d["sentences"][0]["numbers"][0]["text"] == "600亿美元"


def test_without_llm_flags_ask_is_extractive(llm_index, fake_llm, clean_llm_env, capsys):
    assert main(["--index", str(llm_index), "ask", Q_ZH, "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert "answerer" not in d and fake_llm.chat_requests == []


def test_base_url_without_model_warns(llm_index, fake_llm, clean_llm_env, capsys):
    assert main(["--index", str(llm_index), "--llm-base-url", fake_llm.base_url, "ask", Q_ZH]) == 0
    assert "no model" in capsys.readouterr().err and fake_llm.chat_requests == []


def test_rag_eval_runs_with_the_llm_answerer(tmp_path, fake_llm, clean_llm_env, capsys):
    """`rag eval` answers through the configured endpoint: one chat request per suite item."""
    suite = REPO / "evals" / "suites" / "article.dev.jsonl"
    items = [line for line in suite.read_text(encoding="utf-8").splitlines() if line.strip()]
    fake_llm.default = Reply(echo_answer)
    code = main([*_flags(fake_llm), "eval", str(suite), "--no-baseline", "--json", "--work", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0
    assert len(fake_llm.chat_requests) == len(items)
    report = json.loads(out)
    rows = report["article.dev.jsonl"]["ours"]["items"]
    assert len(rows) == len(items)
