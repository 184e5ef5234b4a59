"""A fake OpenAI-compatible chat-completions server on 127.0.0.1 for tests.

A real HTTP server (``http.server`` in a thread) that speaks ``POST /v1/chat/completions``
as OpenAI-compatible servers do, plain JSON or, when the request says ``"stream": true``,
server-sent events (``data: {chunk}\\n\\n`` ... ``data: [DONE]\\n\\n``). Replies are
scripted per test:

    server.script(Reply("text [1]."), Reply(status=500), ...)   # one per request, in order
    server.default = Reply(hang=5)                              # once the script is used up

A reply's ``content`` may be a callable taking the request's JSON body, so a test can cite
the passage that really holds a figure whatever order retrieval put it in. Every request
is recorded (``server.requests``: path, headers (lower-case names), body) for assertions on what was sent.
"""
from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable


@dataclass
class Reply:
    content: str | Callable[[dict], str] = ""
    status: int = 200                 # != 200: an OpenAI-style error body with this status
    hang: float = 0.0                 # seconds to wait before answering (past the client's timeout)
    malformed: bool = False           # a body that is not JSON (or SSE events that are not JSON)
    chunk_chars: int = 4              # streaming: characters per token
    token_delay: float = 0.0          # streaming: seconds between tokens
    error_message: str = "The server had an error while processing your request."


class FakeOpenAI:
    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.requests: list[dict] = []
        self._script: deque[Reply] = deque()
        self.default = Reply("(no scripted reply)")
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self.httpd = ThreadingHTTPServer((host, port), self._handler())
        self.httpd.daemon_threads = True
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    # -- control ---------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> "FakeOpenAI":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def script(self, *replies: Reply | str) -> None:
        with self._lock:
            self._script.clear()
            self.requests.clear()
            self._script.extend(r if isinstance(r, Reply) else Reply(r) for r in replies)

    def _next(self) -> Reply:
        with self._lock:
            return self._script.popleft() if self._script else self.default

    @property
    def chat_requests(self) -> list[dict]:
        return [r for r in self.requests if r["path"].endswith("/chat/completions")]

    # -- HTTP ---------------------------------------------------------------------------
    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"      # one response per connection; SSE ends at close

            def log_message(self, *args):      # quiet
                pass

            def do_GET(self):
                if self.path.rstrip("/").endswith("/models"):
                    self._json(200, {"object": "list", "data": [{"id": "fake-model", "object": "model"}]})
                else:
                    self._json(404, {"error": {"message": "not found", "type": "invalid_request_error"}})

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {"_unparsed": raw.decode("utf-8", "replace")}
                with server._lock:
                    server.requests.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                                            "body": body})
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    self._json(404, {"error": {"message": "not found", "type": "invalid_request_error"}})
                    return
                reply = server._next()
                if reply.hang:
                    end = time.monotonic() + reply.hang
                    while time.monotonic() < end and not server._stopping.is_set():
                        time.sleep(0.02)
                if reply.status != 200:
                    self._json(reply.status, {"error": {"message": reply.error_message, "type": "server_error",
                                                        "code": None}})
                    return
                content = reply.content(body) if callable(reply.content) else reply.content
                model = body.get("model", "fake-model")
                try:
                    if body.get("stream"):
                        self._stream(content, model, reply)
                    elif reply.malformed:
                        self._raw(200, "application/json", b'{"id": "chatcmpl-x", "choices": [{"message": {"con')
                    else:
                        self._json(200, _completion(content, model))
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _stream(self, content: str, model: str, reply: Reply):
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.end_headers()
                if reply.malformed:
                    self.wfile.write(b"data: {\"id\": \"chatcmpl-x\", \"choices\": [{\"delta\": {\"content\n\n")
                    self.wfile.write(b"data: [DONE]\n\n")
                    self.wfile.flush()
                    return
                self._event(_chunk(model, {"role": "assistant", "content": ""}))
                step = max(1, reply.chunk_chars)
                for i in range(0, len(content), step):
                    if reply.token_delay:
                        time.sleep(reply.token_delay)
                    self._event(_chunk(model, {"content": content[i:i + step]}))
                self._event(_chunk(model, {}, finish="stop"))
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

            def _event(self, obj: dict):
                self.wfile.write(b"data: " + json.dumps(obj, ensure_ascii=False).encode() + b"\n\n")
                self.wfile.flush()

            def _json(self, status: int, obj: dict):
                self._raw(status, "application/json", json.dumps(obj, ensure_ascii=False).encode())

            def _raw(self, status: int, ctype: str, data: bytes):
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        return Handler


def _completion(content: str, model: str) -> dict:
    return {"id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()), "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                         "finish_reason": "stop", "logprobs": None}],
            "usage": {"prompt_tokens": 10, "completion_tokens": max(1, len(content) // 4),
                      "total_tokens": 10 + max(1, len(content) // 4)}}


def _chunk(model: str, delta: dict, finish: str | None = None) -> dict:
    return {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": int(time.time()), "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}]}
