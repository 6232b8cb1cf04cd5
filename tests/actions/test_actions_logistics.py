"""物流问题: the tracking picks the path; claims and delivery-problem reports are confirmed and written once."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from actions_testkit import (
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

from actions.confirm import ActionAskConfirmed
from actions.items import ActionAskItemId
from actions.logistics import (
    ActionAskMissingQuantity,
    ActionSubmitLogistics,
    ValidateLogisticsForm,
    problem_from_text,
    quantity_from_text,
    remedy_from_text,
)
from actions.orders import ActionAskOrderId
from shop.models import AfterSaleRequest, Claim, DeliveryIssue, DeliveryIssueItem, Order, OrderItem
from shop.seed import DEMO_ORDERS, OTHER_CUSTOMER_ORDERS

pytestmark = pytest.mark.usefixtures("shop_db")

STUCK = DEMO_ORDERS["stuck"]
DELIVERED = DEMO_ORDERS["delivered_in_window"]  # T恤, paid 69.00
PHOTO = "https://img.example.com/box.jpg"


def form_tracker(text: str = "物流有问题", entities: list[dict[str, Any]] | None = None,
                 token: str | None = None, **slots: Any) -> Tracker:
    token = token or token_for(1)
    events = [user_event(text, "logistics_issue", entities=entities, token=token)]
    return make_tracker(slots, events=events, token=token, active_loop="logistics_form")


def claims(order_no: str) -> int:
    return count_rows(Claim, Claim.order_id == Order.id, Order.order_no == order_no)


def issues(order_no: str) -> int:
    return count_rows(DeliveryIssue, DeliveryIssue.order_id == Order.id, Order.order_no == order_no)


@pytest.mark.parametrize(
    ("text", "reason", "expected"),
    [
        ("显示签收了但我没收到", None, "not_received"),
        ("包裹被别人签收了 冒领", None, "not_received"),
        ("箱子压坏了", "damaged", "damaged"),
        ("收到的杯子碎了", None, "damaged"),
        ("物流三天没动", None, None),
        ("收到的东西少了一件", None, "missing_items"),
        ("买了两个只收到一个", None, "missing_items"),
        ("有一件没收到 其他都到了", None, "missing_items"),
        ("少发了一个杯子", "wrong_item", "missing_items"),
        ("漏发", None, "missing_items"),
    ],
)
def test_problem_from_words(text: str, reason: str | None, expected: str | None) -> None:
    assert problem_from_text(text, reason) == expected


def test_remedy_from_words() -> None:
    assert (remedy_from_text("reship"), remedy_from_text("给我补发吧"), remedy_from_text("我要退款")) == (
        "reship", "reship", "refund")
    assert remedy_from_text("随便") is None and remedy_from_text("补发或者退款都行") is None


def test_stuck_parcel_opens_a_check_and_files_the_claim_once(domain: dict[str, Any]) -> None:
    form = ValidateLogisticsForm()
    tracker = form_tracker()
    dispatcher, result = validate(form, "order_id", STUCK, tracker, domain)
    assert result["logistics_problem"] == "stuck"
    assert names(dispatcher) == ["utter_tracking"]  # the timeline, without the "say 物流有问题" hint
    assert required_slots(form, tracker, domain) == ["order_id", "confirmed"]
    dispatcher, _ = run_action(ActionAskConfirmed(), tracker, domain)
    assert names(dispatcher) == ["utter_courier_check_opened", "utter_confirm_claim"]
    assert message(dispatcher, "utter_courier_check_opened")["hours"] >= 72
    assert message(dispatcher, "utter_confirm_claim")["amount"] != "0.00"
    assert claims(STUCK) == 1  # the courier check; no claim without consent
    tracker.slots["confirmed"] = True
    dispatcher, events = run_action(ActionSubmitLogistics(), tracker, domain)
    filed = message(dispatcher, "utter_claim_filed")
    assert filed["claim_no"].startswith("CL") and filed["amount"] == message(
        run_action(ActionAskConfirmed(), form_tracker(logistics_problem="stuck", order_id=STUCK), domain)[0],
        "utter_confirm_claim")["amount"]
    assert_flow_reset(events)
    assert slot_sets(events)["satisfaction_pending"] is True
    assert claims(STUCK) == 2
    tracker.slots["confirmed"] = True
    dispatcher, events = run_action(ActionSubmitLogistics(), tracker, domain)
    assert names(dispatcher) == ["utter_claim_exists"]
    assert message(dispatcher, "utter_claim_exists")["claim_no"] == filed["claim_no"]
    assert slot_sets(events)["satisfaction_pending"] is None
    assert claims(STUCK) == 2


def test_claim_not_confirmed_writes_nothing(domain: dict[str, Any]) -> None:
    tracker = form_tracker(order_id=STUCK, logistics_problem="stuck", confirmed=None)
    dispatcher, events = run_action(ActionSubmitLogistics(), tracker, domain)
    assert dispatcher.messages == [] and slot_sets(events)["satisfaction_pending"] is None
    assert claims(STUCK) == 0


def test_parcel_on_its_way_shows_tracking_and_ends(domain: dict[str, Any]) -> None:
    form = ValidateLogisticsForm()
    tracker = form_tracker()
    dispatcher, result = validate(form, "order_id", DEMO_ORDERS["in_transit"], tracker, domain)
    assert names(dispatcher) == ["utter_tracking", "utter_logistics_on_the_way"]
    assert result["flow_blocked"] is True and required_slots(form, tracker, domain) == []
    dispatcher, _ = run_action(ActionSubmitLogistics(), tracker, domain)
    assert dispatcher.messages == [] and claims(DEMO_ORDERS["in_transit"]) == 0


def test_not_shipped_says_so(domain: dict[str, Any]) -> None:
    dispatcher, result = validate(ValidateLogisticsForm(), "order_id", DEMO_ORDERS["packing"], form_tracker(), domain)
    assert names(dispatcher) == ["utter_logistics_not_shipped"] and result["flow_blocked"] is True


def test_someone_elses_order_is_not_found(domain: dict[str, Any]) -> None:
    order_no = OTHER_CUSTOMER_ORDERS["in_transit"]
    dispatcher, result = validate(ValidateLogisticsForm(), "order_id", order_no, form_tracker(), domain)
    assert names(dispatcher) == ["utter_order_not_found"] and result["order_id"] is None
    tracker = form_tracker(order_id=order_no, logistics_problem="stuck", confirmed=True)
    dispatcher, _ = run_action(ActionSubmitLogistics(), tracker, domain)
    assert names(dispatcher) == ["utter_order_not_found"]
    assert claims(order_no) == 0


def test_damaged_parcel_refund_is_confirmed_and_written_once(domain: dict[str, Any]) -> None:
    form = ValidateLogisticsForm()
    entities = [{"entity": "reason", "value": "damaged"}]
    tracker = form_tracker(f"订单{DELIVERED}包裹破损了", entities=entities)
    dispatcher, result = validate(form, "order_id", DELIVERED, tracker, domain)
    assert dispatcher.messages == [] and result["logistics_problem"] == "damaged"
    assert required_slots(form, tracker, domain) == ["order_id", "logistics_problem", "evidence_url", "remedy",
                                                      "confirmed"]
    dispatcher, _ = validate(form, "evidence_url", "照片 https://img.example.com/a.jpg 看看", tracker, domain)
    assert tracker.slots["evidence_url"] == "https://img.example.com/a.jpg"
    dispatcher, _ = validate(form, "remedy", "refund", tracker, domain)
    dispatcher, _ = run_action(ActionAskConfirmed(), tracker, domain)
    confirm = message(dispatcher, "utter_confirm_delivery_refund")
    assert (confirm["amount"], confirm["problem"], confirm["eta"]) == ("69.00", "包裹破损", "1–3 天")
    assert issues(DELIVERED) == 0
    tracker.slots["confirmed"] = True
    dispatcher, events = run_action(ActionSubmitLogistics(), tracker, domain)
    done = message(dispatcher, "utter_delivery_refund_created")
    assert done["issue_no"].startswith("DI") and done["request_no"].startswith("AS") and done["amount"] == "69.00"
    assert slot_sets(events)["satisfaction_pending"] is True
    tracker.slots["confirmed"] = True
    dispatcher, _ = run_action(ActionSubmitLogistics(), tracker, domain)
    assert message(dispatcher, "utter_delivery_issue_exists")["issue_no"] == done["issue_no"]
    assert issues(DELIVERED) == 1
    assert count_rows(AfterSaleRequest, AfterSaleRequest.order_id == Order.id, Order.order_no == DELIVERED) == 1
    # Asking again later: the form says so before asking anything.
    dispatcher, result = validate(ValidateLogisticsForm(), "order_id", DELIVERED, form_tracker(), domain)
    assert names(dispatcher) == ["utter_delivery_issue_exists"] and result["flow_blocked"] is True


def test_not_received_anonymous_asks_problem_then_reships(domain: dict[str, Any]) -> None:
    form = ValidateLogisticsForm()
    events = [user_event(f"订单{DELIVERED}物流有问题", "logistics_issue"), user_event("尾号1234", "inform")]
    tracker = make_tracker({"order_id": DELIVERED}, events=events, active_loop="logistics_form")
    dispatcher, result = validate(form, "phone_last4", "尾号1234", tracker, domain)
    assert result["verified_customer_id"] == 1 and result["logistics_problem"] is None
    assert required_slots(form, tracker, domain)[2] == "logistics_problem"
    dispatcher, result = validate(form, "logistics_problem", "啥", tracker, domain)
    assert names(dispatcher) == ["utter_logistics_problem_invalid"] and result["logistics_problem"] is None
    validate(form, "logistics_problem", "not_received", tracker, domain)
    dispatcher, result = validate(form, "evidence_url", "没有链接", tracker, domain)
    assert names(dispatcher) == ["utter_evidence_url_invalid"] and result["evidence_url"] is None
    validate(form, "evidence_url", PHOTO, tracker, domain)
    dispatcher, result = validate(form, "remedy", "都行", tracker, domain)
    assert names(dispatcher) == ["utter_remedy_invalid"] and result["remedy"] is None
    validate(form, "remedy", "补发", tracker, domain)
    dispatcher, _ = run_action(ActionAskConfirmed(), tracker, domain)
    assert message(dispatcher, "utter_confirm_delivery_reship")["problem"] == "显示签收但没收到"
    tracker.slots["confirmed"] = True
    dispatcher, _ = run_action(ActionSubmitLogistics(), tracker, domain)
    assert names(dispatcher) == ["utter_delivery_reship_created"]
    assert issues(DELIVERED) == 1
    assert count_rows(AfterSaleRequest, AfterSaleRequest.order_id == Order.id, Order.order_no == DELIVERED) == 0


def test_delivery_problem_not_confirmed_writes_nothing(domain: dict[str, Any]) -> None:
    tracker = form_tracker(order_id=DELIVERED, logistics_problem="damaged", evidence_url=PHOTO, remedy="refund")
    dispatcher, events = run_action(ActionSubmitLogistics(), tracker, domain)
    assert dispatcher.messages == [] and issues(DELIVERED) == 0
    assert_flow_reset(events)


@pytest.mark.parametrize(
    ("order_key", "response"),
    [("completed", "utter_delivery_issue_window_expired"),
     ("return_in_progress", "utter_delivery_issue_already_requested")],
)
def test_delivered_refusals_say_why(order_key: str, response: str, domain: dict[str, Any]) -> None:
    dispatcher, result = validate(ValidateLogisticsForm(), "order_id", DEMO_ORDERS[order_key], form_tracker(), domain)
    assert names(dispatcher) == [response] and result["flow_blocked"] is True


MULTI = DEMO_ORDERS["multi_item"]  # T恤 黑色/L ×2, a second item and a cup, 20 off


@pytest.mark.parametrize(("said", "expected"), [("2", 2), ("两件", 2), ("少了一个", 1), ("好多", None)])
def test_quantity_from_words(said: str, expected: int | None) -> None:
    assert quantity_from_text(said) == expected


def test_missing_item_of_a_multi_item_order_refunds_its_share_once(domain: dict[str, Any]) -> None:
    form = ValidateLogisticsForm()
    tracker = form_tracker(f"订单{MULTI} 收到的东西少了")  # no count said: it is asked
    dispatcher, result = validate(form, "order_id", MULTI, tracker, domain)
    assert dispatcher.messages == [] and result["logistics_problem"] == "missing_items" and "item_id" not in result
    assert required_slots(form, tracker, domain) == ["order_id", "logistics_problem", "item_id", "missing_quantity",
                                                      "evidence_url", "remedy", "confirmed"]
    tracker.slots["requested_slot"] = "item_id"
    dispatcher, _ = run_action(ActionAskItemId(), tracker, domain)
    assert len(dispatcher.messages[0]["buttons"]) == 3
    tee, *_ = item_ids(MULTI)
    dispatcher, result = validate(form, "item_id", tee, tracker, domain)
    assert result == {"item_id": tee}  # two were bought: the count is asked
    dispatcher, _ = run_action(ActionAskMissingQuantity(), tracker, domain)
    ask = message(dispatcher, "utter_ask_missing_quantity")
    assert "T恤" in ask["item"] and [b["title"] for b in ask["buttons"]] == ["1", "2"]
    dispatcher, result = validate(form, "missing_quantity", "三件", tracker, domain)
    assert names(dispatcher) == ["utter_missing_quantity_invalid"] and result["missing_quantity"] is None
    validate(form, "missing_quantity", "少了一件", tracker, domain)
    validate(form, "evidence_url", PHOTO, tracker, domain)
    validate(form, "remedy", "退款", tracker, domain)
    with db_session() as session:
        line = session.get(OrderItem, int(tee))
        half = (line.paid_amount / 2).quantize(line.paid_amount)
    dispatcher, _ = run_action(ActionAskConfirmed(), tracker, domain)
    confirm = message(dispatcher, "utter_confirm_missing_refund")
    assert (confirm["quantity"], confirm["amount"]) == (1, f"{half:.2f}") and "T恤" in confirm["item"]
    assert issues(MULTI) == 0
    tracker.slots["confirmed"] = True
    dispatcher, events = run_action(ActionSubmitLogistics(), tracker, domain)
    assert message(dispatcher, "utter_delivery_refund_created")["amount"] == f"{half:.2f}"
    assert_flow_reset(events)
    tracker.slots["confirmed"] = True
    dispatcher, _ = run_action(ActionSubmitLogistics(), tracker, domain)
    assert message(dispatcher, "utter_delivery_issue_exists")["problem"] == "少件/漏发"
    assert issues(MULTI) == 1 and count_rows(DeliveryIssueItem) == 1
    assert count_rows(AfterSaleRequest, AfterSaleRequest.order_id == Order.id, Order.order_no == MULTI) == 1


def test_missing_item_of_a_one_item_order_asks_no_item_and_reships(domain: dict[str, Any]) -> None:
    form = ValidateLogisticsForm()
    tracker = form_tracker(order_id=DELIVERED)
    validate(form, "order_id", DELIVERED, tracker, domain)
    dispatcher, result = validate(form, "logistics_problem", "missing_items", tracker, domain)
    assert result == {"logistics_problem": "missing_items", "item_id": item_ids(DELIVERED)[0],
                      "missing_quantity": "1"}
    validate(form, "evidence_url", PHOTO, tracker, domain)
    validate(form, "remedy", "reship", tracker, domain)
    dispatcher, _ = run_action(ActionAskConfirmed(), tracker, domain)
    assert message(dispatcher, "utter_confirm_missing_reship")["quantity"] == 1
    tracker.slots["confirmed"] = True
    dispatcher, _ = run_action(ActionSubmitLogistics(), tracker, domain)
    done = message(dispatcher, "utter_missing_reship_created")
    assert done["issue_no"].startswith("DI") and "T恤" in done["item"] and done["quantity"] == 1
    assert count_rows(AfterSaleRequest, AfterSaleRequest.order_id == Order.id, Order.order_no == DELIVERED) == 0


def test_missing_item_not_confirmed_writes_nothing(domain: dict[str, Any]) -> None:
    tracker = form_tracker(order_id=MULTI, logistics_problem="missing_items", item_id=item_ids(MULTI)[0],
                           missing_quantity="2", evidence_url=PHOTO, remedy="refund")
    dispatcher, events = run_action(ActionSubmitLogistics(), tracker, domain)
    assert dispatcher.messages == [] and issues(MULTI) == 0
    assert slot_sets(events)["missing_quantity"] is None


def test_the_missing_items_button_before_the_order_asks_for_the_order(domain: dict[str, Any]) -> None:
    """From the after-sales choices ('登记少件'): the payload is neither an order choice nor a reason to
    look up an order that is not known yet."""
    payload = '/logistics_issue{"logistics_problem": "missing_items"}'
    tracker = form_tracker(payload, requested_slot="order_id")
    form = ValidateLogisticsForm()
    assert asyncio.run(form.extract_order_id(CollectingDispatcher(), tracker, domain)) == {}
    dispatcher, result = validate(form, "logistics_problem", "missing_items", tracker, domain)
    assert dispatcher.messages == [] and result == {"logistics_problem": "missing_items"}
    # The order comes next: a one-item order needs no item question.
    dispatcher, result = validate(form, "order_id", DELIVERED, tracker, domain)
    assert dispatcher.messages == [] and (result["item_id"], result["missing_quantity"]) == (
        item_ids(DELIVERED)[0], "1")
    assert required_slots(form, tracker, domain)[-3:] == ["evidence_url", "remedy", "confirmed"]


def test_the_missing_item_named_in_the_message_is_not_asked_for(domain: dict[str, Any]) -> None:
    tracker = form_tracker(f"订单{MULTI} 少了个保温杯", entities=[{"entity": "product", "value": "保温杯"}])
    dispatcher, result = validate(ValidateLogisticsForm(), "order_id", MULTI, tracker, domain)
    assert dispatcher.messages == [] and result["logistics_problem"] == "missing_items"
    assert (result["item_id"], result["missing_quantity"]) == (item_ids(MULTI)[2], "1")  # one cup was bought


@pytest.mark.parametrize(("said", "item", "expected"), [
    ("T恤少了两件", None, "2"),  # item and count in one message: nothing more to ask
    ("收到的东西少了两件", 0, "2"),  # the count is kept for the item chosen later
    ("收到的东西少了两件", 2, "1"),  # one cup was bought: one is missing, whatever was said
    ("少了三件T恤", None, None),  # more than were bought (2): asked, with the range
    ("买了两件只收到一件", 0, None),  # counts what came: asked
])
def test_a_count_said_with_the_problem_is_not_asked_again(
    said: str, item: int | None, expected: str | None, domain: dict[str, Any],
) -> None:
    form = ValidateLogisticsForm()
    entities = [{"entity": "product", "value": "T恤"}] if "T恤" in said else None
    tracker = form_tracker(f"订单{MULTI} {said}", entities=entities)
    dispatcher, result = validate(form, "order_id", MULTI, tracker, domain)
    if item is not None:
        assert "item_id" not in result
        dispatcher, result = validate(form, "item_id", item_ids(MULTI)[item], tracker, domain)
    assert dispatcher.messages == [] and result["item_id"] == item_ids(MULTI)[item or 0]
    assert result.get("missing_quantity") == expected


def test_a_count_from_an_earlier_flow_is_not_taken(domain: dict[str, Any]) -> None:
    """"少了两件" before an earlier flow ended belongs to that flow, not to this report."""
    token = token_for(1)
    events = [user_event("少了两件", "logistics_issue", token=token), {"event": "active_loop", "name": None},
              {"event": "active_loop", "name": "logistics_form"},
              user_event(f"订单{MULTI} 漏发了T恤", "logistics_issue", token=token,
                         entities=[{"entity": "product", "value": "T恤"}])]
    tracker = make_tracker({}, events=events, token=token, active_loop="logistics_form")
    _, result = validate(ValidateLogisticsForm(), "order_id", MULTI, tracker, domain)
    assert result["item_id"] == item_ids(MULTI)[0] and "missing_quantity" not in result


@pytest.mark.parametrize(("slots", "only_delivered"), [
    ({}, False),  # "物流有问题": parcels on their way too
    ({"logistics_problem": "missing_items"}, True),  # the 登记少件 button
    ({"reason": "damaged"}, True),  # "快递箱压坏了"
])
def test_a_problem_after_delivery_is_offered_delivered_orders(
    slots: dict[str, Any], only_delivered: bool, domain: dict[str, Any]
) -> None:
    tracker = make_tracker(slots, token=token_for(1), active_loop="logistics_form")
    dispatcher, _ = run_action(ActionAskOrderId(), tracker, domain)
    statuses = {b["title"].split()[-1] for b in message(dispatcher, "utter_choose_order")["buttons"]}
    assert (statuses <= {"已签收", "已完成"}) is only_delivered, statuses
    # The typed choice picks from the same list as the buttons.
    offered_to_type = asyncio.run(ValidateLogisticsForm().extract_order_id(
        CollectingDispatcher(), make_tracker({**slots, "requested_slot": "order_id"}, events=[
            user_event("第一个", "inform", token=token_for(1))], token=token_for(1), active_loop="logistics_form"),
        domain))
    first = message(dispatcher, "utter_choose_order")["buttons"][0]["title"].split()[0]
    assert offered_to_type == {"order_id": first}
