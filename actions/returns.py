"""退货: order → item → reason → photo for quality problems → confirmation → request."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend import BackendUnavailable, ask_for_shopper, shop_session
from actions.items import explain_refusal, item_choice, received_order_item
from actions.order_forms import OrderFormValidation, checked_once, confirmed_customer, reset_flow_events, with_slots
from actions.return_parcels import PARCEL_SLOTS, ReturnParcelSteps, parcel_awaited, submit_return_parcel, wants_parcel
from actions.satisfaction import offer_rating
from actions.wording import label, money, pickup_time
from shop.clock import system_clock
from shop.errors import DomainError
from shop.services.returns import quote_for_any_reason, quote_return, request_return
from shop.services.views import ReturnQuote

URL = re.compile(r"https?://[^\s，。！]+")


def photo_url(value: Any, tracker: Tracker) -> str | None:
    """The photo the shopper sent: an image attached to the message (metadata.image_url, uploaded from the
    widget or sent by the shop's front-end over REST or socket.io), else a link typed in the message."""
    attached = str(((tracker.latest_message or {}).get("metadata") or {}).get("image_url") or "")
    link = URL.fullmatch(attached) or URL.search(str(value or ""))
    return link.group(0) if link else None
# Reasons the shop treats as the seller's fault: photo evidence, 15-day window, fee compensation.
SELLER_FAULT = {"quality", "damaged", "wrong_item"}
NLU_REASON_TO_KIND = {"size_mismatch": "no_reason", "other": "no_reason"}
# Items that never arrived (少件/漏发) cannot be sent back: a "return" of them is the delivery-issue flow
# (its refund is their share, with no pickup booked), which the return hands over to.
MISSING_ITEMS = "missing_items"
# What the delivery-issue flow takes over from the return: the item and the photo already given.
HANDED_OVER = ("item_id", "evidence_url")


def reason_kind(reason: str | None) -> str:
    """The backend's reason kind; any other words the NLU extracted count as "no reason"."""
    reason = NLU_REASON_TO_KIND.get(reason or "no_reason", reason or "no_reason")
    return reason if reason in SELLER_FAULT else "no_reason"


def quote(tracker: Tracker, dispatcher: CollectingDispatcher) -> ReturnQuote | None:
    """The backend's answer for the slots so far (None if it could not be asked). Before the reason
    is known: whether any reason could be accepted, so nobody is asked why for nothing."""
    order_no, item_id = tracker.get_slot("order_id"), int(tracker.get_slot("item_id"))
    reason = tracker.get_slot("reason")
    if not reason:
        return ask_for_shopper(tracker, dispatcher, lambda session, customer_id: quote_for_any_reason(
            session, customer_id, order_no, item_id=item_id, clock=system_clock))
    return ask_for_shopper(tracker, dispatcher, lambda session, customer_id: quote_return(
        session, customer_id, order_no, item_id=item_id, reason_kind=reason_kind(reason), clock=system_clock))


class ValidateReturnForm(ReturnParcelSteps, OrderFormValidation):
    def name(self) -> str:
        return "validate_return_form"

    def flow_required_slots(self, tracker: Tracker) -> list[str]:
        if wants_parcel(tracker):
            return PARCEL_SLOTS
        if tracker.get_slot("reason") == MISSING_ITEMS:
            return []  # handed over to the delivery-issue flow (ActionSubmitReturn)
        evidence = ["evidence_url"] if reason_kind(tracker.get_slot("reason")) in SELLER_FAULT else []
        return ["item_id", "reason", *evidence, "confirmed"]

    def after_order(
        self, order_no: str, customer_id: int, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if wants_parcel(tracker):
            return parcel_awaited(order_no, customer_id, dispatcher)
        if tracker.get_slot("reason") == MISSING_ITEMS:
            return {}
        slots = received_order_item("return", order_no, tracker, dispatcher)
        if slots.get("item_id"):
            slots.update(self._check_reason(tracker, dispatcher, item_id=slots["item_id"]))
        return slots

    def validate_item_id(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        item, refusal = item_choice(value, tracker, dispatcher)
        if item is None:
            return refusal
        item_id = str(item.item_id)
        return {"item_id": item_id, **self._check_reason(tracker, dispatcher, item_id=item_id)}

    def validate_reason(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value == MISSING_ITEMS:
            return {"reason": value}  # nothing to send back: handed over to the delivery-issue flow
        return {"reason": value, **self._check_reason(with_slots(tracker, reason=value), dispatcher)}

    def _check_reason(
        self, tracker: Tracker, dispatcher: CollectingDispatcher, item_id: str | None = None
    ) -> dict[str, Any]:
        """Once the item is known, ask the backend before asking anything more: whether any reason
        could be accepted (so nobody is asked why for nothing), then, with the reason, for the quote."""
        if item_id:
            tracker = with_slots(tracker, item_id=item_id)
        if not tracker.get_slot("item_id") or tracker.get_slot("reason") == MISSING_ITEMS:
            return {}
        asked = (tracker.get_slot("order_id"), tracker.get_slot("item_id"), tracker.get_slot("reason"))
        return checked_once("return", asked, lambda: self._verdict(tracker, dispatcher))

    @staticmethod
    def _verdict(tracker: Tracker, dispatcher: CollectingDispatcher) -> dict[str, Any]:
        quote_ = quote(tracker, dispatcher)
        if quote_ is None:
            return {"flow_blocked": True}
        if not quote_.eligible:
            explain_refusal("return", quote_, dispatcher)
            return {"flow_blocked": True}
        return {}

    def validate_evidence_url(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        link = photo_url(value, tracker)
        if link is None:
            dispatcher.utter_message(response="utter_evidence_url_invalid")
            return {"evidence_url": None}
        return {"evidence_url": link}


class ActionSubmitReturn(Action):
    def name(self) -> str:
        return "action_submit_return"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if tracker.get_slot("reason") == MISSING_ITEMS and not tracker.get_slot("flow_blocked"):
            return hand_over_to_delivery_issue(tracker, dispatcher, domain)
        customer_id = confirmed_customer(tracker)
        if customer_id is None:
            return reset_flow_events()
        if wants_parcel(tracker):
            submit_return_parcel(customer_id, tracker, dispatcher)
            return reset_flow_events()
        reason = tracker.get_slot("reason")
        evidence = tracker.get_slot("evidence_url")
        try:
            with shop_session(dispatcher) as session:
                request = request_return(
                    session,
                    customer_id,
                    tracker.get_slot("order_id"),
                    item_id=int(tracker.get_slot("item_id")),
                    reason_kind=reason_kind(reason),
                    reason_text=label(domain, "reason", reason or "no_reason"),
                    evidence_urls=[evidence] if evidence else [],
                    clock=system_clock,
                )
        except DomainError as error:
            dispatcher.utter_message(response="utter_return_not_eligible", code=error.code)
            return reset_flow_events()
        except BackendUnavailable:
            return reset_flow_events()
        if not request.created:
            dispatcher.utter_message(
                response="utter_return_exists",
                request_no=request.request_no,
                status=label(domain, "aftersale", request.status),
            )
        elif request.pickup_slot:
            dispatcher.utter_message(
                response="utter_return_created_pickup",
                request_no=request.request_no,
                pickup_slot=pickup_time(request.pickup_slot),
                refund_amount=money(request.refund_amount),
            )
        else:
            dispatcher.utter_message(
                response="utter_return_created",
                request_no=request.request_no,
                refund_amount=money(request.refund_amount),
                return_address=request.return_address,
            )
        return reset_flow_events() + (offer_rating(tracker) if request.created else [])


def hand_over_to_delivery_issue(
    tracker: Tracker, dispatcher: CollectingDispatcher, domain: DomainDict
) -> list[EventType]:
    """"少了一件 我要退货": nothing is sent back and nothing is written here. The shopper is told that the
    missing item is reported instead (a refund of its share, no pickup), and the delivery-issue flow
    starts with the order, the problem, the item and the photo already given, the refund as remedy."""
    from actions.logistics import delivery_issue_refusal  # logistics imports this module

    if tracker.get_slot("order_id") and delivery_issue_refusal(tracker, dispatcher, domain):
        return reset_flow_events()
    dispatcher.utter_message(response="utter_return_missing_items_handed_over")
    kept = [SlotSet(slot, tracker.get_slot(slot)) for slot in HANDED_OVER if tracker.get_slot(slot)]
    return [*reset_flow_events(), SlotSet("logistics_problem", MISSING_ITEMS), SlotSet("reason", MISSING_ITEMS),
            SlotSet("remedy", "refund"), *kept, FollowupAction("logistics_form")]
