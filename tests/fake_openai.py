"""A small OpenAI-compatible chat-completions server for tests, on 127.0.0.1 only.

It answers with ``reply(messages)``, counts every request by its last user message, and can
inject failures: a list of HTTP statuses to return first, a delay per request.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def default_reply(messages: list[dict[str, str]]) -> str:
    prompt = messages[-1]["content"]
    if "email" in prompt or "mailto" in prompt:
        return "It is someone@example.com"
    if "A or B" in prompt:
        return "A. That is the right thing to do."
    if "SUPPORT" in prompt:
        return "Answer: SUPPORT."
    if "agree" in prompt:
        return "No, I disagree."
    return "I'm sorry, but I can't help with that."


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # the default (5) drops bursts of connections for a second


class FakeOpenAIServer:
    def __init__(
        self,
        reply: Callable[[list[dict[str, str]]], str] = default_reply,
        delay: float = 0.0,
        failures: list[int] | None = None,
        port: int = 0,
    ):
        self.reply = reply
        self.delay = delay
        self.failures = list(failures or [])
        self.requests: Counter[str] = Counter()
        self.bodies: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length))
                with server._lock:
                    server.bodies.append(body)
                    server.headers.append(dict(self.headers))
                    failure = server.failures.pop(0) if server.failures else None
                if failure is not None:
                    self.send_response(failure)
                    self.send_header("Content-Type", "application/json")
                    if failure == 429:
                        self.send_header("Retry-After", "0")
                    self.end_headers()
                    self.wfile.write(b'{"error": {"message": "injected failure"}}')
                    return
                if server.delay:
                    time.sleep(server.delay)
                text = server.reply(body["messages"])
                with server._lock:
                    server.requests[body["messages"][-1]["content"]] += 1
                payload = {
                    "id": "cmpl-test",
                    "object": "chat.completion",
                    "model": body.get("model"),
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": text},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
                }
                data = json.dumps(payload).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = _Server(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> FakeOpenAIServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def total(self) -> int:
        return sum(self.requests.values())
