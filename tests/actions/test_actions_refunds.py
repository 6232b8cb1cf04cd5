"""退款进度: every refund request with its timeline and arrival; a token needs no order number."""

from __future__ import annotations

from typing import Any

import pytest
from actions_testkit import (
    item_ids,
    make_tracker,
    message,
    names,
    required_slots,
    run_action,
    token_for,
    user_event,
    validate,
)
from rasa_sdk import Tracker

from actions.refunds import ActionRefundProgress, ValidateRefundForm
from shop.clock import system_clock
from shop.db import make_engine, session_scope
from shop.seed import DEMO_ORDERS, OTHER_CUSTOMER_ORDERS
from shop.services.cancellation import cancel_order
from shop.services.return_parcels import record_return_parcel
from shop.services.returns import request_return

pytestmark = pytest.mark.usefixtures("shop_db")

RETURNING = DEMO_ORDERS["return_in_progress"]  # a return, received by the shop, refund pending (alipay)


def token_tracker(text: str = "退款到哪了", order_no: str | None = None, customer_id: int = 1) -> Tracker:
    token = token_for(customer_id)
    entities = [{"entity": "order_id", "value": order_no}] if order_no else []
    slots = {"order_id": order_no} if order_no else {}
    return make_tracker(slots, events=[user_event(text, "query_refund", entities=entities, token=token)],
                        token=token, active_loop="refund_form")


def test_token_lists_every_request_with_timeline_and_arrival(domain: dict[str, Any]) -> None:
    tracker = token_tracker()
    assert required_slots(ValidateRefundForm(), tracker, domain) == []
    dispatcher, _ = run_action(ActionRefundProgress(), tracker, domain)
    assert names(dispatcher) == ["utter_refund_intro", "utter_refund_request", "utter_refund_arrival_pending"]
    request = message(dispatcher, "utter_refund_request")
    assert (request["order_no"], request["kind"], request["amount"], request["status"]) == (
        RETURNING, "退货退款", "459.00", "商家已收货")
    timeline = request["timeline"]
    assert timeline.startswith("申请 ") and " → 审核通过 " in timeline and " → 寄回 " in timeline
    assert " → 商家收货 " in timeline and timeline.endswith("退款到账（待完成）")
    arrival = message(dispatcher, "utter_refund_arrival_pending")
    assert (arrival["method"], arrival["eta"]) == ("支付宝", "1–3 天")


def test_a_refunded_cancellation_says_when_it_was_paid_back(domain: dict[str, Any]) -> None:
    with session_scope(make_engine()) as session:
        cancel_order(session, 1, DEMO_ORDERS["packing"], clock=system_clock)
    dispatcher, _ = run_action(ActionRefundProgress(), token_tracker(), domain)
    assert message(dispatcher, "utter_refund_intro")["count"] == 2
    newest = message(dispatcher, "utter_refund_request")
    assert newest["order_no"] == DEMO_ORDERS["packing"] and newest["kind"] == "仅退款"
    assert newest["timeline"].count("→") == 2 and "待完成" not in newest["timeline"]
    done = message(dispatcher, "utter_refund_arrival_done")
    assert done["refunded_at"] and done["method"] == "支付宝"


def _return_in_window(reason_kind: str) -> None:
    order_no = DEMO_ORDERS["delivered_in_window"]
    evidence = [] if reason_kind == "no_reason" else ["https://img.example.com/a.jpg"]
    with session_scope(make_engine()) as session:
        request_return(session, 1, order_no, item_id=int(item_ids(order_no)[0]), reason_kind=reason_kind,
                       evidence_urls=evidence, clock=system_clock)


def _parcel_lines(order_no: str, domain: dict[str, Any]) -> list[str]:
    dispatcher, _ = run_action(ActionRefundProgress(), token_tracker("退款", order_no), domain)
    return [name for name in names(dispatcher) if name.startswith("utter_refund_parcel")]


def test_a_return_waiting_for_its_parcel_shows_the_pickup_then_the_waybill(domain: dict[str, Any]) -> None:
    order_no = DEMO_ORDERS["delivered_in_window"]
    _return_in_window("no_reason")  # approved, courier pickup booked
    dispatcher, _ = run_action(ActionRefundProgress(), token_tracker("退款", order_no), domain)
    assert message(dispatcher, "utter_refund_parcel_pickup")["pickup_slot"]
    with session_scope(make_engine()) as session:
        record_return_parcel(session, 1, order_no, "SF1234567890", clock=system_clock)
    dispatcher, _ = run_action(ActionRefundProgress(), token_tracker("退款", order_no), domain)
    assert message(dispatcher, "utter_refund_parcel_recorded")["waybill_no"] == "SF1234567890"
    assert _parcel_lines(order_no, domain) == ["utter_refund_parcel_recorded"]


def test_a_return_under_review_says_how_to_give_the_waybill_and_a_received_one_nothing(
    domain: dict[str, Any]
) -> None:
    _return_in_window("quality")
    assert _parcel_lines(DEMO_ORDERS["delivered_in_window"], domain) == ["utter_refund_parcel_awaited"]
    assert _parcel_lines(RETURNING, domain) == []  # the shop has the parcel


def test_an_order_number_narrows_the_list(domain: dict[str, Any]) -> None:
    form = ValidateRefundForm()
    tracker = token_tracker(f"订单{DEMO_ORDERS['delivered_in_window']}的退款呢", DEMO_ORDERS["delivered_in_window"])
    dispatcher, result = validate(form, "order_id", DEMO_ORDERS["delivered_in_window"], tracker, domain)
    assert dispatcher.messages == [] and "flow_blocked" not in result
    dispatcher, _ = run_action(ActionRefundProgress(), tracker, domain)
    assert names(dispatcher) == ["utter_refund_none_for_order"]
    dispatcher, _ = run_action(ActionRefundProgress(), token_tracker("退款", RETURNING), domain)
    assert message(dispatcher, "utter_refund_intro")["count"] == 1


def test_no_requests_says_so(domain: dict[str, Any]) -> None:
    dispatcher, _ = run_action(ActionRefundProgress(), token_tracker(customer_id=2), domain)
    assert names(dispatcher) == ["utter_refund_none"]


def test_someone_elses_order_is_not_found(domain: dict[str, Any]) -> None:
    order_no = OTHER_CUSTOMER_ORDERS["delivered_in_window"]
    tracker = token_tracker("退款", order_no)
    dispatcher, result = validate(ValidateRefundForm(), "order_id", order_no, tracker, domain)
    assert names(dispatcher) == ["utter_order_not_found"] and result["flow_blocked"] is True
    dispatcher, _ = run_action(ActionRefundProgress(), tracker, domain)
    assert dispatcher.messages == []
    # Even without the form's check, the backend refuses it the same way.
    tracker = token_tracker("退款", order_no)
    dispatcher, _ = run_action(ActionRefundProgress(), tracker, domain)
    assert names(dispatcher) == ["utter_order_not_found"]


def test_anonymous_proves_one_order_and_sees_its_requests(domain: dict[str, Any]) -> None:
    form = ValidateRefundForm()
    events = [user_event(f"订单{RETURNING}退款到哪了", "query_refund"), user_event("尾号1234", "inform")]
    tracker = make_tracker({"order_id": RETURNING}, events=events, active_loop="refund_form")
    assert required_slots(form, tracker, domain) == ["order_id", "phone_last4"]
    dispatcher, result = validate(form, "phone_last4", "尾号1234", tracker, domain)
    assert result["verified_customer_id"] == 1
    dispatcher, _ = run_action(ActionRefundProgress(), tracker, domain)
    assert message(dispatcher, "utter_refund_request")["order_no"] == RETURNING


def test_anonymous_wrong_phone_sees_nothing(domain: dict[str, Any]) -> None:
    events = [user_event(f"订单{RETURNING}退款到哪了", "query_refund"), user_event("尾号9999", "inform")]
    tracker = make_tracker({"order_id": RETURNING}, events=events, active_loop="refund_form")
    dispatcher, result = validate(ValidateRefundForm(), "phone_last4", "尾号9999", tracker, domain)
    assert names(dispatcher) == ["utter_verify_failed"] and result["verified_customer_id"] is None
    dispatcher, _ = run_action(ActionRefundProgress(), tracker, domain)
    assert dispatcher.messages == []
