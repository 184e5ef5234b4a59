"""Helpers for the LLM tests: reading the passages out of a recorded request, scripted models."""
from __future__ import annotations

import re

TIMEOUT = 1.0          # the test assistants' LLM timeout (seconds)

_PASSAGE = re.compile(r'<passage n="(\d+)"([^>]*)>\n(.*?)\n</passage n="\1">', re.S)


def passages_of(body: dict) -> dict[int, str]:
    """The numbered passages in a chat request the answerer sent."""
    user = body["messages"][-1]["content"]
    return {int(m.group(1)): m.group(3) for m in _PASSAGE.finditer(user)}


def cite(figure: str):
    """The number of the first passage in the request that contains ``figure`` (as text)."""
    def find(body: dict) -> int:
        for n, text in passages_of(body).items():
            if figure in text:
                return n
        raise AssertionError(f"no passage with {figure!r} was sent")
    return find


def echo_answer(body: dict) -> str:
    """A plausible model: the sentence of the passages sharing most characters with the question, cited."""
    from ingest.sentences import split_sentences

    user = body["messages"][-1]["content"]
    question = user.rsplit("Question:", 1)[-1].split("\n", 1)[0]
    qchars = set(question)
    best, best_n, score = "", 1, -1
    for n, text in passages_of(body).items():
        for a, b in split_sentences(text):
            s = text[a:b]
            sc = len(qchars & set(s))
            if sc > score:
                best, best_n, score = s, n, sc
    return f"{best} [{best_n}]"


def ask(assistant, question: str, mode: str, **kw):
    """(Answer, streamed tokens) through ask() or ask_stream()."""
    if mode == "ask":
        return assistant.ask(question, **kw), []
    tokens, answer = [], None
    for item in assistant.ask_stream(question, **kw):
        if isinstance(item, str):
            tokens.append(item)
        else:
            answer = item
    return answer, tokens
