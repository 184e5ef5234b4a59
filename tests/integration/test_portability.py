"""Portability: the package works where fcntl does not exist (Windows), and a missing optional
part (an extra) is one clear line naming the extra to install, exit 2, no traceback.

Each case runs in a fresh Python whose import system pretends some modules are not installed."""
from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap

import pytest

from itest_support import ARTICLE_FILE_NAME, CORPUS, REPO

# Imports of these top-level modules fail as if they were not installed. fcntl only fails for
# the project's own modules: the standard library and filelock pick their platform's way.
PRELUDE = """
import builtins, importlib.abc, sys
MISSING = set(sys.argv[1].split(",")) - {""}
OURS = {"rag", "ingest", "ui", "evals"}

class NotInstalled(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in MISSING:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, NotInstalled())
_import = builtins.__import__

def no_fcntl_for_us(name, globals=None, locals=None, fromlist=(), level=0):
    if name == "fcntl" and (globals or {}).get("__name__", "").split(".")[0] in OURS:
        raise ModuleNotFoundError("No module named 'fcntl'", name="fcntl")
    return _import(name, globals, locals, fromlist, level)

builtins.__import__ = no_fcntl_for_us
del sys.argv[1]
"""


def _python(code: str, missing: list[str], *args, cwd) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), str(REPO / "tests" / "integration")])
    return subprocess.run([sys.executable, "-c", PRELUDE + textwrap.dedent(code), ",".join(missing), *map(str, args)],
                          cwd=cwd, env=env, capture_output=True, text=True, encoding="utf-8", timeout=300)


def _rag(missing: list[str], *args, cwd) -> subprocess.CompletedProcess:
    return _python("from rag.cli import main\nsys.exit(main(sys.argv[1:]))\n", missing, *args, cwd=cwd)


def test_the_api_needs_no_fcntl(tmp_path):
    """Windows has no fcntl: `from rag import Assistant`, an ingest (its lock, the catalog's and
    Chroma's opening locks) and a question work without it."""
    proc = _python(f"""
        from rag import Assistant
        from itest_support import HashEmbedder
        with Assistant(index_dir=sys.argv[1], embedder=HashEmbedder()) as a:
            assert a.ingest([{str(CORPUS / ARTICLE_FILE_NAME)!r}]).ok
            a.store.vectors.count()   # opens embedded Chroma, under its lock
            print("cited", len(a.ask("阿里巴巴将在哪些国家开设新的数据中心？").citations) > 0)
        """, [], tmp_path / "index", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip() == "cited True"


def _our_sources():
    for folder in ("rag", "ingest", "ui"):
        yield from sorted((REPO / folder).rglob("*.py"))


def test_no_module_imports_fcntl():
    """File locks come from filelock, which works on Windows too (fcntl does not exist there)."""
    offenders = []
    for p in _our_sources():
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            if "fcntl" in names:
                offenders.append(f"{p.relative_to(REPO)}:{node.lineno}")
    assert offenders == []


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    """A folder that looks like a sentence-transformers model (it is never loaded here)."""
    d = tmp_path_factory.mktemp("model")
    (d / "modules.json").write_text("[]", encoding="utf-8")
    return d


@pytest.mark.parametrize("missing, args, message", [
    (["gradio"], ["ui"], "rag ui needs the 'ui' extra: pip install -e '.[ui]'"),
    (["langchain_openai"], ["--llm-base-url", "http://127.0.0.1:9/v1", "--llm-model", "m", "ingest", "x.txt"],
     "the LLM answerer needs the 'llm' extra: pip install -e '.[llm]'"),
    (["sentence_transformers"], ["--embedder", "sentence-transformers:{model}", "ingest", "x.txt"],
     "the sentence-transformers embedder needs the 'st' extra: pip install -e '.[st]' "
     "(it pins torch==2.13.0, the CPU build)"),
    (["sentence_transformers"], ["--reranker", "sentence-transformers:{model}", "ingest", "x.txt"],
     "the cross-encoder reranker needs the 'st' extra: pip install -e '.[st]' (it pins torch==2.13.0, the CPU build)"),
], ids=["ui", "llm", "st-embedder", "st-reranker"])
def test_a_missing_extra_is_one_line_naming_it(tmp_path, model_dir, missing, args, message):
    (tmp_path / "x.txt").write_text("Revenue rose 5% in 2024.\n", encoding="utf-8")
    args = [a.format(model=model_dir) for a in args]
    proc = _rag(missing, "--index", tmp_path / "index", *args, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert proc.stderr == f"rag: error: {message}\n"
    assert proc.stdout == ""
