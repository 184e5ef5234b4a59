"""The Gradio app: chat with cited answers, a source viewer, documents, settings.

(Over 500 lines on purpose: this module is the page's layout and the wiring of its events, which
Gradio builds in one ``gr.Blocks`` context; what they call lives elsewhere — rendering in
ui/render.py, answering in ui/engine.py, uploads in ui/uploads.py, texts in ui/i18n.py.)

``build_app(assistant)`` returns the ``gr.Blocks``; ``launch(args)`` is what
``rag ui`` runs. The handlers are plain methods of :class:`UIHandlers` so tests
can drive them without a browser.

How a click on a citation marker reaches Python: answers contain
``<a class="rag-cite" href="#cite-TURN-N">``; the source panel (a ``gr.HTML``)
installs one document-level click listener on load that turns such clicks into
the panel's ``click`` event with ``{"href": ...}``; ``show_citation`` renders the
page with the quote in ``<mark>`` and, for a PDF, first the page as printed: rendered
server-side (rag/page_images.py, cached under ``<index>/pages/``, served through
Gradio's file route like the PDF itself) with the quote's boxes laid over it.
"""
from __future__ import annotations

import json
import sys
import threading
from pathlib import Path

from rag.settings import quiet_gradio

quiet_gradio()   # before Gradio is imported

import gradio as gr  # noqa: E402

from .engine import ChatEngine, install_progress_embedder  # noqa: E402
from .examples import example_questions  # noqa: E402
from .i18n import LANGUAGE_CHOICES, norm_lang, t  # noqa: E402
from .render import (  # noqa: E402
    answer_html, doc_choices, docs_table_html, esc, ingest_report_html, overview_html, parse_cite_href,
    pdf_url, pending_html, question_html, source_hint_html, source_html, streaming_html, upload_pending_html,
)
from .uploads import UploadStore  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
BUNDLED_CORPUS = REPO / "corpus"
SEED_MARKER = "ui-seeded"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}

SYSTEM_FONTS = ["system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial",
                "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei", "sans-serif"]
MONO_FONTS = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"]

CSS = """
.rag-header h1 { margin-bottom: 0; }
.rag-answer { line-height: 1.65; }
.rag-cite { color: var(--color-accent) !important; font-weight: 600; text-decoration: none !important;
  cursor: pointer; padding: 0 2px; border-radius: 4px; white-space: nowrap; }
.rag-cite:hover { background: var(--color-accent-soft); }
.rag-sources { margin-top: 8px; padding-top: 6px; border-top: 1px solid var(--border-color-primary); font-size: .9em; }
.rag-src-item { margin-right: 10px; }
.rag-muted, .rag-note, .rag-why { color: var(--body-text-color-subdued); font-size: .9em; }
.rag-note { margin-top: 6px; }
.rag-abstain { border-left: 4px solid #d97706; padding-left: 10px; }
.rag-abstain-title { font-weight: 700; color: #b45309; }
.rag-pending { color: var(--body-text-color-subdued); font-style: italic; }
.rag-spinner { display: inline-block; width: .8em; height: .8em; border: 2px solid currentColor;
  border-right-color: transparent; border-radius: 50%; animation: rag-spin .8s linear infinite; vertical-align: -1px; }
@keyframes rag-spin { to { transform: rotate(360deg); } }
.rag-caret { animation: rag-blink 1s step-end infinite; }
@keyframes rag-blink { 50% { opacity: 0; } }
.rag-source { padding: 4px 2px; }
.rag-source-title { font-size: 1.1em; font-weight: 700; margin-bottom: 2px; }
.rag-source-meta { color: var(--body-text-color-subdued); font-size: .9em; margin-bottom: 8px; }
.rag-badge { color: var(--color-accent); font-weight: 700; }
.rag-open { margin-bottom: 8px; }
.rag-page { max-height: 460px; overflow-y: auto; line-height: 1.75; padding: 10px 12px; border-radius: 8px;
  border: 1px solid var(--border-color-primary); background: var(--background-fill-secondary); }
mark.rag-quote { background: #fde047; color: #111; padding: 1px 0; border-radius: 2px; box-shadow: 0 0 0 2px #fde047; }
.rag-views { display: flex; flex-wrap: wrap; align-items: center; gap: 4px 6px; }
.rag-views > input { position: absolute; opacity: 0; width: 1px; height: 1px; pointer-events: none; }
.rag-view-tab { cursor: pointer; padding: 2px 10px; border-radius: 6px; border: 1px solid var(--border-color-primary);
  font-size: .9em; user-select: none; }
.rag-views > input:checked + .rag-view-tab { background: var(--color-accent-soft); border-color: var(--color-accent); font-weight: 600; }
.rag-views > input:focus-visible + .rag-view-tab { outline: 2px solid var(--color-accent); }
.rag-views .rag-pdf-link { margin-left: auto; }
.rag-views > .rag-note, .rag-views > .rag-page-scroll, .rag-views > .rag-page-text { flex-basis: 100%; }
.rag-views > .rag-page-scroll, .rag-views > .rag-page-text { display: none; }
.rag-views > input.rag-view-page:checked ~ .rag-page-scroll, .rag-views > input.rag-view-text:checked ~ .rag-page-text { display: block; }
.rag-page-scroll { max-height: 640px; overflow-y: auto; border-radius: 8px; border: 1px solid var(--border-color-primary); }
.rag-page-image { position: relative; width: 100%; background: #fff; }
.rag-page-image img { display: block; width: 100%; height: 100%; }
.rag-hl { position: absolute; background: rgba(255, 213, 0, .5); mix-blend-mode: multiply; border-radius: 2px;
  pointer-events: none; }
.rag-hint { color: var(--body-text-color-subdued); margin-bottom: 6px; }
.rag-card { display: block; padding: 8px 10px; margin: 6px 0; border-radius: 8px; color: inherit !important;
  border: 1px solid var(--border-color-primary); font-weight: normal; white-space: normal; }
.rag-card:hover { border-color: var(--color-accent); }
.rag-card-title { font-weight: 600; }
.rag-card-meta { display: block; color: var(--body-text-color-subdued); font-size: .85em; }
.rag-card-quote { display: block; margin-top: 2px; }
.rag-docs-table { width: 100%; border-collapse: collapse; font-size: .92em; }
.rag-docs-table th, .rag-docs-table td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--border-color-primary); }
.rag-ingest-report ul { margin: 4px 0 0 0; padding-left: 18px; }
.rag-ingest-failed .rag-status { color: #b91c1c; font-weight: 700; }
.rag-ingest-added .rag-status, .rag-ingest-replaced .rag-status { color: #15803d; font-weight: 700; }
.rag-reason { color: #b91c1c; font-size: .9em; }
"""

# Runs when the source panel mounts: one document-level listener for all citation
# markers (in answers and in the panel), and scrolling the highlighted quote into view.
SOURCE_PANEL_JS = """
window.__ragTrigger = trigger;
if (!window.__ragCiteHooked) {
  window.__ragCiteHooked = true;
  document.addEventListener('click', function (e) {
    var a = e.target && e.target.closest ? e.target.closest('a.rag-cite') : null;
    if (!a) return;
    e.preventDefault();
    e.stopPropagation();
    if (window.__ragTrigger) window.__ragTrigger('click', {href: a.getAttribute('href') || ''});
  }, true);
}
function ragReveal() {
  var m = element.querySelector('mark.rag-quote');
  var box = element.querySelector('.rag-page');
  if (m && box && box.offsetParent) box.scrollTop = Math.max(0, m.offsetTop - box.offsetTop - box.clientHeight / 3);
  var hl = element.querySelector('.rag-hl');
  var sc = element.querySelector('.rag-page-scroll');
  if (hl && sc && sc.offsetParent) sc.scrollTop = Math.max(0, hl.offsetTop - sc.clientHeight / 3);
}
watch('value', ragReveal);
element.addEventListener('change', function (e) {
  if (e.target && e.target.matches && e.target.matches('.rag-views > input')) ragReveal();
});
"""


def parse_auth(spec: str | None) -> tuple[str, str] | None:
    """``user:password`` -> (user, password); None/empty -> None; anything else -> ValueError."""
    if spec is None or not spec.strip():
        return None
    user, sep, password = spec.strip().partition(":")
    if not sep or not user or not password:
        raise ValueError("--auth / RAG_UI_AUTH must look like USER:PASSWORD (both non-empty)")
    return user, password


class FileAccess:
    """Which original files the browser may open: the PDFs of indexed documents, one by one,
    through Gradio's own file route (so --auth protects them too)."""

    def __init__(self, assistant):
        self.assistant = assistant
        self.blocks = None

    def initial(self) -> list[str]:
        return [d["source"] for d in self.assistant.sources() if self._servable(d)]

    @staticmethod
    def _servable(doc: dict | None) -> bool:
        return bool(doc and doc.get("format") == "pdf" and doc.get("source") and Path(doc["source"]).is_file())

    def url_for(self, doc_id: str, page: int | None) -> str | None:
        doc = self.assistant.store.catalog.document(doc_id)
        if not self._servable(doc):
            return None
        self._allow(doc["source"])
        return pdf_url(doc["source"], page or 1)

    def _allow(self, path: str) -> None:
        if self.blocks is not None:
            allowed = getattr(self.blocks, "allowed_paths", None)
            if allowed is None:
                allowed = self.blocks.allowed_paths = []
            if path not in allowed:
                allowed.append(path)

    def page_image(self, c: dict) -> dict | None:
        """The cited PDF page rendered (cached under <index>/pages/), served like the PDFs, and
        the quote's boxes: {"url", "page_size", "boxes"}; {"error"} when it cannot be shown;
        None for documents that are not PDFs."""
        from rag.page_images import PageImageError

        try:
            qb = self.assistant.quote_boxes(c)
            if qb is None:
                return None
            png = self.assistant.page_images.png_path(c["doc_id"], c["page"])
        except PageImageError as e:
            return {"error": str(e)}
        self._allow(str(png.parent))     # this document's rendered pages, nothing else of the index
        return {"url": pdf_url(str(png), None), "page_size": [qb.page_width, qb.page_height], "boxes": qb.boxes}

    def forget(self, source: str | None) -> None:
        allowed = getattr(self.blocks, "allowed_paths", None) if self.blocks is not None else None
        if source and allowed and source in allowed:
            allowed.remove(source)

    def forget_document(self, doc: dict | None) -> None:
        """A removed document: neither its PDF nor its rendered pages are served any more."""
        if doc:
            self.forget(doc.get("source"))
            if doc.get("sha256"):
                self.forget(str(self.assistant.page_images.root / doc["sha256"]))


class UIHandlers:
    """Everything the UI does, callable without a browser."""

    def __init__(self, assistant, chat_model=None, uploads: UploadStore | None = None):
        self.assistant = assistant
        install_progress_embedder(assistant)
        self.engine = ChatEngine(assistant, chat_model=chat_model)
        self.uploads = uploads or UploadStore(assistant)
        self.files = FileAccess(assistant)

    # -- chat ---------------------------------------------------------------------------
    @staticmethod
    def messages(turns: list[dict], lang: str) -> list[dict]:
        out = []
        for i, turn in enumerate(turns):
            out.append({"role": "user", "content": question_html(turn["question"])})
            if turn.get("answer") is not None:
                out.append({"role": "assistant", "content": answer_html(i, turn["answer"], lang)})
        return out

    def respond(self, question, turns, k=None, mode="extractive", scope=None, lang="en"):
        """Generator of (chat messages, turns, question box, source panel)."""
        lang = norm_lang(lang)
        question = (question or "").strip()
        turns = list(turns or [])
        if not question:
            yield self.messages(turns, lang), turns, gr.skip(), gr.skip()
            return
        base = self.messages(turns, lang) + [{"role": "user", "content": question_html(question)}]
        n_docs = len(scope) if scope else len(self.assistant.sources())
        yield (base + [{"role": "assistant", "content": pending_html(t(lang, "searching", n=n_docs))}],
               turns, "", gr.skip())
        answer = None
        try:
            for ev in self.engine.run(question, turns, k=int(k) if k else None, doc_ids=scope or None,
                                      mode=mode or "extractive"):
                if "partial" in ev:
                    yield (base + [{"role": "assistant", "content": streaming_html(ev["partial"], lang)}],
                           turns, gr.skip(), gr.skip())
                else:
                    answer = ev["answer"]
        except Exception as e:  # say what went wrong in the conversation instead of hanging on "Searching…"
            answer = {"question": question, "text": "", "abstained": True, "citations": [], "error": True,
                      "notices": [f"{type(e).__name__}: {e}"[:500]]}
        turns = turns + [{"question": question, "answer": answer}]
        yield self.messages(turns, lang), turns, gr.skip(), overview_html(len(turns) - 1, answer, lang)

    def ask(self, question, turns=None, **kw) -> tuple[list[dict], list[dict], str]:
        """Non-streaming helper (tests): (messages, turns, source panel html)."""
        out = None
        for out in self.respond(question, turns or [], **kw):
            pass
        return out[0], out[1], out[3]

    def show_citation(self, turns, lang, href: str | None) -> str:
        lang = norm_lang(lang)
        ref = parse_cite_href(href)
        if ref is None:
            return source_hint_html(lang)
        turn_i, n = ref
        turns = turns or []
        if not 0 <= turn_i < len(turns) or not turns[turn_i].get("answer"):
            return source_html(turn_i, None, None, lang)
        c = next((c for c in turns[turn_i]["answer"].get("citations") or [] if int(c["n"]) == n), None)
        if c is None:
            return source_html(turn_i, None, None, lang)
        doc = self.assistant.store.catalog.document(c["doc_id"])
        page_text = self.assistant.page_text(c["doc_id"], c.get("page")) if doc else None
        url = self.files.url_for(c["doc_id"], c.get("page")) if doc else None
        image = self.files.page_image(c) if url and c.get("page") else None
        return source_html(turn_i, c, page_text, lang, url, image)

    def on_cite_click(self, turns, lang, evt: gr.EventData):
        data = getattr(evt, "_data", None) or {}
        return self.show_citation(turns, lang, data.get("href") if isinstance(data, dict) else None)

    def new_conversation(self, lang):
        return [], [], source_hint_html(norm_lang(lang)), ""

    # -- documents ------------------------------------------------------------------------
    def docs_outputs(self, lang, scope=None):
        docs = self.assistant.sources()
        choices = doc_choices(docs)
        ids = {d["doc_id"] for d in docs}
        keep = [s for s in (scope or []) if s in ids]
        return (docs_table_html(docs, norm_lang(lang)), gr.update(choices=choices, value=None),
                gr.update(choices=choices, value=keep))

    def session_start(self, lang, scope=None):
        """What a new session shows of the index (after login, when --auth is on): the documents
        list and menus, and the example questions (or, on an empty index, how to add documents)."""
        docs = self.docs_outputs(lang, scope)
        examples = example_list(self.assistant)
        chat = gr.update(examples=examples or None,
                         placeholder=None if self.assistant.sources() else t(norm_lang(lang), "empty_index"))
        return (*docs, chat)

    @staticmethod
    def upload_started(paths, lang) -> str:
        """The report area as soon as files are chosen: this upload's, not the previous one's."""
        n = len(paths) if isinstance(paths, list) else int(bool(paths))
        return upload_pending_html(n, norm_lang(lang))

    def upload(self, paths, lang, scope=None, progress=None):
        """paths: temporary files from gr.File. Returns (report, docs table, remove dd, scope dd, file box)."""
        lang = norm_lang(lang)
        if isinstance(paths, (str, Path)):
            paths = [paths]
        files = [(str(p), Path(str(p)).name) for p in (paths or []) if p]
        cb = (lambda frac, desc: progress(frac, desc=desc)) if progress is not None else None
        rows = self.uploads.ingest(files, lang, progress=cb) if files else []
        sources = {d.get("source") for d in self.assistant.sources()}
        for p, _ in files:  # the upload is stored (or refused): drop Gradio's temporary copy, nothing else
            tmp = Path(p).resolve()
            if tmp.parent == self.uploads.root or str(tmp) in sources:
                continue
            try:
                tmp.unlink(missing_ok=True)
            except OSError:
                pass
        return (ingest_report_html(rows, lang), *self.docs_outputs(lang, scope), None)

    def remove(self, doc_id, lang, scope=None):
        lang = norm_lang(lang)
        if not doc_id:
            msg = t(lang, "remove_none")
        else:
            doc = self.assistant.store.catalog.document(doc_id)
            if self.uploads.remove(doc_id):
                self.files.forget_document(doc)
                msg = t(lang, "removed", doc=doc_id)
            else:
                msg = t(lang, "remove_missing", doc=doc_id)
        return (f'<div class="rag-note">{esc(msg)}</div>', *self.docs_outputs(lang, scope))


def example_list(assistant) -> list[dict]:
    return [{"text": q} for q in example_questions(assistant)]


def build_app(assistant, *, lang: str = "en", chat_model=None, uploads: UploadStore | None = None) -> gr.Blocks:
    """The whole UI over ``assistant``. The LLM answerer is offered when the assistant has
    one, when an LLM endpoint and model are set (RAG_LLM_BASE_URL, RAG_LLM_MODEL), or when ``chat_model`` (a LangChain
    chat model) is given."""
    lang = norm_lang(lang)
    h = UIHandlers(assistant, chat_model=chat_model, uploads=uploads)
    engine = h.engine
    # Nothing derived from the index (document ids and titles, example questions) is built into the
    # app: Gradio serves what is built here, e.g. a dropdown's choices in the API info, on the page
    # it shows before login. Those values are filled in when a session starts (demo.load below).
    k_default = int(assistant.settings.retrieval.top_k)
    mb = h.uploads.max_bytes // 2**20

    def answerer_choices(lg):
        llm_label = t(lg, "answerer_llm", model=engine.llm_name) if engine.llm_available else t(lg, "answerer_llm_off")
        return [(t(lg, "answerer_extractive"), "extractive"), (llm_label, "llm")]

    with gr.Blocks(title=t(lang, "title"), analytics_enabled=False, delete_cache=(3600, 3600)) as demo:
        demo.rag_handlers = h
        lang_state = gr.State(lang)
        turns_state = gr.State([])

        header = gr.Markdown(f"# {t(lang, 'title')}\n{t(lang, 'subtitle')}", elem_classes=["rag-header"])
        with gr.Tabs():
            with gr.Tab(t(lang, "tab_chat"), id="chat") as tab_chat:
                with gr.Row(equal_height=False):
                    with gr.Column(scale=1, min_width=420):
                        chatbot = gr.Chatbot(
                            label=t(lang, "chatbot"), elem_id="rag-chat", height=560, layout="bubble",
                            examples=None, latex_delimiters=[],
                            feedback_options=None, buttons=["copy", "copy_all"], sanitize_html=True)
                        with gr.Row():
                            question = gr.Textbox(label=t(lang, "question"), placeholder=t(lang, "question_ph"),
                                                  show_label=False, lines=1, max_lines=6, scale=6,
                                                  elem_id="rag-question", autofocus=True)
                            ask_btn = gr.Button(t(lang, "ask"), variant="primary", scale=1, min_width=90,
                                                elem_id="rag-ask")
                        with gr.Row():
                            new_btn = gr.Button(t(lang, "new_chat"), size="sm", variant="secondary",
                                                elem_id="rag-new")
                        with gr.Accordion(t(lang, "settings"), open=False, elem_id="rag-settings") as settings_acc:
                            k_slider = gr.Slider(1, 20, value=k_default, step=1, label=t(lang, "k"),
                                                 elem_id="rag-k")
                            answerer = gr.Radio(answerer_choices(lang), value=engine.default_mode,
                                                label=t(lang, "answerer"), interactive=engine.llm_available,
                                                elem_id="rag-answerer")
                            scope = gr.Dropdown([], value=[], multiselect=True,
                                                label=t(lang, "scope"), elem_id="rag-scope")
                            lang_radio = gr.Radio(LANGUAGE_CHOICES, value=lang, label=t(lang, "language"),
                                                  elem_id="rag-lang")
                    with gr.Column(scale=1, min_width=320):
                        source = gr.HTML(source_hint_html(lang), label=t(lang, "source"), show_label=True,
                                         container=True, padding=True, elem_id="rag-source",
                                         js_on_load=SOURCE_PANEL_JS)
            with gr.Tab(t(lang, "tab_docs"), id="docs") as tab_docs:
                docs_title = gr.Markdown(f"### {t(lang, 'docs_list')}")
                docs_table = gr.HTML("", elem_id="rag-docs")
                refresh_btn = gr.Button(t(lang, "refresh"), size="sm", variant="secondary")
                # no file_types: Gradio would refuse other types in the browser with a toast only,
                # leaving the previous upload's report on screen; the upload handler refuses them
                # with the file's name and the reason in the report instead
                files = gr.File(label=t(lang, "upload", mb=mb), file_count="multiple",
                                type="filepath", elem_id="rag-upload")
                ingest_report = gr.HTML("", elem_id="rag-ingest-report")
                with gr.Row():
                    remove_dd = gr.Dropdown([], value=None, label=t(lang, "remove_doc"),
                                            scale=4, elem_id="rag-remove-doc")
                    remove_btn = gr.Button(t(lang, "remove"), variant="stop", scale=1, elem_id="rag-remove")

        # -- events ----------------------------------------------------------------------
        chat_inputs = [question, turns_state, k_slider, answerer, scope, lang_state]
        chat_outputs = [chatbot, turns_state, question, source]
        question.submit(h.respond, chat_inputs, chat_outputs, concurrency_limit=4, show_progress="hidden")
        ask_btn.click(h.respond, chat_inputs, chat_outputs, concurrency_limit=4, show_progress="hidden")
        def pick_example(evt: gr.SelectData):
            v = evt.value
            return v.get("text", "") if isinstance(v, dict) else str(v or "")

        chatbot.example_select(pick_example, None, question, queue=False
                               ).then(h.respond, chat_inputs, chat_outputs, concurrency_limit=4,
                                      show_progress="hidden")
        new_btn.click(h.new_conversation, [lang_state], [chatbot, turns_state, source, question], queue=False)
        chatbot.clear(h.new_conversation, [lang_state], [chatbot, turns_state, source, question], queue=False)
        source.click(h.on_cite_click, [turns_state, lang_state], [source], concurrency_limit=8,
                     show_progress="hidden")

        def on_upload(paths, lg, sc, progress=gr.Progress()):
            return h.upload(paths, lg, sc, progress=progress)

        docs_outputs = [docs_table, remove_dd, scope]
        files.upload(h.upload_started, [files, lang_state], [ingest_report], queue=False
                     ).then(on_upload, [files, lang_state, scope], [ingest_report, *docs_outputs, files],
                            concurrency_limit=1, show_progress_on=files)
        remove_btn.click(h.remove, [remove_dd, lang_state, scope], [ingest_report, *docs_outputs],
                         js="(d, l, s) => (d && !confirm((l === 'zh' ? " + json.dumps(t("zh", "remove_confirm"))
                         + " : " + json.dumps(t("en", "remove_confirm")) + ") + '\\n' + d)) ? [null, l, s] : [d, l, s]")
        refresh_btn.click(h.docs_outputs, [lang_state, scope], docs_outputs, queue=False)
        tab_docs.select(h.docs_outputs, [lang_state, scope], docs_outputs, queue=False)
        demo.load(h.session_start, [lang_state, scope], [*docs_outputs, chatbot], queue=False)

        def switch_language(new_lang, turns):
            lg = norm_lang(new_lang)
            return (
                lg,
                gr.update(value=f"# {t(lg, 'title')}\n{t(lg, 'subtitle')}"),
                gr.update(label=t(lg, "tab_chat")), gr.update(label=t(lg, "tab_docs")),
                gr.update(value=h.messages(turns or [], lg), label=t(lg, "chatbot")),
                gr.update(placeholder=t(lg, "question_ph"), label=t(lg, "question")),
                gr.update(value=t(lg, "ask")), gr.update(value=t(lg, "new_chat")),
                gr.update(label=t(lg, "settings")), gr.update(label=t(lg, "k")),
                gr.update(choices=answerer_choices(lg), label=t(lg, "answerer")),
                gr.update(label=t(lg, "scope")), gr.update(label=t(lg, "language")),
                gr.update(label=t(lg, "source")),
                gr.update(value=f"### {t(lg, 'docs_list')}"), gr.update(value=docs_table_html(assistant.sources(), lg)),
                gr.update(value=t(lg, "refresh")), gr.update(label=t(lg, "upload", mb=mb)),
                gr.update(label=t(lg, "remove_doc")), gr.update(value=t(lg, "remove")),
            )

        lang_radio.change(switch_language, [lang_radio, turns_state],
                          [lang_state, header, tab_chat, tab_docs, chatbot, question, ask_btn, new_btn,
                           settings_acc, k_slider, answerer, scope, lang_radio, source, docs_title, docs_table,
                           refresh_btn, files, remove_dd, remove_btn], queue=False)
    h.files.blocks = demo
    return demo


def theme():
    return gr.themes.Default(font=SYSTEM_FONTS, font_mono=MONO_FONTS)


def launch_kwargs(demo: gr.Blocks, *, host: str = "127.0.0.1", port: int = 7860,
                  auth: tuple[str, str] | None = None, **extra) -> dict:
    h: UIHandlers = demo.rag_handlers
    kw = dict(server_name=host, server_port=int(port), auth=auth, share=False, inbrowser=False,
              allowed_paths=h.files.initial() or None, max_file_size=h.uploads.max_bytes,
              theme=theme(), css=CSS, footer_links=["settings"], ssr_mode=False, mcp_server=False,
              enable_monitoring=False, run_history=False, show_error=True,
              auth_message="Disclosures Q&A — 披露文件问答")
    kw.update(extra)
    return kw


def seed_bundled_corpus(assistant, corpus: Path = BUNDLED_CORPUS) -> bool:
    """First start on an empty index: ingest the bundled corpus so the examples work.
    Only once per index (a marker file), so removing everything stays removed."""
    marker = Path(assistant.index_dir) / SEED_MARKER
    if assistant.sources() or marker.exists() or not corpus.is_dir():
        return False
    print(f"rag ui: empty index; adding the bundled documents from {corpus} …", file=sys.stderr)
    report = assistant.ingest([corpus])
    for r in report:
        print("  " + r.line(), file=sys.stderr)
    marker.write_text("bundled corpus ingested by `rag ui`\n")
    return True


def warm_up(assistant) -> None:
    """Load the embedding model, jieba and the vector index before the first question."""
    try:
        if assistant.sources():
            assistant.ask("预热 warm-up", answerer="extractive")   # never calls an LLM
        else:
            assistant.embedder.embed_query("warm-up")
    except Exception:  # only an optimisation
        pass


def launch(args, settings=None) -> int:
    """``rag ui``: start the app (blocks until interrupted). Returns an exit code. ``settings``:
    the `rag` command's (default: this process's with the flags in ``args``)."""
    from rag import Assistant

    if settings is None:
        from rag.cli import settings_from_args

        settings = settings_from_args(args)
    ui = settings.ui
    host, port = ui.host, ui.port
    try:
        auth = parse_auth(ui.auth.get_secret_value() if ui.auth else None)
    except ValueError as e:
        print(f"rag ui: error: {e}", file=sys.stderr)
        return 2
    assistant = Assistant(settings=settings)
    if ui.seed:
        seed_bundled_corpus(assistant)
    demo = build_app(assistant, lang=ui.lang)
    if host not in LOOPBACK and not auth:
        print(f"rag ui: warning: listening on {host} without --auth; anyone who can reach this port can "
              "read and change the index", file=sys.stderr)
    threading.Thread(target=warm_up, args=(assistant,), daemon=True, name="rag-ui-warm-up").start()
    demo.queue(default_concurrency_limit=2)
    print(f"rag ui: index {assistant.index_dir} ({len(assistant.sources())} documents); "
          f"open http://{'[' + host + ']' if ':' in host else host}:{port}/", file=sys.stderr, flush=True)
    demo.launch(**launch_kwargs(demo, host=host, port=port, auth=auth))
    return 0
