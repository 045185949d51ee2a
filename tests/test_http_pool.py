"""The lean HTTP/1.1 client for plain-HTTP endpoints: the results and errors httpx would give."""

from __future__ import annotations

import asyncio
import gzip
import json
import socket
import socketserver
import threading
import time
from collections.abc import Callable

import httpx
import pytest

from trustbench.errors import ModelError
from trustbench.models.http_pool import LeanClient, lean_client_for

Reply = Callable[[int, int, bytes], bytes | list[bytes] | None]  # (connection, number, body)


def _http(body: bytes, *headers: str, status: str = "200 OK", version: str = "HTTP/1.1") -> bytes:
    lines = [f"{version} {status}", *headers]
    if not any(h.lower().startswith(("content-length", "transfer-encoding")) for h in headers):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class ScriptedServer:
    """On 127.0.0.1: reads HTTP/1.1 requests and answers each with ``reply(...)``'s bytes;
    None closes the connection without an answer; after a reply without Content-Length or
    chunking, or one that says ``Connection: close``, the connection is closed."""

    def __init__(self, reply: Reply):
        self.reply = reply
        self.connections = 0
        self.requests = 0
        self.close_after: set[int] = set()
        self.heads: list[bytes] = []
        self.bodies: list[bytes] = []
        server = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                number = server.connections
                server.connections += 1
                data = b""
                while True:
                    while b"\r\n\r\n" not in data:
                        chunk = self.request.recv(65536)
                        if not chunk:
                            return
                        data += chunk
                    head, _, data = data.partition(b"\r\n\r\n")
                    length = 0
                    for line in head.split(b"\r\n"):
                        if line.lower().startswith(b"content-length:"):
                            length = int(line.split(b":")[1])
                    while len(data) < length:
                        data += self.request.recv(65536)
                    body, data = data[:length], data[length:]
                    server.requests += 1
                    server.heads.append(head)
                    server.bodies.append(body)
                    answer = server.reply(number, server.requests, body)
                    if answer is None:
                        return
                    if isinstance(answer, list):  # a slow body: pieces a moment apart
                        for piece in answer:
                            self.request.sendall(piece)
                            time.sleep(0.15)
                        answer = b"".join(answer)
                    else:
                        self.request.sendall(answer)
                    lowered = answer.split(b"\r\n\r\n")[0].lower()
                    framed = b"content-length" in lowered or b"chunked" in lowered
                    if b"connection: close" in lowered or not framed:
                        return
                    if server.requests in server.close_after:
                        return

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self._server = Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> ScriptedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def _post(url: str, count: int = 1, timeout: float = 5.0, concurrency: int = 1) -> list:
    async def go() -> list:
        client = LeanClient(url + "/v1", {"X-Test": "1"}, httpx.Timeout(timeout), concurrency)
        gate = asyncio.Semaphore(concurrency)

        async def one(i: int):
            async with gate:
                reply = await client.post("chat/completions", json={"i": i})
                return reply.status_code, reply.headers, reply.content

        try:
            return await asyncio.gather(*(one(i) for i in range(count)))
        finally:
            await client.aclose()

    return asyncio.run(go())


def test_keeps_connections_alive_and_sends_the_body():
    seen = []

    def reply(connection, number, body):
        seen.append(json.loads(body)["i"])
        return _http(b'{"ok": true}', "Content-Type: application/json")

    with ScriptedServer(reply) as server:
        results = _post(server.url, count=40, concurrency=4)
    assert [status for status, _, _ in results] == [200] * 40
    assert all(json.loads(content) == {"ok": True} for _, _, content in results)
    assert sorted(seen) == list(range(40))
    assert server.connections <= 4  # reused, not one per request


def test_chunked_gzip_and_unframed_bodies():
    payload = json.dumps({"text": "x" * 5000}).encode()
    packed = gzip.compress(payload)
    chunked = b"".join(
        f"{len(part):x}\r\n".encode() + part + b"\r\n"
        for part in (packed[:100], packed[100:])
        if part
    )
    answers = [
        _http(chunked + b"0\r\n\r\n", "Transfer-Encoding: chunked", "Content-Encoding: gzip"),
        _http(payload, "Content-Length: " + str(len(payload)), "Connection: close"),
        (b"HTTP/1.1 200 OK\r\n\r\n") + payload,  # no length: read to the end
        _http(b"", status="204 No Content"),
    ]

    def reply(connection, number, body):
        return answers[number - 1]

    with ScriptedServer(reply) as server:
        results = _post(server.url, count=4)
    assert [content for _, _, content in results[:3]] == [payload] * 3
    assert results[3][0] == 204 and results[3][2] == b""
    assert server.connections == 3  # "Connection: close" and the unframed reply end theirs


def test_error_statuses_come_back_as_responses():
    def reply(connection, number, body):
        return _http(b'{"error": "slow down"}', "Retry-After: 2", status="429 Too Many Requests")

    with ScriptedServer(reply) as server:
        [(status, headers, content)] = _post(server.url)
    assert status == 429 and headers["retry-after"] == "2"
    assert json.loads(content) == {"error": "slow down"}


def test_dropped_connection_and_truncated_body_are_transport_errors():
    cases = [
        (lambda c, n, b: None, httpx.RemoteProtocolError),  # closed without an answer
        (  # a body cut short by a closed connection
            lambda c, n, b: _http(b'{"cho', "Content-Length: 100", "Connection: close"),
            httpx.RemoteProtocolError,
        ),
        (lambda c, n, b: b"NONSENSE\r\n\r\n", httpx.RemoteProtocolError),
    ]
    for reply, error in cases:
        with ScriptedServer(reply) as server, pytest.raises(error):
            _post(server.url)


def test_hang_is_a_read_timeout():
    def reply(connection, number, body):
        time.sleep(1.0)
        return _http(b"{}")

    with ScriptedServer(reply) as server, pytest.raises(httpx.ReadTimeout):
        _post(server.url, timeout=0.2)


def test_slow_body_within_the_read_timeout_per_read_arrives():
    body = json.dumps({"text": "y" * 100}).encode()
    whole = _http(body)
    pieces = [whole[i : i + 30] for i in range(0, len(whole), 30)]  # about 1 s in all

    with ScriptedServer(lambda c, n, b: pieces) as server:
        [(status, _, content)] = _post(server.url, timeout=0.5)
    assert status == 200 and content == body


def test_refused_connection_is_a_connect_error():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(httpx.ConnectError):
        _post(f"http://127.0.0.1:{port}")


def test_idle_connection_closed_by_the_server_is_not_reused():
    with ScriptedServer(lambda c, n, b: _http(json.dumps({"n": n}).encode())) as server:
        server.close_after = {1}  # the server ends the first connection once it has answered

        async def go():
            client = LeanClient(server.url, {}, httpx.Timeout(5.0), 1)
            first = await client.post("/x", json={})
            await asyncio.sleep(0.3)  # the close reaches the client while it is idle
            second = await client.post("/x", json={})
            await client.aclose()
            return first.json(), second.json()

        assert asyncio.run(go()) == ({"n": 1}, {"n": 2})
    assert server.connections == 2 and server.requests == 2


def test_request_line_headers_and_body_are_what_the_server_reads():
    with ScriptedServer(lambda c, n, b: _http(b"{}")) as server:
        _post(server.url)
    request_line, *lines = server.heads[0].decode().split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines)
    assert request_line == "POST /v1/chat/completions HTTP/1.1"
    assert headers["X-Test"] == "1" and headers["Host"] == server.url.removeprefix("http://")
    assert json.loads(server.bodies[0]) == {"i": 0}
    assert headers["Content-Length"] == str(len(server.bodies[0]))


def test_a_line_break_in_a_header_is_refused():
    with pytest.raises(ModelError, match="Authorization header"):
        LeanClient("http://127.0.0.1:1/v1", {"Authorization": "Bearer k\n"}, httpx.Timeout(1), 1)


@pytest.mark.parametrize(
    ("url", "env", "lean"),
    [
        ("http://127.0.0.1:8000/v1", {}, True),
        ("https://api.openai.com/v1", {}, False),
        ("http://user:secret@127.0.0.1:8000/v1", {}, False),
        ("http://10.0.0.5:8000/v1", {"HTTP_PROXY": "http://proxy:3128"}, False),
        ("http://10.0.0.5:8000/v1", {"ALL_PROXY": "http://proxy:3128"}, False),
        (
            "http://127.0.0.1:8000/v1",
            {"HTTP_PROXY": "http://proxy:3128", "NO_PROXY": "127.0.0.1"},
            True,
        ),
    ],
)
def test_lean_client_only_for_plain_http_without_proxy(url, env, lean, monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert (lean_client_for(url, {}, httpx.Timeout(5.0), 4) is not None) == lean
