"""取消订单: only before shipment; the confirmation names the refund, where it goes and when."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend import BackendUnavailable, ask_for_shopper, say_refusal, shop_session
from actions.order_forms import OrderFormValidation, confirmed_customer, reset_flow_events
from actions.satisfaction import offer_rating
from actions.wording import label, money
from shop.clock import system_clock
from shop.errors import DomainError
from shop.services.cancellation import cancel_order, quote_cancel
from shop.services.views import CancelQuote


def refund_words(domain: DomainDict, method: str | None, days: tuple[int, int] | None) -> dict[str, str]:
    """Where a refund goes ("支付宝") and when ("1–3 天"), for the response templates."""
    low, high = days or (0, 0)
    eta = label(domain, "refund_eta", "range").replace("{min}", str(low)).replace("{max}", str(high))
    return {"method": label(domain, "payment_method", method or "unknown"), "eta": eta}


def quote(tracker: Tracker, dispatcher: CollectingDispatcher, order_no: str | None = None) -> CancelQuote | None:
    return ask_for_shopper(
        tracker,
        dispatcher,
        lambda session, customer_id: quote_cancel(
            session, customer_id, order_no or tracker.get_slot("order_id"), clock=system_clock
        ),
    )


def say_already_cancelled(
    order_no: str, amount: Decimal, method: str | None, days: tuple[int, int] | None,
    dispatcher: CollectingDispatcher, domain: DomainDict,
) -> None:
    if amount:
        dispatcher.utter_message(response="utter_cancel_exists", order_no=order_no, refund_amount=money(amount),
                                 **refund_words(domain, method, days))
    else:
        dispatcher.utter_message(response="utter_cancel_exists_unpaid", order_no=order_no)


def confirm_cancel(tracker: Tracker, dispatcher: CollectingDispatcher, domain: DomainDict) -> None:
    """The confirmation question (asked by action_ask_confirmed)."""
    quote_ = quote(tracker, dispatcher)
    if quote_ is None:
        return
    order_no = tracker.get_slot("order_id")
    if quote_.refund_amount:
        dispatcher.utter_message(
            response="utter_confirm_cancel", order_no=order_no, refund_amount=money(quote_.refund_amount),
            **refund_words(domain, quote_.refund_method, quote_.refund_eta_days),
        )
    else:
        dispatcher.utter_message(response="utter_confirm_cancel_unpaid", order_no=order_no)


class ValidateCancelForm(OrderFormValidation):
    flow_slots = ("confirmed",)

    def name(self) -> str:
        return "validate_cancel_form"

    def after_order(
        self, order_no: str, customer_id: int, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Shipped or already cancelled: say so now instead of asking for a confirmation."""
        quote_ = quote(tracker, dispatcher, order_no)
        if quote_ is None:
            return {"flow_blocked": True}
        if quote_.code == "already_shipped":
            dispatcher.utter_message(response="utter_cancel_already_shipped", order_no=order_no)
            return {"flow_blocked": True}
        if quote_.code == "already_cancelled":
            say_already_cancelled(order_no, quote_.refund_amount, quote_.refund_method, quote_.refund_eta_days,
                                  dispatcher, domain)
            return {"flow_blocked": True}
        return {}


class ActionSubmitCancel(Action):
    def name(self) -> str:
        return "action_submit_cancel"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        customer_id = confirmed_customer(tracker)
        order_no = tracker.get_slot("order_id")
        if customer_id is None:
            return reset_flow_events()
        try:
            with shop_session(dispatcher) as session:
                result = cancel_order(session, customer_id, order_no, clock=system_clock)
        except DomainError as error:
            say_refusal(error, dispatcher, {"already_shipped": "utter_cancel_already_shipped"}, order_no=order_no)
            return reset_flow_events()
        except BackendUnavailable:
            return reset_flow_events()
        if not result.created:
            say_already_cancelled(order_no, result.refund_amount, result.refund_method, result.refund_eta_days,
                                  dispatcher, domain)
        elif result.refund_amount:
            dispatcher.utter_message(
                response="utter_cancel_done", order_no=order_no, refund_amount=money(result.refund_amount),
                request_no=result.request_no, **refund_words(domain, result.refund_method, result.refund_eta_days),
            )
        else:
            dispatcher.utter_message(response="utter_cancel_done_unpaid", order_no=order_no)
        return reset_flow_events() + (offer_rating(tracker) if result.created else [])
