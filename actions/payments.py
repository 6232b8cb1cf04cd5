"""支付问题: the recorded payments explain it -- failures with advice, double charges refunded on consent."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend import BackendUnavailable, ask_for_shopper, say_refusal, shop_session
from actions.cancel import refund_words
from actions.identity import current_customer
from actions.order_forms import OrderFormValidation, reset_flow_events
from actions.satisfaction import offer_rating
from actions.wording import money, when
from shop.clock import system_clock
from shop.errors import DomainError
from shop.rules import refund_arrival_days
from shop.services.payments import payment_report, refund_duplicate_charge
from shop.services.views import PaymentReport

FAILURE_REASONS = ("insufficient_balance", "card_limit", "system_error")


def report(tracker: Tracker, dispatcher: CollectingDispatcher, order_no: str | None = None) -> PaymentReport | None:
    return ask_for_shopper(
        tracker,
        dispatcher,
        lambda session, customer_id: payment_report(
            session, customer_id, order_no or tracker.get_slot("order_id")
        ),
    )


def case_of(report_: PaymentReport) -> str:
    """Which explanation the report calls for; only "duplicate" leads to a write."""
    if report_.duplicate_charge is not None:
        return "duplicate_refunded" if report_.duplicate_refunded else "duplicate"
    if report_.paid_but_unpaid:
        return "paid_not_updated"
    if report_.order_status == "cancelled":
        return "cancelled"
    if report_.order_status == "pending_payment":
        return "failed" if report_.failed_reasons else "not_paid"
    return "ok"


def confirm_duplicate_refund(tracker: Tracker, dispatcher: CollectingDispatcher, domain: DomainDict) -> None:
    """The confirmation question (asked by action_ask_confirmed): which charge, how much, where, when."""
    report_ = report(tracker, dispatcher)
    if report_ is None or report_.duplicate_charge is None:
        return
    charge = report_.duplicate_charge
    dispatcher.utter_message(
        response="utter_confirm_duplicate_refund", order_no=report_.order_no, amount_due=money(report_.amount_due),
        amount=money(charge.amount), charged_at=when(charge.created_at),
        **refund_words(domain, charge.method, refund_arrival_days(charge.method)),
    )


def explain(report_: PaymentReport, dispatcher: CollectingDispatcher, domain: DomainDict) -> None:
    """Every case but a pending duplicate refund: say what the payments show."""
    case = case_of(report_)
    order_no = report_.order_no
    succeeded = [p for p in report_.payments if p.status in ("succeeded", "refunded")]
    if case == "duplicate_refunded" and report_.duplicate_charge is not None:
        charge = report_.duplicate_charge
        dispatcher.utter_message(response="utter_duplicate_already_refunded", order_no=order_no,
                                 amount=money(charge.amount),
                                 **refund_words(domain, charge.method, refund_arrival_days(charge.method)))
    elif case == "failed":
        failed = [p for p in report_.payments if p.status == "failed"]
        dispatcher.utter_message(response="utter_payment_failed", order_no=order_no, count=len(failed))
        for reason in report_.failed_reasons:
            known = reason if reason in FAILURE_REASONS else "unknown"
            dispatcher.utter_message(response=f"utter_payment_failed_{known}")
        dispatcher.utter_message(response="utter_payment_retry", order_no=order_no)
    elif case in ("paid_not_updated", "ok") and succeeded:
        payment = succeeded[0]
        dispatcher.utter_message(
            response=f"utter_payment_{case}", order_no=order_no, paid_at=when(payment.created_at),
            amount=money(payment.amount), method=refund_words(domain, payment.method, None)["method"],
        )
    elif case == "cancelled":
        dispatcher.utter_message(response="utter_payment_order_cancelled", order_no=order_no)
    else:
        dispatcher.utter_message(response="utter_payment_not_paid", order_no=order_no)


class ValidatePaymentForm(OrderFormValidation):
    def name(self) -> str:
        return "validate_payment_form"

    def flow_required_slots(self, tracker: Tracker) -> list[str]:
        return ["confirmed"] if tracker.get_slot("payment_case") == "duplicate" else []

    def after_order(
        self, order_no: str, customer_id: int, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        report_ = report(tracker, dispatcher, order_no)
        if report_ is None:
            return {"flow_blocked": True}
        return {"payment_case": case_of(report_)}


class ActionPaymentIssue(Action):
    """Refunds a confirmed double charge; otherwise explains what the payments show."""

    def name(self) -> str:
        return "action_payment_issue"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        customer_id = current_customer(tracker)
        order_no = tracker.get_slot("order_id")
        if tracker.get_slot("flow_blocked") or customer_id is None or not order_no:
            return reset_flow_events()
        if tracker.get_slot("payment_case") != "duplicate":
            report_ = report(tracker, dispatcher)
            if report_ is not None:
                explain(report_, dispatcher, domain)
            return reset_flow_events()
        if not tracker.get_slot("confirmed"):
            return reset_flow_events()
        try:
            with shop_session(dispatcher) as session:
                result = refund_duplicate_charge(session, customer_id, order_no, clock=system_clock)
        except DomainError as error:
            say_refusal(error, dispatcher)
            return reset_flow_events()
        except BackendUnavailable:
            return reset_flow_events()
        words = refund_words(domain, result.refund_method, result.expected_arrival_days)
        if result.created:
            dispatcher.utter_message(response="utter_duplicate_refunded", amount=money(result.refund_amount),
                                     request_no=result.request_no, **words)
        else:
            dispatcher.utter_message(response="utter_duplicate_already_refunded", order_no=order_no,
                                     amount=money(result.refund_amount), **words)
        return reset_flow_events() + (offer_rating(tracker) if result.created else [])
