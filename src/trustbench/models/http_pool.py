"""A lean HTTP/1.1 JSON client for plain ``http://`` endpoints (local inference servers).

Against a fast local server, httpx spends more CPU per request than everything else trustbench
does per item: its connection pool scans every connection and asks the operating system whether
each idle one is still open, and its request and response models cost more again. This client
does only what the OpenAI backend needs (POST a JSON body, read the status, headers and body)
over keep-alive connections kept in a deque (taking and returning one is O(1); a connection its
peer has closed is noticed by the event loop and skipped), one write per request and a timeout
per read. It offers the part of ``httpx.AsyncClient`` the backend uses (``post(url, json=...)``,
``aclose()``; responses with ``status_code``, ``headers.get``, ``text``, ``json()``) and raises
httpx's own exceptions, so the backend's retry rules apply unchanged.

:func:`lean_client_for` returns one only for ``http://`` without a proxy; HTTPS and proxied
endpoints keep httpx.
"""

from __future__ import annotations

import asyncio
import json as json_module
import urllib.request
import zlib
from collections import deque
from typing import Any

import httpx

from ..errors import ModelError

_READ_SIZE = 65_536
_NO_BODY_STATUS = {204, 304}


def lean_client_for(
    base_url: str, headers: dict[str, str], timeout: httpx.Timeout, max_connections: int
) -> LeanClient | None:
    """A lean client for a plain-HTTP endpoint that no proxy setting covers, else None."""
    url = httpx.URL(base_url)
    if url.scheme != "http" or url.userinfo:
        return None
    proxies = urllib.request.getproxies()
    if ("http" in proxies or "all" in proxies) and not urllib.request.proxy_bypass(url.host):
        return None
    return LeanClient(base_url, headers, timeout, max_connections)


class LeanHeaders(dict[str, str]):
    """Response headers by lower-case name (the last value of a repeated header)."""

    def get(self, name: str, default: Any = None) -> Any:  # type: ignore[override]
        return super().get(name.lower(), default)

    def __getitem__(self, name: str) -> str:
        return super().__getitem__(name.lower())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and super().__contains__(name.lower())


class LeanResponse:
    __slots__ = ("content", "headers", "reason_phrase", "status_code")

    def __init__(self, status_code: int, reason: str, headers: LeanHeaders, content: bytes):
        self.status_code = status_code
        self.reason_phrase = reason
        self.headers = headers
        self.content = content

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return json_module.loads(self.content)


class _Connection:
    __slots__ = ("reader", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader = reader
        self.writer = writer

    @property
    def usable(self) -> bool:
        return not self.reader.at_eof() and not self.writer.is_closing()

    def close(self) -> None:
        self.writer.close()


async def _timed(awaitable: Any, seconds: float | None) -> Any:
    async with asyncio.timeout(seconds):
        return await awaitable


class LeanClient:
    """POSTs JSON to one plain-HTTP origin over a pool of keep-alive connections."""

    def __init__(
        self,
        base_url: str,
        headers: dict[str, str],
        timeout: httpx.Timeout,
        max_connections: int = 16,
    ):
        for name, value in headers.items():
            if any(c in f"{name}{value}" for c in "\r\n\0"):
                raise ModelError(f"the {name} header holds a line break or NUL character")
        url = httpx.URL(base_url.rstrip("/") + "/")
        self._host = url.host
        self._port = url.port or 80
        self._prefix = url.raw_path.decode("ascii")
        self._timeout = timeout
        fixed = {
            "Host": f"{self._host}:{self._port}" if url.port else self._host,
            "Accept": "application/json",
            "Accept-Encoding": "identity",
            "Connection": "keep-alive",
            "User-Agent": "trustbench",
            **headers,
        }
        self._head = "".join(f"{name}: {value}\r\n" for name, value in fixed.items())
        self._idle: deque[_Connection] = deque()
        self._open: set[_Connection] = set()
        self._slots = asyncio.Semaphore(max(1, max_connections))

    async def post(self, url: str, json: Any) -> LeanResponse:
        body = json_module.dumps(
            json, ensure_ascii=False, separators=(",", ":"), allow_nan=False
        ).encode("utf-8")
        target = url if url.startswith("/") else self._prefix + url
        request = (
            f"POST {target} HTTP/1.1\r\n{self._head}Content-Length: {len(body)}\r\n\r\n"
        ).encode() + body
        if self._slots.locked():
            try:
                await _timed(self._slots.acquire(), self._timeout.pool)
            except TimeoutError:
                raise httpx.PoolTimeout("no free connection in time") from None
        else:
            await self._slots.acquire()  # free: no wait, no timer
        try:
            return await self._send(request)
        finally:
            self._slots.release()

    async def _send(self, request: bytes) -> LeanResponse:
        connection = self._take() or await self._connect()
        reusable = False
        try:
            connection.writer.write(request)
            try:
                if connection.writer.transport.get_write_buffer_size():
                    await _timed(connection.writer.drain(), self._timeout.write)
            except TimeoutError:
                raise httpx.WriteTimeout("timed out sending the request") from None
            except OSError as exc:
                raise httpx.WriteError(str(exc) or type(exc).__name__) from None
            response, reusable = await self._read(connection.reader)
            return response
        finally:
            if reusable and connection.usable:
                self._idle.append(connection)
            else:
                self._open.discard(connection)
                connection.close()

    def _take(self) -> _Connection | None:
        while self._idle:
            connection = self._idle.pop()
            if connection.usable:
                return connection
            self._open.discard(connection)
            connection.close()
        return None

    async def _connect(self) -> _Connection:
        try:
            reader, writer = await _timed(
                asyncio.open_connection(self._host, self._port, limit=_READ_SIZE),
                self._timeout.connect,
            )
        except TimeoutError:
            raise httpx.ConnectTimeout("timed out connecting") from None
        except OSError as exc:
            raise httpx.ConnectError(str(exc) or type(exc).__name__) from None
        connection = _Connection(reader, writer)
        self._open.add(connection)
        return connection

    async def _read(self, reader: asyncio.StreamReader) -> tuple[LeanResponse, bool]:
        try:
            async with asyncio.timeout(None) as timer:
                deadline = _Deadline(timer, self._timeout.read)
                try:
                    return await self._read_response(deadline, reader)
                finally:
                    deadline.cancel()
        except TimeoutError:
            raise httpx.ReadTimeout("timed out reading the response") from None
        except asyncio.IncompleteReadError:
            raise httpx.RemoteProtocolError(
                "server disconnected without sending a complete response"
            ) from None
        except (asyncio.LimitOverrunError, ValueError, zlib.error) as exc:
            raise httpx.RemoteProtocolError(f"malformed HTTP response ({exc})") from None
        except OSError as exc:
            raise httpx.ReadError(str(exc) or type(exc).__name__) from None

    async def _read_response(
        self, deadline: _Deadline, reader: asyncio.StreamReader
    ) -> tuple[LeanResponse, bool]:
        deadline.push()
        head = await reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head[:-4].decode("latin-1").split("\r\n")
        version, _, rest = status_line.partition(" ")
        code, _, reason = rest.partition(" ")
        status = int(code)
        if not version.startswith("HTTP/1."):
            raise ValueError(f"not an HTTP/1 status line: {status_line[:60]!r}")
        headers = LeanHeaders(_split_header(line) for line in header_lines if line)
        keep_alive = version == "HTTP/1.1"
        connection_header = headers.get("connection", "").lower()
        if "close" in connection_header:
            keep_alive = False
        elif "keep-alive" in connection_header:
            keep_alive = True
        if status in _NO_BODY_STATUS or status < 200:
            body = b""
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            body = await _read_chunked(reader, deadline)
        elif "content-length" in headers:
            body = await _read_exactly(reader, int(headers["content-length"]), deadline)
        else:
            body = await _read_to_end(reader, deadline)
            keep_alive = False
        body = _decode(body, headers.get("content-encoding", ""))
        return LeanResponse(status, reason, headers, body), keep_alive

    async def aclose(self) -> None:
        for connection in self._open:
            connection.close()
        self._open.clear()
        self._idle.clear()


def _split_header(line: str) -> tuple[str, str]:
    name, colon, value = line.partition(":")
    if not colon or not name.strip():
        raise ValueError(f"bad header line {line[:60]!r}")
    return name.strip().lower(), value.strip()


def _decode(body: bytes, encoding: str) -> bytes:
    """Undo a Content-Encoding a server applied although none was asked for."""
    encoding = encoding.strip().lower()
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompress(body, 16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        try:
            return zlib.decompress(body)
        except zlib.error:
            return zlib.decompress(body, -zlib.MAX_WBITS)
    if encoding not in ("", "identity"):
        raise ValueError(f"unsupported Content-Encoding {encoding!r}")
    return body


class _Deadline:
    """A read timeout over a whole response: it fires when no read has begun for ``seconds``
    (as a timeout per read would), with one timer per response rather than one per read."""

    __slots__ = ("handle", "last", "loop", "seconds", "timer")

    def __init__(self, timer: asyncio.Timeout, seconds: float | None):
        self.timer = timer
        self.seconds = seconds
        self.loop = asyncio.get_running_loop()
        self.last = self.loop.time()
        self.handle: asyncio.TimerHandle | None = None
        if seconds is not None:
            self.handle = self.loop.call_at(self.last + seconds, self._check)

    def push(self) -> None:
        self.last = self.loop.time()

    def _check(self) -> None:
        assert self.seconds is not None
        due = self.last + self.seconds
        if self.loop.time() >= due:
            self.handle = None
            self.timer.reschedule(self.loop.time())  # expire now: the read is cancelled
        else:
            self.handle = self.loop.call_at(due, self._check)

    def cancel(self) -> None:
        if self.handle is not None:
            self.handle.cancel()
            self.handle = None


async def _read_exactly(reader: asyncio.StreamReader, size: int, deadline: _Deadline) -> bytes:
    if size < 0:
        raise ValueError("negative Content-Length")
    parts = []
    while size > 0:
        deadline.push()
        part = await reader.read(min(size, _READ_SIZE))
        if not part:
            raise asyncio.IncompleteReadError(b"".join(parts), size)
        parts.append(part)
        size -= len(part)
    return b"".join(parts)


async def _read_chunked(reader: asyncio.StreamReader, deadline: _Deadline) -> bytes:
    parts = []
    while True:
        deadline.push()
        line = await reader.readuntil(b"\r\n")
        size = int(line.split(b";", 1)[0].strip(), 16)
        if size == 0:
            deadline.push()
            while (await reader.readuntil(b"\r\n")) != b"\r\n":
                deadline.push()  # trailers
            return b"".join(parts)
        parts.append(await _read_exactly(reader, size, deadline))
        deadline.push()
        if await reader.readexactly(2) != b"\r\n":
            raise ValueError("chunk not followed by CRLF")


async def _read_to_end(reader: asyncio.StreamReader, deadline: _Deadline) -> bytes:
    parts = []
    while True:
        deadline.push()
        part = await reader.read(_READ_SIZE)
        if not part:
            return b"".join(parts)
        parts.append(part)
