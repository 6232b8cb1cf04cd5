"""换货: order → item → target size/colour (stock checked and reserved) → confirmation."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend import BackendUnavailable, ask_for_shopper, shop_session
from actions.items import explain_refusal, item_choice, received_order_item
from actions.order_forms import OrderFormValidation, checked_once, confirmed_customer, reset_flow_events, with_slots
from actions.return_parcels import PARCEL_SLOTS, ReturnParcelSteps, parcel_awaited, submit_return_parcel, wants_parcel
from actions.satisfaction import offer_rating
from actions.wording import label, translated
from shop.clock import system_clock
from shop.errors import DomainError
from shop.services.exchanges import quote_exchange, request_exchange
from shop.services.views import ExchangeQuote

# A size typed with its unit ("43码", "XL号") or alone as a letter size, for when the NLU finds none; not
# after an apostrophe (the m of "I'm", the s of "it's").
SIZE_WORDS = re.compile(r"(?<![\dA-Za-z'’])(3[4-9]|4[0-8]|XXXL|XXL|XL|L|M|S)\s*(?:码|号)?(?![\dA-Za-z])", re.IGNORECASE)
# One size up or down, in words the NLU may not mark in a long first message ("the shoes are too small, I
# need one size up"): the shop reads "+1"/"-1" against the size bought. "too small" is a reason, not a wish.
SIZE_STEPS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"大一[码号]|大一点的码|加大码?|(?i:(?<![a-z])(?:(?:one|a|1) size (?:up|bigger|larger)|size up"
                r"|bigger|larger)(?![a-z]))"), "+1"),
    (re.compile(r"小一[码号]|小一点的码|(?i:(?<![a-z])(?:(?:one|a|1) size (?:down|smaller)|size down"
                r"|smaller)(?![a-z]))"), "-1"),
)
TARGET_SLOTS = ("size", "color")


def _said_in(message: dict[str, Any], slot: str) -> str | None:
    """The size or colour a message asks for: the last one it names ("黑的没43了 那换白色的43码" asks for
    白色, not 黑色), from the NLU's entities, or for a size typed with its unit the words themselves."""
    found = sorted((e for e in message.get("entities") or [] if e.get("entity") == slot and e.get("value")),
                   key=lambda e: e.get("start") or 0)
    if found:
        return str(found[-1]["value"])
    text = str(message.get("text") or "")
    if slot == "size" and not text.startswith("/"):
        sizes = SIZE_WORDS.findall(text)
        if sizes:
            return sizes[-1].upper()
        return next((step for pattern, step in SIZE_STEPS if pattern.search(text)), None)
    return None


def _messages_of_this_flow(tracker: Tracker) -> list[dict[str, Any]]:
    """The shopper's messages since the exchange started, oldest first (the latest included): from the one
    that started it (just before the form's activation) on; a question asked before ("should I size up?")
    is no wish of this exchange. Before the activation is logged, the latest message alone."""
    messages: list[dict[str, Any]] = []
    started = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            messages.insert(0, event.get("parse_data") or {})
            if started:
                break
        elif event.get("event") == "active_loop" and event.get("name") == "exchange_form":
            started = True
        elif event.get("event") == "active_loop" and event.get("name") is not None:
            break
    if not started:
        return [tracker.latest_message or {}]
    return messages or [tracker.latest_message or {}]


def target_asked(tracker: Tracker) -> dict[str, str | None]:
    """The size and colour the shopper asked for: what the latest message names, and for what it does
    not name, what an earlier message of this exchange named. "换大一码" then "那换白色的" asks for the
    white one in the bigger size, never the white one in the size bought."""
    asked: dict[str, str | None] = {slot: None for slot in TARGET_SLOTS}
    for message in _messages_of_this_flow(tracker):
        said = {slot: _said_in(message, slot) for slot in TARGET_SLOTS}
        asked.update({slot: value for slot, value in said.items() if value})
    return asked


def quote(tracker: Tracker, dispatcher: CollectingDispatcher) -> ExchangeQuote | None:
    return ask_for_shopper(
        tracker,
        dispatcher,
        lambda session, customer_id: quote_exchange(
            session,
            customer_id,
            tracker.get_slot("order_id"),
            item_id=int(tracker.get_slot("item_id")),
            target_size=tracker.get_slot("size"),
            target_color=tracker.get_slot("color"),
            clock=system_clock,
        ),
    )


def describe_target(quote_: ExchangeQuote) -> str:
    return " ".join(v for v in (translated("color", quote_.target_color), quote_.target_size) if v)


def difference_text(quote_: ExchangeQuote, domain: DomainDict) -> str:
    diff = quote_.price_difference
    if not diff:
        return label(domain, "exchange_diff", "none")
    kind = "pay" if diff > 0 else "refund"
    return label(domain, "exchange_diff", kind).replace("{amount}", f"{abs(diff):.2f}")


class ValidateExchangeForm(ReturnParcelSteps, OrderFormValidation):
    def name(self) -> str:
        return "validate_exchange_form"

    def flow_required_slots(self, tracker: Tracker) -> list[str]:
        if wants_parcel(tracker):
            return PARCEL_SLOTS
        # One question for the target: a size, a colour, or both. A colour already given is listed too, so
        # that the SDK validates it (it validates required slots only) with the size asked with it.
        target = ["color"] if tracker.get_slot("color") else ["size"]
        return ["item_id", *target, "confirmed"]

    def after_order(
        self, order_no: str, customer_id: int, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if wants_parcel(tracker):
            return parcel_awaited(order_no, customer_id, dispatcher)
        found = received_order_item("exchange", order_no, tracker, dispatcher)
        if "item_id" not in found:
            return found
        return {**found, **self._check(tracker, dispatcher, {"item_id": found["item_id"]})}

    def validate_item_id(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        item, refusal = item_choice(value, tracker, dispatcher)
        if item is None:
            return refusal
        item_id = str(item.item_id)
        return {"item_id": item_id, **self._check(tracker, dispatcher, {"item_id": item_id})}

    def validate_size(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._target("size", value, tracker, dispatcher)

    def validate_color(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._target("color", value, tracker, dispatcher)

    def _target(self, slot: str, value: Any, tracker: Tracker, dispatcher: CollectingDispatcher) -> dict[str, Any]:
        """Size and colour together, exactly as asked: the quote, the confirmation and the reserved SKU
        all come from these two slots. The slot being validated takes what this message asks for (the
        last colour it names, not the first), the other one what it already holds or, when it was
        cleared (a sold-out target), what an earlier message of this exchange asked for."""
        earlier = target_asked(tracker)
        asked = {slot: _said_in(tracker.latest_message or {}, slot) or value}
        other = next(name for name in TARGET_SLOTS if name != slot)
        kept = _said_in(tracker.latest_message or {}, other) or tracker.get_slot(other) or earlier.get(other)
        if kept:
            asked[other] = kept
        return {**asked, **self._check(tracker, dispatcher, asked)}

    def _check(self, tracker: Tracker, dispatcher: CollectingDispatcher, new: dict[str, Any]) -> dict[str, Any]:
        """Window first (as soon as the item is known), then the target's stock."""
        new = {**_wished_before(tracker, new), **new}
        tracker = with_slots(tracker, **new)
        if not tracker.get_slot("item_id"):
            return {}
        asked = (tracker.get_slot("item_id"), tracker.get_slot("size"), tracker.get_slot("color"))
        wished = {slot: new[slot] for slot in TARGET_SLOTS if slot in new}
        return {**wished, **checked_once("exchange", asked, lambda: self._verdict(tracker, dispatcher))}

    @staticmethod
    def _verdict(tracker: Tracker, dispatcher: CollectingDispatcher) -> dict[str, Any]:
        quote_ = quote(tracker, dispatcher)
        if quote_ is None:
            return {"flow_blocked": True}
        if quote_.code in ("ok",):
            return {}
        has_target = bool(tracker.get_slot("size") or tracker.get_slot("color"))
        if quote_.code in ("out_of_stock", "sku_not_found", "same_sku"):
            if not has_target:
                return {}  # nothing chosen yet: the question comes next
            dispatcher.utter_message(response=f"utter_exchange_{quote_.code}", target=_target(tracker, quote_))
            return {"size": None, "color": None}
        explain_refusal("exchange", quote_, dispatcher)
        return {"flow_blocked": True}


def _wished_before(tracker: Tracker, new: dict[str, Any]) -> dict[str, str]:
    """When the item is chosen and no size or colour is held yet, what the earlier messages of this exchange
    asked for ("I'd like to exchange order …, I need one size up"): the question is not asked again."""
    if any(new.get(slot) or tracker.get_slot(slot) for slot in TARGET_SLOTS) or "item_id" not in new:
        return {}
    return {slot: value for slot, value in target_asked(tracker).items() if value}


def _target(tracker: Tracker, quote_: ExchangeQuote | None = None) -> str:
    """The resolved target ("白色 L") when there is one; else the shopper's words (relative "+1" included)."""
    if quote_ is not None and quote_.target_sku_code:
        return describe_target(quote_)
    return " ".join(str(v) for v in (translated("color", tracker.get_slot("color")), tracker.get_slot("size")) if v)


class ActionSubmitExchange(Action):
    def name(self) -> str:
        return "action_submit_exchange"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        customer_id = confirmed_customer(tracker)
        if customer_id is None:
            return reset_flow_events()
        if wants_parcel(tracker):
            submit_return_parcel(customer_id, tracker, dispatcher)
            return reset_flow_events()
        target = _target(tracker)
        spec: dict[str, Any] = {
            "item_id": int(tracker.get_slot("item_id")),
            "target_size": tracker.get_slot("size"),
            "target_color": tracker.get_slot("color"),
            "clock": system_clock,
        }
        reason = tracker.get_slot("reason")
        request_spec = {**spec, "reason_text": label(domain, "reason", reason)} if reason else spec
        try:
            with shop_session(dispatcher) as session:
                # A read first, to name the target as the shopper knows it ("+1" -> "白色 L").
                target = _target(tracker, quote_exchange(session, customer_id, tracker.get_slot("order_id"), **spec))
                request = request_exchange(session, customer_id, tracker.get_slot("order_id"), **request_spec)
        except DomainError as error:
            response = f"utter_exchange_{error.code}" if error.code in ("out_of_stock", "sku_not_found") else (
                "utter_exchange_not_eligible")
            dispatcher.utter_message(response=response, code=error.code, target=target)
            return reset_flow_events()
        except BackendUnavailable:
            return reset_flow_events()
        if not request.created:
            dispatcher.utter_message(
                response="utter_exchange_exists",
                request_no=request.request_no,
                status=label(domain, "aftersale", request.status),
            )
        else:
            dispatcher.utter_message(
                response="utter_exchange_created",
                request_no=request.request_no,
                target=target,
                return_address=request.return_address,
            )
        return reset_flow_events() + (offer_rating(tracker) if request.created else [])
