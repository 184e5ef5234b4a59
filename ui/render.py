"""HTML for the chat, the source viewer and the documents list.

Everything taken from a document, a question or a file name is escaped here:
documents may contain hostile markup, and these strings end up in the page.
Answers are emitted as one-line ``<div>`` HTML blocks so the chat's Markdown
renderer leaves the (escaped) document text alone.

Citation markers are ``<a class="rag-cite" href="#cite-TURN-N">[N]</a>``; a
small script in the page turns clicks on them into a Python event (see app.py).
"""
from __future__ import annotations

import html
import re
from datetime import datetime
from pathlib import Path
from urllib.parse import quote as urlquote

from .i18n import t

CONTEXT_CHARS = 1500          # page text shown on each side of a quote in the source viewer
CARD_QUOTE_CHARS = 160
_MARKER = re.compile(r"\[(\d{1,3})\]")
_CITE_HREF = re.compile(r"^#?cite-(\d{1,6})-(\d{1,3})$")


def esc(text) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def text_html(text: str) -> str:
    """Escaped text with line breaks kept, on one line (no blank line ends the HTML block)."""
    return esc(text).replace("\r\n", "\n").replace("\n", "<br>")


def cite_href(turn: int, n: int) -> str:
    return f"#cite-{int(turn)}-{int(n)}"


def parse_cite_href(href: str | None) -> tuple[int, int] | None:
    """``#cite-3-1`` -> (3, 1); anything else -> None."""
    m = _CITE_HREF.match((href or "").strip())
    return (int(m.group(1)), int(m.group(2))) if m else None


def cite_link(turn: int, n: int, title: str = "") -> str:
    tip = f' title="{esc(title)}"' if title else ""
    return f'<a class="rag-cite" href="{cite_href(turn, n)}"{tip}>[{int(n)}]</a>'


def _page_label(c: dict, lang: str) -> str:
    return t(lang, "page", page=c["page"]) if c.get("page") else ""


def citation_meta(c: dict, lang: str) -> str:
    parts = [c.get("kind") or "", c.get("date") or "", _page_label(c, lang)]
    return " · ".join(p for p in parts if p)


# -- chat messages -----------------------------------------------------------------
def question_html(question: str) -> str:
    return f'<div class="rag-q">{text_html(question)}</div>'


def pending_html(message: str) -> str:
    return f'<div class="rag-answer rag-pending"><span class="rag-spinner"></span> {esc(message)}</div>'


def streaming_html(text: str, lang: str) -> str:
    """Partial LLM output while it streams (markers not clickable yet)."""
    return f'<div class="rag-answer rag-streaming">{text_html(text)}<span class="rag-caret">▍</span></div>'


def answer_body_html(turn: int, answer: dict) -> str:
    """The answer text with each [n] marker made clickable."""
    cits = answer.get("citations") or []
    by_n = {int(c["n"]): c for c in cits}
    text = answer.get("text") or ""
    # The extractive answerer writes "quote [1] quote [2]": rebuild from the citations so a
    # literal "[3]" inside a quoted sentence is never mistaken for a marker.
    if cits and text == " ".join(f"{c['quote']} [{c['n']}]" for c in cits):
        return " ".join(f'<span class="rag-sent">{text_html(c["quote"])}</span>&nbsp;{cite_link(turn, c["n"], c.get("title", ""))}'
                        for c in cits)
    out, pos = [], 0
    for m in _MARKER.finditer(text):
        n = int(m.group(1))
        if n not in by_n:
            continue
        out.append(text_html(text[pos:m.start()]))
        out.append(cite_link(turn, n, by_n[n].get("title", "")))
        pos = m.end()
    out.append(text_html(text[pos:]))
    return "".join(out)


def sources_line_html(turn: int, answer: dict, lang: str) -> str:
    items = []
    for c in answer.get("citations") or []:
        meta = _page_label(c, lang)
        items.append(f'<span class="rag-src-item">{cite_link(turn, c["n"], c.get("title", ""))} '
                     f'{esc(c.get("title") or c.get("doc_id"))}{" · " + esc(meta) if meta else ""}</span>')
    if not items:
        return ""
    return f'<div class="rag-sources"><span class="rag-muted">{esc(t(lang, "sources_line"))}:</span> {" ".join(items)}</div>'


def answer_html(turn: int, answer: dict, lang: str) -> str:
    """The whole assistant message for one turn, as a one-line HTML block."""
    notes = []
    if answer.get("rewritten_question"):
        notes.append(f'<div class="rag-note">{esc(t(lang, "followup_note", q=answer["rewritten_question"]))}</div>')
    if answer.get("fallback_reason"):
        notes.append(f'<div class="rag-note">{esc(t(lang, "llm_failed", error=answer["fallback_reason"]))}</div>')
    scope = answer.get("scope") or ""
    if scope and not scope.startswith("whole index") and not answer.get("abstained"):
        notes.append(f'<div class="rag-note">{esc(t(lang, "scope_note", scope=scope))}</div>')
    if answer.get("abstained"):
        why = [n for n in answer.get("notices") or [] if n and n != answer.get("text")]
        why_html = (f'<div class="rag-why"><span class="rag-muted">{esc(t(lang, "why"))}:</span> '
                    f'{esc("; ".join(why))}</div>') if why else ""
        empty = answer.get("empty_index")
        body = esc(t(lang, "empty_index")) if empty else text_html(answer.get("text") or "")
        title = t(lang, "error_title") if answer.get("error") else t(lang, "not_found_title")
        return (f'<div class="rag-answer rag-abstain"><div class="rag-abstain-title">⊘ {esc(title)}</div>'
                f'<div class="rag-abstain-text">{body}</div>{why_html}{"".join(notes)}</div>')
    return (f'<div class="rag-answer"><div class="rag-text">{answer_body_html(turn, answer)}</div>'
            f'{sources_line_html(turn, answer, lang)}{"".join(notes)}</div>')


# -- source viewer -------------------------------------------------------------------
def source_hint_html(lang: str) -> str:
    return f'<div class="rag-source rag-source-empty"><div class="rag-hint">{esc(t(lang, "source_hint"))}</div></div>'


def overview_html(turn: int, answer: dict, lang: str) -> str:
    """The citations of one answer as clickable cards (shown after each answer)."""
    cits = answer.get("citations") or []
    if not cits:
        return source_hint_html(lang)
    cards = []
    for c in cits:
        q = c.get("quote") or ""
        short = q if len(q) <= CARD_QUOTE_CHARS else q[:CARD_QUOTE_CHARS] + "…"
        cards.append(
            f'<a class="rag-cite rag-card" href="{cite_href(turn, c["n"])}">'
            f'<span class="rag-badge">[{int(c["n"])}]</span> <span class="rag-card-title">{esc(c.get("title") or c.get("doc_id"))}</span>'
            f'<span class="rag-card-meta">{esc(citation_meta(c, lang))}</span>'
            f'<span class="rag-card-quote">“{esc(short)}”</span></a>')
    return (f'<div class="rag-source rag-overview"><div class="rag-hint">{esc(t(lang, "source_overview"))}</div>'
            f'{"".join(cards)}</div>')


def locate_quote(page_text: str | None, c: dict) -> tuple[int, int, str]:
    """Where the quote is in the current page text: (start, end, state) with state
    'ok' (at the recorded offsets), 'moved' (found elsewhere) or 'gone'."""
    quote = c.get("quote") or ""
    if page_text is None or not quote:
        return 0, 0, "gone"
    s, e = int(c.get("start") or 0), int(c.get("end") or 0)
    if 0 <= s < e <= len(page_text) and page_text[s:e] == quote:
        return s, e, "ok"
    i = page_text.find(quote)
    if i >= 0:
        return i, i + len(quote), "moved"
    return 0, 0, "gone"


def pdf_url(source: str, page: int | None) -> str:
    """Relative URL of an (allowed) original file through Gradio's file route, at a page."""
    url = "gradio_api/file=" + urlquote(str(source), safe="/")
    return url + (f"#page={int(page)}" if page else "")


def source_html(turn: int, c: dict | None, page_text: str | None, lang: str,
                file_url: str | None = None, page_image: dict | None = None) -> str:
    """The source viewer: document title, kind, date, page, and the page text with the quote in <mark>.

    With ``page_image`` (a PDF: {"url", "page_size", "boxes"} or {"error"}), the rendered page with
    the quote's boxes over it comes first, and the text stays one click away (copyable)."""
    if not c:
        return (f'<div class="rag-source rag-source-empty"><div class="rag-note">'
                f'{esc(t(lang, "source_missing"))}</div></div>')
    head = (f'<div class="rag-source-title"><span class="rag-badge">[{int(c["n"])}]</span> '
            f'{esc(c.get("title") or c.get("doc_id"))}</div>'
            f'<div class="rag-source-meta">{esc(citation_meta(c, lang))}'
            f'{" · " if citation_meta(c, lang) else ""}<span class="rag-muted">{esc(t(lang, "doc_id"))}</span> '
            f'<code>{esc(c.get("doc_id"))}</code></div>')
    link = ""
    if file_url:
        link = (f'<a class="rag-pdf-link" href="{esc(file_url)}" target="_blank" '
                f'rel="noopener noreferrer">{esc(t(lang, "open_pdf", page=c.get("page") or 1))} ↗</a>')
    s, e, state = locate_quote(page_text, c)
    if state == "gone":
        body = (f'<div class="rag-note">{esc(t(lang, "source_gone") if page_text is not None else t(lang, "source_missing"))}</div>'
                f'<div class="rag-page"><mark class="rag-quote">{text_html(c.get("quote") or "")}</mark></div>')
    else:
        a, b = max(0, s - CONTEXT_CHARS), min(len(page_text), e + CONTEXT_CHARS)
        before = ("…" if a > 0 else "") + page_text[a:s]
        after = page_text[e:b] + ("…" if b < len(page_text) else "")
        note = f'<div class="rag-note">{esc(t(lang, "source_moved"))}</div>' if state == "moved" else ""
        body = (f'{note}<div class="rag-page">{text_html(before)}<mark class="rag-quote">{text_html(page_text[s:e])}</mark>'
                f'{text_html(after)}</div>')
    attrs = f'class="rag-source" data-cite="{int(turn)}-{int(c["n"])}"'
    if page_image and page_image.get("url"):
        return f'<div {attrs} data-view="page">{head}{page_views_html(turn, c, lang, page_image, body, link)}</div>'
    error = ""
    if page_image and page_image.get("error"):
        error = f'<div class="rag-note rag-image-error">{esc(t(lang, "page_image_error", error=page_image["error"]))}</div>'
    link = f'<div class="rag-open">{link}</div>' if link else ""
    return f'<div {attrs} data-view="text">{head}{link}{error}{body}</div>'


def page_views_html(turn: int, c: dict, lang: str, image: dict, text_body: str, link: str) -> str:
    """Two views of a PDF page, switched by two radio buttons (CSS only, no script): the rendered
    page with translucent boxes over the quote (positions in % of the page, so they follow the
    image as it is zoomed to the panel's width), and the page text with the quote in <mark>."""
    width, height = (float(v) for v in image["page_size"])
    boxes = image.get("boxes") or []
    marks = "".join(
        f'<span class="rag-hl" style="left:{100 * x0 / width:.3f}%;top:{100 * y0 / height:.3f}%;'
        f'width:{100 * (x1 - x0) / width:.3f}%;height:{100 * (y1 - y0) / height:.3f}%"></span>'
        for x0, y0, x1, y1 in boxes)
    uid = f"{int(turn)}-{int(c['n'])}"
    on_image = bool(boxes)
    note = "" if on_image else f'<div class="rag-note">{esc(t(lang, "quote_not_on_image"))}</div>'
    alt = t(lang, "page_image_alt", page=c.get("page") or 1, title=c.get("title") or c.get("doc_id"))
    return (
        f'<div class="rag-views">'
        f'<input type="radio" class="rag-view-page" name="rag-view-{uid}" id="rag-view-page-{uid}"{" checked" if on_image else ""}>'
        f'<label class="rag-view-tab" for="rag-view-page-{uid}">{esc(t(lang, "view_page"))}</label>'
        f'<input type="radio" class="rag-view-text" name="rag-view-{uid}" id="rag-view-text-{uid}"{"" if on_image else " checked"}>'
        f'<label class="rag-view-tab" for="rag-view-text-{uid}">{esc(t(lang, "view_text"))}</label>'
        f'{link}{note}'
        f'<div class="rag-page-scroll"><div class="rag-page-image" style="aspect-ratio:{width:.2f} / {height:.2f}">'
        f'<img class="rag-page-img" src="{esc(image["url"])}" alt="{esc(alt)}" decoding="async">{marks}</div></div>'
        f'<div class="rag-page-text">{text_body}</div></div>')


# -- documents -----------------------------------------------------------------------
def local_time(iso: str | None) -> str:
    if not iso:
        return ""
    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return iso


def docs_table_html(docs: list[dict], lang: str) -> str:
    if not docs:
        return f'<div class="rag-docs rag-muted">{esc(t(lang, "docs_none"))}</div>'
    cols = ["col_title", "col_kind", "col_date", "col_pages", "col_chunks", "col_added", "col_id"]
    head = "".join(f"<th>{esc(t(lang, c))}</th>" for c in cols)
    rows = []
    for d in docs:
        m = d.get("meta") or {}
        cells = [m.get("title") or d["doc_id"], m.get("kind", ""), m.get("date") or m.get("period") or "",
                 d.get("pages", ""), d.get("chunks", ""), local_time(d.get("added_at")), d["doc_id"]]
        rows.append("<tr>" + "".join(f"<td>{esc(x)}</td>" for x in cells) + "</tr>")
    return (f'<div class="rag-docs"><table class="rag-docs-table"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>')


def doc_choices(docs: list[dict]) -> list[tuple[str, str]]:
    """(label, doc_id) pairs for dropdowns."""
    out = []
    for d in docs:
        title = (d.get("meta") or {}).get("title") or ""
        out.append((f"{title} — {d['doc_id']}" if title and title != d["doc_id"] else d["doc_id"], d["doc_id"]))
    return out


def upload_pending_html(n: int, lang: str) -> str:
    return (f'<div class="rag-ingest-report rag-pending"><span class="rag-spinner"></span> '
            f'{esc(t(lang, "upload_pending", n=n))}</div>')


def ingest_report_html(rows: list[dict], lang: str) -> str:
    """rows: {name, status, doc_id, reason, pages, chunks}; name is the user's file name."""
    if not rows:
        return ""
    items = []
    for r in rows:
        st = r["status"]
        detail = ""
        if st in ("added", "replaced"):
            detail = f' → <code>{esc(r.get("doc_id"))}</code> ({int(r.get("pages") or 0)} p., {int(r.get("chunks") or 0)})'
        elif st == "unchanged" and r.get("doc_id"):
            detail = f' → <code>{esc(r.get("doc_id"))}</code>'
        reason = f'<div class="rag-reason">{esc(r.get("reason"))}</div>' if r.get("reason") else ""
        items.append(f'<li class="rag-ingest rag-ingest-{esc(st)}"><span class="rag-status">{esc(t(lang, "status_" + st))}</span> '
                     f'<b>{esc(r.get("name"))}</b>{detail}{reason}</li>')
    ok = sum(1 for r in rows if r["status"] != "failed")
    failed = len(rows) - ok
    return (f'<div class="rag-ingest-report"><div>{esc(t(lang, "ingest_summary", ok=ok, failed=failed))}</div>'
            f'<ul>{"".join(items)}</ul></div>')


def display_name(path: str | Path) -> str:
    return Path(str(path)).name
