"""The address a request came from, for rate limits and try counts (channels, desk and dashboard sign-in)."""

from __future__ import annotations

import os

from sanic.request import Request


def client_address(request: Request) -> str:
    """The peer's address; behind a reverse proxy (XIAOER_TRUST_PROXY=1) the last X-Forwarded-For entry,
    the one the proxy itself added (earlier entries are the client's own claims)."""
    if os.environ.get("XIAOER_TRUST_PROXY") == "1":
        forwarded = request.headers.get("x-forwarded-for", "").split(",")[-1].strip()
        if forwarded:
            return forwarded[:64]
    return str(request.ip or "")
