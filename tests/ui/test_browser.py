"""End to end: the real `rag ui` server driven in headless Chromium.

Debian's ``chromium`` (apt) with Playwright's Python package pointed at it;
Playwright's own browser download is not used. Skipped, with the reason, when
either is missing.

Flow: ingest the bundled corpus with the CLI, start `rag ui` on a free port,
ask a Chinese question, see a cited answer, click the citation, see the quote
highlighted; ask in English (answered from the Chinese article), save a
screenshot of the answered chat (tmp dir; also docs/screenshot-ui.png when
RAG_UPDATE_SCREENSHOT=1); ask a follow-up; check an abstention; upload a small PDF, ask about it, open its page; switch the
interface to Chinese. The time from the page opening to the first answer is
printed and saved to timings.json.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from ui_helpers import CORPUS, PDF_QUESTION, REPO, make_pdf

CHROMIUM = Path(os.environ.get("RAG_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOT = REPO / "docs" / "screenshot-ui.png"
# read at import: the repository's conftest clears RAG_* variables before tests run
UPDATE_SCREENSHOT = os.environ.get("RAG_UPDATE_SCREENSHOT") == "1"

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # pragma: no cover - depends on the environment
    sync_playwright = None

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(sync_playwright is None, reason="the playwright Python package is not installed "
                                                        "(pip install playwright; no browser download needed)"),
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} not found (apt-get install chromium)"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli(*args: str) -> list[str]:
    return [sys.executable, "-c", "import sys; from rag.cli import main; sys.exit(main(sys.argv[1:]))", *args]


@pytest.fixture
def server(tmp_path):
    """`rag ui` over a temporary index holding the bundled corpus; yields its URL."""
    index = tmp_path / "index"
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "RAG_UI_SEED": "0", "PYTHONUNBUFFERED": "1"}
    for var in ("RAG_UI_AUTH", "RAG_LLM_BASE_URL", "RAG_LLM_MODEL", "GRADIO_SERVER_NAME", "GRADIO_SERVER_PORT"):
        env.pop(var, None)
    subprocess.run(cli("--index", str(index), "ingest", str(CORPUS), "--quiet"), cwd=REPO, env=env,
                   check=True, timeout=180)
    port = free_port()
    log = open(tmp_path / "server.log", "w")
    proc = subprocess.Popen(cli("--index", str(index), "ui", "--port", str(port)), cwd=REPO, env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                pytest.fail("rag ui exited:\n" + (tmp_path / "server.log").read_text())
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("rag ui did not start in 120 s:\n" + (tmp_path / "server.log").read_text())
            time.sleep(0.3)
        yield {"url": url, "index": index, "tmp": tmp_path}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


def ask(page, question: str, n_answers: int):
    """Type a question, press Enter, wait until the n-th answer (not the pending one) is there."""
    page.fill("#rag-question textarea", question)
    page.press("#rag-question textarea", "Enter")
    answers = page.locator("#rag-chat .rag-answer:not(.rag-pending):not(.rag-streaming)")
    expect(answers).to_have_count(n_answers, timeout=60_000)
    return answers.nth(n_answers - 1)


def test_chat_cite_highlight_upload_in_chromium(server):
    tmp = server["tmp"]
    outside = []
    timings = {}
    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            str(tmp / "chromium-profile"), executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1360, "height": 900}, accept_downloads=False)
        try:
            page = ctx.new_page()
            page.set_default_timeout(30_000)
            page.on("request", lambda r: outside.append(r.url)
                    if r.url.startswith(("http:", "https:", "ws:", "wss:")) and "//127.0.0.1:" not in r.url else None)
            page.on("dialog", lambda d: d.accept())

            t_open = time.monotonic()
            page.goto(server["url"])
            page.wait_for_selector("#rag-question textarea")
            timings["page_ready_s"] = round(time.monotonic() - t_open, 2)
            # example questions from the bundled corpus on first open
            expect(page.locator("#rag-chat").get_by_text("阿里巴巴将在哪些国家开设新的数据中心？")).to_be_visible()

            # 1. a Chinese question: cited answer, click the citation, the quote is highlighted
            t_ask = time.monotonic()
            first = ask(page, "阿里巴巴将在哪些国家开设新的数据中心？", 1)
            expect(first.locator("a.rag-cite").first).to_be_visible()
            timings["first_answer_after_page_ready_s"] = round(time.monotonic() - t_ask, 2)
            timings["first_answer_after_page_open_s"] = round(time.monotonic() - t_open, 2)
            answer_text = first.inner_text()
            assert "巴西" in answer_text and "[1]" in answer_text, answer_text
            first.locator(".rag-text a.rag-cite").first.click()
            mark = page.locator("#rag-source mark.rag-quote")
            expect(mark).to_be_visible()
            quote = mark.inner_text()
            assert "巴西、法国和荷兰" in quote and quote in answer_text
            expect(page.locator("#rag-source")).to_contain_text("阿里巴巴加码AI投入")
            expect(page.locator("#rag-source")).to_contain_text("news article")

            # 2. an English question answered from the Chinese article
            second = ask(page, "How large could global AI investment become over the next five years?", 2)
            assert "4万亿" in second.inner_text()
            second.locator(".rag-text a.rag-cite").first.click()
            expect(page.locator('#rag-source [data-cite="1-1"] mark.rag-quote')).to_contain_text("4万亿美元")

            shot = tmp / "answered-chat.png"
            page.screenshot(path=str(shot))
            assert shot.stat().st_size > 10_000
            if UPDATE_SCREENSHOT:
                SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(shot, SCREENSHOT)

            # 3. a follow-up in the same conversation
            third = ask(page, "Where did he say that?", 3)
            expect(third).to_contain_text("Follow-up, searched as")
            assert "杭州" in third.inner_text()

            # the first answer's marker still opens its own source
            first.locator(".rag-text a.rag-cite").first.click()
            expect(page.locator('#rag-source [data-cite="0-1"] mark.rag-quote')).to_contain_text("巴西")

            # 4. a question the documents do not answer
            fourth = ask(page, "What is the name of Alibaba's chief executive officer?", 4)
            expect(fourth).to_contain_text("Not in the documents")
            expect(fourth.locator("a.rag-cite")).to_have_count(0)

            # 5. upload a small PDF, ask about it, open it at the cited page
            pdf = make_pdf(tmp / "upload" / "Zephyr Briefing.pdf")
            page.get_by_role("tab", name="Documents").click()
            expect(page.locator("#rag-docs")).to_contain_text("article-alibaba-ai-rally")
            t_up = time.monotonic()
            page.set_input_files("#rag-upload input[type=file]", str(pdf))
            expect(page.locator("#rag-ingest-report")).to_contain_text("1 indexed, 0 failed", timeout=90_000)
            timings["pdf_upload_indexed_s"] = round(time.monotonic() - t_up, 2)
            expect(page.locator("#rag-docs")).to_contain_text("Zephyr")
            page.get_by_role("tab", name="Chat").click()
            fifth = ask(page, PDF_QUESTION, 5)
            assert "Reykjavik" in fifth.inner_text()
            fifth.locator(".rag-text a.rag-cite").first.click()
            expect(page.locator("#rag-source mark.rag-quote")).to_contain_text("Reykjavik")
            link = page.locator("#rag-source a.rag-pdf-link")
            expect(link).to_have_attribute("href", re.compile(r"#page=2$"))
            pdf_href = link.get_attribute("href").split("#")[0]
            r = page.request.get(server["url"] + pdf_href)
            assert r.status == 200 and r.headers["content-type"] == "application/pdf"
            assert page.request.get(server["url"] + "gradio_api/file=" + str(server["index"] / "catalog.sqlite")).status in (403, 404)

            # remove it again (the browser's confirmation is accepted)
            page.get_by_role("tab", name="Documents").click()
            page.locator("#rag-remove-doc input").click()
            page.get_by_role("option", name=re.compile("zephyr", re.I)).click()
            page.locator("#rag-remove").click()
            expect(page.locator("#rag-ingest-report")).to_contain_text("Removed")
            expect(page.locator("#rag-docs")).not_to_contain_text("Zephyr")
            assert page.request.get(server["url"] + pdf_href).status in (403, 404)
            page.get_by_role("tab", name="Chat").click()

            # 6. interface labels in Chinese
            page.locator("#rag-settings").get_by_text("Settings").click()
            page.locator("#rag-lang").get_by_text("中文").click()
            expect(page.locator("#rag-ask")).to_have_text("提问")
            expect(page.get_by_role("tab", name="文档")).to_be_visible()
        finally:
            ctx.close()

    (tmp / "timings.json").write_text(json.dumps(timings, indent=2))
    print("\nUI timings:", json.dumps(timings))
    assert not outside, f"the page tried to reach the internet: {outside[:5]}"
