"""The small HTTP client for action calls: Rasa's results and errors, against a real socket server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from rasa.utils.endpoints import ClientResponseError, EndpointConfig

from addons import action_client
from addons.runtime import _dumps, _original_request, install

Reply = Callable[[bytes], Awaitable[bytes | None]]  # request body -> raw response (None: hang up)


def _response(status: str, body: bytes, content_type: str = "application/json", extra: str = "") -> bytes:
    head = f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n{extra}\r\n"
    return head.encode() + body


async def _json_reply(body: bytes) -> bytes:
    sent = json.loads(body)
    return _response("200 OK", json.dumps({"events": [], "echo": sent}, ensure_ascii=False).encode())


class Server:
    """A keep-alive HTTP server on a free port; `reply` decides each response; counts connections."""

    def __init__(self, reply: Reply, close_after_each: bool = False) -> None:
        self.reply, self.close_after_each = reply, close_after_each
        self.connections = 0
        self.open = self.peak_open = 0  # connections open now / at most at once
        self.requests: list[bytes] = []

    async def __aenter__(self) -> Server:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}/webhook"
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._server.close()
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.open += 1
        self.peak_open = max(self.peak_open, self.open)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length"))
                body = await reader.readexactly(length)
                self.requests.append(head + body)
                answer = await self.reply(body)
                if answer is None:
                    break
                writer.write(answer)
                await writer.drain()
                if self.close_after_each:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self.open -= 1
            writer.close()


def _post(url: str, body: dict[str, Any], timeout: float = 5) -> Awaitable[Any]:
    endpoint = EndpointConfig(url)
    return action_client.request(endpoint, _dumps, None, "application/json", {"json": body, "timeout": timeout})


def test_a_json_reply_comes_back_and_one_connection_serves_sequential_calls() -> None:
    async def scenario() -> None:
        async with Server(_json_reply) as server:
            for n in range(3):
                assert await _post(server.url, {"next_action": f"action_{n}", "text": "订单"}) == {
                    "events": [], "echo": {"next_action": f"action_{n}", "text": "订单"}}
            assert server.connections == 1
            head = server.requests[0].split(b"\r\n\r\n")[0].decode()
            assert head.startswith("POST /webhook HTTP/1.1") and "Content-Type: application/json" in head

    asyncio.run(scenario())


def test_same_results_as_rasas_aiohttp_request() -> None:
    install()

    async def rejected(body: bytes) -> bytes:
        return _response("400 Bad Request", b'{"action_name": "validate_return_form", "error": "no"}')

    async def not_json(body: bytes) -> bytes:
        return _response("200 OK", b"<html>ok</html>", content_type="text/html")

    async def empty(body: bytes) -> bytes:
        return _response("200 OK", b"  ")

    async def outcome(request: Awaitable[Any]) -> Any:
        try:
            return await request
        except ClientResponseError as exc:
            return ("error", exc.status, exc.message, json.loads(exc.text))

    async def scenario() -> None:
        for reply in (_json_reply, rejected, not_json, empty):
            async with Server(reply) as server:
                endpoint = EndpointConfig(server.url)
                body = {"next_action": "validate_return_form", "tracker": {"slots": {"order_id": "88"}}}
                ours = await outcome(_post(server.url, body))
                rasas = await outcome(_original_request(endpoint, json=body, method="post", timeout=5))
                assert ours == rasas, reply.__name__

    asyncio.run(scenario())


def test_a_chunked_reply_is_read_whole() -> None:
    async def chunked(body: bytes) -> bytes:
        payload = b'{"events": [], "responses": [{"response": "utter_ask_order_id"}]}'
        head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        parts = [payload[:10], payload[10:]]
        return head + b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"

    async def scenario() -> None:
        async with Server(chunked) as server:
            assert await _post(server.url, {}) == {"events": [], "responses": [{"response": "utter_ask_order_id"}]}

    asyncio.run(scenario())


def test_a_kept_connection_the_server_closed_is_replaced_and_the_call_sent_once_more() -> None:
    async def scenario() -> None:
        # the server closes each connection after replying, without saying so (no "Connection: close")
        async with Server(_json_reply, close_after_each=True) as server:
            assert (await _post(server.url, {"n": 1}))["echo"] == {"n": 1}
            await asyncio.sleep(0.05)  # the close reaches us
            assert (await _post(server.url, {"n": 2}))["echo"] == {"n": 2}
            assert server.connections == 2
            assert len(server.requests) == 2  # the second call was written once to the new connection

    asyncio.run(scenario())


def test_connection_close_is_honoured() -> None:
    async def closing(body: bytes) -> bytes:
        return _response("200 OK", b"{}", extra="Connection: close\r\n")

    async def scenario() -> None:
        async with Server(closing, close_after_each=True) as server:
            assert await _post(server.url, {}) == {}
            assert await _post(server.url, {}) == {}
            assert server.connections == 2

    asyncio.run(scenario())


def test_a_server_that_hangs_up_without_replying_is_a_connection_error() -> None:
    async def hang_up(body: bytes) -> None:
        return None

    async def scenario() -> None:
        async with Server(hang_up) as server:
            with pytest.raises(aiohttp.ClientConnectionError):
                await _post(server.url, {})

    asyncio.run(scenario())


def test_nothing_listening_is_a_connection_error() -> None:
    async def scenario() -> None:
        async with Server(_json_reply) as server:
            url = server.url
        with pytest.raises(aiohttp.ClientConnectionError):
            await _post(url, {})

    asyncio.run(scenario())


def test_a_silent_server_times_out_and_its_connection_is_not_reused() -> None:
    async def silent(body: bytes) -> bytes:
        await asyncio.sleep(10)
        return _response("200 OK", b"{}")

    async def scenario() -> None:
        async with Server(silent) as server:
            with pytest.raises(asyncio.TimeoutError):
                await _post(server.url, {}, timeout=0.2)
            pool = action_client._pool("127.0.0.1", int(server.url.split(":")[2].split("/")[0]))
            assert pool._idle == []

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("url", "settings", "method", "kwargs", "compress", "expected"),
    [
        ("http://localhost:5055/webhook", {}, "post", {"json": {}, "timeout": 10}, False, True),
        ("https://actions.example/webhook", {}, "post", {"json": {}}, False, False),
        ("http://localhost:5055/webhook", {"basic_auth": {"username": "a", "password": "b"}}, "post", {}, False, False),
        ("http://localhost:5055/webhook", {"params": {"token": "x"}}, "post", {}, False, False),
        ("http://localhost:5055/webhook", {"token": "secret"}, "post", {"json": {}}, False, False),
        ("http://user:pw@localhost:5055/webhook", {}, "post", {"json": {}}, False, False),
        ("http://localhost:5055/webhook", {}, "post", {"json": {}}, True, False),
        ("http://localhost:5055/webhook", {}, "get", {}, False, False),
        ("http://localhost:5055/webhook", {}, "post", {"data": b"x"}, False, False),
    ],
)
def test_only_plain_json_posts_take_the_small_client(
    url: str, settings: dict[str, Any], method: str, kwargs: dict[str, Any], compress: bool, expected: bool
) -> None:
    endpoint = EndpointConfig(url, **settings)
    assert action_client.handles(endpoint, method, kwargs, compress) is expected


def test_calls_beyond_the_connection_limit_wait_for_a_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(action_client, "MAX_CONNECTIONS", 2)

    async def slow(body: bytes) -> bytes:
        await asyncio.sleep(0.05)
        return await _json_reply(body)

    async def scenario() -> None:
        async with Server(slow) as server:
            replies = await asyncio.gather(*(_post(server.url, {"n": n}) for n in range(6)))
            assert [r["echo"]["n"] for r in replies] == list(range(6))
            assert server.peak_open == 2 and server.connections == 2

    asyncio.run(scenario())


def test_closing_idle_connections_closes_them_and_the_next_call_opens_a_new_one() -> None:
    async def scenario() -> None:
        async with Server(_json_reply) as server:
            await _post(server.url, {"n": 1})
            action_client.close_idle_connections()
            await asyncio.sleep(0.05)  # the server sees the hang-up
            assert server.open == 0
            await _post(server.url, {"n": 2})
            assert server.connections == 2

    asyncio.run(scenario())
