# The two README commands: `make run` (set up, ingest the bundled corpus, start the UI)
# and `make test` (set up with test extras, run the test suite).
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INDEX ?= .rag

.PHONY: run ask test setup setup-dev eval bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

setup: $(BIN)/python
	$(BIN)/pip install -q -e ".[ui]"

setup-dev: $(BIN)/python
	$(BIN)/pip install -q -e ".[dev,st]"

run: setup
	$(BIN)/rag --index $(INDEX) ingest corpus/
	$(BIN)/rag --index $(INDEX) ask "阿里巴巴将在哪些国家开设新的数据中心？"
	$(BIN)/rag --index $(INDEX) ask "How large could global AI investment become over the next five years?"
	$(BIN)/rag --index $(INDEX) ui

ask: setup
	$(BIN)/rag --index $(INDEX) ingest corpus/ --quiet
	$(BIN)/rag --index $(INDEX) ask "$(Q)"

test: setup-dev
	$(BIN)/python -m pytest -q

eval: setup-dev
	$(BIN)/rag eval evals/suites/*.jsonl evals/external.toml --report evals/reports/latest.md

clean:
	rm -rf $(VENV) $(INDEX) .pytest_cache
