"""Choosing the item of an order that a return or exchange is about."""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.order_forms import load_order
from actions.wording import when
from shop.services.views import ExchangeQuote, ItemView, OrderDetail, ReturnQuote


def item_button_title(item: ItemView) -> str:
    spec = "/".join(v for v in (item.color, item.size) if v)
    return f"{item.title} {spec}".strip()


def find_item(order: OrderDetail, item_id: Any) -> ItemView | None:
    return next((item for item in order.items if str(item.item_id) == str(item_id)), None)


CHINESE_ORDINALS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
# Its place in the list: "第二个", "就要第2件吧", a bare "2", "最后那个".
ORDINAL = re.compile(r"第\s*([1-9一二两三四五六七八九])\s*[个件款样]|^\s*([1-9])\s*$|(最后)[一1那]?[个件款样]")
# Words around a named item that name nothing: "要退的是那个保温杯吧" -> "保温杯".
FILLER = re.compile(r"[的那这个件款是要我想退换货就吧呢啊哦呀嗯一下把给～~，,。.!！?？:：\s]")


def chosen_item(order: OrderDetail, said: Any, by_button: bool) -> ItemView | None:
    """The item the shopper chose: a button (its item id), or their own words when they type instead:
    its place in the list (第二个, 2, 最后一个) or part of its title or spec (保温杯, 黑色那件).
    None when no item, or more than one, fits."""
    text = str(said or "").strip()
    if by_button:
        return find_item(order, text)
    place = ORDINAL.search(text)
    if place:
        index = len(order.items) if place.group(3) else _ordinal(place.group(1) or place.group(2))
        return order.items[index - 1] if 1 <= index <= len(order.items) else None
    by_id = find_item(order, text)
    if by_id is not None:
        return by_id
    return _named_item(order, FILLER.sub("", text).lower())


def _ordinal(token: str) -> int:
    return int(token) if token.isdigit() else CHINESE_ORDINALS[token]


def _named_item(order: OrderDetail, words: str) -> ItemView | None:
    """The one item whose title or spec shares the longest run of characters (at least 2) with the words."""
    if not words:
        return None
    scores = [(_longest_common_run(words, item_button_title(item).lower()), item) for item in order.items]
    best = max(score for score, _ in scores)
    matches = [item for score, item in scores if score == best]
    return matches[0] if best >= 2 and len(matches) == 1 else None


def _longest_common_run(a: str, b: str) -> int:
    return SequenceMatcher(None, a, b, autojunk=False).find_longest_match(0, len(a), 0, len(b)).size


def item_choice(value: Any, tracker: Tracker, dispatcher: CollectingDispatcher) -> tuple[str | None, dict[str, Any]]:
    """Validates the `item_id` slot of returns and exchanges: (the item id, {}) when the shopper's choice
    is one item of the order, else (None, slots to set) after telling them why."""
    order = load_order(tracker, dispatcher)
    if order is None:
        return None, {"item_id": None, "flow_blocked": True}
    by_button = any(entity.get("entity") == "item_id" for entity in tracker.latest_message.get("entities", []))
    item = chosen_item(order, value, by_button)
    if item is None:
        # a button of another order (an old message) vs. words that fit no item or several
        dispatcher.utter_message(response="utter_item_not_in_order" if by_button else "utter_item_unclear")
        return None, {"item_id": None}
    return str(item.item_id), {}


# Eligibility codes (shop.rules.check_line) with a reply of their own in each flow: utter_<flow>_<code>.
EXPLAINED_REFUSALS = ("not_delivered", "window_expired", "category_not_returnable", "already_requested")


def explain_refusal(flow: str, quote_: ReturnQuote | ExchangeQuote, dispatcher: CollectingDispatcher) -> None:
    """Why the item cannot be returned or exchanged, in the shopper's terms (codes stay out of the reply)."""
    response = f"utter_{flow}_{quote_.code}" if quote_.code in EXPLAINED_REFUSALS else f"utter_{flow}_not_eligible"
    deadline = when(quote_.deadline) if quote_.deadline else ""
    dispatcher.utter_message(response=response, code=quote_.code, item=quote_.item.title, deadline=deadline)


class ActionAskItemId(Action):
    """Lists the order's items as buttons."""

    def name(self) -> str:
        return "action_ask_item_id"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        order = load_order(tracker, dispatcher)
        if order is None:
            return []
        buttons = [
            {"title": item_button_title(item), "payload": f'/inform{{"item_id": "{item.item_id}"}}'}
            for item in order.items
        ]
        dispatcher.utter_message(response="utter_ask_item_id", buttons=buttons)
        return []


def single_item_id(order: OrderDetail) -> str | None:
    """An order of one item needs no question."""
    return str(order.items[0].item_id) if len(order.items) == 1 else None


def received_order_item(
    flow: str, order_no: str, tracker: Tracker, dispatcher: CollectingDispatcher
) -> dict[str, Any]:
    """Returns and exchanges (`flow`) need a received order; an order of one item needs no item question.

    Slots to set: `flow_blocked` (the shopper was told why) or the single `item_id`, or nothing.
    """
    tracker.slots["order_id"] = order_no
    order = load_order(tracker, dispatcher)
    if order is None:
        return {"flow_blocked": True}
    if order.status not in ("delivered", "completed"):
        why = "order_cancelled" if order.status == "cancelled" else "not_delivered"
        dispatcher.utter_message(response=f"utter_{flow}_{why}")
        return {"flow_blocked": True}
    item_id = single_item_id(order)
    return {"item_id": item_id} if item_id else {}
