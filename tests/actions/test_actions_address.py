"""改地址: the one-message parser, refusals after shipment, a masked confirmation, one audit row."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from actions_testkit import (
    all_text,
    assert_flow_reset,
    check_messages,
    count_rows,
    db_session,
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
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.address import (
    ActionSubmitAddress,
    ValidateAddressForm,
    address_text_in,
    from_slot,
    masked,
    parse_address,
)
from actions.confirm import ActionAskConfirmed
from shop.models import AddressChange, Order
from shop.seed import DEMO_ORDERS, OTHER_CUSTOMER_ORDERS
from shop.services.views import AddressInput

PACKING = DEMO_ORDERS["packing"]
NEW = "浙江省 杭州市 西湖区 文三路100号 王小明 13912345678"
NEW_INPUT = AddressInput("浙江省", "杭州市", "西湖区", "文三路100号", "王小明", "13912345678")


# --- parser (no database) --------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (NEW, NEW_INPUT),
        ("浙江省杭州市西湖区文三路100号 王小明 13912345678", NEW_INPUT),
        ("新地址：浙江省杭州市西湖区文三路100号，收件人王小明，电话13912345678", NEW_INPUT),
        ("浙江省 杭州市 西湖区 文三路100号 王小明 139 1234 5678", NEW_INPUT),
        ("王小明 13912345678 浙江省杭州市西湖区文三路100号", NEW_INPUT),
        ("北京市海淀区中关村大街1号 韩梅梅 13712345678",
         AddressInput("北京市", "北京市", "海淀区", "中关村大街1号", "韩梅梅", "13712345678")),
        ("广西壮族自治区南宁市青秀区民族大道100号 黎明 13912345678",
         AddressInput("广西壮族自治区", "南宁市", "青秀区", "民族大道100号", "黎明", "13912345678")),
        ("广东省深圳市南山区科技园路88号3栋502 张三 13800001234",
         AddressInput("广东省", "深圳市", "南山区", "科技园路88号3栋502", "张三", "13800001234")),
        # words before the address, a province without 省, a recipient straight after the house number
        ("改成北京市朝阳区建国路100号 李四 13912345678",
         AddressInput("北京市", "北京市", "朝阳区", "建国路100号", "李四", "13912345678")),
        ("浙江省杭州市西湖区文三路100号王小明13912345678", NEW_INPUT),
        ("帮我改到浙江杭州市西湖区文三路100号王小明 13912345678", NEW_INPUT),
        ("广西南宁市青秀区民族大道100号 黎明 13912345678",
         AddressInput("广西壮族自治区", "南宁市", "青秀区", "民族大道100号", "黎明", "13912345678")),
        ("浙江杭州市上城区省府路8号 王小明 13912345678",  # 省 in the street is not the province's
         AddressInput("浙江省", "杭州市", "上城区", "省府路8号", "王小明", "13912345678")),
        ("广东省深圳市南山区科技园路88号3栋502张三13800001234",
         AddressInput("广东省", "深圳市", "南山区", "科技园路88号3栋502", "张三", "13800001234")),
        # an invalid phone is still read, for the backend to refuse by name
        ("上海市浦东新区张江路88号 李雷 1391234567",
         AddressInput("上海市", "上海市", "浦东新区", "张江路88号", "李雷", "1391234567")),
    ],
)
def test_parse_address(text: str, expected: AddressInput) -> None:
    assert parse_address(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "胡说八道",
        "王小明 13912345678",  # no address
        "浙江省杭州市西湖区文三路100号 13912345678",  # no recipient
        "浙江省杭州市西湖区文三路100号 王小明",  # no phone
        "杭州市西湖区文三路100号 王小明 13912345678",  # no province
        "浙江省杭州市西湖区 王小明 13912345678",  # no street
        "浙江省杭州市西湖区文三路100号和平小区 13912345678",  # a place after the number, no recipient
        "浙江省杭州市西湖区文三路100号附近 13912345678",
        "杭州市西湖区湖南路1号 王小明 13912345678",  # no province (湖南路 is a street)
    ],
)
def test_parse_address_incomplete(text: str) -> None:
    assert parse_address(text) is None


# --- the form and the write ------------------------------------------------------------------

pytestmark_db = pytest.mark.usefixtures("shop_db")


def order(order_no: str) -> Order:
    with db_session() as session:
        found = session.execute(select(Order).where(Order.order_no == order_no)).scalar_one()
        session.expunge(found)
        return found


def changes(order_no: str) -> int:
    return count_rows(AddressChange, AddressChange.order_id == order(order_no).id)


def form_tracker(**slots: Any) -> Tracker:
    return make_tracker(slots, token=token_for(1), active_loop="address_form")


@pytestmark_db
def test_change_address_happy_path_once(domain: dict[str, Any]) -> None:
    form = ValidateAddressForm()
    tracker = form_tracker()
    dispatcher, result = validate(form, "order_id", PACKING, tracker, domain)
    assert dispatcher.messages == [] and result == {"order_id": PACKING}
    assert required_slots(form, tracker, domain) == ["order_id", "new_address", "confirmed"]
    dispatcher, result = validate(form, "new_address", NEW, tracker, domain)
    assert dispatcher.messages == [] and from_slot(result["new_address"]) == NEW_INPUT
    dispatcher, _ = run_action(ActionAskConfirmed(), tracker, domain)
    reply = message(dispatcher, "utter_confirm_address")
    assert reply["address"] == "浙江省杭州市西湖区文三路****"
    assert (reply["recipient"], reply["phone"]) == ("王**", "139****5678")
    assert "13912345678" not in all_text(dispatcher) and "王小明" not in all_text(dispatcher)
    tracker.slots["confirmed"] = True
    dispatcher, events = run_action(ActionSubmitAddress(), tracker, domain)
    assert names(dispatcher) == ["utter_address_changed"]
    assert message(dispatcher, "utter_address_changed")["phone"] == "139****5678"
    assert "13912345678" not in all_text(dispatcher)
    assert_flow_reset(events)
    assert SlotSet("new_address", None) in events
    changed = order(PACKING)
    assert (changed.city, changed.street, changed.recipient, changed.phone) == (
        "杭州市", "文三路100号", "王小明", "13912345678")
    dispatcher, _ = run_action(ActionSubmitAddress(), tracker, domain)
    assert names(dispatcher) == ["utter_address_unchanged"]
    assert changes(PACKING) == 1


@pytestmark_db
@pytest.mark.parametrize(
    ("text", "response"),
    [
        ("浙江省 杭州市 西湖区 文三路100号 王小明 12345678901", "utter_address_invalid_phone"),
        ("上海市浦东新区张江路88号 李雷 1391234567", "utter_address_invalid_phone"),
        ("就寄到我家", "utter_address_unparsed"),
    ],
)
def test_bad_address_is_asked_again(text: str, response: str, domain: dict[str, Any]) -> None:
    form = ValidateAddressForm()
    tracker = form_tracker(order_id=PACKING)
    dispatcher, result = validate(form, "new_address", text, tracker, domain)
    assert names(dispatcher) == [response]
    assert result == {"new_address": None}
    assert changes(PACKING) == 0


@pytestmark_db
def test_too_long_street_names_the_field(domain: dict[str, Any]) -> None:
    text = f"浙江省 杭州市 西湖区 文三路{'1' * 200}号 王小明 13912345678"
    dispatcher, result = validate(ValidateAddressForm(), "new_address", text, form_tracker(order_id=PACKING), domain)
    assert names(dispatcher) == ["utter_text_too_long"]  # what is wrong, and which part (issue 28, point 6)
    assert message(dispatcher, "utter_text_too_long")["field"] == "详细地址"
    assert result == {"new_address": None}


@pytestmark_db
@pytest.mark.parametrize(("order_key", "response"), [
    ("in_transit", "utter_address_already_shipped"),
    ("delivered_in_window", "utter_address_already_shipped"),
    ("cancelled", "utter_address_order_cancelled"),
])
def test_address_change_refused(order_key: str, response: str, domain: dict[str, Any]) -> None:
    form = ValidateAddressForm()
    tracker = form_tracker()
    order_no = DEMO_ORDERS[order_key]
    dispatcher, result = validate(form, "order_id", order_no, tracker, domain)
    assert names(dispatcher) == [response]
    assert result == {"order_id": order_no, "flow_blocked": True}
    assert required_slots(form, tracker, domain) == []


@pytest.mark.parametrize(("text", "address"), [
    ("8800000100000004 改地址 浙江省杭州市西湖区文三路100号 王小明 13912345678",
     "浙江省杭州市西湖区文三路100号 王小明 13912345678"),
    ("帮我把地址改成 上海市浦东新区张江路88号 李雷 13912345678", "上海市浦东新区张江路88号 李雷 13912345678"),
    ("我要改地址", None), ("改到浙江", None),
])
def test_the_address_part_of_a_request(text: str, address: str | None) -> None:
    assert address_text_in(text) == address


def form_opened_with(text: str, order_no: str, domain: dict[str, Any]) -> tuple[CollectingDispatcher, dict]:
    """The address form's first validation, for a request that carried order and address."""
    events = [user_event(text, "change_address", token=token_for(1)),
              {"event": "slot", "name": "order_id", "value": order_no}]
    tracker = make_tracker({"order_id": order_no}, events=events, active_loop="address_form")
    dispatcher = CollectingDispatcher()
    result = asyncio.run(ValidateAddressForm().run(dispatcher, tracker, domain))
    check_messages(dispatcher, domain)
    return dispatcher, {e["name"]: e["value"] for e in result if e.get("event") == "slot"}


@pytestmark_db
def test_address_given_with_the_request_is_not_asked_for_again(domain: dict[str, Any]) -> None:
    dispatcher, slots = form_opened_with(f"订单{PACKING} 改地址 {NEW}", PACKING, domain)
    assert dispatcher.messages == []
    assert from_slot(slots["new_address"]) == NEW_INPUT and slots["requested_slot"] == "confirmed"


@pytestmark_db
def test_address_given_with_a_shipped_order_hears_only_why_not(domain: dict[str, Any]) -> None:
    order_no = DEMO_ORDERS["in_transit"]
    dispatcher, slots = form_opened_with(f"订单{order_no} 地址改成 浙江省杭州市西湖区文三路100号 王小明 12345678901",
                                         order_no, domain)
    assert names(dispatcher) == ["utter_address_already_shipped"]  # not also "the phone is wrong"
    assert slots["flow_blocked"] is True and not slots.get("new_address")

@pytestmark_db
def test_backend_refuses_a_shipped_order_too(domain: dict[str, Any]) -> None:
    order_no = DEMO_ORDERS["in_transit"]
    tracker = form_tracker(order_id=order_no, new_address='{"province": "浙江省", "city": "杭州市", '
                           '"district": "西湖区", "street": "文三路100号", "recipient": "王小明", '
                           '"phone": "13912345678"}', confirmed=True)
    dispatcher, _ = run_action(ActionSubmitAddress(), tracker, domain)
    assert names(dispatcher) == ["utter_address_already_shipped"]
    assert changes(order_no) == 0


@pytestmark_db
@pytest.mark.parametrize("extra", [{"confirmed": None}, {"confirmed": True, "flow_blocked": True}])
def test_address_not_confirmed_writes_nothing(extra: dict[str, Any], domain: dict[str, Any]) -> None:
    form = ValidateAddressForm()
    tracker = form_tracker(order_id=PACKING)
    validate(form, "new_address", NEW, tracker, domain)
    tracker.slots.update(extra)
    dispatcher, events = run_action(ActionSubmitAddress(), tracker, domain)
    assert dispatcher.messages == []
    assert_flow_reset(events)
    assert order(PACKING).phone == "13800001234"
    assert changes(PACKING) == 0


@pytestmark_db
def test_someone_elses_order_is_not_found(domain: dict[str, Any]) -> None:
    order_no = OTHER_CUSTOMER_ORDERS["ship_overdue"]
    dispatcher, result = validate(ValidateAddressForm(), "order_id", order_no, form_tracker(), domain)
    assert names(dispatcher) == ["utter_order_not_found"] and result == {"order_id": None}
    tracker = form_tracker(order_id=order_no, confirmed=True)
    validate(ValidateAddressForm(), "new_address", NEW, tracker, domain)
    dispatcher, _ = run_action(ActionSubmitAddress(), tracker, domain)
    assert names(dispatcher) == ["utter_order_not_found"]
    assert order(order_no).phone == "13800005678"


@pytestmark_db
def test_new_phone_in_the_address_is_not_a_phone_check(domain: dict[str, Any]) -> None:
    """Anonymous and verified: the recipient's mobile must not count as a (failed) identity check."""
    events = [
        user_event("订单改地址", "change_address"),
        {"event": "slot", "name": "phone_last4", "value": "1234"},
        user_event(NEW),
        {"event": "slot", "name": "phone_last4", "value": "13912345678"},
    ]
    tracker = make_tracker({"order_id": PACKING, "phone_last4": "13912345678", "verified_customer_id": 1,
                            "requested_slot": "new_address"}, events=events, active_loop="address_form")
    dispatcher, result = validate(ValidateAddressForm(), "phone_last4", "13912345678", tracker, domain)
    assert dispatcher.messages == [] and result == {"phone_last4": "1234"}
    # asked for it, a full number is the shopper's own phone
    tracker.slots["requested_slot"] = "phone_last4"
    dispatcher, result = validate(ValidateAddressForm(), "phone_last4", "13800001234", tracker, domain)
    assert dispatcher.messages == [] and result["verified_customer_id"] == 1


def test_a_municipality_is_named_once_in_the_confirmation() -> None:
    beijing = AddressInput("北京市", "北京市", "朝阳区", "建国路1号", "李四", "13912345678")
    assert masked(beijing)["address"] == "北京市朝阳区建国****"
    assert masked(NEW_INPUT)["address"] == "浙江省杭州市西湖区文三路****"
