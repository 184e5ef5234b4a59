"""Settings where they are used: `rag config`, flags as overrides of the settings `rag eval` and
`rag ui` receive (never written to the environment), and an Assistant built from its settings."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from rag.cli import main
from rag.settings import ENV, SETTINGS_FILE_ENV


@pytest.fixture
def clean(monkeypatch, tmp_path):
    """No setting from the shell, a working directory of its own."""
    for name in (*ENV.values(), SETTINGS_FILE_ENV):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _rows(out: str) -> dict[str, tuple[str, str]]:
    """`rag config` lines -> {setting: (value, origin)}."""
    rows = {}
    for line in out.splitlines()[2:]:
        setting, value, origin = line.split(None, 2)
        rows[setting] = (value, origin)
    return rows


def test_rag_config_prints_each_value_and_where_it_came_from(clean, monkeypatch, capsys):
    (clean / "rag.toml").write_text("[ui]\nport = 9000\n[retrieval]\ntop_k = 4\n", encoding="utf-8")
    monkeypatch.setenv("RAG_TOP_K", "5")
    monkeypatch.setenv("RAG_LLM_API_KEY", "sk-very-secret")
    code = main(["--index", "idx", "--llm-model", "m", "--set", "retrieval.rrf_k=30", "config"])
    out, err = capsys.readouterr()
    assert code == 0 and err == ""
    assert out.splitlines()[0] == "settings file: rag.toml"
    rows = _rows(out)
    assert rows["store.index_dir"] == ("idx", "flag --index")
    assert rows["llm.model"] == ("m", "flag --llm-model")
    assert rows["retrieval.rrf_k"] == ("30", "flag --set")
    assert rows["retrieval.top_k"] == ("5", "env RAG_TOP_K")
    assert rows["ui.port"] == ("9000", "settings file rag.toml")
    assert rows["llm.api_key"] == ("********", "env RAG_LLM_API_KEY")
    assert rows["retrieval.candidates"] == ("30", "default")
    assert "sk-very-secret" not in out
    assert not (clean / "idx").exists(), "config opens no index"

    assert main(["config", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    by_name = {r["setting"]: r for r in data["settings"]}
    assert data["settings_file"] == "rag.toml"
    assert by_name["llm.api_key"]["value"] == "********" and by_name["llm.api_key"]["env"] == "RAG_LLM_API_KEY"
    assert by_name["ui.port"] == {**by_name["ui.port"], "value": 9000, "origin": "settings file rag.toml"}


def test_a_bad_setting_is_one_line_and_exit_2(clean, monkeypatch, capsys):
    assert main(["--set", "retrieval.top_k=lots", "config"]) == 2
    assert capsys.readouterr().err == ("rag: error: invalid setting: --set retrieval.top_k='lots': "
                                       "Input should be a valid integer, unable to parse string as an integer\n")
    assert main(["--set", "top_k", "config"]) == 2
    assert "expected SETTING=VALUE" in capsys.readouterr().err
    monkeypatch.setenv("RAG_UI_PORT", "port")
    assert main(["sources"]) == 2
    assert capsys.readouterr().err.startswith("rag: error: invalid setting: RAG_UI_PORT='port'")


def test_flags_reach_rag_eval_as_settings_not_as_environment(clean, monkeypatch):
    import evals.runner
    from rag.settings import current

    seen = []
    monkeypatch.setattr(evals.runner, "main", lambda args: seen.append(current()) or 0)
    assert main(["--llm-base-url", "http://127.0.0.1:9/v1", "--llm-model", "m", "--llm-timeout", "3",
                 "eval", "suite.jsonl"]) == 0
    (s,) = seen
    assert (s.llm.base_url, s.llm.model, s.llm.timeout) == ("http://127.0.0.1:9/v1", "m", 3.0)
    assert s.origin("llm.model") == "flag --llm-model"
    assert not any(name.startswith("RAG_LLM") for name in os.environ)
    assert current().llm.model is None, "the flags apply to that command only"


def test_an_assistant_takes_every_tunable_from_its_settings(clean, hash_embedder, tmp_path):
    from rag import Assistant
    from rag.answer_model import load_model
    from rag.ranking import load_weights
    from rag.settings import DATA

    weights = tmp_path / "ranker.json"
    weights.write_text(json.dumps({"weights": {**load_weights(DATA / "page_ranker.json"), "title": 9.0}}),
                       encoding="utf-8")
    (clean / "rag.toml").write_text(f'[retrieval]\npage_ranker_file = "{weights.name}"\nrrf_k = 15\n'
                                    '[answering]\nthreshold = 0.9\n', encoding="utf-8")
    with Assistant(index_dir=tmp_path / "index", embedder=hash_embedder, top_k=3, candidates=12,
                   overfetch_factor=2.5, min_entity_sim=0.8, answer_second_margin=0.05) as a:
        assert (a.retriever.k, a.retriever.candidates, a.retriever.rrf_k) == (3, 12, 15)
        assert a.retriever.page_weights["title"] == 9.0
        assert a.store.overfetch_factor == 2.5
        model = a.extractive.model
        assert (model.threshold, model.second_margin, a.extractive.min_entity_sim) == (0.9, 0.05, 0.8)
        assert model.weights == load_model(DATA / "answerer.json").weights
        assert a.settings.origin("answering.threshold") == "settings file rag.toml"
    with pytest.raises(TypeError, match="unknown setting"):
        Assistant(index_dir=tmp_path / "index", embedder=hash_embedder, topk=3)
