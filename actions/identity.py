"""Who is the shopper? A signed token from the shop front-end, or an order + phone check.

The token (`metadata.customer_token`, minted by `python -m shop token`) is verified on
every message, so a conversation can never switch to another customer. Without one, an
action-set slot (`verified_customer_id`) remembers a successful order-number + phone check;
users cannot set that slot themselves because it has only a custom mapping.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker

from shop.errors import DomainError
from shop.tokens import verify_token

TOKEN_KEY = "customer_token"
MAX_VERIFY_FAILURES = 3


def _latest_token(tracker: Tracker) -> str | None:
    """The most recent token a user message carried (front-ends may send it once)."""
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        metadata: dict[str, Any] = event.get("metadata") or {}
        token = metadata.get(TOKEN_KEY)
        if token:
            return str(token)
    return None


def token_customer(tracker: Tracker) -> int | None:
    """The customer id of a valid, unexpired token, else None."""
    token = _latest_token(tracker)
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


def verification_locked(tracker: Tracker) -> bool:
    return (tracker.get_slot("verify_failures") or 0) >= MAX_VERIFY_FAILURES
