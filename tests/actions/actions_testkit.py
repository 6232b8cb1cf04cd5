"""Helpers for the action tests: real rasa_sdk Trackers, running actions, reading what was said.

Every helper that runs an action also checks each uttered response against the domain (domain/):
the response must exist and every `{placeholder}` of its texts must be given by the action
(or be a slot, which Rasa fills itself) -- so a typo in a response name or a missing
parameter fails whichever test happens to reach it.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterable
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shop.db import make_engine, session_scope
from shop.models import Order, OrderItem
from shop.tokens import mint_token

SENDER_ID = "conv-test"
PLACEHOLDER = re.compile(r"(?<!\{)\{(\w+)\}(?!\})")
# Keys of a CollectingDispatcher message that are not template parameters.
MESSAGE_KEYS = {"text", "buttons", "elements", "custom", "template", "response", "image", "attachment"}


def token_for(customer_id: int, **kwargs: Any) -> str:
    return mint_token(customer_id, **kwargs)


def user_event(
    text: str,
    intent: str = "inform",
    entities: list[dict[str, Any]] | None = None,
    token: str | None = None,
    metadata: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A user event as the Rasa server sends it to the action server."""
    return {
        "event": "user",
        "text": text,
        "parse_data": {"intent": {"name": intent, "confidence": 1.0}, "entities": entities or [], "text": text},
        "metadata": {**({"customer_token": token} if token else {}), **(metadata or {})},
    }


def make_tracker(
    slots: dict[str, Any] | None = None,
    events: list[dict[str, Any]] | None = None,
    active_loop: str | None = None,
    sender_id: str = SENDER_ID,
    token: str | None = None,
) -> Tracker:
    """A tracker; without events, one user message (carrying `token`, if given) is added."""
    if events is None:
        events = [user_event("你好", "greet", token=token)]
    latest_user = next((e for e in reversed(events) if e.get("event") == "user"), None)
    latest_message: dict[str, Any] = {}
    if latest_user is not None:
        latest_message = {**latest_user["parse_data"], "text": latest_user["text"],
                          "metadata": latest_user.get("metadata", {})}
    all_slots: dict[str, Any] = {**(slots or {})}
    return Tracker(
        sender_id,
        all_slots,
        latest_message,
        events,
        False,
        None,
        {"name": active_loop} if active_loop else {},
        "action_listen",
    )


def check_messages(dispatcher: CollectingDispatcher, domain: dict[str, Any]) -> None:
    """Every response exists in the domain and gets all of its placeholders."""
    responses: dict[str, list[dict[str, Any]]] = domain["responses"]
    slot_names = set(domain.get("slots", {}))
    for message in dispatcher.messages:
        name = message.get("response")
        if name is None:
            continue
        assert name in responses, f"{name} is not a response in domain/"
        params = {key for key in message if key not in MESSAGE_KEYS}
        for variation in responses[name]:
            missing = set(PLACEHOLDER.findall(str(variation.get("text", "")))) - params - slot_names
            assert not missing, f"{name} uttered without {sorted(missing)}"


def run_action(action: Action, tracker: Tracker, domain: dict[str, Any]) -> tuple[CollectingDispatcher, list]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, domain))
    check_messages(dispatcher, domain)
    return dispatcher, events


def validate(
    form: FormValidationAction, slot: str, value: Any, tracker: Tracker, domain: dict[str, Any]
) -> tuple[CollectingDispatcher, dict[str, Any]]:
    """Call `validate_<slot>` the way the SDK does, and apply its result to the tracker."""
    dispatcher = CollectingDispatcher()
    result = getattr(form, f"validate_{slot}")(value, dispatcher, tracker, domain)
    tracker.slots.update(result)
    check_messages(dispatcher, domain)
    return dispatcher, result


def required_slots(form: FormValidationAction, tracker: Tracker, domain: dict[str, Any]) -> list[str]:
    return asyncio.run(form.required_slots(form.domain_slots(domain), CollectingDispatcher(), tracker, domain))


def names(dispatcher: CollectingDispatcher) -> list[str]:
    return [str(message.get("response")) for message in dispatcher.messages]


def message(dispatcher: CollectingDispatcher, response: str) -> dict[str, Any]:
    found = [m for m in dispatcher.messages if m.get("response") == response]
    assert found, f"{response} not uttered; got {names(dispatcher)}"
    return found[0]


def all_text(dispatcher: CollectingDispatcher) -> str:
    """Everything the messages carry (params, buttons), for leak checks."""
    return json.dumps(dispatcher.messages, ensure_ascii=False, default=str)


def slot_sets(events: Iterable[Any]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if isinstance(e, dict) and e.get("event") == "slot"}


def assert_flow_reset(events: list[Any]) -> None:
    for slot in ("item_id", "reason", "evidence_url", "size", "color", "confirmed", "flow_blocked"):
        assert SlotSet(slot, None) in events


def db_session() -> Session:
    """A plain session on the test database (SHOP_DB_URL), for checking what actions wrote."""
    return Session(make_engine(), future=True)


def item_ids(order_no: str) -> list[str]:
    """The order's line ids, as the item_id slot holds them."""
    with db_session() as session:
        stmt = select(OrderItem.id).join(Order).where(Order.order_no == order_no).order_by(OrderItem.id)
        return [str(i) for i in session.execute(stmt).scalars()]


def count_rows(model: Any, *where: Any) -> int:
    with session_scope(make_engine()) as session:
        return int(session.execute(select(func.count()).select_from(model).where(*where)).scalar_one())
