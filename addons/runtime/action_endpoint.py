"""Calls to the action server reuse pooled keep-alive connections; no call is ever sent twice.

Reason: Rasa opens a new aiohttp session, and so a new TCP connection, for every action call. Under
50 shoppers that left dozens of `Cannot write to closing transport` failures a run; with the pool,
none (docs/benchmarks.md, decision 7).
Scope: only the action endpoint. `RemoteAction` (custom actions, form validations, custom slot
mappings all go through it) is given a `PooledActionEndpoint`; the NLG server, the callback channel,
model-server pulls and every other `EndpointConfig` keep Rasa's own session per request.
Never twice: Rasa's own `request` sends the call through the pooled aiohttp session; nothing
resends it. Idle connections are dropped after 2 s, below the action server's (Sanic's) 5 s
keep-alive, so a call is not written into a connection the server is closing; if it happens anyway
the call fails like any other failed action (polite_failure answers) instead of running twice.
The call's JSON is written by ujson (json.dumps for anything ujson refuses).
Test: tests/addons/runtime/test_action_endpoint.py (a server that closes after reading the request
receives it once; other endpoints are untouched; pooled per event loop; the same JSON document).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import json
import weakref
from typing import Any

import aiohttp
import ujson
from rasa.core.actions.action import RemoteAction
from rasa.core.constants import DEFAULT_REQUEST_TIMEOUT
from rasa.utils.endpoints import EndpointConfig

IDLE_CONNECTION_SECONDS = 2.0  # below Sanic's KEEP_ALIVE_TIMEOUT (5 s) on the action server
MAX_CONNECTIONS = 100  # aiohttp's default: more calls wait for a connection instead of opening sockets

_original_init = RemoteAction.__init__
_original_session = EndpointConfig.session  # never replaced: other endpoints keep it


class _BorrowedSession:
    """Looks like a fresh ClientSession to `async with`, but leaves the pooled one open."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self._session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self._session

    async def __aexit__(self, *exc_info: object) -> None:
        return None


# one session per event loop and endpoint: a session belongs to the loop it was made in
_sessions: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple, aiohttp.ClientSession]] = (
    weakref.WeakKeyDictionary()
)


def dumps(body: Any) -> str:
    """The action call's JSON by ujson (already installed with Sanic; the 20 KB call several times faster
    than json.dumps); anything ujson cannot encode goes through Rasa's own json.dumps."""
    try:
        return ujson.dumps(body, ensure_ascii=False)
    except (TypeError, OverflowError, ValueError):
        return json.dumps(body)


def _close_pool(per_loop: dict[tuple, aiohttp.ClientSession]) -> None:
    """Close a loop's sessions without that loop (it is gone or stopping): no 'Unclosed session' noise."""
    for session in per_loop.values():
        connector = session.connector
        session.detach()
        with contextlib.suppress(Exception):
            if connector is not None:
                connector.close()
    per_loop.clear()


@atexit.register
def _close_all_pools() -> None:
    for per_loop in list(_sessions.values()):
        _close_pool(per_loop)


class PooledActionEndpoint(EndpointConfig):
    """The action endpoint, with Rasa's `request` over one pooled session per event loop."""

    def _key(self) -> tuple:
        auth = tuple(sorted(self.basic_auth.items())) if self.basic_auth else ()
        return self.url, tuple(sorted((self.headers or {}).items())), auth

    def session(self) -> _BorrowedSession:  # type: ignore[override]
        loop = asyncio.get_running_loop()
        per_loop = _sessions.get(loop)
        if per_loop is None:
            per_loop = _sessions[loop] = {}
            weakref.finalize(loop, _close_pool, per_loop)
        key = self._key()
        session = per_loop.get(key)
        if session is None or session.closed:
            auth = (aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"])
                    if self.basic_auth else None)
            connector = aiohttp.TCPConnector(keepalive_timeout=IDLE_CONNECTION_SECONDS, limit=MAX_CONNECTIONS)
            session = per_loop[key] = aiohttp.ClientSession(
                headers=self.headers, auth=auth, connector=connector, json_serialize=dumps,
                timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
            )
        return _BorrowedSession(session)


def pooled(endpoint: EndpointConfig | None) -> EndpointConfig | None:
    """The pooled twin of an action endpoint (made once per endpoint object)."""
    if endpoint is None or isinstance(endpoint, PooledActionEndpoint):
        return endpoint
    twin = endpoint.__dict__.get("_xiaoer_pooled")
    if twin is None:
        twin = PooledActionEndpoint(endpoint.url, endpoint.params, endpoint.headers, endpoint.basic_auth,
                                    endpoint.token, endpoint.token_name, endpoint.cafile, type=endpoint.type,
                                    **endpoint.kwargs)
        endpoint.__dict__["_xiaoer_pooled"] = twin
    return twin


def _init_with_pooled_endpoint(self: RemoteAction, name: str, action_endpoint: EndpointConfig | None) -> None:
    _original_init(self, name, pooled(action_endpoint))


def install() -> None:
    RemoteAction.__init__ = _init_with_pooled_endpoint  # type: ignore[method-assign]


def uninstall() -> None:
    RemoteAction.__init__ = _original_init  # type: ignore[method-assign]
