"""Who is the shopper? A signed token from the shop front-end, or an order + phone check.

The token (`metadata.customer_token`, a JWT minted by the shop's back-end) is verified on
every message, and only the message's own token counts: a later message without one is anonymous
on the same sender id. Without one, an action-set slot (`verified_customer_id`) remembers a
successful order-number + phone check (limited by shop.services.verification); users cannot set
that slot themselves because it has only a custom mapping.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker

from shop.errors import DomainError
from shop.tokens import verify_token

TOKEN_KEY = "customer_token"
# Set by the channel from the request (addons/channels.py), never by the client.
CLIENT_KEY = "client"


def _message_token(tracker: Tracker) -> str | None:
    """The token of the message being answered. Identity belongs to each message, not to the
    sender id: a message without a token is anonymous, whatever earlier messages carried."""
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        metadata: dict[str, Any] = event.get("metadata") or {}
        token = metadata.get(TOKEN_KEY)
        return str(token) if token else None
    return None


def token_customer(tracker: Tracker) -> int | None:
    """The customer id of a valid, unexpired token, else None."""
    token = _message_token(tracker)
    if not token:
        return None
    try:
        return verify_token(token)
    except DomainError:
        return None


def current_customer(tracker: Tracker) -> int | None:
    """The identified customer, by token first, then by a passed phone check."""
    customer_id = token_customer(tracker)
    if customer_id is not None:
        return customer_id
    verified = tracker.get_slot("verified_customer_id")
    return int(verified) if verified is not None else None


def client_address(tracker: Tracker) -> str | None:
    """The address the message came from, as the channel saw it (verification tries are counted by it)."""
    metadata: dict[str, Any] = (tracker.latest_message or {}).get("metadata") or {}
    client = metadata.get(CLIENT_KEY)
    return str(client) if client else None
