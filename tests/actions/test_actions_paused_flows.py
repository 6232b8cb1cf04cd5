"""A flow left for another request, and taken up again (actions/paused_flows.py), on real Trackers."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from actions_testkit import (
    db_session,
    item_ids,
    make_tracker,
    message,
    names,
    run_action,
    slot_sets,
    token_for,
    user_event,
)
from rasa_sdk import Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import update

from actions.cancel import ValidateCancelForm
from actions.exchanges import ValidateExchangeForm
from actions.orders import ValidateOrderForm
from actions.paused_flows import (
    SLOT,
    ActionForgetPausedFlow,
    ActionOfferResumeFlow,
    ActionResumePausedFlow,
    interrupted_by,
    slots_before_latest_message,
)
from shop.models import Order
from shop.seed import DEMO_ORDERS

pytestmark = pytest.mark.usefixtures("shop_db")

EXCHANGE_ORDER = DEMO_ORDERS["delivered_in_window"]
OTHER_ORDER = DEMO_ORDERS["in_transit"]
CANCELLABLE = DEMO_ORDERS["packing_today"]


def slot(name: str, value: Any) -> dict[str, Any]:
    return {"event": "slot", "name": name, "value": value, "timestamp": None}


def interrupted_exchange(token: str | None, *, verified: bool = True, starting: str = "order_form") -> Tracker:
    """An exchange of EXCHANGE_ORDER at its size question, then "插一句 我另一单 … 到哪了" (the lookup's
    mapping already put the other order into order_id; the exchange rejected it), as Rasa sends it to the
    validation of the form `starting` in its place: with that form's activation logged."""
    said = f"插一句 我另一单 {OTHER_ORDER} 现在到哪了"
    item = item_ids(EXCHANGE_ORDER)[0]
    events = [
        user_event(f"订单{EXCHANGE_ORDER}想换货", "exchange_goods", token=token),
        {"event": "active_loop", "name": "exchange_form"},
        slot("order_id", EXCHANGE_ORDER), slot("item_id", item),
        *([slot("phone_last4", "1234"), slot("verified_customer_id", 1)] if verified else []),
        slot("requested_slot", "size"),
        user_event(said, "query_order", entities=[{"entity": "order_id", "value": OTHER_ORDER}], token=token),
        slot("order_id", OTHER_ORDER),
        {"event": "action_execution_rejected", "name": "exchange_form"},
        {"event": "active_loop", "name": starting},
    ]
    slots = {"order_id": OTHER_ORDER, "item_id": item, "requested_slot": "size",
             **({"phone_last4": "1234", "verified_customer_id": 1} if verified else {})}
    return make_tracker(slots, events=events, active_loop=starting, token=token)


def test_the_slots_are_read_as_they_were_before_the_interrupting_message() -> None:
    before = slots_before_latest_message(interrupted_exchange(token_for(1)))
    assert before["order_id"] == EXCHANGE_ORDER and before["item_id"] == item_ids(EXCHANGE_ORDER)[0]


def test_the_form_that_starts_instead_remembers_the_interrupted_one(domain: dict[str, Any]) -> None:
    tracker = interrupted_exchange(token_for(1))
    events = interrupted_by(tracker, "order_form", [])
    kept = slot_sets(events)[SLOT]
    # The phone digits, never the customer they proved: the form checks the pair again when resumed.
    item = item_ids(EXCHANGE_ORDER)[0]
    assert kept == [{"form": "exchange_form",
                     "slots": {"order_id": EXCHANGE_ORDER, "item_id": item, "phone_last4": "1234"}}]
    # Through the real validation of the lookup that starts (Rasa validates at activation).
    validation = asyncio.run(ValidateOrderForm().run(CollectingDispatcher(), tracker, domain))
    assert slot_sets(validation)[SLOT] == kept


def test_the_interrupted_flows_values_leave_the_new_one_unless_given_again() -> None:
    tracker = interrupted_exchange(token_for(1))
    item = item_ids(EXCHANGE_ORDER)[0]
    assert SlotSet("item_id", None) in interrupted_by(tracker, "order_form", [])
    # The new form's validation chose an item of its own order: kept.
    assert SlotSet("item_id", None) not in interrupted_by(tracker, "order_form", [SlotSet("item_id", item)])
    assert SlotSet("order_id", None) not in interrupted_by(tracker, "order_form", [])  # the new flow's order


def test_nothing_is_remembered_without_an_interrupted_order_form() -> None:
    going_on = interrupted_exchange(token_for(1))
    going_on.events.append(user_event("L码", "inform"))
    assert interrupted_by(going_on, "order_form", []) == []  # started in an earlier turn: nothing replaced now
    at_first_question = make_tracker(events=[
        user_event("我要换货", "exchange_goods"), {"event": "active_loop", "name": "exchange_form"},
        user_event("开发票", "request_invoice"), {"event": "active_loop", "name": "invoice_form"}])
    assert interrupted_by(at_first_question, "invoice_form", []) == []  # no order given: nothing to go back to
    rating = make_tracker(events=[
        slot("order_id", EXCHANGE_ORDER), {"event": "active_loop", "name": "satisfaction_form"},
        user_event("退货", "return_goods"), {"event": "active_loop", "name": "return_form"}])
    assert interrupted_by(rating, "return_form", []) == []  # the survey is no flow
    finished = make_tracker(events=[
        slot("order_id", EXCHANGE_ORDER), {"event": "active_loop", "name": "exchange_form"},
        {"event": "active_loop", "name": None}, user_event("开发票", "request_invoice"),
        {"event": "active_loop", "name": "invoice_form"}])
    assert interrupted_by(finished, "invoice_form", []) == []  # the exchange had ended


def test_a_second_interruption_stacks_and_the_same_form_is_kept_once() -> None:
    tracker = interrupted_exchange(token_for(1))
    tracker.slots[SLOT] = [{"form": "cancel_form", "slots": {"order_id": CANCELLABLE}},
                           {"form": "exchange_form", "slots": {"order_id": "old"}}]
    stack = slot_sets(interrupted_by(tracker, "order_form", []))[SLOT]
    assert [entry["form"] for entry in stack] == ["cancel_form", "exchange_form"]
    assert stack[-1]["slots"]["order_id"] == EXCHANGE_ORDER  # the newest values


def test_the_offer_names_the_flow_and_its_order(domain: dict[str, Any]) -> None:
    tracker = make_tracker({SLOT: [{"form": "exchange_form", "slots": {"order_id": EXCHANGE_ORDER}}]})
    dispatcher, events = run_action(ActionOfferResumeFlow(), tracker, domain)
    offer = message(dispatcher, "utter_offer_resume_flow")
    assert offer["flow_name"] == "办理换货" and offer["order_no"] == EXCHANGE_ORDER and events == []
    dispatcher, _ = run_action(ActionOfferResumeFlow(), make_tracker(), domain)
    assert names(dispatcher) == []


def test_resuming_restores_the_values_and_starts_the_form(domain: dict[str, Any]) -> None:
    entry = {"form": "exchange_form", "slots": {"order_id": EXCHANGE_ORDER, "item_id": "7", "size": "L"}}
    tracker = make_tracker({SLOT: [entry], "order_id": OTHER_ORDER, "color": "黑色", "confirmed": True},
                           events=[user_event("继续换货", "resume_flow", token=token_for(1))])
    dispatcher, events = run_action(ActionResumePausedFlow(), tracker, domain)
    assert names(dispatcher) == ["utter_resuming_flow"]
    restored = slot_sets(events)
    assert restored[SLOT] is None
    assert (restored["order_id"], restored["item_id"], restored["size"]) == (EXCHANGE_ORDER, "7", "L")
    assert restored["color"] is None and restored["confirmed"] is None  # nothing of the other flow, no yes
    assert "reason" not in restored  # unchanged slots are left alone
    assert events[-1] == FollowupAction("exchange_form")


def test_a_phone_check_not_passed_is_not_skipped_on_resume(domain: dict[str, Any]) -> None:
    """Anonymous: the exchange was left before its phone check; a check passed since, for another order,
    does not count for this one."""
    stack = slot_sets(interrupted_by(interrupted_exchange(None, verified=False), "order_form", []))[SLOT]
    tracker = make_tracker({SLOT: stack, "phone_last4": "1234", "verified_customer_id": 1},
                           events=[user_event("继续", "resume_flow")])
    _, events = run_action(ActionResumePausedFlow(), tracker, domain)
    restored = slot_sets(events)
    assert restored["order_id"] == EXCHANGE_ORDER and restored["phone_last4"] is None
    # The form starts: its validation forgets the other order's check, and the phone is asked for.
    started = make_tracker({**tracker.slots, **restored}, events=[
        user_event("继续", "resume_flow"), *(slot(name, value) for name, value in restored.items())])
    validation = slot_sets(asyncio.run(ValidateExchangeForm().run(CollectingDispatcher(), started, domain)))
    assert validation["order_id"] == EXCHANGE_ORDER and validation["verified_customer_id"] is None
    started.slots.update(validation)
    assert asyncio.run(ValidateExchangeForm().next_requested_slot(CollectingDispatcher(), started, domain)) \
        == SlotSet("requested_slot", "phone_last4")


def test_a_phone_check_passed_before_is_checked_again_on_resume(domain: dict[str, Any]) -> None:
    stack = slot_sets(interrupted_by(interrupted_exchange(None), "order_form", []))[SLOT]
    tracker = make_tracker({SLOT: stack, "order_id": OTHER_ORDER, "phone_last4": "1234", "verified_customer_id": 1},
                           events=[user_event("继续", "resume_flow")])
    _, events = run_action(ActionResumePausedFlow(), tracker, domain)
    restored = slot_sets(events)
    started = make_tracker({**tracker.slots, **restored}, events=[
        user_event("继续", "resume_flow"), *(slot(name, value) for name, value in restored.items()),
        slot("phone_last4", "1234")])  # Rasa hands every filled question of the form to its validation
    validation = slot_sets(asyncio.run(ValidateExchangeForm().run(CollectingDispatcher(), started, domain)))
    assert validation["verified_customer_id"] == 1 and validation["phone_last4"] == "1234"


def test_the_words_choose_among_several_paused_flows(domain: dict[str, Any]) -> None:
    stack = [{"form": "exchange_form", "slots": {"order_id": EXCHANGE_ORDER}},
             {"form": "cancel_form", "slots": {"order_id": CANCELLABLE}}]
    said = make_tracker({SLOT: stack}, events=[user_event("继续换货", "resume_flow", token=token_for(1))])
    _, events = run_action(ActionResumePausedFlow(), said, domain)
    assert events[-1] == FollowupAction("exchange_form") and slot_sets(events)[SLOT] == stack[1:]
    newest = make_tracker({SLOT: stack}, events=[user_event("接着办", "resume_flow", token=token_for(1))])
    _, events = run_action(ActionResumePausedFlow(), newest, domain)
    assert events[-1] == FollowupAction("cancel_form") and slot_sets(events)[SLOT] == stack[:1]


def test_nothing_to_resume_says_so(domain: dict[str, Any]) -> None:
    dispatcher, events = run_action(ActionResumePausedFlow(), make_tracker(events=[user_event("继续", "resume_flow")]),
                                    domain)
    assert names(dispatcher) == ["utter_no_paused_flow"] and events == []


def test_carry_on_inside_a_form_with_nothing_paused_asks_its_question_again(domain: dict[str, Any]) -> None:
    tracker = make_tracker(events=[user_event("好的 继续", "resume_flow")], active_loop="exchange_form")
    dispatcher, events = run_action(ActionResumePausedFlow(), tracker, domain)
    assert names(dispatcher) == ["utter_resume_flow"] and events == [FollowupAction("exchange_form")]


def test_declining_forgets_the_newest_and_offers_an_older_one(domain: dict[str, Any]) -> None:
    stack = [{"form": "exchange_form", "slots": {"order_id": EXCHANGE_ORDER}},
             {"form": "cancel_form", "slots": {"order_id": CANCELLABLE}}]
    dispatcher, events = run_action(ActionForgetPausedFlow(), make_tracker({SLOT: stack}), domain)
    assert names(dispatcher) == ["utter_paused_flow_forgotten"]
    assert events == [SlotSet(SLOT, stack[:1]), FollowupAction("action_offer_resume_flow")]
    _, events = run_action(ActionForgetPausedFlow(), make_tracker({SLOT: stack[:1]}), domain)
    assert events == [SlotSet(SLOT, None)]


def test_a_resumed_cancel_is_judged_on_the_order_as_it_is_now(domain: dict[str, Any]) -> None:
    """The order shipped while the cancel waited: the form's validation at its start (every restored value
    is validated) says so and blocks it; the rule is the shop's (shop.services.cancellation)."""
    token = token_for(1)
    with db_session() as session:
        session.execute(update(Order).where(Order.order_no == CANCELLABLE).values(status="shipped"))
        session.commit()
    _, events = run_action(ActionResumePausedFlow(), make_tracker(
        {SLOT: [{"form": "cancel_form", "slots": {"order_id": CANCELLABLE}}]},
        events=[user_event("继续取消", "resume_flow", token=token)]), domain)
    restored = [user_event("继续取消", "resume_flow", token=token),
                *(slot(e["name"], e["value"]) for e in events if e.get("event") == "slot")]
    tracker = make_tracker(slot_sets(events), events=restored, token=token)
    dispatcher = CollectingDispatcher()
    validation = asyncio.run(ValidateCancelForm().run(dispatcher, tracker, domain))
    assert [m.get("response") for m in dispatcher.messages] == ["utter_cancel_already_shipped"]
    assert slot_sets(validation)["flow_blocked"] is True


def test_a_resumed_exchange_keeps_its_order_and_item(domain: dict[str, Any]) -> None:
    """With the order still the shopper's and the item still exchangeable, validation keeps the values."""
    token = token_for(1)
    stack = slot_sets(interrupted_by(interrupted_exchange(token), "order_form", []))[SLOT]
    _, events = run_action(ActionResumePausedFlow(), make_tracker(
        {SLOT: stack}, events=[user_event("继续换货", "resume_flow", token=token)]), domain)
    restored = [user_event("继续换货", "resume_flow", token=token),
                *(slot(e["name"], e["value"]) for e in events if e.get("event") == "slot")]
    tracker = make_tracker(slot_sets(events), events=restored, token=token)
    validation = slot_sets(asyncio.run(ValidateExchangeForm().run(CollectingDispatcher(), tracker, domain)))
    assert validation["order_id"] == EXCHANGE_ORDER and validation["item_id"] == item_ids(EXCHANGE_ORDER)[0]
