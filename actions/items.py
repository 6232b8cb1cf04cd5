"""Choosing the item of an order that a return or exchange is about."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.choices import ORDINAL, named, names_several, pick
from actions.order_forms import entity_value, load_order, sole_entity_value, words_for_choosing
from actions.product_words import with_product_titles
from actions.products import answer_product_question
from actions.wording import english, product_name, translated, when
from shop.services.eligibility import why_flow_cannot_take
from shop.services.views import ExchangeQuote, ItemView, OrderDetail, ReturnQuote

# Order numbers and the like: their digits are not words that name an item ("120ml").
LONG_NUMBER = re.compile(r"\d{6,}")
# A question rather than a choice: question marks and particles, 能不能/是不是 and the like.
QUESTION = re.compile(r"[吗嘛么?？]|能不能|可不可以|会不会|是不是|有没有|多少|几[个天号次]")


def item_button_title(item: ItemView) -> str:
    spec = "/".join(v for v in (item.color, item.size) if v)
    return f"{item.title} {spec}".strip()


def item_words(item: ItemView) -> str:
    """What typed words may name the item by: its title and spec as the shop wrote them, and its English
    name ("the flask" names 不锈钢保温杯 / Stainless steel vacuum flask)."""
    return f"{item_button_title(item)} {item.title_en or ''}".strip()


def item_shown(item: ItemView) -> str:
    """The item as a reply or a button names it: in English its English name and colour where the shop
    has them."""
    if not english():
        return item_button_title(item)
    spec = "/".join(v for v in (translated("color", item.color), item.size) if v)
    return f"{product_name(item.title, item.title_en)} {spec}".strip()


def find_item(order: OrderDetail, item_id: Any) -> ItemView | None:
    return next((item for item in order.items if str(item.item_id) == str(item_id)), None)


def chosen_item(order: OrderDetail, said: Any, by_button: bool) -> ItemView | None:
    """The item the shopper chose: a button (its item id), or their own words when they type instead:
    its place in the list (第二个, 2, 最后一个), its id, or part of its title or spec (保温杯, 黑色那件).
    None when no item, or more than one, fits."""
    text = str(said or "").strip()
    if by_button:
        return find_item(order, text)
    if ORDINAL.search(text):  # a bare "2" is a place in the list before it is an item id
        return pick(order.items, text, item_words)
    return find_item(order, text) or named(order.items, text, item_words) or by_english_name(order.items, text)


# English words too common to name a product by.
COMMON_ENGLISH = frozenset({"the", "and", "one", "for", "with", "that", "this", "item", "want", "please"})


def by_english_name(items: list[ItemView], text: str) -> ItemView | None:
    """The one item whose English name holds a word of the English words typed ("the flask"); choosing
    by characters reads a phrase as one run of letters."""
    said = {word for word in re.findall(r"[a-z]+", text.lower()) if len(word) >= 3} - COMMON_ENGLISH
    named_items = [item for item in items if said & set(re.findall(r"[a-z]+", (item.title_en or "").lower()))]
    return named_items[0] if len(named_items) == 1 else None


def is_product_question(tracker: Tracker) -> bool:
    """"这个保温杯能装开水吗" at the item question names an item, but asks about it rather than choosing it."""
    message = tracker.latest_message or {}
    intent = (message.get("intent") or {}).get("name")
    return intent == "product_inquiry" and bool(QUESTION.search(str(message.get("text") or "")))


def item_choice(
    value: Any, tracker: Tracker, dispatcher: CollectingDispatcher
) -> tuple[ItemView | None, dict[str, Any]]:
    """Validates the `item_id` slot of returns, exchanges and missing items: (the item, {}) when the
    shopper's choice is one item of the order, else (None, slots to set) after telling them why. A
    product question is answered instead, and the form asks for the item again."""
    if is_product_question(tracker):
        answer_product_question(tracker, dispatcher)
        return None, {"item_id": None}
    order = load_order(tracker, dispatcher)
    if order is None:
        return None, {"item_id": None, "flow_blocked": True}
    typed_now = str(value) == str(tracker.latest_message.get("text"))
    # An id not typed now: a button's, or the one a flow taken up again had (actions/paused_flows.py).
    by_button = entity_value(tracker.latest_message, "item_id") is not None or (
        not typed_now and find_item(order, value) is not None)
    said = words_for_choosing(tracker.latest_message) if typed_now else value
    item = chosen_item(order, said if by_button else with_product_titles(str(said or ""), dispatcher), by_button)
    if item is None:
        dispatcher.utter_message(response=_why_no_item(order, str(value or ""), by_button))
        return None, {"item_id": None}
    return item, {}


def _why_no_item(order: OrderDetail, said: str, by_button: bool) -> str:
    if by_button:
        return "utter_item_not_in_order"  # a button of another order (an old message)
    if names_several(order.items, said, item_words):
        return "utter_item_one_at_a_time"
    return "utter_item_unclear"


# Eligibility codes (shop.rules.check_line) with a reply of their own in each flow: utter_<flow>_<code>.
EXPLAINED_REFUSALS = ("not_delivered", "window_expired", "category_not_returnable", "already_requested")


def explain_refusal(flow: str, quote_: ReturnQuote | ExchangeQuote, dispatcher: CollectingDispatcher) -> None:
    """Why the item cannot be returned or exchanged, in the shopper's terms (codes stay out of the reply)."""
    response = f"utter_{flow}_{quote_.code}" if quote_.code in EXPLAINED_REFUSALS else f"utter_{flow}_not_eligible"
    deadline = when(quote_.deadline) if quote_.deadline else ""
    dispatcher.utter_message(response=response, code=quote_.code,
                             item=product_name(quote_.item.title, quote_.item.title_en), deadline=deadline)


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
            {"title": item_shown(item), "payload": f'/inform{{"item_id": "{item.item_id}"}}'}
            for item in order.items
        ]
        several = tracker.get_slot("logistics_problem") != "missing_items" and names_several(
            order.items, LONG_NUMBER.sub("", str((tracker.latest_message or {}).get("text") or "")), item_words)
        if several:  # "保温杯和洗面奶都想退": one request per item, the first is chosen now
            dispatcher.utter_message(response="utter_item_one_at_a_time")
        dispatcher.utter_message(response="utter_ask_item_id", buttons=buttons)
        return []


def single_item_id(order: OrderDetail) -> str | None:
    """An order of one item needs no question."""
    return str(order.items[0].item_id) if len(order.items) == 1 else None


def item_named_in_message(order: OrderDetail, tracker: Tracker) -> str | None:
    """The one item of the order that fits the product this message names ("保温杯想退货", "保温杯那单"),
    so that it need not be asked for."""
    product = sole_entity_value(tracker.latest_message or {}, "product")
    item = named(order.items, str(product), item_words) if product else None
    return str(item.item_id) if item else None


def received_order_item(
    flow: str, order_no: str, tracker: Tracker, dispatcher: CollectingDispatcher
) -> dict[str, Any]:
    """Returns and exchanges (`flow`) need a received order; an order of one item, or a message that
    names one of its items, needs no item question.

    Slots to set: `flow_blocked` (the shopper was told why) or the single `item_id`, or nothing.
    """
    order = load_order(tracker, dispatcher, order_no=order_no)
    if order is None:
        return {"flow_blocked": True}
    why = why_flow_cannot_take(flow, order)  # order_cancelled or not_delivered
    if why is not None:
        dispatcher.utter_message(response=f"utter_{flow}_{why}")
        return {"flow_blocked": True}
    item_id = single_item_id(order) or item_named_in_message(order, tracker)
    return {"item_id": item_id} if item_id else {}
