"""催发货, 转人工, complaints, the fallback and a database that is down."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from actions_testkit import (
    assert_flow_reset,
    count_rows,
    db_session,
    make_tracker,
    message,
    names,
    run_action,
    token_for,
    user_event,
    validate,
)
from rasa_sdk.events import ActionExecuted, ConversationPaused, SlotSet
from sqlalchemy import select

from actions.handoff import ActionComplain, ActionFallback, ActionHandoff, ActionResetFlow
from actions.orders import ActionAskOrderId, ActionOutOfScope, ActionShowOrder, ValidateOrderForm
from actions.returns import ActionSubmitReturn
from actions.shipping import ActionUrgeShipment
from shop.clock import system_clock
from shop.models import Order, ShippingReminder, Ticket
from shop.seed import DEMO_ORDERS, OTHER_CUSTOMER_ORDERS

pytestmark = pytest.mark.usefixtures("shop_db")
#: A hand-off pauses the bot, then listens: the next message is a turn of its own (after a resume too).
PAUSED_AND_LISTENING = [ConversationPaused(), ActionExecuted("action_listen")]


def urge(order_key: str, domain: dict[str, Any], customer_id: int = 1) -> tuple[Any, list[Any]]:
    tracker = make_tracker({"order_id": DEMO_ORDERS[order_key]}, token=token_for(customer_id),
                           active_loop=None)
    return run_action(ActionUrgeShipment(), tracker, domain)


def tickets() -> list[Ticket]:
    with db_session() as session:
        found = list(session.execute(select(Ticket).order_by(Ticket.id)).scalars())
        session.expunge_all()
        return found


# --- urge -----------------------------------------------------------------------------------

def test_urge_on_time(domain: dict[str, Any]) -> None:
    dispatcher, events = urge("packing", domain)
    assert names(dispatcher) == ["utter_urge_on_time"]
    reply = message(dispatcher, "utter_urge_on_time")
    assert reply["order_no"] == DEMO_ORDERS["packing"]
    assert reply["ship_by"] and reply["eta"]
    assert_flow_reset(events)


def test_urge_overdue_gives_delay_reason(domain: dict[str, Any]) -> None:
    dispatcher, _ = urge("ship_overdue", domain)
    assert names(dispatcher) == ["utter_urge_overdue"]
    assert message(dispatcher, "utter_urge_overdue")["delay_reason"] == "暴雨导致干线延误"


def test_third_overdue_urge_escalates_once(domain: dict[str, Any]) -> None:
    for _ in range(2):
        dispatcher, _ = urge("ship_overdue", domain)
        assert names(dispatcher) == ["utter_urge_overdue"]
    dispatcher, _ = urge("ship_overdue", domain)
    assert names(dispatcher) == ["utter_urge_overdue", "utter_urge_escalated"]
    escalated = message(dispatcher, "utter_urge_escalated")
    assert escalated["count"] == 3
    assert escalated["ticket_no"].startswith("TK")
    dispatcher, _ = urge("ship_overdue", domain)
    assert message(dispatcher, "utter_urge_escalated")["ticket_no"] == escalated["ticket_no"]
    found = tickets()
    assert len(found) == 1
    assert (found[0].skill_group, found[0].priority, found[0].topic) == ("物流", "high", "urge_shipment")


def test_urge_already_shipped_shows_tracking(domain: dict[str, Any]) -> None:
    dispatcher, _ = urge("in_transit", domain)
    assert names(dispatcher) == ["utter_urge_already_shipped", "utter_tracking"]
    assert message(dispatcher, "utter_tracking")["tracking_no"].endswith(DEMO_ORDERS["in_transit"][-12:])
    assert count_rows(ShippingReminder) == 0


def test_urge_not_paid_and_cancelled(domain: dict[str, Any]) -> None:
    dispatcher, _ = urge("awaiting_payment", domain)
    assert names(dispatcher) == ["utter_urge_not_paid"]
    dispatcher, _ = urge("cancelled", domain)
    assert names(dispatcher) == ["utter_urge_cancelled"]


def test_urge_other_customers_order(domain: dict[str, Any]) -> None:
    tracker = make_tracker({"order_id": OTHER_CUSTOMER_ORDERS["ship_overdue"]}, token=token_for(1))
    dispatcher, _ = run_action(ActionUrgeShipment(), tracker, domain)
    assert names(dispatcher) == ["utter_order_not_found"]
    assert "商品需从外仓调拨" not in str(dispatcher.messages)
    assert count_rows(ShippingReminder) == 0


def test_urge_without_identity_does_nothing(domain: dict[str, Any]) -> None:
    tracker = make_tracker({"order_id": DEMO_ORDERS["ship_overdue"]})
    dispatcher, events = run_action(ActionUrgeShipment(), tracker, domain)
    assert dispatcher.messages == []
    assert_flow_reset(events)
    assert count_rows(ShippingReminder) == 0


# --- handoff --------------------------------------------------------------------------------

def service_hours(including_now: bool) -> str:
    now = system_clock()
    start, end = (now - timedelta(hours=1), now + timedelta(hours=1)) if including_now else (
        now + timedelta(hours=1), now + timedelta(hours=2))
    return f"{start:%H:%M}-{end:%H:%M}"


def handoff_conversation(token: str | None = None) -> list[dict[str, Any]]:
    texts = [("你好", "greet"), ("我要退货", "return_goods"), ("衣服有质量问题", "inform"),
             ("照片发你了", "inform"), ("怎么还没好", "inform"), ("你们太慢了", "inform"),
             ("转人工", "human_handoff")]
    # the front-end sends the shopper's token with every message (identity belongs to each message)
    return [user_event(text, intent, token=token) for text, intent in texts]


def test_handoff_in_service_hours(domain: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOP_SERVICE_HOURS", service_hours(True))
    tracker = make_tracker({"order_id": DEMO_ORDERS["delivered_in_window"], "reason": "quality",
                            "phone_last4": "1234"},
                           events=handoff_conversation(token_for(1)))
    dispatcher, events = run_action(ActionHandoff(), tracker, domain)
    assert names(dispatcher) == ["utter_handoff"]
    assert events[-2:] == PAUSED_AND_LISTENING
    assert_flow_reset(events)
    reply = message(dispatcher, "utter_handoff")
    [ticket] = tickets()
    assert reply == {**reply, "skill_group": "售后", "ticket_no": ticket.ticket_no}
    assert (ticket.topic, ticket.skill_group, ticket.conversation_id) == ("return_goods", "售后", "conv-test")
    assert ticket.customer_id == 1
    assert DEMO_ORDERS["delivered_in_window"] in ticket.summary
    # The last five messages, not the older ones; no identity data.
    for text in ("衣服有质量问题", "照片发你了", "怎么还没好", "你们太慢了", "转人工"):
        assert f"- {text}" in ticket.summary
    assert "- 你好" not in ticket.summary and "- 我要退货" not in ticket.summary
    assert "phone_last4" not in ticket.summary and "1234" not in ticket.summary


def test_handoff_after_hours(domain: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    hours = service_hours(False)
    monkeypatch.setenv("SHOP_SERVICE_HOURS", hours)
    tracker = make_tracker(events=[user_event("催一下发货", "urge_shipment"), user_event("转人工", "human_handoff")])
    dispatcher, events = run_action(ActionHandoff(), tracker, domain)
    assert names(dispatcher) == ["utter_handoff_after_hours"]
    assert events[-2:] == PAUSED_AND_LISTENING
    reply = message(dispatcher, "utter_handoff_after_hours")
    assert reply["service_hours"] == hours
    assert reply["next_opening"].endswith(hours[:5])
    assert reply["skill_group"] == "物流"
    [ticket] = tickets()
    assert ticket.customer_id is None and ticket.order_id is None


def test_handoff_twice_reuses_the_ticket(domain: dict[str, Any]) -> None:
    tracker = make_tracker(events=[user_event("转人工", "human_handoff")])
    first, _ = run_action(ActionHandoff(), tracker, domain)
    second, _ = run_action(ActionHandoff(), tracker, domain)
    assert first.messages[0]["ticket_no"] == second.messages[0]["ticket_no"]
    assert len(tickets()) == 1


def test_handoff_after_verification_lockout(domain: dict[str, Any]) -> None:
    """utter_verify_locked tells the shopper to say 转人工: that must work, with the unproven order."""
    form = ValidateOrderForm()
    tracker = make_tracker(active_loop="order_form",
                           events=[user_event("查订单", "query_order"), user_event("转人工", "human_handoff")])
    for digits in ("0000", "1111", "2222", "3333", "4444"):  # 5 wrong tries lock the order
        validate(form, "order_id", DEMO_ORDERS["in_transit"], tracker, domain)
        dispatcher, _ = validate(form, "phone_last4", digits, tracker, domain)
    assert names(dispatcher) == ["utter_verify_locked"]
    assert tracker.get_slot("order_id") == DEMO_ORDERS["in_transit"]  # kept for the agent
    dispatcher, events = run_action(ActionHandoff(), tracker, domain)
    assert names(dispatcher) == ["utter_handoff"] or names(dispatcher) == ["utter_handoff_after_hours"]
    assert events[-2:] == PAUSED_AND_LISTENING
    [ticket] = tickets()
    assert ticket.customer_id is None and ticket.order_id is None  # not attached: ownership unproven
    assert DEMO_ORDERS["in_transit"] in ticket.summary


def test_complain_opens_high_priority_ticket(domain: dict[str, Any]) -> None:
    tracker = make_tracker({"order_id": DEMO_ORDERS["stuck"]},
                           events=[user_event("快递一周都不动，太差了", "complain", token=token_for(1))])
    dispatcher, events = run_action(ActionComplain(), tracker, domain)
    assert names(dispatcher) == ["utter_complain"]
    assert events == [SlotSet("interrupted_form", None)]  # no form to pause
    [ticket] = tickets()
    # A stuck parcel is the logistics group's, even as a complaint (issue 30).
    assert (ticket.topic, ticket.priority, ticket.skill_group) == ("complain", "high", "物流")
    assert (ticket.customer_id, ticket.order_id) == (1, ticket.order_id) and ticket.order_id is not None
    with db_session() as session:
        order_no = session.execute(select(Order.order_no).where(Order.id == ticket.order_id)).scalar_one()
    assert order_no == DEMO_ORDERS["stuck"]


def test_fallback_clarifies_then_hands_off(domain: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOP_SERVICE_HOURS", service_hours(True))
    events = [user_event("查订单", "query_order"), user_event("阿巴阿巴", "nlu_fallback")]
    dispatcher, result = run_action(ActionFallback(), make_tracker(events=events), domain)
    assert names(dispatcher) == ["utter_clarify"]
    assert result == []
    assert tickets() == []
    events.append(user_event("巴拉巴拉", "nlu_fallback"))
    dispatcher, result = run_action(ActionFallback(), make_tracker(events=events), domain)
    assert names(dispatcher) == ["utter_handoff"]
    assert result[-2:] == PAUSED_AND_LISTENING
    [ticket] = tickets()
    assert ticket.topic == "query_order" and ticket.skill_group == "物流"


def test_fallback_count_restarts_after_an_understood_message(domain: dict[str, Any]) -> None:
    events = [user_event("阿巴", "nlu_fallback"), user_event("谢谢", "thank"), user_event("巴拉", "nlu_fallback")]
    dispatcher, result = run_action(ActionFallback(), make_tracker(events=events), domain)
    assert names(dispatcher) == ["utter_clarify"]
    assert result == []


FAULT = [{"entity": "reason", "value": "quality"}]


def test_fallback_that_names_a_fault_offers_after_sales(domain: dict[str, Any]) -> None:
    """"我买的杯子漏水" not classified, but its reason entity says what the shopper needs; it is no
    misunderstanding either, so the next one is the first of a run, not a hand-off."""
    events = [user_event("阿巴阿巴", "nlu_fallback"), user_event("我买的杯子漏水", "nlu_fallback", FAULT)]
    dispatcher, result = run_action(ActionFallback(), make_tracker({"reason": "quality"}, events=events), domain)
    assert names(dispatcher) == ["utter_reason_without_flow"]
    assert result == [] and tickets() == []
    events.append(user_event("巴拉巴拉", "nlu_fallback"))
    dispatcher, result = run_action(ActionFallback(), make_tracker(events=events), domain)
    assert names(dispatcher) == ["utter_clarify"]
    assert result == [] and tickets() == []


def test_out_of_scope_unless_it_names_a_fault(domain: dict[str, Any]) -> None:
    tracker = make_tracker(events=[user_event("今天天气怎么样", "out_of_scope")])
    dispatcher, events = run_action(ActionOutOfScope(), tracker, domain)
    assert names(dispatcher) == ["utter_out_of_scope"]
    assert events == []
    tracker = make_tracker({"reason": "quality"}, events=[user_event("东西坏了怎么办", "out_of_scope", FAULT)])
    dispatcher, events = run_action(ActionOutOfScope(), tracker, domain)
    assert names(dispatcher) == ["utter_reason_without_flow"]
    assert events == []


@pytest.mark.parametrize("text", ["你们是机器人吗", "是真人在回复吗", "are you a bot?", "Is this AI"])
def test_asking_who_answers_gets_the_bot_and_the_way_to_a_person(text: str, domain: dict[str, Any]) -> None:
    dispatcher, events = run_action(ActionOutOfScope(), make_tracker(events=[user_event(text, "out_of_scope")]), domain)
    assert names(dispatcher) == ["utter_who_answers"] and events == []


@pytest.mark.parametrize("text", ["robotic vacuum", "今天天气怎么样", "aid"])
def test_other_off_topic_words_are_not_taken_for_that_question(text: str, domain: dict[str, Any]) -> None:
    dispatcher, _ = run_action(ActionOutOfScope(), make_tracker(events=[user_event(text, "out_of_scope")]), domain)
    assert names(dispatcher) == ["utter_out_of_scope"]


def test_reset_flow(domain: dict[str, Any]) -> None:
    dispatcher, events = run_action(ActionResetFlow(), make_tracker({"reason": "quality"}), domain)
    assert dispatcher.messages == []
    assert_flow_reset(events)


# --- the database is down -----------------------------------------------------------------

DOWN_URL = "postgresql+psycopg2://postgres@127.0.0.1:1/none"


@pytest.fixture()
def db_down(shop_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOP_DB_URL", DOWN_URL)


@pytest.mark.usefixtures("db_down")
@pytest.mark.parametrize(
    ("action", "slots", "active_loop"),
    [
        (ActionShowOrder(), {"order_id": DEMO_ORDERS["in_transit"]}, None),
        (ActionUrgeShipment(), {"order_id": DEMO_ORDERS["ship_overdue"]}, None),
        (ActionAskOrderId(), {}, "return_form"),
        (ActionSubmitReturn(), {"order_id": DEMO_ORDERS["delivered_in_window"], "item_id": "1",
                                "reason": "no_reason", "confirmed": True}, "return_form"),
    ],
    ids=lambda value: getattr(value, "name", lambda: None)() if hasattr(value, "run") else None,
)
def test_database_down_is_polite(action: Any, slots: dict[str, Any], active_loop: str | None,
                                 domain: dict[str, Any]) -> None:
    tracker = make_tracker(slots, token=token_for(1), active_loop=active_loop)
    dispatcher, _ = run_action(action, tracker, domain)
    assert "utter_system_busy" in names(dispatcher)


@pytest.mark.usefixtures("db_down")
def test_database_down_during_form_and_handoff(domain: dict[str, Any]) -> None:
    tracker = make_tracker(token=token_for(1), active_loop="order_form")
    dispatcher, result = validate(ValidateOrderForm(), "order_id", DEMO_ORDERS["in_transit"], tracker, domain)
    assert names(dispatcher) == ["utter_system_busy"]
    assert result == {"order_id": None}
    anonymous = make_tracker({"order_id": DEMO_ORDERS["in_transit"]}, active_loop="order_form")
    dispatcher, result = validate(ValidateOrderForm(), "phone_last4", "1234", anonymous, domain)
    assert names(dispatcher) == ["utter_system_busy"]
    assert result == {"flow_blocked": True}
    # No ticket means no human: the shopper is told so instead of being offered one again.
    dispatcher, events = run_action(ActionHandoff(), make_tracker(), domain)
    assert names(dispatcher) == ["utter_handoff_unavailable"]
    assert not any(event.get("event") == "pause" for event in events)
    dispatcher, _ = run_action(ActionComplain(), make_tracker(), domain)
    assert names(dispatcher) == ["utter_complain", "utter_handoff_unavailable"]


def test_unusable_sqlite_path_is_polite(domain: dict[str, Any], tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A SQLite file whose directory cannot be created (here: its parent is a file)."""
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    monkeypatch.setenv("SHOP_DB_URL", f"sqlite:///{blocker}/shop.db")
    tracker = make_tracker({"order_id": DEMO_ORDERS["in_transit"]}, token=token_for(1))
    dispatcher, _ = run_action(ActionShowOrder(), tracker, domain)
    assert names(dispatcher) == ["utter_system_busy"]
