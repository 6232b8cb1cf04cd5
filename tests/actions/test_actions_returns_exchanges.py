"""退货 and 换货: form validation against the backend, the confirmation summary, the write."""

from __future__ import annotations

import asyncio
import re
from decimal import Decimal
from typing import Any

import pytest
from actions_testkit import (
    all_text,
    assert_flow_reset,
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
from sqlalchemy import select, update

from actions.confirm import ActionAskConfirmed
from actions.exchanges import ActionSubmitExchange, ValidateExchangeForm
from actions.items import ActionAskItemId
from actions.returns import ActionSubmitReturn, ValidateReturnForm
from actions.wording import speaking
from shop.db import make_engine, session_scope
from shop.models import AfterSaleRequest, Order, Sku
from shop.seed import DEMO_ORDERS, OTHER_CUSTOMER_ORDERS

pytestmark = pytest.mark.usefixtures("shop_db")

IN_WINDOW = DEMO_ORDERS["delivered_in_window"]  # 纯棉圆领T恤 白色/M, paid 69.00 after a coupon


def requests_for(order_no: str) -> list[AfterSaleRequest]:
    with db_session() as session:
        stmt = select(AfterSaleRequest).join(Order).where(Order.order_no == order_no)
        found = list(session.execute(stmt).scalars())
        session.expunge_all()
        return found


def sku(code: str) -> Sku:
    with db_session() as session:
        found = session.execute(select(Sku).where(Sku.sku_code == code)).scalar_one()
        session.expunge(found)
        return found


def form_tracker(form: str, **slots: Any) -> Tracker:
    return make_tracker(slots, token=token_for(1), active_loop=form)


# --- return form -----------------------------------------------------------------------------

@pytest.mark.parametrize(("form_name", "form"), [("return_form", ValidateReturnForm),
                                                 ("exchange_form", ValidateExchangeForm)])
def test_the_item_named_with_the_order_is_not_asked_for(form_name: str, form: Any, domain: dict[str, Any]) -> None:
    order_no = DEMO_ORDERS["multi_item"]
    cup = item_ids(order_no)[2]
    named = [{"entity": "product", "value": "保温杯"}, {"entity": "product", "value": "保温杯"}]  # two extractors
    tracker = make_tracker(events=[user_event(f"保温杯那单 {order_no}", "inform", entities=named,
                                              token=token_for(1))], token=token_for(1), active_loop=form_name)
    _, result = validate(form(), "order_id", order_no, tracker, domain)
    assert result["item_id"] == cup
    both = [{"entity": "product", "value": "T恤"}, {"entity": "product", "value": "保温杯"}]
    tracker = make_tracker(events=[user_event(f"T恤和保温杯 {order_no}", "inform", entities=both,
                                              token=token_for(1))], token=token_for(1), active_loop=form_name)
    _, result = validate(form(), "order_id", order_no, tracker, domain)
    assert "item_id" not in result  # two items named: the question says which one at a time
    tracker.slots.update(order_id=order_no, requested_slot="item_id")
    dispatcher, _ = run_action(ActionAskItemId(), tracker, domain)
    assert names(dispatcher) == ["utter_item_one_at_a_time", "utter_ask_item_id"]
    assert len(dispatcher.messages[1]["buttons"]) == 3
    one = make_tracker({"order_id": order_no}, events=[user_event(f"我要退货 {order_no}", "return_goods",
                                                                   token=token_for(1))], active_loop=form_name)
    assert names(run_action(ActionAskItemId(), one, domain)[0]) == ["utter_ask_item_id"]


def test_single_item_order_chooses_the_item(domain: dict[str, Any]) -> None:
    form = ValidateReturnForm()
    tracker = form_tracker("return_form")
    dispatcher, result = validate(form, "order_id", IN_WINDOW, tracker, domain)
    assert dispatcher.messages == []
    assert result == {"order_id": IN_WINDOW, "item_id": item_ids(IN_WINDOW)[0]}
    assert required_slots(form, tracker, domain) == ["order_id", "item_id", "reason", "confirmed"]


def test_multi_item_order_asks_which_item(domain: dict[str, Any]) -> None:
    form = ValidateReturnForm()
    order_no = DEMO_ORDERS["multi_item"]
    tracker = form_tracker("return_form")
    _, result = validate(form, "order_id", order_no, tracker, domain)
    assert result == {"order_id": order_no}
    dispatcher, _ = run_action(ActionAskItemId(), tracker, domain)
    buttons = message(dispatcher, "utter_ask_item_id")["buttons"]
    ids = item_ids(order_no)
    assert [b["payload"] for b in buttons] == [f'/inform{{"item_id": "{i}"}}' for i in ids]
    assert buttons[0]["title"] == "纯棉圆领T恤 黑色/L"
    dispatcher, result = validate(form, "item_id", tap_item(tracker, item_ids(IN_WINDOW)[0]), tracker, domain)
    assert names(dispatcher) == ["utter_item_not_in_order"]  # a button of another order
    assert result == {"item_id": None}
    dispatcher, result = validate(form, "item_id", tap_item(tracker, ids[1]), tracker, domain)
    assert dispatcher.messages == [] and result == {"item_id": ids[1]}


def tap_item(tracker: Tracker, item_id: str) -> str:
    """The shopper taps an item's button: its payload carries the id as an entity."""
    tracker.latest_message = {"text": f'/inform{{"item_id": "{item_id}"}}', "intent": {"name": "inform"},
                              "entities": [{"entity": "item_id", "value": item_id}]}
    return item_id


def type_text(tracker: Tracker, text: str) -> str:
    tracker.latest_message = {"text": text, "intent": {"name": "nlu_fallback"}, "entities": []}
    return text


@pytest.mark.parametrize(("typed", "index"), [
    ("保温杯", 2), ("要退的是那个洗面奶", 1), ("黑色那件", 0), ("T恤", 0), ("第二个", 1), ("2", 1), ("第3件", 2),
    ("最后那个", 2), ("就要第一个吧", 0), ("手机壳", None), ("第五个", None), ("那个", None),
    ("T恤和保温杯", "several"),
])
def test_an_item_can_be_named_instead_of_tapped(domain: dict[str, Any], typed: str, index: int | str | None) -> None:
    order_no = DEMO_ORDERS["multi_item"]
    for form in (ValidateReturnForm(), ValidateExchangeForm()):
        tracker = form_tracker(form.name().removeprefix("validate_"))
        validate(form, "order_id", order_no, tracker, domain)
        dispatcher, result = validate(form, "item_id", type_text(tracker, typed), tracker, domain)
        if index == "several":  # two items named: one at a time
            assert names(dispatcher) == ["utter_item_one_at_a_time"] and result == {"item_id": None}
        elif index is None:  # fits no item: asked to tap one, nothing chosen
            assert names(dispatcher) == ["utter_item_unclear"] and result == {"item_id": None}
        else:
            assert result["item_id"] == item_ids(order_no)[index]


@pytest.mark.parametrize(("typed", "intent", "entities", "index"), [
    ("the black one", "greet", [{"entity": "color", "value": "黑色"}], 0),  # read as a greeting
    ("the cup please", "thank", [{"entity": "product", "value": "保温杯"}], 2),
    ("the second one", "goodbye", [], 1),
    ("hi", "greet", [], None),  # names nothing: not taken
    ("the pink one", "greet", [{"entity": "color", "value": "粉色"}], "unclear"),  # no pink item
])
def test_an_item_can_be_chosen_in_english(
    domain: dict[str, Any], typed: str, intent: str, entities: list[dict[str, str]], index: int | str | None
) -> None:
    """The items are described in Chinese (纯棉圆领T恤 黑色/L): the colour or product the NLU maps the
    English words to chooses, even when the message is read as a greeting (the slot mappings skip those)."""
    order_no = DEMO_ORDERS["multi_item"]
    for form in (ValidateReturnForm(), ValidateExchangeForm()):
        tracker = form_tracker(form.name().removeprefix("validate_"))
        validate(form, "order_id", order_no, tracker, domain)
        tracker.slots["requested_slot"] = "item_id"
        tracker.latest_message = {"text": typed, "intent": {"name": intent}, "entities": entities}
        extracted = asyncio.run(form.extract_item_id(CollectingDispatcher(), tracker, domain))
        if index is None:
            assert extracted == {}
            continue
        assert extracted == {"item_id": typed}
        dispatcher, result = validate(form, "item_id", typed, tracker, domain)
        if index == "unclear":
            assert names(dispatcher) == ["utter_item_unclear"] and result == {"item_id": None}
        else:
            assert result["item_id"] == item_ids(order_no)[index]


@pytest.mark.parametrize(("typed", "asks"), [
    ("这个保温杯能装开水吗", True), ("保温杯？", True), ("保温杯", False), ("保温杯吧", False),
])
def test_a_product_question_at_the_item_question_is_answered_not_taken(
    domain: dict[str, Any], typed: str, asks: bool
) -> None:
    order_no = DEMO_ORDERS["multi_item"]
    for form in (ValidateReturnForm(), ValidateExchangeForm()):
        tracker = form_tracker(form.name().removeprefix("validate_"))
        validate(form, "order_id", order_no, tracker, domain)
        tracker.latest_message = {"text": typed, "intent": {"name": "product_inquiry"}, "entities": [],
                                  "response_selector": {"product_inquiry": {"response": {
                                      "intent_response_key": "product_inquiry/specs"}}}}
        dispatcher, result = validate(form, "item_id", typed, tracker, domain)
        if asks:
            assert names(dispatcher) == ["utter_product_inquiry/specs"] and result == {"item_id": None}
        else:
            assert result["item_id"] == item_ids(order_no)[2]


def test_quality_reason_needs_a_photo(domain: dict[str, Any]) -> None:
    form = ValidateReturnForm()
    tracker = form_tracker("return_form")
    validate(form, "order_id", IN_WINDOW, tracker, domain)
    dispatcher, result = validate(form, "reason", "quality", tracker, domain)
    assert dispatcher.messages == [] and result == {"reason": "quality"}
    assert required_slots(form, tracker, domain) == ["order_id", "item_id", "reason", "evidence_url", "confirmed"]
    dispatcher, result = validate(form, "evidence_url", "就是这张图", tracker, domain)
    assert names(dispatcher) == ["utter_evidence_url_invalid"] and result == {"evidence_url": None}
    _, result = validate(form, "evidence_url", "图片：https://img.example.com/a.jpg，请看", tracker, domain)
    assert result == {"evidence_url": "https://img.example.com/a.jpg"}


def test_return_window_expired(domain: dict[str, Any]) -> None:
    form = ValidateReturnForm()
    tracker = form_tracker("return_form")
    validate(form, "order_id", DEMO_ORDERS["delivered_out_of_window"], tracker, domain)
    dispatcher, result = validate(form, "reason", "no_reason", tracker, domain)
    assert names(dispatcher) == ["utter_return_window_expired"]
    assert message(dispatcher, "utter_return_window_expired")["deadline"]
    assert result == {"reason": "no_reason", "flow_blocked": True}
    assert required_slots(form, tracker, domain) == []


def test_quality_return_allowed_after_no_reason_window(domain: dict[str, Any]) -> None:
    form = ValidateReturnForm()
    tracker = form_tracker("return_form")
    validate(form, "order_id", DEMO_ORDERS["delivered_out_of_window"], tracker, domain)
    dispatcher, result = validate(form, "reason", "quality", tracker, domain)
    assert dispatcher.messages == [] and result == {"reason": "quality"}


@pytest.mark.parametrize("order_key", ["fresh_food", "custom_made"])
def test_not_returnable_category(order_key: str, domain: dict[str, Any]) -> None:
    form = ValidateReturnForm()
    tracker = form_tracker("return_form")
    validate(form, "order_id", DEMO_ORDERS[order_key], tracker, domain)
    dispatcher, result = validate(form, "reason", "no_reason", tracker, domain)
    assert names(dispatcher) == ["utter_return_category_not_returnable"]
    assert result["flow_blocked"] is True


def test_size_mismatch_counts_as_no_reason(domain: dict[str, Any]) -> None:
    form = ValidateReturnForm()
    tracker = form_tracker("return_form")
    validate(form, "order_id", DEMO_ORDERS["fresh_food"], tracker, domain)
    dispatcher, _ = validate(form, "reason", "size_mismatch", tracker, domain)
    assert names(dispatcher) == ["utter_return_category_not_returnable"]


@pytest.mark.parametrize("reason", ["太贵了", "other"])
def test_unmapped_reason_counts_as_no_reason(reason: str, domain: dict[str, Any]) -> None:
    """A reason the synonyms do not map must not end the flow with "order not found"."""
    form = ValidateReturnForm()
    tracker = form_tracker("return_form")
    validate(form, "order_id", IN_WINDOW, tracker, domain)
    dispatcher, result = validate(form, "reason", reason, tracker, domain)
    assert dispatcher.messages == [] and result == {"reason": reason}
    dispatcher, _ = run_action(ActionAskConfirmed(), tracker, domain)
    assert message(dispatcher, "utter_confirm_return")["refund_amount"] == "69.00"


def test_return_already_in_progress_is_refused_before_the_reason_is_asked(domain: dict[str, Any]) -> None:
    form = ValidateReturnForm()
    tracker = form_tracker("return_form")
    dispatcher, result = validate(form, "order_id", DEMO_ORDERS["return_in_progress"], tracker, domain)
    assert names(dispatcher) == ["utter_return_already_requested"]
    assert result["flow_blocked"] is True
    assert required_slots(form, tracker, domain) == []  # no reason asked for nothing


def validate_form_opened_with(
    form: Any, text: str, intent: str, slots: dict[str, Any], domain: dict[str, Any]
) -> tuple[CollectingDispatcher, dict[str, Any]]:
    """A form that starts with several slots known from its first message: the SDK validates each."""
    events = [user_event(text, intent, token=token_for(1)),
              *({"event": "slot", "name": name, "value": value} for name, value in slots.items())]
    tracker = make_tracker(slots, events=events, active_loop=form.form_name())
    dispatcher = CollectingDispatcher()
    return dispatcher, slot_sets(asyncio.run(form.get_validation_events(dispatcher, tracker, domain)))


def test_return_starting_with_order_and_reason_is_refused_once(domain: dict[str, Any]) -> None:
    order_no = DEMO_ORDERS["fresh_food"]
    dispatcher, slots = validate_form_opened_with(ValidateReturnForm(), f"退货 {order_no} 不想要了", "return_goods",
                                                  {"order_id": order_no, "reason": "no_reason"}, domain)
    assert names(dispatcher) == ["utter_return_category_not_returnable"]
    assert slots["flow_blocked"] is True


@pytest.mark.parametrize(("order_key", "why"), [("in_transit", "not_delivered"), ("packing", "not_delivered"),
                                              ("cancelled", "order_cancelled")])
@pytest.mark.parametrize("flow", ["return", "exchange"])
def test_return_or_exchange_before_delivery_or_of_a_cancelled_order(
    flow: str, order_key: str, why: str, domain: dict[str, Any]
) -> None:
    form = ValidateReturnForm() if flow == "return" else ValidateExchangeForm()
    tracker = form_tracker(f"{flow}_form")
    dispatcher, result = validate(form, "order_id", DEMO_ORDERS[order_key], tracker, domain)
    assert names(dispatcher) == [f"utter_{flow}_{why}"]  # in the flow's own words
    assert result == {"order_id": DEMO_ORDERS[order_key], "flow_blocked": True}


def test_return_of_other_customers_order(domain: dict[str, Any]) -> None:
    tracker = form_tracker("return_form")
    order_no = OTHER_CUSTOMER_ORDERS["delivered_in_window"]
    dispatcher, result = validate(ValidateReturnForm(), "order_id", order_no, tracker, domain)
    assert names(dispatcher) == ["utter_order_not_found"]
    assert result == {"order_id": None}


def confirmed_return(reason: str, **extra: Any) -> Tracker:
    return form_tracker("return_form", order_id=IN_WINDOW, item_id=item_ids(IN_WINDOW)[0], reason=reason, **extra)


def test_confirm_return_summary(domain: dict[str, Any]) -> None:
    dispatcher, events = run_action(ActionAskConfirmed(), confirmed_return("no_reason"), domain)
    assert events == []
    reply = message(dispatcher, "utter_confirm_return")
    assert reply["order_no"] == IN_WINDOW
    assert reply["item"] == "纯棉圆领T恤"
    assert reply["reason"] == "七天无理由"
    assert reply["refund_amount"] == "69.00"
    assert reply["compensation"] == ""


def test_confirm_quality_return_mentions_compensation(domain: dict[str, Any]) -> None:
    tracker = confirmed_return("quality", evidence_url="https://img.example.com/a.jpg")
    dispatcher, _ = run_action(ActionAskConfirmed(), tracker, domain)
    reply = message(dispatcher, "utter_confirm_return")
    assert reply["reason"] == "质量问题"
    assert reply["compensation"] == "，另补偿运费 ¥10.00"


def test_submit_no_reason_return_once(domain: dict[str, Any]) -> None:
    tracker = confirmed_return("no_reason", confirmed=True)
    dispatcher, events = run_action(ActionSubmitReturn(), tracker, domain)
    assert names(dispatcher) == ["utter_return_created_pickup"]
    created = message(dispatcher, "utter_return_created_pickup")
    assert created["refund_amount"] == "69.00" and created["request_no"].startswith("AS")
    assert_flow_reset(events)
    dispatcher, _ = run_action(ActionSubmitReturn(), tracker, domain)
    assert names(dispatcher) == ["utter_return_exists"]
    assert message(dispatcher, "utter_return_exists")["request_no"] == created["request_no"]
    assert message(dispatcher, "utter_return_exists")["status"] == "审核通过，待寄回"
    [request] = requests_for(IN_WINDOW)
    assert (request.type, request.status, request.reason_kind) == ("return", "approved", "no_reason")
    assert request.refund_amount == Decimal("69.00")


def test_submit_quality_return_once(domain: dict[str, Any]) -> None:
    tracker = confirmed_return("quality", evidence_url="https://img.example.com/a.jpg", confirmed=True)
    dispatcher, _ = run_action(ActionSubmitReturn(), tracker, domain)
    assert names(dispatcher) == ["utter_return_created"]
    created = message(dispatcher, "utter_return_created")
    assert created["refund_amount"] == "69.00" and "退货仓" in created["return_address"]
    dispatcher, _ = run_action(ActionSubmitReturn(), tracker, domain)
    assert names(dispatcher) == ["utter_return_exists"]
    assert message(dispatcher, "utter_return_exists")["status"] == "已申请，待审核"
    [request] = requests_for(IN_WINDOW)
    assert request.evidence_urls == ["https://img.example.com/a.jpg"]
    assert request.reason_text == "质量问题"
    assert count_rows(AfterSaleRequest, AfterSaleRequest.order_id == request.order_id) == 1


@pytest.mark.parametrize("extra", [{"confirmed": None}, {"confirmed": False},
                                   {"confirmed": True, "flow_blocked": True}])
def test_submit_return_without_confirmation_writes_nothing(extra: dict[str, Any], domain: dict[str, Any]) -> None:
    dispatcher, events = run_action(ActionSubmitReturn(), confirmed_return("no_reason", **extra), domain)
    assert dispatcher.messages == []
    assert_flow_reset(events)
    assert requests_for(IN_WINDOW) == []


def test_submit_return_anonymous_writes_nothing(domain: dict[str, Any]) -> None:
    tracker = make_tracker({"order_id": IN_WINDOW, "item_id": item_ids(IN_WINDOW)[0], "reason": "no_reason",
                            "confirmed": True}, active_loop="return_form")
    dispatcher, _ = run_action(ActionSubmitReturn(), tracker, domain)
    assert dispatcher.messages == []
    assert requests_for(IN_WINDOW) == []


def test_submit_quality_return_without_photo_is_refused(domain: dict[str, Any]) -> None:
    dispatcher, _ = run_action(ActionSubmitReturn(), confirmed_return("quality", confirmed=True), domain)
    assert names(dispatcher) == ["utter_return_not_eligible"]
    assert message(dispatcher, "utter_return_not_eligible")["code"] == "evidence_required"
    assert requests_for(IN_WINDOW) == []


# --- exchange form ---------------------------------------------------------------------------

def exchange_tracker(order_no: str = IN_WINDOW) -> tuple[ValidateExchangeForm, Tracker, dict[str, Any]]:
    form = ValidateExchangeForm()
    tracker = form_tracker("exchange_form")
    return form, tracker, {}


def test_exchange_size_up_quote(domain: dict[str, Any]) -> None:
    form, tracker, _ = exchange_tracker()
    dispatcher, result = validate(form, "order_id", IN_WINDOW, tracker, domain)
    assert dispatcher.messages == []
    assert result == {"order_id": IN_WINDOW, "item_id": item_ids(IN_WINDOW)[0]}
    assert required_slots(form, tracker, domain) == ["order_id", "item_id", "size", "confirmed"]
    dispatcher, result = validate(form, "size", "+1", tracker, domain)
    assert dispatcher.messages == [] and result == {"size": "+1"}
    dispatcher, _ = run_action(ActionAskConfirmed(), tracker, domain)
    reply = message(dispatcher, "utter_confirm_exchange")
    assert (reply["order_no"], reply["item"], reply["target"]) == (IN_WINDOW, "纯棉圆领T恤", "白色 L")
    assert reply["difference"] == "无需补差价"


def test_exchange_quote_with_price_difference(domain: dict[str, Any]) -> None:
    with session_scope(make_engine()) as session:
        session.execute(update(Sku).where(Sku.sku_code == "TS-WHT-L").values(price=Decimal("89.00")))
    tracker = form_tracker("exchange_form", order_id=IN_WINDOW, item_id=item_ids(IN_WINDOW)[0], size="+1")
    dispatcher, _ = run_action(ActionAskConfirmed(), tracker, domain)
    assert message(dispatcher, "utter_confirm_exchange")["difference"] == "需补差价 ¥10.00"
    tracker.slots["size"] = "S"
    with session_scope(make_engine()) as session:
        session.execute(update(Sku).where(Sku.sku_code == "TS-WHT-S").values(price=Decimal("69.50")))
    dispatcher, _ = run_action(ActionAskConfirmed(), tracker, domain)
    assert message(dispatcher, "utter_confirm_exchange")["difference"] == "差价 ¥9.50 将退还给您"


def test_exchange_colour_only(domain: dict[str, Any]) -> None:
    form, tracker, _ = exchange_tracker()
    validate(form, "order_id", IN_WINDOW, tracker, domain)
    dispatcher, result = validate(form, "color", "黑色", tracker, domain)
    assert dispatcher.messages == [] and result == {"color": "黑色"}
    assert "size" not in required_slots(form, tracker, domain)


def test_exchange_out_of_stock_clears_target(domain: dict[str, Any]) -> None:
    form, tracker, _ = exchange_tracker()
    order_no = DEMO_ORDERS["exchange_out_of_stock"]  # 跑步鞋 黑色 42; 43 is sold out
    validate(form, "order_id", order_no, tracker, domain)
    dispatcher, result = validate(form, "size", "+1", tracker, domain)
    assert names(dispatcher) == ["utter_exchange_out_of_stock"]
    assert message(dispatcher, "utter_exchange_out_of_stock")["target"] == "黑色 43"  # not "+1"
    assert result == {"size": None, "color": None}
    dispatcher, result = validate(form, "size", "44", tracker, domain)
    assert dispatcher.messages == [] and result == {"size": "44"}


def test_exchange_starting_with_order_and_a_sold_out_size_says_so_once(domain: dict[str, Any]) -> None:
    order_no = DEMO_ORDERS["exchange_out_of_stock"]
    dispatcher, slots = validate_form_opened_with(ValidateExchangeForm(), f"订单{order_no}想换大一码", "exchange_goods",
                                                  {"order_id": order_no, "size": "+1"}, domain)
    assert names(dispatcher) == ["utter_exchange_out_of_stock"]
    assert slots["size"] is None and slots["item_id"] == item_ids(order_no)[0]


def test_exchange_unknown_and_same_size(domain: dict[str, Any]) -> None:
    form, tracker, _ = exchange_tracker()
    validate(form, "order_id", IN_WINDOW, tracker, domain)
    dispatcher, result = validate(form, "size", "XXXL", tracker, domain)
    assert names(dispatcher) == ["utter_exchange_sku_not_found"]
    assert result == {"size": None, "color": None}
    dispatcher, result = validate(form, "size", "M", tracker, domain)
    assert names(dispatcher) == ["utter_exchange_same_sku"]
    assert result == {"size": None, "color": None}


@pytest.mark.parametrize(("order_key", "why"), [("delivered_out_of_window", "utter_exchange_window_expired"),
                                              ("fresh_food", "utter_exchange_category_not_returnable"),
                                              ("completed", "utter_exchange_window_expired")])
def test_exchange_not_eligible(order_key: str, why: str, domain: dict[str, Any]) -> None:
    form, tracker, _ = exchange_tracker()
    dispatcher, result = validate(form, "order_id", DEMO_ORDERS[order_key], tracker, domain)
    assert names(dispatcher) == [why]  # the reason in the shopper's terms, never a code
    assert result["flow_blocked"] is True
    assert required_slots(form, tracker, domain) == []


def test_exchange_of_an_item_already_in_after_sales(domain: dict[str, Any]) -> None:
    form, tracker, _ = exchange_tracker()
    dispatcher, result = validate(form, "order_id", DEMO_ORDERS["return_in_progress"], tracker, domain)
    assert names(dispatcher) == ["utter_exchange_already_requested"]
    assert result["flow_blocked"] is True


def test_submit_exchange_reserves_once(domain: dict[str, Any]) -> None:
    before = sku("TS-WHT-L")
    tracker = form_tracker("exchange_form", order_id=IN_WINDOW, item_id=item_ids(IN_WINDOW)[0], size="+1",
                           confirmed=True)
    dispatcher, events = run_action(ActionSubmitExchange(), tracker, domain)
    assert names(dispatcher) == ["utter_exchange_created"]
    created = message(dispatcher, "utter_exchange_created")
    assert created["request_no"].startswith("AS") and created["target"] == "白色 L"  # not "+1"
    assert_flow_reset(events)
    dispatcher, _ = run_action(ActionSubmitExchange(), tracker, domain)
    assert names(dispatcher) == ["utter_exchange_exists"]
    assert message(dispatcher, "utter_exchange_exists")["request_no"] == created["request_no"]
    after = sku("TS-WHT-L")
    assert after.reserved == before.reserved + 1
    [request] = requests_for(IN_WINDOW)
    assert request.type == "exchange"


def test_submit_exchange_not_confirmed_reserves_nothing(domain: dict[str, Any]) -> None:
    tracker = form_tracker("exchange_form", order_id=IN_WINDOW, item_id=item_ids(IN_WINDOW)[0], size="+1")
    dispatcher, _ = run_action(ActionSubmitExchange(), tracker, domain)
    assert dispatcher.messages == []
    assert sku("TS-WHT-L").reserved == 0
    assert requests_for(IN_WINDOW) == []


def test_submit_exchange_sold_out_meanwhile(domain: dict[str, Any]) -> None:
    with session_scope(make_engine()) as session:
        session.execute(update(Sku).where(Sku.sku_code == "TS-WHT-L").values(stock=0))
    tracker = form_tracker("exchange_form", order_id=IN_WINDOW, item_id=item_ids(IN_WINDOW)[0], size="L",
                           confirmed=True)
    dispatcher, _ = run_action(ActionSubmitExchange(), tracker, domain)
    assert names(dispatcher) == ["utter_exchange_out_of_stock"]
    assert message(dispatcher, "utter_exchange_out_of_stock")["target"] == "白色 L"
    assert requests_for(IN_WINDOW) == []
    assert "5678" not in all_text(dispatcher)



def test_exchange_after_a_sold_out_size_keeps_that_size_for_another_colour(domain: dict[str, Any]) -> None:
    """"想换大一码" (黑色 43: sold out), then "那换白色的吧": 白色 43, never 白色 42 (issue 30)."""
    order_no = DEMO_ORDERS["exchange_out_of_stock"]
    token = token_for(1)
    first = user_event(f"订单{order_no}想换大一码", "exchange_goods", token=token,
                       entities=[{"entity": "order_id", "value": order_no}, {"entity": "size", "value": "+1"}])
    events = [first, {"event": "active_loop", "name": "exchange_form"},
              user_event("那换白色的吧", "inform", entities=[{"entity": "color", "value": "白色", "start": 2}],
                         token=token)]
    tracker = make_tracker({"order_id": order_no, "item_id": item_ids(order_no)[0], "color": "白色"}, events=events,
                           token=token, active_loop="exchange_form")
    dispatcher, result = validate(ValidateExchangeForm(), "color", "白色", tracker, domain)
    assert dispatcher.messages == [] and result == {"color": "白色", "size": "+1"}
    dispatcher, _ = run_action(ActionAskConfirmed(), tracker, domain)
    assert message(dispatcher, "utter_confirm_exchange")["target"] == "白色 43"


def test_exchange_size_step_in_english_first_message_is_kept(domain: dict[str, Any]) -> None:
    """"I want to exchange order … for one size bigger" (no size entity from the NLU): the item is chosen and
    the size is +1, the question is not asked; the confirmation says the size written (issue 35)."""
    token = token_for(1)
    first = user_event(f"I want to exchange order {IN_WINDOW} for one size bigger", "exchange_goods", token=token,
                       entities=[{"entity": "order_id", "value": IN_WINDOW}])
    tracker = make_tracker(events=[first], token=token, active_loop="exchange_form")
    form = ValidateExchangeForm()
    dispatcher, result = validate(form, "order_id", IN_WINDOW, tracker, domain)
    assert dispatcher.messages == [] and result["size"] == "+1" and result["item_id"] == item_ids(IN_WINDOW)[0]
    assert [slot for slot in required_slots(form, tracker, domain) if not tracker.get_slot(slot)] == ["confirmed"]
    dispatcher, _ = run_action(ActionAskConfirmed(), tracker, domain)
    assert message(dispatcher, "utter_confirm_exchange")["target"] == "白色 L"
    tracker.slots.update(confirmed=True, reason="size_mismatch")
    dispatcher, _ = run_action(ActionSubmitExchange(), tracker, domain)
    assert message(dispatcher, "utter_exchange_created")["target"] == "白色 L"
    [request] = requests_for(IN_WINDOW)
    assert request.target_sku_id == sku("TS-WHT-L").id and request.reason_text == "尺码不合适"


@pytest.mark.parametrize("wish", ["the shoes are too small, I need one size up", "I need a bigger size",
                                  "it's too small, I'm after a size up"])
def test_exchange_english_size_step_then_a_colour_keeps_the_step(wish: str, domain: dict[str, Any]) -> None:
    """"…I need one size up" (黑色 43 sold out), then "ok white is fine": 白色 43, never 白色 42 (issue 35)."""
    order_no = DEMO_ORDERS["exchange_out_of_stock"]
    token = token_for(1)
    first = user_event(f"I'd like to exchange order {order_no}, {wish}", "exchange_goods", token=token,
                       entities=[{"entity": "order_id", "value": order_no}])
    tracker = make_tracker(events=[first], token=token, active_loop="exchange_form")
    form = ValidateExchangeForm()
    dispatcher, result = validate(form, "order_id", order_no, tracker, domain)
    assert names(dispatcher) == ["utter_exchange_out_of_stock"]
    assert message(dispatcher, "utter_exchange_out_of_stock")["target"] == "黑色 43"
    events = [first, {"event": "active_loop", "name": "exchange_form"},
              user_event("ok white is fine", "inform", entities=[{"entity": "color", "value": "白色", "start": 3}],
                         token=token)]
    tracker = make_tracker({"order_id": order_no, "item_id": result["item_id"], "color": "白色"}, events=events,
                           token=token, active_loop="exchange_form")
    dispatcher, result = validate(form, "color", "白色", tracker, domain)
    assert dispatcher.messages == [] and result == {"color": "白色", "size": "+1"}
    dispatcher, _ = run_action(ActionAskConfirmed(), tracker, domain)
    assert message(dispatcher, "utter_confirm_exchange")["target"] == "白色 43"


def test_a_size_asked_about_before_the_exchange_is_no_wish_of_it(domain: dict[str, Any]) -> None:
    """"should I get a bigger size?" (a product question), later "I want to exchange order …": the size
    question is asked, nothing is taken from the earlier question."""
    token = token_for(1)
    events = [user_event("should I get a bigger size?", "product_inquiry", token=token),
              user_event(f"I want to exchange order {IN_WINDOW}", "exchange_goods", token=token,
                         entities=[{"entity": "order_id", "value": IN_WINDOW}]),
              {"event": "active_loop", "name": "exchange_form"}]
    tracker = make_tracker(events=events, token=token, active_loop="exchange_form")
    dispatcher, result = validate(ValidateExchangeForm(), "order_id", IN_WINDOW, tracker, domain)
    assert dispatcher.messages == [] and "size" not in result


def test_exchange_target_and_pickup_are_worded_in_english(domain: dict[str, Any]) -> None:
    """In English, a colour the product lacks is "black", never 黑色; the pickup slot "Dec 9, 09:00–12:00",
    never 2026-12-09 09:00-12:00 (issue 35)."""
    order_no = DEMO_ORDERS["multi_item"]
    tracker = make_tracker({"order_id": order_no, "item_id": item_ids(order_no)[2], "language": "en"},
                           token=token_for(1), active_loop="exchange_form")  # the flask: silver only
    with speaking("en", domain):
        dispatcher, result = validate(ValidateExchangeForm(), "color", "黑色", tracker, domain)
    assert message(dispatcher, "utter_exchange_sku_not_found")["target"] == "black"
    tracker = confirmed_return("no_reason", confirmed=True, language="en")
    with speaking("en", domain):
        dispatcher, _ = run_action(ActionSubmitReturn(), tracker, domain)
    slot = message(dispatcher, "utter_return_created_pickup")["pickup_slot"]
    assert re.fullmatch(r"[A-Z][a-z]{2} \d{1,2}, 09:00–12:00", slot), slot


def test_exchange_colour_named_last_is_the_one_asked(domain: dict[str, Any]) -> None:
    """"黑的没43了 那换白色的43码": the first colour is what is sold out, the last one is asked for."""
    order_no = DEMO_ORDERS["exchange_out_of_stock"]
    token = token_for(1)
    said = [{"entity": "color", "value": "黑色", "start": 0}, {"entity": "size", "value": "43", "start": 3},
            {"entity": "color", "value": "白色", "start": 9}, {"entity": "size", "value": "43", "start": 12}]
    events = [user_event("黑的没43了 那换白色的43码", "inform", entities=said, token=token)]
    tracker = make_tracker({"order_id": order_no, "item_id": item_ids(order_no)[0], "color": "黑色", "size": "43"},
                           events=events, token=token, active_loop="exchange_form")
    form = ValidateExchangeForm()
    _, result = validate(form, "color", "黑色", tracker, domain)
    assert result == {"color": "白色", "size": "43"}


def test_another_flows_request_with_its_own_order_is_rejected_by_the_form(domain: dict[str, Any]) -> None:
    """"插一句 我另一单8800… 现在到哪了" while the exchange asks for the size: the exchange does not take that
    order (it would refuse it as not delivered); the form rejects the message and the lookup starts."""
    import asyncio

    from rasa_sdk.events import ActionExecutionRejected

    order_no, other = DEMO_ORDERS["exchange_out_of_stock"], DEMO_ORDERS["in_transit"]
    token = token_for(1)
    asked = user_event(f"插一句 我另一单{other}现在到哪了", "query_order", token=token,
                       entities=[{"entity": "order_id", "value": other}])
    tracker = make_tracker({"order_id": other, "item_id": item_ids(order_no)[0], "requested_slot": "size"},
                           events=[asked], token=token, active_loop="exchange_form")
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ValidateExchangeForm().get_validation_events(dispatcher, tracker, domain))
    assert events == [ActionExecutionRejected("exchange_form")] and dispatcher.messages == []
    tracker.latest_message["intent"] = {"name": "inform"}  # an answer naming an order stays the form's
    events = asyncio.run(ValidateExchangeForm().get_validation_events(CollectingDispatcher(), tracker, domain))
    assert ActionExecutionRejected("exchange_form") not in events
