"""支付问题: failures explained by reason, paid-but-unpaid checked, a double charge refunded once on consent."""

from __future__ import annotations

from typing import Any

import pytest
from actions_testkit import (
    assert_flow_reset,
    count_rows,
    db_session,
    make_tracker,
    message,
    names,
    required_slots,
    run_action,
    token_for,
    validate,
)
from rasa_sdk import Tracker
from sqlalchemy import select, update

from actions.confirm import ActionAskConfirmed
from actions.payments import ActionPaymentIssue, ValidatePaymentForm
from shop.db import make_engine, session_scope
from shop.models import AfterSaleRequest, Order, Payment
from shop.seed import DEMO_ORDERS, OTHER_CUSTOMER_ORDERS

pytestmark = pytest.mark.usefixtures("shop_db")

DOUBLE = DEMO_ORDERS["double_charge"]  # 399.00 charged twice by wechat


def payments(order_no: str) -> list[Payment]:
    with db_session() as session:
        stmt = select(Payment).join(Order).where(Order.order_no == order_no).order_by(Payment.id)
        found = list(session.execute(stmt).scalars())
        session.expunge_all()
        return found


def form_tracker(**slots: Any) -> Tracker:
    return make_tracker(slots, token=token_for(1), active_loop="payment_form")


def explain(order_key: str, domain: dict[str, Any]) -> Any:
    """The whole flow for a case without a write: identify the order, then the final action."""
    form = ValidatePaymentForm()
    tracker = form_tracker()
    dispatcher, result = validate(form, "order_id", DEMO_ORDERS[order_key], tracker, domain)
    assert dispatcher.messages == []
    assert required_slots(form, tracker, domain) == ["order_id"]  # nothing to confirm
    dispatcher, events = run_action(ActionPaymentIssue(), tracker, domain)
    assert_flow_reset(events)
    return dispatcher


def test_double_charge_refunded_once_after_consent(domain: dict[str, Any]) -> None:
    form = ValidatePaymentForm()
    tracker = form_tracker()
    dispatcher, result = validate(form, "order_id", DOUBLE, tracker, domain)
    assert dispatcher.messages == [] and result == {"order_id": DOUBLE, "payment_case": "duplicate"}
    assert required_slots(form, tracker, domain) == ["order_id", "confirmed"]
    dispatcher, _ = run_action(ActionAskConfirmed(), tracker, domain)
    reply = message(dispatcher, "utter_confirm_duplicate_refund")
    assert (reply["amount_due"], reply["amount"], reply["method"], reply["eta"]) == ("399.00", "399.00", "微信",
                                                                                       "1–3 天")
    assert reply["charged_at"]
    tracker.slots["confirmed"] = True
    dispatcher, events = run_action(ActionPaymentIssue(), tracker, domain)
    assert names(dispatcher) == ["utter_duplicate_refunded"]
    refunded = message(dispatcher, "utter_duplicate_refunded")
    assert refunded["amount"] == "399.00" and refunded["request_no"].startswith("AS")
    assert_flow_reset(events)
    assert [p.status for p in payments(DOUBLE)] == ["succeeded", "refunded"]
    dispatcher, _ = run_action(ActionPaymentIssue(), tracker, domain)
    assert names(dispatcher) == ["utter_duplicate_already_refunded"]
    assert [p.status for p in payments(DOUBLE)] == ["succeeded", "refunded"]
    order_id = payments(DOUBLE)[0].order_id
    assert count_rows(AfterSaleRequest, AfterSaleRequest.order_id == order_id) == 1
    # asking again later: the refund is reported, not offered again
    dispatcher = explain("double_charge", domain)
    assert names(dispatcher) == ["utter_duplicate_already_refunded"]


@pytest.mark.parametrize("extra", [{"confirmed": None}, {"confirmed": False},
                                   {"confirmed": True, "flow_blocked": True}])
def test_double_charge_not_confirmed_refunds_nothing(extra: dict[str, Any], domain: dict[str, Any]) -> None:
    tracker = form_tracker(order_id=DOUBLE, payment_case="duplicate", **extra)
    dispatcher, events = run_action(ActionPaymentIssue(), tracker, domain)
    assert dispatcher.messages == []
    assert_flow_reset(events)
    assert [p.status for p in payments(DOUBLE)] == ["succeeded", "succeeded"]


def test_failed_payment_explained_by_each_reason(domain: dict[str, Any]) -> None:
    dispatcher = explain("payment_failed", domain)
    assert names(dispatcher) == ["utter_payment_failed", "utter_payment_failed_insufficient_balance",
                                 "utter_payment_failed_card_limit", "utter_payment_retry"]
    assert message(dispatcher, "utter_payment_failed")["count"] == 2


@pytest.mark.parametrize(("reason", "response"), [("system_error", "utter_payment_failed_system_error"),
                                                  (None, "utter_payment_failed_unknown")])
def test_other_failure_reasons(reason: str | None, response: str, domain: dict[str, Any]) -> None:
    order_id = payments(DEMO_ORDERS["payment_failed"])[0].order_id
    with session_scope(make_engine()) as session:
        session.execute(update(Payment).where(Payment.order_id == order_id).values(failure_reason=reason))
    assert names(explain("payment_failed", domain))[1] == response


def test_paid_but_shown_unpaid_is_checked_against_payments(domain: dict[str, Any]) -> None:
    dispatcher = explain("paid_not_updated", domain)
    assert names(dispatcher) == ["utter_payment_paid_not_updated"]
    reply = message(dispatcher, "utter_payment_paid_not_updated")
    assert (reply["amount"], reply["method"]) == ("89.90", "支付宝") and reply["paid_at"]


@pytest.mark.parametrize(("order_key", "response"), [
    ("packing", "utter_payment_ok"),
    ("awaiting_payment", "utter_payment_not_paid"),
    ("cancelled", "utter_payment_order_cancelled"),
])
def test_other_payment_cases(order_key: str, response: str, domain: dict[str, Any]) -> None:
    assert names(explain(order_key, domain)) == [response]


def test_someone_elses_order_is_not_found(domain: dict[str, Any]) -> None:
    order_no = OTHER_CUSTOMER_ORDERS["ship_overdue"]
    dispatcher, result = validate(ValidatePaymentForm(), "order_id", order_no, form_tracker(), domain)
    assert names(dispatcher) == ["utter_order_not_found"] and result == {"order_id": None}
    tracker = form_tracker(order_id=order_no, payment_case="duplicate", confirmed=True)
    dispatcher, _ = run_action(ActionPaymentIssue(), tracker, domain)
    assert names(dispatcher) == ["utter_order_not_found"]


def test_refund_refused_when_there_is_no_double_charge(domain: dict[str, Any]) -> None:
    tracker = form_tracker(order_id=DEMO_ORDERS["packing"], payment_case="duplicate", confirmed=True)
    dispatcher, _ = run_action(ActionPaymentIssue(), tracker, domain)
    assert names(dispatcher) == ["utter_request_failed"]
    assert [p.status for p in payments(DEMO_ORDERS["packing"])] == ["succeeded"]
