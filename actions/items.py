"""Choosing the item of an order that a return or exchange is about."""

from __future__ import annotations

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


def received_order_item(order_no: str, tracker: Tracker, dispatcher: CollectingDispatcher) -> dict[str, Any]:
    """Returns and exchanges need a received order; an order of one item needs no item question.

    Slots to set: `flow_blocked` (the shopper was told why) or the single `item_id`, or nothing.
    """
    tracker.slots["order_id"] = order_no
    order = load_order(tracker, dispatcher)
    if order is None:
        return {"flow_blocked": True}
    if order.status not in ("delivered", "completed"):
        dispatcher.utter_message(response="utter_return_not_delivered")
        return {"flow_blocked": True}
    item_id = single_item_id(order)
    return {"item_id": item_id} if item_id else {}
