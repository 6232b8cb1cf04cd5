"""寄回运单: "退货寄回了 单号SF1234567890" gives the waybill of the parcel sent back for a return or an
exchange. A return or exchange request that names the parcel (the `return_parcel` words of
data/nlu/lookups.yml, or a waybill) takes this branch of its form: order → waybill → confirmation →
recorded on the order's open requests (shop.services.return_parcels)."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend import BackendUnavailable, shop_session
from actions.identity import token_customer
from actions.order_forms import entity_value
from shop.clock import system_clock
from shop.errors import DomainError
from shop.services.orders import check_order_owner
from shop.services.return_parcels import (
    check_parcel_awaited,
    normalise_waybill,
    orders_awaiting_parcel,
    record_return_parcel,
    waybill_in,
)

PARCEL_SLOTS = ["waybill_no", "confirmed"]


def wants_parcel(tracker: Tracker) -> bool:
    """The request is about the parcel sent back, not a new return or exchange."""
    return bool(tracker.get_slot("return_parcel") or tracker.get_slot("waybill_no"))


def _text(tracker: Tracker) -> str:
    return str((tracker.latest_message or {}).get("text") or "")


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
        """With a token, starting without an order number: the one order whose parcel is awaited is
        chosen; with none, the shopper is told so at once."""
        customer_id = token_customer(tracker)
        starting = tracker.get_slot("requested_slot") is None
        if not (wants_parcel(tracker) and starting and customer_id is not None) or self._names_own_order(tracker):
            return await super().extract_order_id(dispatcher, tracker, domain)  # type: ignore[misc]
        try:
            with shop_session(dispatcher) as session:
                awaiting = orders_awaiting_parcel(session, customer_id)
        except BackendUnavailable:
            return {"flow_blocked": True}
        if not awaiting:
            dispatcher.utter_message(response="utter_return_parcel_none_at_all")
            return {"flow_blocked": True}
        if len(awaiting) > 1:
            return await super().extract_order_id(dispatcher, tracker, domain)  # type: ignore[misc]
        if awaiting[0] != tracker.get_slot("order_id"):
            dispatcher.utter_message(response="utter_return_parcel_order", order_no=awaiting[0])
        return {"order_id": awaiting[0]}

    def _names_own_order(self, tracker: Tracker) -> bool:
        """An order number in the message that is not a waybill: not the one long number written in
        it, or the shopper's own order."""
        named = entity_value(tracker.latest_message or {}, "order_id")
        if named is None:
            return False
        return str(named) != waybill_in(_text(tracker)) or self._owned_quietly(tracker, str(named))

    def validate_order_id(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A waybill of digits only also reads as an order number: then it is the waybill, and the
        order stays what it was."""
        if wants_parcel(tracker) and value is not None and str(value) == waybill_in(_text(tracker)):
            asked_for_waybill = tracker.get_slot("requested_slot") == "waybill_no"
            if asked_for_waybill or not self._owned_quietly(tracker, str(value)):
                value = slot_before_message(tracker, "order_id")
                if value is None:
                    return {"order_id": None}
        return super().validate_order_id(value, dispatcher, tracker, domain)  # type: ignore[misc]

    @staticmethod
    def _owned_quietly(tracker: Tracker, order_no: str) -> bool:
        """Whether the order number is the token shopper's; anonymous shoppers prove it by phone."""
        customer_id = token_customer(tracker)
        if customer_id is None:
            return True
        try:
            with shop_session(CollectingDispatcher()) as session:
                check_order_owner(session, customer_id, order_no)
        except BackendUnavailable:
            return True
        except DomainError:
            return False
        return True

    async def extract_waybill_no(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A waybill written anywhere in a message of the branch ("单号是75312345678901哈")."""
        if not wants_parcel(tracker) and not entity_value(tracker.latest_message or {}, "waybill_no"):
            return {}
        waybill = waybill_in(_text(tracker))
        if waybill is None:
            return {}
        asked = tracker.get_slot("requested_slot") == "waybill_no"
        order_no = re.sub(r"\D", "", str(tracker.get_slot("order_id") or ""))
        if not asked and waybill == order_no and self._owned_quietly(tracker, waybill):
            return {}  # the shopper's order number, not a waybill
        return {"waybill_no": waybill}

    def validate_waybill_no(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        try:
            return {"waybill_no": waybill_in(str(value or "")) or normalise_waybill(value)}
        except DomainError:
            dispatcher.utter_message(response="utter_waybill_no_invalid")
            return {"waybill_no": None}


def confirm_return_parcel(tracker: Tracker, dispatcher: CollectingDispatcher, domain: DomainDict) -> None:
    dispatcher.utter_message(response="utter_confirm_return_parcel", order_no=tracker.get_slot("order_id"),
                             waybill_no=tracker.get_slot("waybill_no"))


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
