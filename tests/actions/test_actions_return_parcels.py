"""寄回运单: the parcel branch of the return and exchange forms, against the seeded shop."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from actions_testkit import (
    count_rows,
    db_session,
    item_ids,
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

from actions.confirm import ActionAskConfirmed
from actions.exchanges import ActionSubmitExchange, ValidateExchangeForm
from actions.orders import ActionAskOrderId
from actions.returns import ActionSubmitReturn, ValidateReturnForm
from shop.clock import system_clock
from shop.models import AfterSaleRequest, Order, ReturnParcel
from shop.seed import DEMO_ORDERS, OTHER_CUSTOMER_ORDERS
from shop.services.exchanges import request_exchange
from shop.services.return_parcels import record_return_parcel
from shop.services.returns import request_return

pytestmark = pytest.mark.usefixtures("shop_db")

IN_WINDOW = DEMO_ORDERS["delivered_in_window"]
PARCEL_WORDS = [{"entity": "return_parcel", "value": "寄回了"}]


def open_return(order_no: str = IN_WINDOW, reason_kind: str = "no_reason") -> str:
    evidence = [] if reason_kind == "no_reason" else ["https://img.example.com/a.jpg"]
    with db_session() as session:
        request = request_return(session, 1, order_no, item_id=int(item_ids(order_no)[0]), reason_kind=reason_kind,
                                 evidence_urls=evidence, clock=system_clock)
        session.commit()
    return request.request_no


def parcel_tracker(text: str = "退货寄回了", intent: str = "return_goods", form: str = "return_form",
                   entities: list[dict[str, Any]] | None = None, before: list[dict[str, Any]] | None = None,
                   **slots: Any) -> Tracker:
    token = token_for(1)
    events = [*(before or []), user_event(text, intent, entities=PARCEL_WORDS if entities is None else entities,
                                          token=token)]
    return make_tracker({"return_parcel": "寄回了", **slots}, events=events, active_loop=form)


def extract(form: Any, slot: str, tracker: Tracker, domain: dict[str, Any]) -> tuple[CollectingDispatcher, dict]:
    dispatcher = CollectingDispatcher()
    result = asyncio.run(getattr(form, f"extract_{slot}")(dispatcher, tracker, domain))
    tracker.slots.update(result)
    return dispatcher, result


@pytest.mark.parametrize("form", [ValidateReturnForm, ValidateExchangeForm])
def test_the_parcel_branch_asks_for_the_waybill_only(form: Any, domain: dict[str, Any]) -> None:
    tracker = parcel_tracker()
    assert required_slots(form(), tracker, domain) == ["order_id", "waybill_no", "confirmed"]
    tracker.slots.update(return_parcel=None)
    assert "waybill_no" not in required_slots(form(), tracker, domain)


def test_the_one_order_awaiting_its_parcel_is_chosen(domain: dict[str, Any]) -> None:
    open_return()
    dispatcher, result = extract(ValidateReturnForm(), "order_id", parcel_tracker(), domain)
    assert result == {"order_id": IN_WINDOW}
    assert message(dispatcher, "utter_return_parcel_order")["order_no"] == IN_WINDOW


def test_nobody_is_asked_which_order_when_no_parcel_is_awaited(domain: dict[str, Any]) -> None:
    dispatcher, result = extract(ValidateReturnForm(), "order_id", parcel_tracker(), domain)
    assert result == {"flow_blocked": True} and names(dispatcher) == ["utter_return_parcel_none_at_all"]


@pytest.mark.parametrize(("order_no", "response"), [
    (DEMO_ORDERS["completed"], "utter_return_parcel_none"),
    (DEMO_ORDERS["return_in_progress"], "utter_return_parcel_received"),
    (OTHER_CUSTOMER_ORDERS["delivered_in_window"], "utter_order_not_found"),
])
def test_an_order_without_a_parcel_to_send_is_refused(order_no: str, response: str, domain: dict[str, Any]) -> None:
    dispatcher, result = validate(ValidateReturnForm(), "order_id", order_no, parcel_tracker(), domain)
    assert names(dispatcher) == [response]
    assert result.get("flow_blocked") or result == {"order_id": None}  # nothing more is asked


def test_waybills_in_words_and_nonsense(domain: dict[str, Any]) -> None:
    tracker = parcel_tracker(order_id=IN_WINDOW, requested_slot="waybill_no")
    dispatcher, result = validate(ValidateReturnForm(), "waybill_no", "单号是sf 1234567890哈", tracker, domain)
    assert result == {"waybill_no": "SF1234567890"} and not dispatcher.messages
    dispatcher, result = validate(ValidateReturnForm(), "waybill_no", "单号忘记了", tracker, domain)
    assert result == {"waybill_no": None} and names(dispatcher) == ["utter_waybill_no_invalid"]


def test_a_waybill_of_digits_at_the_question_is_not_an_order(domain: dict[str, Any]) -> None:
    """"75312345678901" also reads as an order number: the order stays, the digits are the waybill."""
    open_return()
    earlier = [{"event": "slot", "name": "order_id", "value": IN_WINDOW}]
    typed = [{"entity": "order_id", "value": "75312345678901"}]
    tracker = parcel_tracker("75312345678901", "inform", entities=typed, before=earlier,
                             order_id="75312345678901", requested_slot="waybill_no")
    _, waybill = extract(ValidateReturnForm(), "waybill_no", tracker, domain)
    dispatcher, result = validate(ValidateReturnForm(), "order_id", "75312345678901", tracker, domain)
    assert waybill == {"waybill_no": "75312345678901"}
    assert result["order_id"] == IN_WINDOW and "utter_order_not_found" not in names(dispatcher)


def test_a_waybill_of_digits_starting_the_flow_is_not_an_order(domain: dict[str, Any]) -> None:
    open_return()
    typed = [{"entity": "order_id", "value": "75312345678901"}, *PARCEL_WORDS]
    tracker = parcel_tracker("退货寄回了 单号75312345678901", entities=typed, order_id="75312345678901")
    dispatcher, chosen = extract(ValidateReturnForm(), "order_id", tracker, domain)
    _, waybill = extract(ValidateReturnForm(), "waybill_no", tracker, domain)
    assert chosen == {"order_id": IN_WINDOW} and waybill == {"waybill_no": "75312345678901"}
    # The shopper's own order number is an order, not a waybill.
    own = [{"entity": "order_id", "value": IN_WINDOW}, *PARCEL_WORDS]
    tracker = parcel_tracker(f"订单{IN_WINDOW}退货寄回了", entities=own, order_id=IN_WINDOW)
    _, waybill = extract(ValidateReturnForm(), "waybill_no", tracker, domain)
    _, result = validate(ValidateReturnForm(), "order_id", IN_WINDOW, tracker, domain)
    assert waybill == {} and result == {"order_id": IN_WINDOW}


def test_a_message_giving_the_order_and_the_waybill(domain: dict[str, Any]) -> None:
    """"订单X退货寄回了 单号Y": the slot takes the last number written (Y); X is the order, Y the waybill."""
    open_return()
    typed = [{"entity": "order_id", "value": IN_WINDOW}, {"entity": "order_id", "value": "75312345678901"},
             *PARCEL_WORDS]
    text = f"订单{IN_WINDOW}退货寄回了 单号 75312345678901"
    tracker = parcel_tracker(text, entities=typed, order_id="75312345678901")
    _, waybill = extract(ValidateReturnForm(), "waybill_no", tracker, domain)
    dispatcher, result = validate(ValidateReturnForm(), "order_id", "75312345678901", tracker, domain)
    assert waybill == {"waybill_no": "75312345678901"}
    assert result["order_id"] == IN_WINDOW and not names(dispatcher)
    # Another customer's order number is no order of this shopper: it reads as a waybill, and says nothing.
    other = OTHER_CUSTOMER_ORDERS["delivered_in_window"]
    both = [{"entity": "order_id", "value": IN_WINDOW}, {"entity": "order_id", "value": other}]
    tracker = parcel_tracker(f"订单{IN_WINDOW}退货寄回了 单号{other}", order_id=other, entities=both)
    _, waybill = extract(ValidateReturnForm(), "waybill_no", tracker, domain)
    assert waybill == {"waybill_no": other}
    # Called an order, it is one: not this shopper's, so not found, and no waybill is taken from it.
    tracker = parcel_tracker(f"订单{other}的退货寄回了", order_id=other,
                             entities=[{"entity": "order_id", "value": other}, *PARCEL_WORDS])
    dispatcher, chosen = extract(ValidateReturnForm(), "order_id", tracker, domain)
    _, waybill = extract(ValidateReturnForm(), "waybill_no", tracker, domain)
    dispatcher, result = validate(ValidateReturnForm(), "order_id", other, tracker, domain)
    assert "utter_return_parcel_order" not in names(dispatcher) and waybill == {}
    assert names(dispatcher) == ["utter_order_not_found"]


def test_with_no_parcel_awaited_the_one_on_its_way_may_be_corrected(domain: dict[str, Any]) -> None:
    open_return()
    with db_session() as session:
        record_return_parcel(session, 1, IN_WINDOW, "SF1234567890", clock=system_clock)
        session.commit()
    dispatcher, result = extract(ValidateReturnForm(), "order_id", parcel_tracker("寄回的单号填错了"), domain)
    assert result == {"order_id": IN_WINDOW} and names(dispatcher) == ["utter_return_parcel_order"]


def test_the_parcel_branch_offers_only_orders_with_a_parcel(domain: dict[str, Any]) -> None:
    open_return()
    open_return(DEMO_ORDERS["multi_item"])
    tracker = parcel_tracker(requested_slot="order_id")
    dispatcher, _ = run_action(ActionAskOrderId(), tracker, domain)
    offered = [button["title"].split()[0] for button in message(dispatcher, "utter_choose_order")["buttons"]]
    assert sorted(offered) == sorted([IN_WINDOW, DEMO_ORDERS["multi_item"]])
    tracker.slots.update(return_parcel=None)  # a new return: every delivered order
    dispatcher, _ = run_action(ActionAskOrderId(), tracker, domain)
    assert len(message(dispatcher, "utter_choose_order")["buttons"]) > 2


def test_the_request_again_without_parcel_words_is_a_new_return(domain: dict[str, Any]) -> None:
    """At the parcel's confirmation, "订单X我要退货" leaves the parcel branch: a new return of X."""
    open_return()
    other_order = DEMO_ORDERS["multi_item"]
    earlier = [{"event": "slot", "name": "return_parcel", "value": "寄回了"},
               {"event": "slot", "name": "order_id", "value": IN_WINDOW}]
    tracker = parcel_tracker(f"订单{other_order}我要退货", entities=[{"entity": "order_id", "value": other_order}],
                             before=earlier, order_id=other_order, waybill_no="SF1234567890",
                             requested_slot="confirmed")
    form = ValidateReturnForm()
    dispatcher, result = extract(form, "order_id", tracker, domain)
    assert result["return_parcel"] is None and result["waybill_no"] is None
    assert "waybill_no" not in required_slots(form, tracker, domain)
    dispatcher, validated = validate(form, "order_id", other_order, tracker, domain)
    assert validated.get("order_id") == other_order and not validated.get("flow_blocked")
    assert not any(name.startswith("utter_return_parcel") for name in names(dispatcher))
    # Through the whole form action, as Rasa runs it: the branch's slots are cleared in its events.
    tracker = parcel_tracker(f"订单{other_order}我要退货", entities=[{"entity": "order_id", "value": other_order}],
                             before=earlier, order_id=other_order, waybill_no="SF1234567890",
                             requested_slot="confirmed")
    tracker.events.append({"event": "slot", "name": "order_id", "value": other_order})
    _, events = run_action(ValidateReturnForm(), tracker, domain)
    assert slot_sets(events)["return_parcel"] is None and slot_sets(events)["waybill_no"] is None
    assert slot_sets(events)["order_id"] == other_order


def test_confirmed_once_recorded_once_and_the_booked_pickup_cancelled(domain: dict[str, Any]) -> None:
    """A no-reason return is approved with a courier pickup booked: the confirmation says that
    recording the shopper's own parcel cancels it, and the answer says it was cancelled."""
    request_no = open_return()
    with db_session() as session:
        pickup = session.execute(select(AfterSaleRequest.pickup_slot).where(
            AfterSaleRequest.request_no == request_no)).scalar_one()
    tracker = parcel_tracker("确认", "affirm", order_id=IN_WINDOW, waybill_no="SF1234567890", confirmed=True)
    dispatcher, _ = run_action(ActionAskConfirmed(), tracker, domain)
    asked = message(dispatcher, "utter_confirm_return_parcel_cancels_pickup")
    assert (asked["order_no"], asked["waybill_no"], asked["pickup_slot"]) == (IN_WINDOW, "SF1234567890", pickup)
    dispatcher, events = run_action(ActionSubmitReturn(), tracker, domain)
    recorded = message(dispatcher, "utter_return_parcel_recorded")
    assert recorded["request_nos"] == request_no and recorded["waybill_no"] == "SF1234567890"
    assert message(dispatcher, "utter_return_parcel_pickup_cancelled")["pickup_slot"] == pickup
    assert slot_sets(events)["return_parcel"] is None and slot_sets(events)["waybill_no"] is None
    dispatcher, _ = run_action(ActionSubmitReturn(), tracker, domain)
    assert names(dispatcher) == ["utter_return_parcel_unchanged"]
    assert count_rows(ReturnParcel) == 1
    with db_session() as session:
        status = session.execute(select(AfterSaleRequest.status).join(Order).where(Order.order_no == IN_WINDOW))
        assert status.scalar_one() == "return_shipped"


def test_a_return_under_review_has_no_pickup_to_cancel(domain: dict[str, Any]) -> None:
    open_return(reason_kind="quality")
    tracker = parcel_tracker("确认", "affirm", order_id=IN_WINDOW, waybill_no="SF1234567890", confirmed=True)
    dispatcher, _ = run_action(ActionAskConfirmed(), tracker, domain)
    assert names(dispatcher) == ["utter_confirm_return_parcel"]
    dispatcher, _ = run_action(ActionSubmitReturn(), tracker, domain)
    assert names(dispatcher) == ["utter_return_parcel_recorded_in_review"]


def test_unconfirmed_writes_nothing(domain: dict[str, Any]) -> None:
    open_return()
    tracker = parcel_tracker("算了", "deny", order_id=IN_WINDOW, waybill_no="SF1234567890", confirmed=False)
    dispatcher, _ = run_action(ActionSubmitReturn(), tracker, domain)
    assert dispatcher.messages == [] and count_rows(ReturnParcel) == 0


def test_an_exchange_under_review_gets_its_waybill_corrected(domain: dict[str, Any]) -> None:
    order_no = DEMO_ORDERS["multi_item"]
    with db_session() as session:
        request_exchange(session, 1, order_no, item_id=int(item_ids(order_no)[0]), target_size="M",
                         clock=system_clock)
        session.commit()
    tracker = parcel_tracker("换货寄回了", "exchange_goods", "exchange_form", order_id=order_no,
                             waybill_no="YT1234567890123", confirmed=True)
    dispatcher, _ = run_action(ActionSubmitExchange(), tracker, domain)
    assert names(dispatcher)[0].startswith("utter_return_parcel_recorded")
    tracker.slots.update(waybill_no="YT1234567890999")
    dispatcher, _ = run_action(ActionSubmitExchange(), tracker, domain)
    assert message(dispatcher, "utter_return_parcel_corrected")["waybill_no"] == "YT1234567890999"
    assert count_rows(ReturnParcel) == 1
