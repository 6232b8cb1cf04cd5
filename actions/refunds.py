"""退款进度: every refund-bearing after-sale request with its timeline and expected arrival.

With a token no order number is needed (one in the message narrows the list to that order);
anonymous shoppers prove one order (order number + phone) and see that order's requests.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend import BackendUnavailable, shop_session
from actions.cancel import refund_words
from actions.identity import current_customer, token_customer
from actions.order_forms import OrderFormValidation, reset_flow_events
from actions.wording import label, money, pickup_time, when
from shop.errors import DomainError
from shop.services.refunds import refund_progress
from shop.services.return_parcels import OPEN_STATUSES
from shop.services.views import AfterSaleView

MAX_REQUESTS = 5
# The steps a request of each type goes through, in order (labels: utter_label_aftersale_step_*).
STEPS = {
    "return": ("requested", "approved", "return_shipped", "received", "refunded"),
    "refund_only": ("requested", "approved", "refunded"),
}


def timeline_text(request: AfterSaleView, domain: DomainDict) -> str:
    """"申请 11-20 10:00 → 审核通过 11-20 10:00 → 寄回 … → 退款到账（待完成）": labels from the domain."""
    done = {status: time for status, time in request.timeline}
    if request.status == "rejected":
        steps = [status for status, _ in request.timeline]
    else:
        steps = list(STEPS.get(request.type, ()))
    pending = label(domain, "aftersale_step", "pending")
    parts = []
    for step in steps:
        name = label(domain, "aftersale_step", step)
        parts.append(f"{name} {when(done[step])}" if step in done else f"{name}{pending}")
    return " → ".join(parts)


def show_request(request: AfterSaleView, dispatcher: CollectingDispatcher, domain: DomainDict) -> None:
    dispatcher.utter_message(
        response="utter_refund_request", request_no=request.request_no, order_no=request.order_no,
        kind=label(domain, "aftersale_type", request.type), amount=money(request.refund_amount or 0),
        status=label(domain, "aftersale", request.status), timeline=timeline_text(request, domain),
    )
    _show_parcel(request, dispatcher)
    if request.status == "rejected" or not request.refund_amount:
        return
    words = refund_words(domain, request.refund_method, request.expected_arrival_days)
    if request.status == "refunded":
        refunded_at = next((time for status, time in request.timeline if status == "refunded"), None)
        dispatcher.utter_message(response="utter_refund_arrival_done", amount=money(request.refund_amount),
                                 refunded_at=when(refunded_at) if refunded_at else "", **words)
    else:
        dispatcher.utter_message(response="utter_refund_arrival_pending", amount=money(request.refund_amount),
                                 **words)


def _show_parcel(request: AfterSaleView, dispatcher: CollectingDispatcher) -> None:
    """A return's refund waits for its parcel: the waybill once recorded; else the booked pickup, or how
    to tell the waybill (fault returns are posted back while still under review)."""
    if request.type != "return" or request.status not in OPEN_STATUSES:
        return
    if request.waybill_no:
        dispatcher.utter_message(response="utter_refund_parcel_recorded", waybill_no=request.waybill_no)
    elif request.pickup_slot and request.status == "approved":
        dispatcher.utter_message(response="utter_refund_parcel_pickup", pickup_slot=pickup_time(request.pickup_slot))
    elif request.status != "return_shipped":
        dispatcher.utter_message(response="utter_refund_parcel_awaited")


class ValidateRefundForm(OrderFormValidation):
    """Token: nothing to ask (an order number given is checked). Anonymous: prove one order."""

    def name(self) -> str:
        return "validate_refund_form"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        if token_customer(tracker) is not None:
            return []
        return await super().required_slots(domain_slots, dispatcher, tracker, domain)

    def validate_order_id(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        result = super().validate_order_id(value, dispatcher, tracker, domain)
        if token_customer(tracker) is not None and not result.get("order_id"):
            result["flow_blocked"] = True  # said why; do not list everything instead
        return result


class ActionRefundProgress(Action):
    def name(self) -> str:
        return "action_refund_progress"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        customer_id = current_customer(tracker)
        if tracker.get_slot("flow_blocked") or customer_id is None:
            return reset_flow_events()
        order_no = self._order_asked_about(tracker)
        try:
            with shop_session(dispatcher) as session:
                requests = refund_progress(session, customer_id, order_no=order_no)
        except DomainError:
            dispatcher.utter_message(response="utter_order_not_found")
            return reset_flow_events()
        except BackendUnavailable:
            return reset_flow_events()
        if not requests:
            if order_no:
                dispatcher.utter_message(response="utter_refund_none_for_order", order_no=order_no)
            else:
                dispatcher.utter_message(response="utter_refund_none")
            return reset_flow_events()
        dispatcher.utter_message(response="utter_refund_intro", count=len(requests))
        for request in requests[:MAX_REQUESTS]:
            show_request(request, dispatcher, domain)
        return reset_flow_events()

    @staticmethod
    def _order_asked_about(tracker: Tracker) -> str | None:
        """Anonymous: the proven order. Token: an order named in this request, else all orders."""
        if token_customer(tracker) is None:
            return tracker.get_slot("order_id")
        named = [e.get("value") for e in tracker.latest_message.get("entities", []) if e.get("entity") == "order_id"]
        return tracker.get_slot("order_id") if named else None
