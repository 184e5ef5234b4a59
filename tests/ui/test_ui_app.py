"""The app's handlers driven directly (no browser), its launch settings, and login."""
from __future__ import annotations

import html
import json
import re
import socket
from pathlib import Path
from urllib.parse import quote as urlquote

import gradio as gr
import httpx
import pytest

from rag.cli import build_parser
from ui import app as ui_app
from ui.app import UIHandlers, build_app, launch_kwargs, parse_auth, seed_bundled_corpus
from ui.examples import example_questions
from ui_helpers import ARTICLE_ID, CORPUS, PDF_QUESTION, PDF_SENTENCE, make_pdf


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def mark_text(html: str) -> str:
    import html as h

    m = re.search(r'<mark class="rag-quote">(.*?)</mark>', html, re.S)
    assert m, html[:500]
    return h.unescape(m.group(1).replace("<br>", "\n"))


# -- chat --------------------------------------------------------------------------------
def test_respond_streams_progress_then_a_cited_answer(corpus_assistant):
    h = UIHandlers(corpus_assistant)
    steps = list(h.respond("阿里巴巴将在哪些国家开设新的数据中心？", [], k=6, mode="extractive", scope=[], lang="en"))
    assert len(steps) >= 2
    first_msgs, _, box, _ = steps[0]
    assert box == "" and "rag-pending" in first_msgs[-1]["content"]  # progress shown at once
    msgs, turns, _, panel = steps[-1]
    assert [m["role"] for m in msgs] == ["user", "assistant"] and len(turns) == 1
    answer = turns[0]["answer"]
    assert not answer["abstained"] and "巴西" in answer["text"]
    assert 'class="rag-cite" href="#cite-0-1"' in msgs[-1]["content"]
    assert 'href="#cite-0-1"' in panel and "rag-card" in panel  # the sources of the latest answer


def test_follow_up_and_abstention_in_one_conversation(corpus_assistant):
    h = UIHandlers(corpus_assistant)
    msgs, turns, _ = h.ask("Which countries will Alibaba open new data centres in?", [])
    msgs, turns, _ = h.ask("What does that help reduce?", turns)
    assert len(turns) == 2 and turns[1]["answer"]["rewritten_question"]
    assert "searched as" in msgs[-1]["content"]
    assert "延迟" in turns[1]["answer"]["text"] and 'href="#cite-1-1"' in msgs[-1]["content"]
    msgs, turns, panel = h.ask("What is the name of Alibaba's chief executive officer?", turns)
    assert turns[2]["answer"]["abstained"]
    assert "Not in the documents" in msgs[-1]["content"] and "rag-cite" not in msgs[-1]["content"]
    assert "Click a citation marker" in panel
    # the markers of earlier answers still open their sources
    assert "巴西" in mark_text(h.show_citation(turns, "en", "#cite-0-1"))


def test_llm_answerer_streams_into_the_chat_when_configured(corpus_assistant):
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage

    q = "Which countries will Alibaba open new data centres in?"
    top = corpus_assistant.retrieve(q, k=4)[0].page_content
    model = GenericFakeChatModel(messages=iter([AIMessage(content=f"The article says: {top} [1]")]))
    demo = build_app(corpus_assistant, chat_model=model)
    radio = next(b for b in demo.blocks.values() if getattr(b, "elem_id", None) == "rag-answerer")
    assert radio.interactive and radio.value == "llm" and any("GenericFakeChatModel" in lbl for lbl, _ in radio.choices)
    steps = list(demo.rag_handlers.respond(q, [], k=4, mode="llm", lang="en"))
    streamed = [s[0][-1]["content"] for s in steps if "rag-streaming" in s[0][-1]["content"]]
    assert len(streamed) >= 2, "the answer grows while the model streams"
    answer = steps[-1][1][0]["answer"]
    assert answer["answerer"] == "llm" and answer["citations"]
    assert re.search(r'href="#cite-0-\d+"', steps[-1][0][-1]["content"])
    # without an LLM the choice is shown but cannot be picked
    plain = build_app(corpus_assistant)
    radio = next(b for b in plain.blocks.values() if getattr(b, "elem_id", None) == "rag-answerer")
    assert not radio.interactive and radio.value == "extractive"
    assert any("not configured" in label for label, _ in radio.choices)


def test_an_internal_error_is_reported_in_the_chat(corpus_assistant, monkeypatch):
    h = UIHandlers(corpus_assistant)

    def broken(*a, **kw):
        raise RuntimeError("vector store unavailable")
        yield

    monkeypatch.setattr(h.engine, "run", broken)
    msgs, turns, _ = h.ask("Anything?", [])
    assert "could not be answered" in msgs[-1]["content"] and "vector store unavailable" in msgs[-1]["content"]
    assert turns[0]["answer"]["abstained"]


def test_every_example_question_is_answered_with_a_citation(corpus_assistant):
    examples = example_questions(corpus_assistant)
    assert len(examples) >= 2
    assert any(re.search(r"[\u4e00-\u9fff]", q) for q in examples) and any(q.isascii() for q in examples)
    h = UIHandlers(corpus_assistant)
    for q in examples:
        _, turns, _ = h.ask(q, [])
        a = turns[0]["answer"]
        assert not a["abstained"] and a["citations"], (q, a)


def test_clicked_citation_shows_the_page_with_the_quote_highlighted(corpus_assistant):
    h = UIHandlers(corpus_assistant)
    _, turns, _ = h.ask("How large could global AI investment become over the next five years?", [])
    c = turns[0]["answer"]["citations"][0]
    html = h.on_cite_click(turns, "en", gr.EventData(None, {"href": "#cite-0-1"}))
    assert mark_text(html) == c["quote"]
    page = corpus_assistant.page_text(c["doc_id"], c["page"])
    assert page[c["start"]:c["end"]] == c["quote"]
    assert "阿里巴巴加码AI投入" in html and "news article" in html and "2025-09" in html
    assert "rag-pdf-link" not in html  # a text document: no PDF link
    assert "Click a citation marker" in h.show_citation(turns, "en", "javascript:alert(1)")
    assert "no longer available" in h.show_citation(turns, "en", "#cite-9-1")
    assert "no longer available" in h.show_citation(turns, "en", "#cite-0-9")
    assert "no longer available" in h.on_cite_click(turns, "en", gr.EventData(None, {"href": "#cite-5-1"}))


def test_language_setting_relabels_the_interface(corpus_assistant):
    demo = build_app(corpus_assistant, lang="en")
    fn = next(f for f in demo.fns.values() if getattr(f, "name", "") == "switch_language")
    out = fn.fn("zh", [])
    assert out[0] == "zh"
    flat = repr(out)
    for label in ("披露文件问答", "问答", "提问", "设置", "参考段落数", "回答方式", "界面语言", "出处", "删除"):
        assert label in flat, label
    assert "English" not in repr(out[1])


def test_settings_number_of_passages_and_scope(corpus_assistant, tmp_path):
    h = UIHandlers(corpus_assistant)
    _, turns, _ = h.ask("阿里巴巴的ADR一度上涨了多少？", [], k=1)
    assert len(turns[0]["answer"]["citations"]) >= 1
    _, turns, _ = h.ask("阿里巴巴的ADR一度上涨了多少？", [], scope=["no-such-doc"])
    assert turns[0]["answer"]["abstained"]


# -- documents ---------------------------------------------------------------------------
def test_upload_pdf_ask_about_it_open_it_and_remove_it(corpus_copy_assistant, tmp_path):
    a = corpus_copy_assistant
    demo = build_app(a)
    h: UIHandlers = demo.rag_handlers
    pdf = make_pdf(tmp_path / "gradio-tmp" / "Zephyr Briefing.pdf")
    report, table, remove_dd, scope_dd, file_box = h.upload([str(pdf)], "en", [])
    assert "added" in report and "Zephyr Briefing.pdf" in report and file_box is None
    assert not pdf.exists(), "Gradio's temporary copy is dropped once stored"
    doc = next(d for d in a.sources() if d["format"] == "pdf")
    assert doc["doc_id"] in table and any(v == doc["doc_id"] for _, v in remove_dd["choices"])
    assert Path(doc["source"]).parent == (a.index_dir / "uploads").resolve()

    _, turns, _ = h.ask(PDF_QUESTION, [])
    ans = turns[0]["answer"]
    assert not ans["abstained"] and "Reykjavik" in ans["text"], ans
    c = ans["citations"][0]
    assert c["doc_id"] == doc["doc_id"] and c["page"] == 2
    html = h.show_citation(turns, "en", "#cite-0-1")
    assert PDF_SENTENCE in mark_text(html)        # the text view, one click away
    link = re.search(r'class="rag-pdf-link" href="([^"]+)"', html).group(1)
    assert link.startswith("gradio_api/file=") and link.endswith("#page=2")
    assert doc["source"] in demo.allowed_paths  # exactly this file may be served, nothing else
    assert str(a.index_dir) not in demo.allowed_paths
    # the page as printed comes first: the rendered page with the quote's boxes over it
    assert 'data-view="page"' in html and re.search(r'id="rag-view-page-0-1" checked', html)
    img = re.search(r'<img class="rag-page-img" src="gradio_api/file=([^"]+)"', html).group(1)
    pages_dir = a.index_dir.resolve() / "pages" / doc["sha256"]
    assert Path(img) == pages_dir / "p0002-w1000.png" and Path(img).is_file()
    assert str(pages_dir) in demo.allowed_paths
    boxes = a.quote_boxes(c).boxes
    marks = re.findall(r'class="rag-hl" style="left:([\d.]+)%;top:([\d.]+)%;width:([\d.]+)%;height:([\d.]+)%"', html)
    assert len(marks) == len(boxes) >= 1
    w, h_ = a.quote_boxes(c).page_width, a.quote_boxes(c).page_height
    for (left, top, width, height), (x0, y0, x1, y1) in zip(marks, boxes):
        assert abs(float(left) - 100 * x0 / w) < 0.01 and abs(float(top) - 100 * y0 / h_) < 0.01
        assert abs(float(width) - 100 * (x1 - x0) / w) < 0.01 and abs(float(height) - 100 * (y1 - y0) / h_) < 0.01

    note, table, *_ = h.remove(doc["doc_id"], "en", [doc["doc_id"]])
    assert "Removed" in note and doc["doc_id"] not in table
    assert doc["source"] not in demo.allowed_paths and not Path(doc["source"]).exists()
    assert str(pages_dir) not in demo.allowed_paths and not pages_dir.exists()
    assert "no longer available" in h.show_citation(turns, "en", "#cite-0-1")
    assert "Choose a document" in h.remove(None, "en")[0]
    assert "No document" in h.remove("nope", "en")[0]


def test_text_citation_has_no_page_view_and_a_missing_pdf_falls_back_to_the_text(corpus_copy_assistant, tmp_path):
    a = corpus_copy_assistant
    h = UIHandlers(a)
    _, turns, _ = h.ask("How large could global AI investment become over the next five years?", [])
    html = h.show_citation(turns, "en", "#cite-0-1")
    assert 'data-view="text"' in html and "rag-page-img" not in html and "rag-view-page" not in html
    h.upload([str(make_pdf(tmp_path / "up" / "brief.pdf"))], "en", [])
    _, turns, _ = h.ask(PDF_QUESTION, [])
    doc = next(d for d in a.sources() if d["format"] == "pdf")
    Path(doc["source"]).write_bytes(make_pdf(tmp_path / "other.pdf", "Another sentence.").read_bytes())
    html = h.show_citation(turns, "en", "#cite-0-1")
    assert 'data-view="text"' in html and "rag-page-img" not in html
    assert "page image is not available" in html and "changed since" in html
    assert PDF_SENTENCE in mark_text(html)


def test_bad_upload_shows_the_reason_and_changes_nothing(corpus_copy_assistant, tmp_path):
    a = corpus_copy_assistant
    h = UIHandlers(a)
    before = a.sources()
    bad = tmp_path / "up" / "payload.exe"
    bad.parent.mkdir()
    bad.write_bytes(b"MZ")
    broken = tmp_path / "up" / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7 garbage")
    report, *_ = h.upload([str(bad), str(broken)], "zh", [])
    assert report.count("失败") >= 2 and "不支持的文件类型 .exe" in report
    assert a.sources() == before
    assert not any((a.index_dir / "uploads").glob("*"))


def test_upload_of_any_type_reaches_the_handler_and_the_report_is_replaced_at_once(corpus_assistant):
    # Gradio's own type check would refuse in the browser with a toast only, and the previous
    # upload's report would stay on screen (the browser test uploads a .exe to check the whole path)
    demo = build_app(corpus_assistant)
    upload = next(b for b in demo.blocks.values() if getattr(b, "elem_id", None) == "rag-upload")
    assert not upload.file_types
    assert "Adding 2 file(s)" in UIHandlers.upload_started(["a.exe", "b.pdf"], "en")
    assert "正在添加 1 个文件" in UIHandlers.upload_started("a.pdf", "zh")


# -- launching -----------------------------------------------------------------------------
def test_parse_auth():
    assert parse_auth(None) is None and parse_auth("  ") is None
    assert parse_auth("alice:s3:cret") == ("alice", "s3:cret")
    for bad in ("alice", "alice:", ":pw"):
        with pytest.raises(ValueError):
            parse_auth(bad)


def _capture_launch(monkeypatch):
    calls = []
    monkeypatch.setattr(gr.Blocks, "launch", lambda self, **kw: calls.append(kw))
    monkeypatch.setattr(ui_app, "warm_up", lambda a: None)
    monkeypatch.setenv("RAG_UI_SEED", "0")
    return calls


def test_rag_ui_defaults_to_localhost_7860(monkeypatch, tmp_path):
    calls = _capture_launch(monkeypatch)
    for var in ("RAG_UI_HOST", "RAG_UI_PORT", "RAG_UI_AUTH", "GRADIO_SERVER_NAME"):
        monkeypatch.delenv(var, raising=False)
    args = build_parser().parse_args(["--index", str(tmp_path / "i"), "ui"])
    assert ui_app.launch(args) == 0
    kw = calls[0]
    assert (kw["server_name"], kw["server_port"], kw["share"], kw["auth"]) == ("127.0.0.1", 7860, False, None)
    assert kw["max_file_size"] == 50 * 2**20 and kw["ssr_mode"] is False
    assert isinstance(kw["theme"], gr.themes.Base)
    assert not any(isinstance(f, gr.themes.GoogleFont) for f in kw["theme"]._font)  # no remote fonts


def test_rag_ui_auth_from_flag_or_env(monkeypatch, tmp_path):
    calls = _capture_launch(monkeypatch)
    monkeypatch.setenv("RAG_UI_AUTH", "bob:pw")
    args = build_parser().parse_args(["--index", str(tmp_path / "i"), "ui", "--host", "0.0.0.0", "--port", "9001"])
    assert ui_app.launch(args) == 0
    assert (calls[0]["server_name"], calls[0]["server_port"], calls[0]["auth"]) == ("0.0.0.0", 9001, ("bob", "pw"))
    args = build_parser().parse_args(["--index", str(tmp_path / "i"), "ui", "--auth", "carol:x"])
    assert ui_app.launch(args) == 0 and calls[1]["auth"] == ("carol", "x")
    args = build_parser().parse_args(["--index", str(tmp_path / "i"), "ui", "--auth", "nopassword"])
    assert ui_app.launch(args) == 2 and len(calls) == 2


def test_first_start_adds_the_bundled_corpus_once(fresh_assistant):
    assert seed_bundled_corpus(fresh_assistant, CORPUS)
    assert [d["doc_id"] for d in fresh_assistant.sources()] == [ARTICLE_ID]
    fresh_assistant.remove(ARTICLE_ID)
    assert not seed_bundled_corpus(fresh_assistant, CORPUS), "a user's removal is respected"
    assert fresh_assistant.sources() == []


def test_login_protects_the_app_and_the_files(corpus_copy_assistant, tmp_path):
    a = corpus_copy_assistant
    demo = build_app(a)
    h: UIHandlers = demo.rag_handlers
    h.upload([str(make_pdf(tmp_path / "up" / "brief.pdf"))], "en", [])
    doc = next(d for d in a.sources() if d["format"] == "pdf")
    port = free_port()
    demo.launch(**launch_kwargs(demo, host="127.0.0.1", port=port, auth=("alice", "s3cret"),
                                prevent_thread_lock=True, quiet=True))
    try:
        base = f"http://127.0.0.1:{port}"
        link = h.files.url_for(doc["doc_id"], 1).split("#")[0]
        image = h.files.page_image({"doc_id": doc["doc_id"], "page": 1, "quote": "", "start": 0, "end": 0})["url"]
        with httpx.Client(base_url=base, timeout=30) as c:
            assert c.get("/config").status_code == 401
            assert c.get("/" + link).status_code == 401
            assert c.get("/" + image).status_code == 401
            assert c.post("/login", data={"username": "alice", "password": "wrong"}).status_code >= 400
            assert c.post("/login", data={"username": "alice", "password": "s3cret"}).status_code == 200
            assert c.get("/config").status_code == 200
            r = c.get("/" + link)
            assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
            assert r.content == Path(doc["source"]).read_bytes()
            r = c.get("/" + image)
            assert r.status_code == 200 and r.headers["content-type"] == "image/png"
            assert r.content == a.page_image(doc["doc_id"], 1)
            # only indexed PDFs are served: not the catalog, not other files
            for other in (a.index_dir / "catalog.sqlite", CORPUS / "manifest.toml", Path("/etc/passwd")):
                assert c.get("/gradio_api/file=" + str(other.resolve())).status_code in (403, 404)
    finally:
        demo.close()


def test_nothing_about_the_index_is_served_before_login(corpus_copy_assistant, tmp_path):
    """Document ids, titles and the example questions are built into a session after login, not
    into the app: Gradio shows the app's API info (with dropdown choices) on its login page."""
    a = corpus_copy_assistant
    demo = build_app(a)
    h: UIHandlers = demo.rag_handlers
    h.upload([str(make_pdf(tmp_path / "up" / "Zephyr Board Minutes.pdf"))], "en", [])
    secrets = set()
    for d in a.sources():
        secrets |= {d["doc_id"], d["meta"].get("title") or d["doc_id"], Path(d["source"]).name}
    secrets |= set(example_questions(a))
    assert len(secrets) >= 5
    port = free_port()
    demo.launch(**launch_kwargs(demo, host="127.0.0.1", port=port, auth=("alice", "s3cret"),
                                prevent_thread_lock=True, quiet=True))
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as c:
            for path in ("/", "/login", "/config", "/gradio_api/info", "/gradio_api/openapi.json", "/manifest.json",
                         "/theme.css", "/gradio_api/startup-events"):
                body = c.get(path).text
                for secret in secrets:
                    for form in (secret, json.dumps(secret)[1:-1], html.escape(secret), urlquote(secret)):
                        assert form not in body, f"{secret!r} visible at {path} before login"
            assert c.post("/login", data={"username": "alice", "password": "s3cret"}).status_code == 200
            assert c.get("/config").status_code == 200
    finally:
        demo.close()
    # after login, the session is given them
    docs_table, remove_dd, scope_dd, chat = h.session_start("en", [])
    ids = {d["doc_id"] for d in a.sources()}
    assert {v for _, v in remove_dd["choices"]} == ids == {v for _, v in scope_dd["choices"]}
    assert all(i in docs_table for i in ids)
    assert [e["text"] for e in chat["examples"]] == example_questions(a) and chat["placeholder"] is None
