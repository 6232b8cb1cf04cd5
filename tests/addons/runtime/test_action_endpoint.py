"""Action calls go over one pooled session per event loop, only the action endpoint's, and never twice."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig

from addons.runtime import action_endpoint


async def _server_that_hangs_up_on_the_second_call(received: list[bytes]) -> tuple[asyncio.AbstractServer, int]:
    """Answers a connection's first call (keep-alive); reads its second whole, counts it and hangs up
    without replying: an action that may have run, on a connection the client had every reason to reuse."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for call in range(2):
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length:"))
            received.append(head + await reader.readexactly(length))
            if call == 0:
                body = b'{"events": [], "responses": []}'
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                             + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
                await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


def test_a_call_the_server_hung_up_on_is_not_sent_again() -> None:
    received: list[bytes] = []

    async def calls() -> None:
        server, port = await _server_that_hangs_up_on_the_second_call(received)
        async with server:
            endpoint = action_endpoint.pooled(EndpointConfig(f"http://127.0.0.1:{port}/webhook"))
            assert await endpoint.request(json={"next_action": "action_show_order"}, method="post") == {
                "events": [], "responses": []}
            with pytest.raises(aiohttp.ClientError):  # Rasa's RemoteAction turns this into a failed action
                await endpoint.request(json={"next_action": "action_submit_return"}, method="post")

    asyncio.run(calls())
    assert [b"action_submit_return" in request for request in received] == [False, True]  # once, not resent


async def _json_server(replies: list[bytes]) -> tuple[asyncio.AbstractServer, int, list[int]]:
    """Keep-alive JSON server; records on which connection (by number) each request came."""
    connections: list[int] = []
    counter = iter(range(1000))

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        number = next(counter)
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError):
                break
            length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length:"))
            await reader.readexactly(length)
            connections.append(number)
            body = replies[0]
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                         + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1], connections


def test_sequential_calls_share_one_connection_and_get_rasas_result() -> None:
    async def calls() -> tuple[list[Any], list[int]]:
        server, port, connections = await _json_server([b'{"events": [], "responses": []}'])
        async with server:
            endpoint = action_endpoint.pooled(EndpointConfig(f"http://127.0.0.1:{port}/webhook"))
            results = [await endpoint.request(json={"n": n}, method="post") for n in range(3)]
            return results, connections

    results, connections = asyncio.run(calls())
    assert results == [{"events": [], "responses": []}] * 3
    assert connections == [0, 0, 0]


def test_only_remote_actions_get_the_pooled_endpoint() -> None:
    action_endpoint.install()
    try:
        endpoint = EndpointConfig("http://127.0.0.1:9/webhook", headers={"X-Shop": "1"}, token="t")
        action = RemoteAction("action_show_order", endpoint)
        assert isinstance(action.action_endpoint, action_endpoint.PooledActionEndpoint)
        assert RemoteAction("action_handoff", endpoint).action_endpoint is action.action_endpoint  # made once
        assert (action.action_endpoint.url, action.action_endpoint.headers, action.action_endpoint.token) == (
            endpoint.url, endpoint.headers, endpoint.token)
        assert type(endpoint) is EndpointConfig  # NLG, callback and model-server endpoints keep Rasa's session
        assert EndpointConfig.session is action_endpoint._original_session
        assert RemoteAction("action_show_order", None).action_endpoint is None
    finally:
        action_endpoint.uninstall()


def test_sessions_are_pooled_per_event_loop() -> None:
    endpoint = action_endpoint.pooled(EndpointConfig("http://127.0.0.1:9/webhook"))

    async def sessions() -> tuple[Any, Any]:
        async with endpoint.session() as first, endpoint.session() as second:
            return first, second

    first, second = asyncio.run(sessions())
    assert first is second and not first.closed  # borrowing does not close the pool
    other_loop, _ = asyncio.run(sessions())
    assert other_loop is not first  # a session belongs to one event loop


def test_the_call_is_the_same_json_document() -> None:
    import json

    body = {"next_action": "action_show_order", "tracker": {"slots": {"order_id": "8800000100000007"},
                                                            "latest_message": {"text": "我要退货 😭"}},
            "domain": {"responses": {"utter_label_status_paid": [{"text": "已付款"}]}}, "version": "3.6.21"}
    assert json.loads(action_endpoint.dumps(body)) == body
    assert json.loads(action_endpoint.dumps({"n": 2**70})) == {"n": 2**70}  # beyond ujson: json.dumps
