"""寄回运单: "退货寄回了 单号SF1234567890" gives the waybill of the parcel sent back for a return or an
exchange. A return or exchange request that names the parcel (the `return_parcel` words of
data/nlu/lookups.yml, or a waybill) takes this branch of its form: order → waybill → confirmation →
recorded on the order's open requests (shop.services.return_parcels)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.orm import Session

from actions.backend import BackendUnavailable, shop_session
from actions.identity import current_customer, token_customer
from actions.order_forms import FORM_INTENTS, OFFERED_ORDERS, entity_value, with_slots
from actions.wording import pickup_time
from shop.clock import system_clock
from shop.errors import DomainError
from shop.services.eligibility import order_statuses_for
from shop.services.orders import MAX_LIMIT, list_orders
from shop.services.return_parcels import (
    booked_pickup,
    check_parcel_awaited,
    labelled_order_numbers_in,
    normalise_waybill,
    numbers_in,
    orders_awaiting_parcel,
    orders_with_parcel_recorded,
    own_order_numbers_in,
    record_return_parcel,
    waybill_in,
)
from shop.services.views import OrderSummary

PARCEL_SLOTS = ["waybill_no", "confirmed"]


def wants_parcel(tracker: Tracker) -> bool:
    """The request is about the parcel sent back, not a new return or exchange."""
    return bool(tracker.get_slot("return_parcel") or tracker.get_slot("waybill_no"))


def _text(tracker: Tracker) -> str:
    return str((tracker.latest_message or {}).get("text") or "")


def message_waybill(tracker: Tracker) -> str | None:
    """The one waybill written in the latest message: a long number that is not the shopper's order."""
    text = _text(tracker)
    return waybill_in(text, _orders_in_message(tracker, text))


def _orders_in_message(tracker: Tracker, text: str) -> frozenset[str]:
    """The message's numbers that are orders. Until the shopper is identified (token or phone check)
    and no order is known yet, every number is taken as the order: the waybill is asked for after."""
    before = slot_before_message(tracker, "order_id")  # the slot itself may hold this message's number
    known = labelled_order_numbers_in(text) | ({str(before)} if before else set())
    customer_id = current_customer(tracker)
    if customer_id is None:
        if known or tracker.get_slot("requested_slot") == "waybill_no":
            return known
        return numbers_in(text)
    try:
        with shop_session(CollectingDispatcher()) as session:
            return known | own_order_numbers_in(session, customer_id, text)
    except BackendUnavailable:
        return known


def _numbers_named_orders(tracker: Tracker) -> list[str]:
    """The order_id entities of the latest message (a digits-only waybill is one of them)."""
    entities = (tracker.latest_message or {}).get("entities") or []
    return [str(e.get("value")) for e in entities if e.get("entity") == "order_id"]


def parcel_orders(session: Session, customer_id: int, limit: int = OFFERED_ORDERS) -> list[OrderSummary]:
    """The orders the parcel branch offers: parcel awaited, or its waybill open to correction; recent first."""
    parcel = {*orders_awaiting_parcel(session, customer_id), *orders_with_parcel_recorded(session, customer_id)}
    listed = list_orders(session, customer_id, statuses=order_statuses_for("return"), limit=MAX_LIMIT)
    return [order for order in listed if order.order_no in parcel][:limit]


def slot_before_message(tracker: Tracker, name: str) -> Any:
    """The slot's value before the latest message was read."""
    seen_message = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            seen_message = True
        elif seen_message and event.get("event") == "slot" and event.get("name") == name:
            return event.get("value")
    return None


def parcel_awaited(order_no: str, customer_id: int, dispatcher: CollectingDispatcher) -> dict[str, Any]:
    """Slots once the order is known: nothing, or a blocked flow with the reason said."""
    try:
        with shop_session(dispatcher) as session:
            check_parcel_awaited(session, customer_id, order_no)
    except BackendUnavailable:
        return {"flow_blocked": True}
    except DomainError as error:
        if error.code != "not_eligible":
            dispatcher.utter_message(response="utter_order_not_found")
        elif error.details.get("reason") == "already_received":
            dispatcher.utter_message(response="utter_return_parcel_received", order_no=order_no)
        else:
            dispatcher.utter_message(response="utter_return_parcel_none", order_no=order_no)
        return {"flow_blocked": True}
    return {}


class ReturnParcelSteps:
    """The parcel branch of return_form and exchange_form (listed before OrderFormValidation)."""

    async def extract_order_id(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """With a token, starting without an order number: the one order whose parcel is awaited (or, if
        none is, whose recorded waybill may be corrected) is chosen; with none, the shopper is told so."""
        if self._asks_anew(tracker):
            # the order is then chosen as for a new request; the SDK shows the cleared slots to the rest of
            # this turn's extraction and validation
            cleared = {"return_parcel": None, "waybill_no": None, "confirmed": None}
            anew = with_slots(tracker, **cleared)
            return {**cleared, **await super().extract_order_id(dispatcher, anew, domain)}  # type: ignore[misc]
        customer_id = token_customer(tracker)
        starting = tracker.get_slot("requested_slot") is None
        if not (wants_parcel(tracker) and starting and customer_id is not None) or self._names_own_order(tracker):
            return await super().extract_order_id(dispatcher, tracker, domain)  # type: ignore[misc]
        try:
            with shop_session(dispatcher) as session:
                # No parcel awaited: the shopper may be correcting the waybill of one on its way.
                awaiting = orders_awaiting_parcel(session, customer_id) or orders_with_parcel_recorded(
                    session, customer_id)
        except BackendUnavailable:
            return {"flow_blocked": True}
        if not awaiting:
            dispatcher.utter_message(response="utter_return_parcel_none_at_all")
            return {"flow_blocked": True}
        if len(awaiting) > 1:
            return await super().extract_order_id(dispatcher, tracker, domain)  # type: ignore[misc]
        dispatcher.utter_message(response="utter_return_parcel_order", order_no=awaiting[0])
        return {"order_id": awaiting[0]}

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Rasa SDK keeps only required slots' events; leaving the branch clears its slots, which are not."""
        events = await super().get_validation_events(dispatcher, tracker, domain)  # type: ignore[misc]
        if self._asks_anew(tracker):
            return [SlotSet("return_parcel", None), SlotSet("waybill_no", None), *events]
        return events

    @staticmethod
    def _asks_anew(tracker: Tracker) -> bool:
        """In the parcel branch, the form's request again without a parcel word or waybill ("订单X我要退货"):
        a new return or exchange, not the parcel's."""
        message = tracker.latest_message or {}
        intent = (message.get("intent") or {}).get("name")
        return (
            bool(slot_before_message(tracker, "return_parcel") or slot_before_message(tracker, "waybill_no"))
            and intent == FORM_INTENTS.get(tracker.active_loop.get("name") or "")
            and entity_value(message, "return_parcel") is None
            and message_waybill(tracker) is None
        )

    @staticmethod
    def _names_own_order(tracker: Tracker) -> bool:
        """An order number in the message besides its waybill."""
        waybill = message_waybill(tracker)
        return any(number != waybill for number in _numbers_named_orders(tracker))

    def offered(
        self, session: Session, customer_id: int, tracker: Tracker, limit: int = OFFERED_ORDERS
    ) -> list[OrderSummary]:
        if wants_parcel(tracker):
            return parcel_orders(session, customer_id, limit)
        return super().offered(session, customer_id, tracker, limit)  # type: ignore[misc]

    def validate_order_id(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A waybill of digits also reads as an order number (and the last number written fills the
        slot): then the order is the other number written, or stays what it was."""
        if wants_parcel(tracker) and value is not None and str(value) == message_waybill(tracker):
            value = self._other_order_named(tracker, str(value)) or slot_before_message(tracker, "order_id")
            if value is None:
                return {"order_id": None}
        return super().validate_order_id(value, dispatcher, tracker, domain)  # type: ignore[misc]

    @staticmethod
    def _other_order_named(tracker: Tracker, waybill: str) -> str | None:
        return next((number for number in _numbers_named_orders(tracker) if number != waybill), None)

    async def extract_waybill_no(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A waybill written anywhere in a message of the branch ("单号是75312345678901哈")."""
        if not wants_parcel(tracker) and not entity_value(tracker.latest_message or {}, "waybill_no"):
            return {}
        waybill = message_waybill(tracker)
        return {} if waybill is None else {"waybill_no": waybill}

    def validate_waybill_no(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        try:
            return {"waybill_no": waybill_in(str(value or "")) or normalise_waybill(value)}
        except DomainError:
            dispatcher.utter_message(response="utter_waybill_no_invalid")
            return {"waybill_no": None}


def confirm_return_parcel(tracker: Tracker, dispatcher: CollectingDispatcher, domain: DomainDict) -> None:
    """The waybill to record, and the booked courier pickup it would cancel, if any."""
    order_no, waybill = tracker.get_slot("order_id"), tracker.get_slot("waybill_no")
    pickup = _booked_pickup(tracker, order_no)
    if pickup:
        dispatcher.utter_message(response="utter_confirm_return_parcel_cancels_pickup", order_no=order_no,
                                 waybill_no=waybill, pickup_slot=pickup_time(pickup))
    else:
        dispatcher.utter_message(response="utter_confirm_return_parcel", order_no=order_no, waybill_no=waybill)


def _booked_pickup(tracker: Tracker, order_no: str) -> str | None:
    customer_id = current_customer(tracker)
    if customer_id is None:
        return None
    try:
        with shop_session(CollectingDispatcher()) as session:
            return booked_pickup(session, customer_id, order_no)
    except (BackendUnavailable, DomainError):
        return None  # the submission says what went wrong


def submit_return_parcel(customer_id: int, tracker: Tracker, dispatcher: CollectingDispatcher) -> None:
    """Record the confirmed waybill and say what became of it."""
    order_no = tracker.get_slot("order_id")
    try:
        with shop_session(dispatcher) as session:
            parcel = record_return_parcel(session, customer_id, order_no, tracker.get_slot("waybill_no"),
                                          clock=system_clock)
    except BackendUnavailable:
        return
    except DomainError as error:
        if error.code == "not_eligible":
            parcel_awaited(order_no, customer_id, dispatcher)  # says why
        else:
            dispatcher.utter_message(response="utter_waybill_no_invalid")
        return
    suffix = "_in_review" if parcel.outcome == "recorded" and parcel.in_review else ""
    dispatcher.utter_message(response=f"utter_return_parcel_{parcel.outcome}{suffix}", waybill_no=parcel.waybill_no,
                             request_nos="、".join(parcel.request_nos))
    if parcel.pickup_cancelled:
        dispatcher.utter_message(response="utter_return_parcel_pickup_cancelled",
                                 pickup_slot=pickup_time(parcel.pickup_cancelled))
