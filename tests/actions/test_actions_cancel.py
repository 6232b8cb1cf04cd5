"""取消订单: refused after shipment, refund amount/method/eta in the confirmation, written once."""

from __future__ import annotations

import asyncio
from decimal import Decimal
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
    slot_sets,
    token_for,
    user_event,
    validate,
)
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.cancel import ActionSubmitCancel, ValidateCancelForm
from actions.confirm import ActionAskConfirmed
from shop.models import AfterSaleRequest, Order
from shop.seed import DEMO_ORDERS, OTHER_CUSTOMER_ORDERS

pytestmark = pytest.mark.usefixtures("shop_db")

PACKING = DEMO_ORDERS["packing_today"]  # paid 199.00 by alipay


def order(order_no: str) -> Order:
    with db_session() as session:
        found = session.execute(select(Order).where(Order.order_no == order_no)).scalar_one()
        found.payments  # noqa: B018 -- load before the session closes
        session.expunge_all()
        return found


def form_tracker(**slots: Any) -> Tracker:
    return make_tracker(slots, token=token_for(1), active_loop="cancel_form")


def test_cancel_happy_path_refunds_once(domain: dict[str, Any]) -> None:
    form = ValidateCancelForm()
    tracker = form_tracker()
    dispatcher, result = validate(form, "order_id", PACKING, tracker, domain)
    assert dispatcher.messages == [] and result == {"order_id": PACKING}
    assert required_slots(form, tracker, domain) == ["order_id", "confirmed"]
    dispatcher, _ = run_action(ActionAskConfirmed(), tracker, domain)
    reply = message(dispatcher, "utter_confirm_cancel")
    assert (reply["order_no"], reply["refund_amount"], reply["method"], reply["eta"]) == (
        PACKING, "199.00", "支付宝", "1–3 天")
    tracker.slots["confirmed"] = True
    dispatcher, events = run_action(ActionSubmitCancel(), tracker, domain)
    assert names(dispatcher) == ["utter_cancel_done"]
    done = message(dispatcher, "utter_cancel_done")
    assert done["refund_amount"] == "199.00" and done["method"] == "支付宝" and done["request_no"].startswith("AS")
    assert_flow_reset(events)
    cancelled = order(PACKING)
    assert cancelled.status == "cancelled"
    assert [p.status for p in cancelled.payments] == ["refunded"]
    dispatcher, _ = run_action(ActionSubmitCancel(), tracker, domain)
    assert names(dispatcher) == ["utter_cancel_exists"]
    assert message(dispatcher, "utter_cancel_exists")["refund_amount"] == "199.00"
    assert count_rows(AfterSaleRequest, AfterSaleRequest.order_id == cancelled.id) == 1


def test_cancel_double_charged_order_refunds_both_payments(domain: dict[str, Any]) -> None:
    tracker = form_tracker(order_id=DEMO_ORDERS["double_charge"])
    dispatcher, _ = run_action(ActionAskConfirmed(), tracker, domain)
    reply = message(dispatcher, "utter_confirm_cancel")
    assert (reply["refund_amount"], reply["method"]) == ("798.00", "微信")


def test_cancel_unpaid_order_mentions_no_refund(domain: dict[str, Any]) -> None:
    order_no = DEMO_ORDERS["awaiting_payment"]
    tracker = form_tracker(order_id=order_no)
    dispatcher, _ = run_action(ActionAskConfirmed(), tracker, domain)
    assert names(dispatcher) == ["utter_confirm_cancel_unpaid"]
    tracker.slots["confirmed"] = True
    dispatcher, _ = run_action(ActionSubmitCancel(), tracker, domain)
    assert names(dispatcher) == ["utter_cancel_done_unpaid"]
    assert order(order_no).status == "cancelled"
    dispatcher, _ = run_action(ActionSubmitCancel(), tracker, domain)
    assert names(dispatcher) == ["utter_cancel_exists_unpaid"]


@pytest.mark.parametrize("order_key", ["in_transit", "delivered_in_window", "completed"])
def test_cancel_after_shipment_offers_a_return(order_key: str, domain: dict[str, Any]) -> None:
    form = ValidateCancelForm()
    tracker = form_tracker()
    order_no = DEMO_ORDERS[order_key]
    dispatcher, result = validate(form, "order_id", order_no, tracker, domain)
    assert names(dispatcher) == ["utter_cancel_already_shipped"]
    for variation in domain["responses"]["utter_cancel_already_shipped"]:
        assert "/return_goods" in [button["payload"] for button in variation["buttons"]]
    assert result == {"order_id": order_no, "flow_blocked": True}
    assert required_slots(form, tracker, domain) == []
    status = order(order_no).status
    tracker.slots["confirmed"] = True  # even a stray confirmation writes nothing
    dispatcher, events = run_action(ActionSubmitCancel(), tracker, domain)
    assert dispatcher.messages == []
    assert_flow_reset(events)
    assert order(order_no).status == status


def test_cancel_shipped_order_refused_by_the_backend_too(domain: dict[str, Any]) -> None:
    order_no = DEMO_ORDERS["in_transit"]
    dispatcher, _ = run_action(ActionSubmitCancel(), form_tracker(order_id=order_no, confirmed=True), domain)
    assert names(dispatcher) == ["utter_cancel_already_shipped"]
    assert order(order_no).status == "shipped"


def test_cancel_of_a_cancelled_order_says_so(domain: dict[str, Any]) -> None:
    order_no = DEMO_ORDERS["cancelled"]
    dispatcher, result = validate(ValidateCancelForm(), "order_id", order_no, form_tracker(), domain)
    assert names(dispatcher) == ["utter_cancel_exists_unpaid"]
    assert result["flow_blocked"] is True


@pytest.mark.parametrize("extra", [{"confirmed": None}, {"confirmed": False},
                                   {"confirmed": True, "flow_blocked": True}])
def test_cancel_not_confirmed_writes_nothing(extra: dict[str, Any], domain: dict[str, Any]) -> None:
    dispatcher, events = run_action(ActionSubmitCancel(), form_tracker(order_id=PACKING, **extra), domain)
    assert dispatcher.messages == []
    assert_flow_reset(events)
    assert order(PACKING).status == "paid"


def test_cancel_of_someone_elses_order_is_not_found(domain: dict[str, Any]) -> None:
    order_no = OTHER_CUSTOMER_ORDERS["ship_overdue"]  # paid, not shipped: cancellable for its owner
    dispatcher, result = validate(ValidateCancelForm(), "order_id", order_no, form_tracker(), domain)
    assert names(dispatcher) == ["utter_order_not_found"] and result == {"order_id": None}
    dispatcher, _ = run_action(ActionSubmitCancel(), form_tracker(order_id=order_no, confirmed=True), domain)
    assert names(dispatcher) == ["utter_order_not_found"]
    assert order(order_no).status == "paid"


def test_anonymous_shopper_cancels_after_the_phone_check(domain: dict[str, Any]) -> None:
    form = ValidateCancelForm()
    tracker = make_tracker(active_loop="cancel_form")
    validate(form, "order_id", PACKING, tracker, domain)
    assert required_slots(form, tracker, domain) == ["order_id", "phone_last4", "confirmed"]
    dispatcher, result = validate(form, "phone_last4", "尾号1234", tracker, domain)
    assert dispatcher.messages == [] and result["verified_customer_id"] == 1
    dispatcher, _ = run_action(ActionAskConfirmed(), tracker, domain)
    assert message(dispatcher, "utter_confirm_cancel")["method"] == "支付宝"  # labels, not codes
    tracker.slots["confirmed"] = True
    dispatcher, _ = run_action(ActionSubmitCancel(), tracker, domain)
    assert names(dispatcher) == ["utter_cancel_done"]
    assert order(PACKING).payments[0].amount == Decimal("199.00")


def test_anonymous_wrong_digits_do_not_reveal_the_order(domain: dict[str, Any]) -> None:
    form = ValidateCancelForm()
    tracker = make_tracker(active_loop="cancel_form")
    validate(form, "order_id", DEMO_ORDERS["in_transit"], tracker, domain)
    dispatcher, _ = validate(form, "phone_last4", "0000", tracker, domain)
    assert names(dispatcher) == ["utter_verify_failed"]


def test_form_restarted_with_order_and_phone_known_checks_and_answers_once(domain: dict[str, Any]) -> None:
    """A new request for an order given before: order and phone are both validated, one answer only."""
    order_no = DEMO_ORDERS["stuck"]
    events = [user_event(f"取消订单{order_no}", "cancel_order"),
              {"event": "slot", "name": "order_id", "value": order_no},
              {"event": "slot", "name": "phone_last4", "value": "1234"}]
    tracker = make_tracker({"order_id": order_no, "phone_last4": "1234", "verified_customer_id": 1},
                           events=events, active_loop="cancel_form")
    dispatcher = CollectingDispatcher()
    result = slot_sets(asyncio.run(ValidateCancelForm().run(dispatcher, tracker, domain)))
    assert names(dispatcher) == ["utter_cancel_already_shipped"]
    assert result["flow_blocked"] is True and result["phone_last4"] == "1234"


def test_a_wrong_phone_keeps_the_order_and_corrected_digits_complete_the_check(domain: dict[str, Any]) -> None:
    """"不好意思输错了 应该是1234" right after a wrong last-4: the order number was kept."""
    order_no = DEMO_ORDERS["stuck"]
    events = [user_event(f"取消订单{order_no}", "cancel_order"),
              {"event": "slot", "name": "order_id", "value": order_no},
              {"event": "slot", "name": "phone_last4", "value": "0000"}]
    tracker = make_tracker({"order_id": order_no, "phone_last4": "0000"}, events=events, active_loop="cancel_form")
    dispatcher = CollectingDispatcher()
    result = slot_sets(asyncio.run(ValidateCancelForm().run(dispatcher, tracker, domain)))
    assert names(dispatcher) == ["utter_verify_failed"]
    assert result["order_id"] == order_no and result["phone_last4"] is None
    tracker.slots.update(result)
    dispatcher, result = validate(ValidateCancelForm(), "phone_last4", "不好意思输错了 应该是1234", tracker, domain)
    assert result["verified_customer_id"] == 1 and result["phone_last4"] == "1234"
