"""Who is asking: signed tokens, the order + phone check, and what each may see."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from actions_testkit import (
    all_text,
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
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import func, select

from actions.exchanges import ValidateExchangeForm
from actions.identity import current_customer, token_customer
from actions.order_forms import FLOW_SLOTS, sole_entity_value
from actions.orders import ActionAskOrderId, ActionRouteInform, ActionShowOrder, ValidateOrderForm
from actions.returns import ValidateReturnForm
from actions.shipping import ValidateUrgeForm
from shop.clock import system_clock
from shop.db import make_engine, session_scope
from shop.models import VerificationFailure
from shop.seed import DEMO_ORDERS, OTHER_CUSTOMER_ORDERS

pytestmark = pytest.mark.usefixtures("shop_db")

OWN = DEMO_ORDERS["in_transit"]
OTHERS = OTHER_CUSTOMER_ORDERS["in_transit"]


# --- tokens -------------------------------------------------------------------------------

def test_token_customer_sees_own_order(domain: dict[str, Any]) -> None:
    tracker = make_tracker({"order_id": OWN}, token=token_for(1))
    dispatcher, events = run_action(ActionShowOrder(), tracker, domain)
    assert names(dispatcher) == [
        "utter_order_summary", "utter_order_status_shipped", "utter_progress_in_transit", "utter_tracking",
    ]
    summary = message(dispatcher, "utter_order_summary")
    assert summary["order_no"] == OWN
    assert summary["phone"] == "138****1234"
    assert "13800001234" not in all_text(dispatcher)
    assert "智能手环" in summary["items"]
    tracking = message(dispatcher, "utter_tracking")
    assert tracking["tracking_no"].endswith(OWN[-12:])
    assert tracking["timeline"].count("\n") == 2  # three seeded events, newest first
    assert SlotSet("flow_blocked", None) in events


def test_an_order_looked_up_with_a_problem_named_also_gets_the_after_sales_choices(domain: dict[str, Any]) -> None:
    tracker = make_tracker({"order_id": DEMO_ORDERS["multi_item"], "reason": "missing_items"}, token=token_for(1))
    dispatcher, events = run_action(ActionShowOrder(), tracker, domain)
    assert names(dispatcher)[0] == "utter_order_summary" and names(dispatcher)[-1] == "utter_reason_without_flow"
    slots = slot_sets(events)
    assert "reason" not in slots and "satisfaction_pending" in slots and slots["satisfaction_pending"] is None
    assert "order_id" not in slots  # kept, like the reason, for the flow picked next


def test_show_order_progress_params_are_formatted(domain: dict[str, Any]) -> None:
    tracker = make_tracker({"order_id": DEMO_ORDERS["ship_overdue"]}, token=token_for(1))
    dispatcher, _ = run_action(ActionShowOrder(), tracker, domain)
    assert names(dispatcher) == ["utter_order_summary", "utter_order_status_paid", "utter_progress_ship_overdue"]
    progress = message(dispatcher, "utter_progress_ship_overdue")
    assert progress["delay_reason"] == "暴雨导致干线延误"
    assert isinstance(progress["ship_by"], str) and ":" in progress["ship_by"]


def test_stuck_parcel_offers_a_claim(domain: dict[str, Any]) -> None:
    tracker = make_tracker({"order_id": DEMO_ORDERS["stuck"]}, token=token_for(1))
    dispatcher, _ = run_action(ActionShowOrder(), tracker, domain)
    assert "utter_progress_in_transit_late" in names(dispatcher)
    # No delay reason recorded: the label from domain/labels.yml stands in.
    assert message(dispatcher, "utter_progress_in_transit_late")["reason"] == "物流信息更新延迟"
    assert message(dispatcher, "utter_tracking_stuck")["hours"] >= 80


def test_other_customers_order_is_not_found_and_nothing_leaks(domain: dict[str, Any]) -> None:
    tracker = make_tracker({"order_id": OTHERS}, token=token_for(1))
    dispatcher, _ = run_action(ActionShowOrder(), tracker, domain)
    assert names(dispatcher) == ["utter_order_not_found"]
    text = all_text(dispatcher)
    for secret in ("5678", "李", "蓝牙耳机", OTHERS[-12:]):
        assert secret not in text


def test_form_refuses_other_customers_order_with_token(domain: dict[str, Any]) -> None:
    tracker = make_tracker(token=token_for(1), active_loop="order_form")
    dispatcher, result = validate(ValidateOrderForm(), "order_id", OTHERS, tracker, domain)
    assert result == {"order_id": None}
    assert names(dispatcher) == ["utter_order_not_found"]
    assert "5678" not in all_text(dispatcher)


def test_form_with_token_needs_no_phone(domain: dict[str, Any]) -> None:
    form = ValidateOrderForm()
    tracker = make_tracker(token=token_for(1), active_loop="order_form")
    assert required_slots(form, tracker, domain) == ["order_id"]
    dispatcher, result = validate(form, "order_id", f"订单号 {OWN}", tracker, domain)
    assert result == {"order_id": OWN}
    assert dispatcher.messages == []


def test_invalid_order_number_format(domain: dict[str, Any]) -> None:
    tracker = make_tracker(token=token_for(1), active_loop="order_form")
    dispatcher, result = validate(ValidateOrderForm(), "order_id", "12345", tracker, domain)
    assert result == {"order_id": None}
    assert names(dispatcher) == ["utter_order_id_invalid"]


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(lambda: token_for(1, now=system_clock() - timedelta(days=2)), id="expired"),
        pytest.param(lambda: token_for(1)[:-2] + ("AA" if not token_for(1).endswith("AA") else "BB"), id="tampered"),
        pytest.param(lambda: token_for(1, secret="someone-elses-secret"), id="wrong-secret"),
        pytest.param(lambda: "not-a-token", id="garbage"),
    ],
)
def test_bad_token_is_anonymous(token: Any, domain: dict[str, Any]) -> None:
    tracker = make_tracker({"order_id": OWN}, token=token())
    assert token_customer(tracker) is None
    assert current_customer(tracker) is None
    dispatcher, _ = run_action(ActionShowOrder(), tracker, domain)
    assert names(dispatcher) == ["utter_order_not_found"]
    # ... and the form falls back to the phone check.
    assert required_slots(ValidateOrderForm(), tracker, domain) == ["order_id", "phone_last4"]


def test_forged_payload_for_another_customer_is_rejected() -> None:
    header, genuine_payload, signature = token_for(1).split(".")
    forged_payload = token_for(2).split(".")[1]
    tracker = make_tracker(token=f"{header}.{forged_payload}.{signature}")
    assert token_customer(tracker) is None
    assert genuine_payload != forged_payload


def test_identity_belongs_to_each_message_not_to_the_sender() -> None:
    """A token sent once does not log the sender id in: the next message without one is anonymous."""
    events = [user_event("你好", "greet", token=token_for(1)), user_event("查订单", "query_order")]
    assert current_customer(make_tracker(events=events)) is None
    events.append(user_event("换账号了", "inform", token=token_for(2)))
    assert current_customer(make_tracker(events=events)) == 2
    events.append(user_event("还是我", "inform", token=token_for(1)))
    assert current_customer(make_tracker(events=events)) == 1


def test_token_beats_verified_slot() -> None:
    tracker = make_tracker({"verified_customer_id": 2}, token=token_for(1))
    assert current_customer(tracker) == 1


# --- anonymous: order number + last 4 digits ------------------------------------------------

def anonymous(active_loop: str = "order_form", **slots: Any) -> Any:
    return make_tracker(slots, active_loop=active_loop)


def test_wrong_digits_are_counted_per_order_across_conversations_then_locked(domain: dict[str, Any]) -> None:
    """Each try is a new conversation (a new sender id brings no new tries): 5 per order, then locked."""
    form = ValidateOrderForm()
    for attempt in range(1, 5):
        tracker = anonymous()
        assert required_slots(form, tracker, domain) == ["order_id", "phone_last4"]
        dispatcher, result = validate(form, "order_id", OWN, tracker, domain)
        assert result == {"order_id": OWN, "verified_customer_id": None}
        dispatcher, result = validate(form, "phone_last4", "尾号 0000", tracker, domain)
        assert names(dispatcher) == ["utter_verify_failed"]
        assert message(dispatcher, "utter_verify_failed")["remaining"] == 5 - attempt
        # the order number is kept: corrected digits next complete the check
        assert result == {"order_id": OWN, "phone_last4": None, "verified_customer_id": None}
    tracker = anonymous()
    validate(form, "order_id", OWN, tracker, domain)
    dispatcher, result = validate(form, "phone_last4", "9999", tracker, domain)
    assert names(dispatcher) == ["utter_verify_locked"]
    assert result["flow_blocked"] is True and result["verified_customer_id"] is None
    assert required_slots(form, tracker, domain) == []
    # Locked, in any conversation: even the right digits are not compared, and the reply is the same.
    tracker = anonymous()
    validate(form, "order_id", OWN, tracker, domain)
    dispatcher, result = validate(form, "phone_last4", "1234", tracker, domain)
    assert names(dispatcher) == ["utter_verify_locked"]
    assert result["verified_customer_id"] is None and result["flow_blocked"] is True
    dispatcher, _ = run_action(ActionShowOrder(), tracker, domain)
    assert dispatcher.messages == []
    # Another order is not locked by this one's failures.
    tracker = anonymous()
    validate(form, "order_id", DEMO_ORDERS["stuck"], tracker, domain)
    dispatcher, result = validate(form, "phone_last4", "1234", tracker, domain)
    assert result["verified_customer_id"] == 1


def test_wrong_digits_are_counted_per_client_address(domain: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """Guessing across many order numbers from one address is limited too (the channel sets `client`)."""
    monkeypatch.setenv("SHOP_VERIFY_MAX_CLIENT_FAILURES", "2")
    form = ValidateOrderForm()
    replies = []
    for order_no in (DEMO_ORDERS["stuck"], DEMO_ORDERS["in_transit"], DEMO_ORDERS["ship_overdue"]):
        events = [user_event("查订单", "query_order", metadata={"client": "203.0.113.9"})]
        tracker = make_tracker(events=events, active_loop="order_form")
        validate(form, "order_id", order_no, tracker, domain)
        dispatcher, _ = validate(form, "phone_last4", "0000", tracker, domain)
        replies.append(names(dispatcher))
    assert replies == [["utter_verify_failed"], ["utter_verify_locked"], ["utter_verify_locked"]]
    tracker = anonymous()  # another address is not affected
    validate(form, "order_id", DEMO_ORDERS["ship_overdue"], tracker, domain)
    assert validate(form, "phone_last4", "1234", tracker, domain)[1]["verified_customer_id"] == 1


def test_anonymous_right_digits_verify(domain: dict[str, Any]) -> None:
    form = ValidateOrderForm()
    tracker = anonymous()
    validate(form, "order_id", OWN, tracker, domain)
    dispatcher, result = validate(form, "phone_last4", "手机尾号是1234", tracker, domain)
    assert dispatcher.messages == []
    assert result == {"phone_last4": "1234", "verified_customer_id": 1}
    dispatcher, _ = run_action(ActionShowOrder(), tracker, domain)
    assert message(dispatcher, "utter_order_summary")["order_no"] == OWN


def test_anonymous_phone_first_then_order(domain: dict[str, Any]) -> None:
    form = ValidateOrderForm()
    tracker = anonymous()
    dispatcher, result = validate(form, "phone_last4", "13800001234", tracker, domain)
    assert result == {"phone_last4": "1234"}
    dispatcher, result = validate(form, "order_id", OWN, tracker, domain)
    assert result == {"phone_last4": "1234", "verified_customer_id": 1, "order_id": OWN}


def test_anonymous_right_digits_for_the_wrong_order_fail(domain: dict[str, Any]) -> None:
    """Customer 1's phone digits do not open customer 2's order."""
    form = ValidateOrderForm()
    tracker = anonymous()
    validate(form, "order_id", OTHERS, tracker, domain)
    dispatcher, result = validate(form, "phone_last4", "1234", tracker, domain)
    assert names(dispatcher) == ["utter_verify_failed"]
    assert result["verified_customer_id"] is None
    assert "5678" not in all_text(dispatcher)


def failures_recorded() -> int:
    with session_scope(make_engine()) as session:
        return int(session.execute(select(func.count()).select_from(VerificationFailure)).scalar_one())


def test_digits_that_proved_one_order_are_not_tried_on_another(domain: dict[str, Any]) -> None:
    """Verified for one order, the shopper names another: its own digits are asked, no try is counted."""
    other = OTHERS  # customer 2's: the digits 1234 would not match it
    before = [{"event": "slot", "name": "order_id", "value": OWN},
              {"event": "slot", "name": "phone_last4", "value": "1234"},
              {"event": "slot", "name": "verified_customer_id", "value": 1}]
    # the form starting validates the phone kept from before too (Rasa appends it after the loop starts)
    events = [*before, user_event(f"and where is {other}", "query_order"),
              {"event": "slot", "name": "order_id", "value": other},
              {"event": "active_loop", "name": "order_form"},
              {"event": "slot", "name": "order_id", "value": other},
              {"event": "slot", "name": "phone_last4", "value": "1234"}]
    tracker = make_tracker({"order_id": other, "phone_last4": "1234", "verified_customer_id": 1}, events=events,
                           active_loop="order_form")
    dispatcher, result_events = run_action(ValidateOrderForm(), tracker, domain)
    assert dispatcher.messages == []
    assert {"order_id": other, "phone_last4": None, "verified_customer_id": None}.items() <= slot_sets(
        result_events).items()
    assert required_slots(ValidateOrderForm(), tracker, domain) == ["order_id", "phone_last4"]
    assert failures_recorded() == 0
    # the order they proved, named again in a new request, needs no digits
    events = [*before, user_event(f"我要退货 {OWN}", "return_goods", entities=[{"entity": "order_id", "value": OWN}]),
              {"event": "slot", "name": "order_id", "value": OWN}]
    tracker = make_tracker({"order_id": OWN, "phone_last4": "1234", "verified_customer_id": 1}, events=events,
                           active_loop="order_form")
    assert validate(ValidateOrderForm(), "order_id", OWN, tracker, domain)[1] == {"order_id": OWN}
    # and the new flow still checks it: an order on its way cannot be returned
    dispatcher, result = validate(ValidateReturnForm(), "order_id", OWN, tracker, domain)
    assert names(dispatcher) == ["utter_return_not_delivered"] and result["flow_blocked"] is True


def test_the_order_number_typed_at_the_phone_question_replaces_the_order_and_counts_no_try(
    domain: dict[str, Any],
) -> None:
    """A mistyped order number, then the right one typed when the digits are asked: the order changes,
    the digits are asked again, and no failure is recorded (the SDK validates both slots it fills)."""
    events = [
        user_event("查一下订单8800000100009999", "query_order"),
        {"event": "slot", "name": "order_id", "value": "8800000100009999"},
        {"event": "slot", "name": "requested_slot", "value": "phone_last4"},
        {"event": "action", "name": "action_listen"},
        user_event(OWN, "inform", entities=[{"entity": "order_id", "value": OWN}]),
        {"event": "slot", "name": "order_id", "value": OWN},
        {"event": "slot", "name": "phone_last4", "value": OWN},
    ]
    tracker = make_tracker({"order_id": OWN, "phone_last4": OWN, "requested_slot": "phone_last4"}, events=events,
                           active_loop="order_form")
    dispatcher, result_events = run_action(ValidateOrderForm(), tracker, domain)
    assert "utter_verify_failed" not in names(dispatcher)
    assert SlotSet("order_id", OWN) in result_events and SlotSet("phone_last4", None) in result_events
    assert failures_recorded() == 0
    validate(ValidateOrderForm(), "phone_last4", "1234", tracker, domain)
    assert tracker.slots["verified_customer_id"] == 1


def test_anonymous_too_few_digits_asks_again(domain: dict[str, Any]) -> None:
    tracker = anonymous(order_id=OWN)
    dispatcher, result = validate(ValidateOrderForm(), "phone_last4", "12", tracker, domain)
    assert result == {"phone_last4": None}
    assert names(dispatcher) == ["utter_phone_last4_invalid"]  # what was wrong; the form asks again itself


def test_anonymous_verification_through_form_run(domain: dict[str, Any]) -> None:
    """The SDK's own run(): extracted slots go through validate_order_id / validate_phone_last4."""
    events = [
        user_event(f"查订单 {OWN}", "query_order"),
        {"event": "slot", "name": "order_id", "value": OWN},
        {"event": "slot", "name": "phone_last4", "value": "1234"},
    ]
    tracker = make_tracker(events=events, active_loop="order_form")
    dispatcher, result_events = run_action(ValidateOrderForm(), tracker, domain)
    assert dispatcher.messages == []
    assert SlotSet("verified_customer_id", 1) in result_events
    assert SlotSet("order_id", OWN) in result_events

    # The return form asks for more itself (its required slots differ from the domain's).
    events = [
        user_event("我要退货", "return_goods"),
        {"event": "slot", "name": "order_id", "value": DEMO_ORDERS["multi_item"]},
        {"event": "slot", "name": "phone_last4", "value": "1234"},
    ]
    tracker = make_tracker(events=events, active_loop="return_form")
    dispatcher, result_events = run_action(ValidateReturnForm(), tracker, domain)
    assert dispatcher.messages == []
    assert SlotSet("verified_customer_id", 1) in result_events
    assert SlotSet("requested_slot", "item_id") in result_events


def test_anonymous_return_form_check_runs_after_phone(domain: dict[str, Any]) -> None:
    """The return form's order checks (item auto-chosen) also run once the phone matches."""
    form = ValidateReturnForm()
    tracker = anonymous("return_form")
    validate(form, "order_id", DEMO_ORDERS["delivered_in_window"], tracker, domain)
    dispatcher, result = validate(form, "phone_last4", "1234", tracker, domain)
    assert dispatcher.messages == []
    assert result["verified_customer_id"] == 1
    assert result["item_id"]


# --- choosing an order --------------------------------------------------------------------

def test_ask_order_id_buttons_are_own_orders(domain: dict[str, Any]) -> None:
    dispatcher, _ = run_action(ActionAskOrderId(), make_tracker(token=token_for(1)), domain)
    assert names(dispatcher) == ["utter_choose_order"]
    buttons = message(dispatcher, "utter_choose_order")["buttons"]
    assert 1 <= len(buttons) <= 5
    own = set(DEMO_ORDERS.values())
    for button in buttons:
        order_no = button["title"].split()[0]
        assert order_no in own
        assert button["payload"] == f'/inform{{"order_id": "{order_no}"}}'
    assert not any(other in all_text(dispatcher) for other in OTHER_CUSTOMER_ORDERS.values())


def test_ask_order_id_for_return_form_offers_delivered_orders(domain: dict[str, Any]) -> None:
    tracker = make_tracker(token=token_for(1), active_loop="return_form")
    dispatcher, _ = run_action(ActionAskOrderId(), tracker, domain)
    buttons = message(dispatcher, "utter_choose_order")["buttons"]
    assert buttons
    statuses = {"已签收", "已完成"}
    for button in buttons:
        assert button["title"].split()[-1] in statuses, button["title"]
    delivered = {DEMO_ORDERS[key] for key in ("delivered_in_window", "delivered_out_of_window", "fresh_food",
                                              "completed", "exchange_out_of_stock", "multi_item",
                                              "return_in_progress", "custom_made")}
    assert {b["title"].split()[0] for b in buttons} <= delivered


def offered(form: str, domain: dict[str, Any]) -> list[str]:
    dispatcher, _ = run_action(ActionAskOrderId(), make_tracker(token=token_for(1), active_loop=form), domain)
    return [b["title"].split()[0] for b in message(dispatcher, "utter_choose_order")["buttons"]]


def typed_at_order_question(text: str, intent: str, form: str = "return_form", token: str | None = None) -> Any:
    """A tracker of a form asking which order, with the shopper's typed answer."""
    token = token_for(1) if token is None else token or None
    return make_tracker({"requested_slot": "order_id"}, events=[user_event(text, intent, token=token)],
                        active_loop=form)


@pytest.mark.parametrize(("text", "intent", "index"), [
    ("第一个", "affirm", 0), ("就第二单吧", "inform", 1), ("最后那个", "inform", -1), ("2", "inform", 1),
    ("the first one", "out_of_scope", 0),  # English: read as off-topic, its place still chooses
    ("the second one", "greet", 1),  # or as a greeting
])
def test_an_offered_order_can_be_chosen_by_its_place_in_the_list(
    text: str, intent: str, index: int, domain: dict[str, Any]
) -> None:
    orders = offered("return_form", domain)
    extracted = asyncio.run(ValidateReturnForm().extract_order_id(
        CollectingDispatcher(), typed_at_order_question(text, intent), domain))
    assert extracted == {"order_id": orders[index]}


def test_an_offered_order_can_be_chosen_by_what_was_bought(domain: dict[str, Any]) -> None:
    assert DEMO_ORDERS["fresh_food"] in offered("return_form", domain)
    extracted = asyncio.run(ValidateReturnForm().extract_order_id(
        CollectingDispatcher(), typed_at_order_question("大闸蟹那单", "inform"), domain))
    assert extracted == {"order_id": DEMO_ORDERS["fresh_food"]}


@pytest.mark.parametrize(("text", "intent"), [("the crab one", "thank"), ("crab", "affirm"), ("the crab", "greet")])
def test_an_offered_order_can_be_chosen_in_english_by_its_product(
    text: str, intent: str, domain: dict[str, Any]
) -> None:
    """Orders are described in Chinese: "crab" is 大闸蟹 to the NLU (synonyms.yml), whatever intent it reads."""
    tracker = make_tracker({"requested_slot": "order_id"}, active_loop="return_form", events=[
        user_event(text, intent, entities=[{"entity": "product", "value": "大闸蟹"}], token=token_for(1))])
    extracted = asyncio.run(ValidateReturnForm().extract_order_id(CollectingDispatcher(), tracker, domain))
    assert extracted == {"order_id": DEMO_ORDERS["fresh_food"]}


def test_words_that_fit_two_offered_orders_say_so_and_ask_again(domain: dict[str, Any]) -> None:
    """"T恤那单" with two orders holding a T恤: told that both fit, then the order question again
    (the unset slot keeps the form going), not read as chit-chat."""
    form = ValidateReturnForm()
    tracker = typed_at_order_question("T恤那单", "inform")
    dispatcher = CollectingDispatcher()
    assert asyncio.run(form.extract_order_id(dispatcher, tracker, domain)) == {"order_id": None}
    said = message(dispatcher, "utter_order_choice_tied")
    assert (said["count"], said["words"]) == (2, "T恤")
    dispatcher, result = validate(form, "order_id", None, tracker, domain)
    assert dispatcher.messages == [] and result == {"order_id": None}


@pytest.mark.parametrize("text", ["白色的那单", "上周买的那单", "上次那个订单"])
def test_words_meant_as_an_order_choice_that_fit_none_say_so_and_ask_again(text: str, domain: dict[str, Any]) -> None:
    dispatcher = CollectingDispatcher()
    extracted = asyncio.run(ValidateReturnForm().extract_order_id(
        dispatcher, typed_at_order_question(text, "inform"), domain))
    assert extracted == {"order_id": None} and names(dispatcher) == ["utter_order_choice_unmatched"]


@pytest.mark.parametrize(("text", "intent", "token"), [
    ("手机壳那个", "inform", None),  # fits no offered order
    ("算了 第一个都不要", "deny", None),
    ("第二个都不行 我要投诉", "complain", None),  # a complaint naming a place is no choice
    ("我要换货 第一个", "exchange_goods", None),  # another flow's request: that flow starts instead
    ("第一个", "affirm", ""),  # anonymous: no list was offered
])
def test_words_that_choose_no_offered_order_extract_nothing(
    text: str, intent: str, token: str | None, domain: dict[str, Any]
) -> None:
    extracted = asyncio.run(ValidateReturnForm().extract_order_id(
        CollectingDispatcher(), typed_at_order_question(text, intent, token=token), domain))
    assert extracted == {}

def starting_with(text: str, intent: str, product: str | None, form: str, token: str | None = None) -> Any:
    """A tracker of a flow just started by the shopper's message, which may name a product."""
    entities = [{"entity": "product", "value": product}] if product else []
    token = token_for(1) if token is None else token or None
    return make_tracker(events=[user_event(text, intent, entities=entities, token=token)], active_loop=form)


def test_the_product_named_when_a_flow_starts_chooses_its_one_order(domain: dict[str, Any]) -> None:
    tracker = starting_with("我昨天买的裤子啥时候发货啊", "urge_shipment", "裤子", "urge_form")
    dispatcher = CollectingDispatcher()
    extracted = asyncio.run(ValidateUrgeForm().extract_order_id(dispatcher, tracker, domain))
    assert extracted == {"order_id": DEMO_ORDERS["packing_today"]}  # the one paid order with 牛仔裤
    said = message(dispatcher, "utter_order_chosen")
    assert said["order_no"] == DEMO_ORDERS["packing_today"] and "牛仔裤" in said["order"]


def test_a_product_found_whole_by_one_extractor_and_in_part_by_another_chooses_its_order(
    domain: dict[str, Any],
) -> None:
    """"我买的鞋子…能换大一码吗": the lookup finds 鞋, the CRF 鞋子: one product, and one order holds it."""
    entities = [{"entity": "product", "value": "鞋"}, {"entity": "product", "value": "鞋子"},
                {"entity": "size", "value": "+1"}]
    tracker = make_tracker(events=[user_event("在吗 我买的鞋子穿着有点小 能换大一码吗", "exchange_goods",
                                              entities=entities, token=token_for(1))], active_loop="exchange_form")
    dispatcher = CollectingDispatcher()
    extracted = asyncio.run(ValidateExchangeForm().extract_order_id(dispatcher, tracker, domain))
    assert extracted == {"order_id": DEMO_ORDERS["exchange_out_of_stock"]}
    assert "跑步鞋" in message(dispatcher, "utter_order_chosen")["order"]


def test_a_product_no_offered_order_holds_is_looked_for_among_older_orders(domain: dict[str, Any]) -> None:
    """"钢笔到哪了": the one order with 钢笔 comes after the five orders the lookup offers."""
    assert DEMO_ORDERS["custom_made"] not in offered("order_form", domain)
    tracker = starting_with("上周买的钢笔到哪了", "query_order", "钢笔", "order_form")
    dispatcher = CollectingDispatcher()
    extracted = asyncio.run(ValidateOrderForm().extract_order_id(dispatcher, tracker, domain))
    assert extracted == {"order_id": DEMO_ORDERS["custom_made"]}
    assert "钢笔" in message(dispatcher, "utter_order_chosen")["order"]


@pytest.mark.parametrize(("text", "intent", "earlier_product"), [
    ("钢笔什么时候到啊 急用", "query_order", None),  # another flow's order question, then this flow's request
    ("钢笔那单", "inform", None),  # typed at this flow's order question
    ("钢笔什么时候到啊 急用", "query_order", "T恤"),  # "T恤想退货" had narrowed the orders to its T恤s
])
def test_a_product_typed_at_the_order_question_is_looked_for_among_older_orders(
    text: str, intent: str, earlier_product: str | None, domain: dict[str, Any]
) -> None:
    entities = [{"entity": "product", "value": "钢笔"}]
    tracker = make_tracker({"requested_slot": "order_id", "order_product": earlier_product}, active_loop="order_form",
                           events=[user_event(text, intent, entities=entities, token=token_for(1))])
    assert DEMO_ORDERS["custom_made"] not in offered("order_form", domain)
    dispatcher = CollectingDispatcher()
    extracted = asyncio.run(ValidateOrderForm().extract_order_id(dispatcher, tracker, domain))
    forgotten = {"order_product": None} if earlier_product else {}
    assert extracted == {**forgotten, "order_id": DEMO_ORDERS["custom_made"]}
    assert "钢笔" in message(dispatcher, "utter_order_chosen")["order"]


def test_older_orders_are_not_searched_for_a_product_an_offered_order_holds(domain: dict[str, Any]) -> None:
    """"牛仔裤" is in an offered order (the one on its way): that one is chosen, whatever other orders hold."""
    tracker = starting_with("牛仔裤到哪了", "query_order", "牛仔裤", "order_form")
    extracted = asyncio.run(ValidateOrderForm().extract_order_id(CollectingDispatcher(), tracker, domain))
    assert extracted == {"order_id": DEMO_ORDERS["in_transit_delayed"]}


@pytest.mark.parametrize(("values", "sole"), [
    (["鞋", "鞋子"], "鞋子"), (["保温杯", "保温杯"], "保温杯"), (["T恤", "保温杯"], None), ([], None),
])
def test_the_one_product_a_message_names(values: list[str], sole: str | None) -> None:
    assert sole_entity_value({"entities": [{"entity": "product", "value": v} for v in values]}, "product") == sole


@pytest.mark.parametrize(("text", "intent", "product", "form", "orders"), [
    ("T恤想退货", "return_goods", "T恤", "return_form", ["multi_item", "delivered_in_window"]),  # both offered
    ("我的连衣裙到哪了", "query_order", "连衣裙", "order_form", ["packing", "return_in_progress"]),  # neither offered
])
def test_a_product_several_orders_hold_narrows_the_order_question_to_them(
    text: str, intent: str, product: str, form: str, orders: list[str], domain: dict[str, Any]
) -> None:
    form_action = {"order_form": ValidateOrderForm, "return_form": ValidateReturnForm}[form]()
    dispatcher = CollectingDispatcher()
    events = asyncio.run(form_action.run(dispatcher, starting_with(text, intent, product, form), domain))
    assert {"event": "slot", "timestamp": None, "name": "order_product", "value": product} in events
    assert not any(event.get("name") == "order_id" and event.get("value") for event in events)
    assert dispatcher.messages == []

    asked = make_tracker({"order_product": product}, token=token_for(1), active_loop=form)
    dispatcher, _ = run_action(ActionAskOrderId(), asked, domain)
    question = message(dispatcher, "utter_choose_order_with_product")
    assert question["product"] == product and question["count"] == 2
    assert sorted(b["title"].split()[0] for b in question["buttons"]) == sorted(DEMO_ORDERS[o] for o in orders)

    # "第二个" means the second of those buttons
    typed = make_tracker({"requested_slot": "order_id", "order_product": product},
                         events=[user_event("第二个", "inform", token=token_for(1))], active_loop=form)
    chosen = asyncio.run(form_action.extract_order_id(CollectingDispatcher(), typed, domain))
    assert chosen == {"order_id": question["buttons"][1]["title"].split()[0]}


@pytest.mark.parametrize("text", ["连衣裙", "连衣裙那单", "the dress"])
def test_a_product_named_at_the_order_question_narrows_it_without_a_noted_reply(
    text: str, domain: dict[str, Any]
) -> None:
    """Two orders not offered hold the dress: the question comes again with those two, and nothing says
    "记下了，还需要您回答下面的问题" as if the answer were for a later question."""
    tracker = make_tracker({"requested_slot": "order_id"}, active_loop="order_form", events=[
        user_event(text, "inform", entities=[{"entity": "product", "value": "连衣裙"}], token=token_for(1))])
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ValidateOrderForm().run(dispatcher, tracker, domain))
    assert {"event": "slot", "timestamp": None, "name": "order_product", "value": "连衣裙"} in events
    assert dispatcher.messages == []


def test_a_product_typed_at_the_order_question_that_two_orders_hold_offers_those_two(domain: dict[str, Any]) -> None:
    """"T恤" at the return's order question: the question comes again with the two T恤 orders only;
    said again at that narrowed question, it is a tie (told so) rather than the same list in silence."""
    def typed(slots: dict[str, Any]) -> Any:
        return make_tracker({"requested_slot": "order_id", **slots}, active_loop="return_form", events=[
            user_event("T恤", "inform", entities=[{"entity": "product", "value": "T恤"}], token=token_for(1))])

    dispatcher = CollectingDispatcher()
    assert asyncio.run(ValidateReturnForm().extract_order_id(dispatcher, typed({}), domain)) == {"order_product": "T恤"}
    assert dispatcher.messages == []
    dispatcher = CollectingDispatcher()
    again = asyncio.run(ValidateReturnForm().extract_order_id(dispatcher, typed({"order_product": "T恤"}), domain))
    assert again == {"order_id": None} and names(dispatcher) == ["utter_order_choice_tied"]


def test_the_named_product_is_forgotten_when_the_flow_ends() -> None:
    assert "order_product" in FLOW_SLOTS


@pytest.mark.parametrize(("text", "intent", "product", "form", "token"), [
    ("裤子啥时候发货", "urge_shipment", "裤子", "urge_form", ""),  # anonymous: nothing was offered
    ("裤子啥时候发货", "urge_shipment", None, "urge_form", None),  # no product named
    ("裤子啥时候发货", "return_goods", "裤子", "urge_form", None),  # another flow's request
])
def test_a_product_that_chooses_no_single_order_extracts_nothing(
    text: str, intent: str, product: str | None, form: str, token: str | None, domain: dict[str, Any]
) -> None:
    dispatcher = CollectingDispatcher()
    form_action = {"order_form": ValidateOrderForm, "urge_form": ValidateUrgeForm,
                   "return_form": ValidateReturnForm}[form]()
    tracker = starting_with(text, intent, product, form, token)
    assert asyncio.run(form_action.extract_order_id(dispatcher, tracker, domain)) == {}
    assert dispatcher.messages == []


def test_two_offered_orders_hold_the_product_named(domain: dict[str, Any]) -> None:
    """The premise of the T恤 case above: both orders with a T恤 are offered for a return."""
    assert {DEMO_ORDERS["delivered_in_window"], DEMO_ORDERS["multi_item"]} <= set(offered("return_form", domain))


def test_ask_order_id_for_urge_form_offers_paid_orders(domain: dict[str, Any]) -> None:
    tracker = make_tracker(token=token_for(2), active_loop="urge_form")
    dispatcher, _ = run_action(ActionAskOrderId(), tracker, domain)
    buttons = message(dispatcher, "utter_choose_order")["buttons"]
    assert [b["title"].split()[0] for b in buttons] == [OTHER_CUSTOMER_ORDERS["ship_overdue"]]


def test_ask_order_id_without_token(domain: dict[str, Any]) -> None:
    dispatcher, _ = run_action(ActionAskOrderId(), make_tracker(), domain)
    assert names(dispatcher) == ["utter_ask_order_id"]
    assert dispatcher.messages[0]["buttons"] == []


def test_route_inform(domain: dict[str, Any]) -> None:
    entity = [{"entity": "order_id", "value": OWN}]
    tracker = make_tracker(events=[user_event(OWN, "inform", entity)])
    dispatcher, events = run_action(ActionRouteInform(), tracker, domain)
    assert events == [{"event": "followup", "name": "order_form", "timestamp": None}]
    assert dispatcher.messages == []
    dispatcher, events = run_action(ActionRouteInform(), make_tracker(events=[user_event("L码")]), domain)
    assert names(dispatcher) == ["utter_inform_without_context"]
    assert events == []
    # At a flow's question, words it could not take get a hint, not the menu of flows.
    tracker = make_tracker({"requested_slot": "reason"}, events=[user_event("穿着不合适")], active_loop="return_form")
    dispatcher, events = run_action(ActionRouteInform(), tracker, domain)
    assert names(dispatcher) == ["utter_inform_not_an_answer"] and events == []


def test_route_inform_offers_after_sales_for_a_problem_with_the_goods(domain: dict[str, Any]) -> None:
    reason = {"entity": "reason", "value": "wrong_item"}
    for entities in ([reason], [{"entity": "order_id", "value": OWN}, reason]):
        tracker = make_tracker({"reason": "wrong_item"}, events=[user_event("发错货了", "inform", entities)])
        dispatcher, events = run_action(ActionRouteInform(), tracker, domain)
        assert names(dispatcher) == ["utter_reason_without_flow"]
        assert events == []  # the reason (and order) slots were set from the message; the flow keeps them


def test_the_product_of_a_problem_chooses_the_order_of_the_flow_picked_next(domain: dict[str, Any]) -> None:
    """"耳机坏了 没声音" → [退货]: the product is kept like the reason, and the return chooses its order."""
    entities = [{"entity": "reason", "value": "quality"}, {"entity": "product", "value": "耳机"}]
    problem = make_tracker({"reason": "quality"}, events=[user_event("耳机坏了 没声音", "inform", entities,
                                                                  token=token_for(1))])
    _, events = run_action(ActionRouteInform(), problem, domain)
    assert events == [{"event": "slot", "timestamp": None, "name": "order_product", "value": "耳机"}]

    picked = make_tracker({"reason": "quality", "order_product": "耳机"}, active_loop="return_form",
                          events=[user_event("/return_goods", "return_goods", token=token_for(1))])
    dispatcher = CollectingDispatcher()
    extracted = asyncio.run(ValidateReturnForm().extract_order_id(dispatcher, picked, domain))
    assert extracted == {"order_id": DEMO_ORDERS["delivered_out_of_window"]}  # the one delivered 耳机 order
    assert "耳机" in message(dispatcher, "utter_order_chosen")["order"]


def test_a_product_only_an_order_the_flow_cannot_take_holds_is_named_with_that_order(domain: dict[str, Any]) -> None:
    """"手环能退吗" while the 手环 is on its way: which order it is, and that it cannot be returned yet."""
    dispatcher = CollectingDispatcher()
    tracker = starting_with("亲 手环能退吗", "return_goods", "手环", "return_form")
    assert asyncio.run(ValidateReturnForm().extract_order_id(dispatcher, tracker, domain)) == {}
    said = message(dispatcher, "utter_product_order_not_for_flow")
    assert (said["product"], said["order_no"]) == ("手环", DEMO_ORDERS["in_transit"]) and "退货" in said["flow"]


def test_a_product_none_of_the_flows_orders_holds_offers_them_all(domain: dict[str, Any]) -> None:
    """"牛仔裤到哪了" (two jeans orders, neither delivered), then 我要退货: the return offers its usual orders."""
    tracker = make_tracker({"order_product": "牛仔裤"}, token=token_for(1), active_loop="return_form")
    dispatcher, _ = run_action(ActionAskOrderId(), tracker, domain)
    assert [b["title"].split()[0] for b in message(dispatcher, "utter_choose_order")["buttons"]] == offered(
        "return_form", domain)


@pytest.mark.parametrize(("form", "intent", "text", "flow", "token"), [
    (ValidateReturnForm, "return_goods", "我要退货", "办理退货", None),
    (ValidateReturnForm, "return_goods", "退货啊", "办理退货", ""),  # anonymous: the number is asked again
    (ValidateOrderForm, "query_order", "查一下我的订单", "查询订单", None),
    (ValidateUrgeForm, "urge_shipment", "催一下发货", "催发货", None),
])
def test_the_flows_own_request_said_again_at_the_order_question_asks_it_again(
    form: Any, intent: str, text: str, flow: str, token: str | None, domain: dict[str, Any]
) -> None:
    """Rasa rejects a form that fills nothing and then finds no rule for its own request again ("这句我没
    能处理"): the shopper is told the flow is under way, and the unchanged slot keeps the form asking."""
    validation = form()
    tracker = typed_at_order_question(text, intent, form=validation.form_name(), token=token)
    dispatcher, events = run_action(validation, tracker, domain)
    assert names(dispatcher) == ["utter_flow_in_progress"]
    assert message(dispatcher, "utter_flow_in_progress")["flow"] == flow
    assert slot_sets(events) == {"order_id": None, "requested_slot": "order_id"}


def test_the_request_said_again_at_a_later_question_keeps_the_answers_given(domain: dict[str, Any]) -> None:
    order = DEMO_ORDERS["delivered_in_window"]
    slots = {"requested_slot": "reason", "order_id": order, "item_id": item_ids(order)[0]}
    tracker = make_tracker(slots, active_loop="return_form",
                           events=[user_event("我要退货", "return_goods", token=token_for(1))])
    dispatcher, events = run_action(ValidateReturnForm(), tracker, domain)
    assert names(dispatcher) == ["utter_flow_in_progress"]
    assert slot_sets(events) == {"reason": None, "requested_slot": "reason"}


@pytest.mark.parametrize(("text", "intent"), [("我要换货", "exchange_goods"), ("嗯嗯", "affirm")])
def test_other_words_at_the_order_question_are_not_taken_for_the_request_again(
    text: str, intent: str, domain: dict[str, Any]
) -> None:
    """Another flow's request starts that flow (the form rejects: no slot is set here)."""
    tracker = typed_at_order_question(text, intent)
    dispatcher, events = run_action(ValidateReturnForm(), tracker, domain)
    assert "utter_flow_in_progress" not in names(dispatcher)
    assert set(slot_sets(events)) <= {"requested_slot"}


def test_an_answer_to_a_later_question_is_kept_and_the_question_comes_again(domain: dict[str, Any]) -> None:
    """"XL" while the exchange asks which order: the size is kept (Rasa extracted it), the shopper is
    told so, and the order question follows; an answer to the question itself gets no such line."""
    token = token_for(1)
    size_given = [user_event("XL", "inform", entities=[{"entity": "size", "value": "XL"}], token=token),
                  {"event": "slot", "name": "size", "value": "XL"}]
    tracker = make_tracker({"requested_slot": "order_id", "size": "XL"}, events=size_given,
                           active_loop="exchange_form")
    dispatcher, events = run_action(ValidateExchangeForm(), tracker, domain)
    assert names(dispatcher) == ["utter_noted_question_again"]
    assert slot_sets(events) == {"size": "XL", "requested_slot": "order_id"}
    order = DEMO_ORDERS["delivered_in_window"]
    order_given = [user_event(order, "inform", entities=[{"entity": "order_id", "value": order}], token=token),
                   {"event": "slot", "name": "order_id", "value": order}]
    tracker = make_tracker({"requested_slot": "order_id", "order_id": order}, events=order_given,
                           active_loop="exchange_form")
    dispatcher, _ = run_action(ValidateExchangeForm(), tracker, domain)
    assert "utter_noted_question_again" not in names(dispatcher)


@pytest.mark.parametrize(("text", "colour"), [("ok white is fine", "白色"), ("那就白色吧", "白色")])
def test_a_colour_at_the_size_question_gets_no_question_again_line(text: str, colour: str,
                                                                    domain: dict[str, Any]) -> None:
    """A colour while the exchange asks for the size or colour answers it: the confirmation follows, never
    "I've noted that 👌 I still need your answer to this question:" before it (issue 35)."""
    token = token_for(1)
    order = DEMO_ORDERS["exchange_out_of_stock"]  # 跑步鞋 黑色 42: 白色 42 is in stock
    given = [user_event(text, "inform", entities=[{"entity": "color", "value": colour}], token=token),
             {"event": "slot", "name": "color", "value": colour}]
    tracker = make_tracker({"requested_slot": "size", "order_id": order, "item_id": item_ids(order)[0],
                            "color": colour}, events=given, active_loop="exchange_form")
    dispatcher, events = run_action(ValidateExchangeForm(), tracker, domain)
    assert "utter_noted_question_again" not in names(dispatcher)
    assert slot_sets(events)["color"] == colour


def test_where_is_my_order_offers_the_parcels_on_their_way_first(domain: dict[str, Any]) -> None:
    """"我的快递到哪了": the buttons start with the orders in transit, never with unpaid ones; "第二个"
    chooses the second button."""
    dispatcher, _ = run_action(ActionAskOrderId(), make_tracker(token=token_for(1), active_loop="order_form"), domain)
    buttons = message(dispatcher, "utter_choose_order")["buttons"]
    shown = [b["title"].split()[0] for b in buttons]
    assert shown[:3] == [DEMO_ORDERS["in_transit"], DEMO_ORDERS["in_transit_delayed"], DEMO_ORDERS["stuck"]]
    assert DEMO_ORDERS["awaiting_payment"] not in shown
    typed = make_tracker({"requested_slot": "order_id"}, events=[user_event("第二个", "inform", token=token_for(1))],
                         active_loop="order_form")
    chosen = asyncio.run(ValidateOrderForm().extract_order_id(CollectingDispatcher(), typed, domain))
    assert chosen == {"order_id": shown[1]}


def test_a_new_flow_does_not_take_the_last_flows_order_it_cannot_act_on(domain: dict[str, Any]) -> None:
    """A parcel on its way looked up, then "i wanna return smth": the return asks which order (offering
    delivered ones) instead of refusing the order just looked up; named, that order is refused."""
    before = [user_event(f"where is {OWN}", "query_order", token=token_for(1)),
              {"event": "slot", "name": "order_id", "value": OWN}, {"event": "action", "name": "action_show_order"}]
    events = [*before, user_event("i wanna retrun smth", "return_goods", token=token_for(1)),
              {"event": "active_loop", "name": "return_form"}, {"event": "slot", "name": "order_id", "value": OWN}]
    tracker = make_tracker({"order_id": OWN}, events=events, active_loop="return_form")
    dispatcher, result = validate(ValidateReturnForm(), "order_id", OWN, tracker, domain)
    assert dispatcher.messages == [] and result == {"order_id": None}
    dispatcher, _ = run_action(ActionAskOrderId(), tracker, domain)
    assert DEMO_ORDERS["delivered_in_window"] in all_text(dispatcher) and OWN not in all_text(dispatcher)
    # the order named in the message is the shopper's choice: refused with the reason
    named = [*before, user_event(f"return {OWN}", "return_goods", entities=[{"entity": "order_id", "value": OWN}],
                                 token=token_for(1)), {"event": "slot", "name": "order_id", "value": OWN}]
    tracker = make_tracker({"order_id": OWN}, events=named, active_loop="return_form")
    dispatcher, result = validate(ValidateReturnForm(), "order_id", OWN, tracker, domain)
    assert names(dispatcher) == ["utter_return_not_delivered"]
