"""A small keep-alive HTTP/1.1 client for Rasa's calls to the action server.

Every custom action and every form validation is one JSON POST to the action server. Through
aiohttp that POST cost about an eighth of the Rasa process's time under load (building the request
and header objects, its stream and payload layers). This client writes the request bytes itself on
pooled asyncio connections and reads the reply with httptools, the parser Sanic already uses.

It takes only plain `http://` POSTs with a JSON body and nothing aiohttp-specific (no TLS, basic
auth, query parameters or token, compression); `handles` says so and everything else goes through
aiohttp as before. Errors are aiohttp's and Rasa's own types, so Rasa's handling is unchanged:
`ClientResponseError` for a status ≥ 400 (a form's 400 "rejected" included), `ClientConnectionError`
when the server cannot be reached or hangs up, `asyncio.TimeoutError` after the timeout.
"""

from __future__ import annotations

import asyncio
import re
import time
import weakref
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import httptools
import ujson
from rasa.utils.endpoints import ClientResponseError, EndpointConfig, concat_url

IDLE_SECONDS = 2.0  # below Sanic's keep-alive timeout (5 s): never write into a closing connection
MAX_IDLE_CONNECTIONS = 64
# At most this many calls in flight per host (aiohttp's default limit): more wait for a connection,
# so a burst of shoppers cannot open a socket each and run the action server out of descriptors.
MAX_CONNECTIONS = 100
READ_CHUNK = 65536
JSON_TYPE = re.compile(r"^application/(?:[\w.+-]+?\+)?json")  # what aiohttp's response.json() accepts


@dataclass
class Reply:
    status: int
    reason: str
    content_type: str
    body: bytes


@dataclass
class _Parsed:
    """What httptools reports while it parses one response."""

    reason: bytes = b""
    headers: dict[bytes, bytes] = field(default_factory=dict)
    body: list[bytes] = field(default_factory=list)
    complete: bool = False
    keep_alive: bool = False
    parser: Any = None

    def on_status(self, status: bytes) -> None:
        self.reason += status

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers[name.lower()] = value

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        self.complete = True
        self.keep_alive = self.parser.should_keep_alive()  # asked later, llhttp has already reset it


@dataclass
class _Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    idle_since: float = 0.0
    reusable: bool = False  # the last reply came whole and allowed keep-alive

    def usable(self) -> bool:
        fresh = time.monotonic() - self.idle_since < IDLE_SECONDS
        return fresh and not self.reader.at_eof() and not self.writer.is_closing()

    def close(self) -> None:
        self.writer.close()


class _StaleConnection(Exception):
    """A reused connection was closed by the server before any reply byte: safe to send again."""


class _HostPool:
    """Idle keep-alive connections to one host:port, for one event loop."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._idle: list[_Connection] = []
        self.in_flight = asyncio.Semaphore(MAX_CONNECTIONS)

    async def acquire(self) -> tuple[_Connection, bool]:
        """A connection, and whether it was reused (a reused one may have been closed meanwhile)."""
        while self._idle:
            connection = self._idle.pop()
            if connection.usable():
                return connection, True
            connection.close()
        try:
            reader, writer = await asyncio.open_connection(self.host, self.port)
        except OSError as exc:
            raise aiohttp.ClientConnectionError(f"cannot connect to {self.host}:{self.port}: {exc}") from exc
        return _Connection(reader, writer), False

    def release(self, connection: _Connection) -> None:
        if len(self._idle) >= MAX_IDLE_CONNECTIONS or not connection.reusable:
            connection.close()
            return
        connection.idle_since = time.monotonic()
        self._idle.append(connection)

    def close(self) -> None:
        for connection in self._idle:
            connection.close()
        self._idle.clear()


_pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[str, int], _HostPool]] = (
    weakref.WeakKeyDictionary()
)


def _pool(host: str, port: int) -> _HostPool:
    loop = asyncio.get_running_loop()
    per_loop = _pools.get(loop)
    if per_loop is None:
        per_loop = _pools[loop] = {}
    pool = per_loop.get((host, port))
    if pool is None:
        pool = per_loop[(host, port)] = _HostPool(host, port)
    return pool


def close_idle_connections() -> None:
    """Closes the running event loop's idle connections (for a client that is done with its loop)."""
    for pool in _pools.pop(asyncio.get_running_loop(), {}).values():
        pool.close()


async def _exchange(connection: _Connection, request: bytes, reused: bool) -> tuple[Reply, bool]:
    """Writes one request and reads its reply; returns it and whether the connection may be kept."""
    connection.writer.write(request)
    parsed = _Parsed()
    parser = parsed.parser = httptools.HttpResponseParser(parsed)
    received = False
    while not parsed.complete:
        try:
            data = await connection.reader.read(READ_CHUNK)
        except ConnectionError as exc:
            data = b""
            if not (reused and not received):
                raise aiohttp.ServerDisconnectedError(str(exc)) from exc
        if not data:
            if reused and not received:
                raise _StaleConnection
            raise aiohttp.ServerDisconnectedError("the action server closed the connection mid-reply")
        received = True
        try:
            parser.feed_data(data)
        except httptools.HttpParserError as exc:
            raise aiohttp.ClientPayloadError(f"malformed reply from the action server: {exc}") from exc
    content_type = parsed.headers.get(b"content-type", b"").decode("latin-1")
    reply = Reply(parser.get_status_code(), parsed.reason.decode("latin-1"), content_type, b"".join(parsed.body))
    return reply, parsed.keep_alive


async def post(url: str, body: bytes, headers: dict[str, str]) -> Reply:
    """POSTs `body` to a plain http:// URL over a pooled connection (sent once more if a reused
    connection turns out to be closed before it answered)."""
    parts = urlsplit(url)
    host, port = parts.hostname or "localhost", parts.port or 80
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    head = [f"POST {target} HTTP/1.1", f"Host: {parts.netloc}", f"Content-Length: {len(body)}"]
    head += [f"{name}: {value}" for name, value in headers.items()]
    request = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body
    pool = _pool(host, port)
    async with pool.in_flight:
        for _attempt in range(2):
            connection, reused = await pool.acquire()
            keep = False
            try:
                reply, keep = await _exchange(connection, request, reused)
                return reply
            except _StaleConnection:
                continue
            finally:
                connection.reusable = keep
                pool.release(connection)
    raise aiohttp.ServerDisconnectedError("the action server closed the connection twice before replying")


def handles(endpoint: EndpointConfig, method: str, kwargs: dict[str, Any], compress: bool) -> bool:
    """Whether this client can make the call exactly as Rasa would (else aiohttp does)."""
    return (
        method.lower() == "post" and endpoint.url.startswith("http://") and not endpoint.cafile
        and "@" not in urlsplit(endpoint.url).netloc  # credentials in the URL: aiohttp sends them
        and not endpoint.basic_auth and not endpoint.params and not endpoint.token and not compress
        and set(kwargs) <= {"json", "timeout"}
    )


def _timeout_seconds(timeout: Any) -> float | None:
    if isinstance(timeout, aiohttp.ClientTimeout):
        return timeout.total
    return float(timeout) if timeout is not None else None


async def request(
    endpoint: EndpointConfig, dumps: Any, subpath: str | None, content_type: str | None, kwargs: dict[str, Any]
) -> Any:
    """Rasa's `EndpointConfig.request` for a JSON POST: the reply's JSON (None if it is not JSON)."""
    headers = {"Content-Type": content_type} if content_type else {}
    headers.update(endpoint.headers or {})
    body = dumps(kwargs.get("json")).encode("utf-8")
    url = concat_url(endpoint.url, subpath)
    reply = await asyncio.wait_for(post(url, body, headers), _timeout_seconds(kwargs.get("timeout")))
    if reply.status >= 400:
        raise ClientResponseError(reply.status, reply.reason, reply.body)  # type: ignore[arg-type]
    if not JSON_TYPE.match(reply.content_type.lower()):
        return None  # aiohttp's response.json() refuses it, and Rasa answers None
    return ujson.loads(reply.body) if reply.body.strip() else None
