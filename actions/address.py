"""改地址: before shipment only; the new address comes in one message, parsed and confirmed masked."""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend import BackendUnavailable, shop_session
from actions.order_forms import OrderFormValidation, confirmed_customer, load_order, reset_flow_events
from actions.satisfaction import offer_rating
from actions.wording import label, place
from shop.clock import system_clock
from shop.errors import DomainError
from shop.privacy import mask_name, mask_phone, mask_street
from shop.services.addresses import change_address, validate_address
from shop.services.views import AddressInput, AddressView

# --- parsing "浙江省 杭州市 西湖区 文三路100号 王小明 13912345678" ------------------------------
PHONE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?(\d{3}[- ]?\d{4}[- ]?\d{4}|\d{6,})(?!\d)")
# Words people put before the parts ("收件人：", "电话是"), dropped before splitting.
LABELS = re.compile(
    r"(新的?收货地址|新的?地址|收货地址|地址|收件人|收货人|联系人|手机号码?|联系电话|电话|联系方式)[:：是为]?"
)
SEPARATORS = re.compile(r"[\s,，;；、/]+")
MUNICIPALITY = re.compile(r"^(北京|上海|天津|重庆)市?")
PROVINCE = re.compile(r"^(.+?(?:省|自治区|特别行政区))")
CITY = re.compile(r"^(.+?(?:自治州|地区|盟|市))")
DISTRICT = re.compile(r"^(.+?(?:区|县|市|旗))")
NAME = re.compile(r"^[\u4e00-\u9fa5·A-Za-z]{2,10}$")
PLACE_SUFFIX = re.compile(r"(省|市|区|县|旗|路|街|道|号|巷|村|镇|乡|楼|栋|室|弄|座|单元|小区|大厦|广场)$")


def parse_address(text: str) -> AddressInput | None:
    """The six parts of an address typed in one message, or None when a part is missing.

    The phone is the last long run of digits; the recipient is the last short name set apart by
    a space or comma; province/city/district are read from the front of the rest. Values are not
    checked here (the backend's validate_address does that).
    """
    text = str(text or "").strip()
    phones = list(PHONE.finditer(text))
    if not phones:
        return None
    phone = re.sub(r"\D", "", phones[-1].group(1))
    rest = text[: phones[-1].start()] + " " + text[phones[-1].end():]
    tokens = [t for t in SEPARATORS.split(LABELS.sub(" ", rest)) if t]
    names = [i for i, t in enumerate(tokens) if NAME.match(t) and not PLACE_SUFFIX.search(t)]
    if not names:
        return None
    recipient = tokens.pop(names[-1])
    place = "".join(tokens)
    city_match = MUNICIPALITY.match(place)
    if city_match:
        province = city = f"{city_match.group(1)}市"
    else:
        province_match = PROVINCE.match(place)
        if province_match is None:
            return None
        province = province_match.group(1)
        place = place[len(province):]
        city_match = CITY.match(place)
        if city_match is None:
            return None
        city = city_match.group(1)
    place = place[city_match.end():]
    district_match = DISTRICT.match(place)
    if district_match is None:
        return None
    district = district_match.group(1)
    street = place[len(district):]
    if not street:
        return None
    return AddressInput(province, city, district, street, recipient, phone)


# Where an address starts in a message that also carries the request and the order number
# ("8800000100000004 改地址 浙江省杭州市…"): at its province.
REGIONS = ("北京", "天津", "上海", "重庆", "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江", "安徽", "福建",
           "江西", "山东", "河南", "湖北", "湖南", "广东", "海南", "四川", "贵州", "云南", "陕西", "甘肃", "青海",
           "台湾", "内蒙古", "广西", "西藏", "宁夏", "新疆", "香港", "澳门")
ADDRESS_START = re.compile("|".join(REGIONS))


def address_text_in(text: str) -> str | None:
    """The part of a message that is a whole address (from its province on), if there is one."""
    start = ADDRESS_START.search(text)
    if start is None or parse_address(text[start.start():]) is None:
        return None
    return text[start.start():]


def slot_value(address: AddressInput) -> str:
    return json.dumps(asdict(address), ensure_ascii=False)


def from_slot(value: Any) -> AddressInput | None:
    try:
        return AddressInput(**json.loads(str(value)))
    except (TypeError, ValueError):
        return None


def masked(address: AddressInput | AddressView) -> dict[str, str]:
    """Template params for an address, street/recipient/phone masked (chat logs are shared)."""
    if isinstance(address, AddressInput):
        address = AddressView(address.province, address.city, address.district, mask_street(address.street),
                              mask_name(address.recipient), mask_phone(address.phone))
    return {
        "address": f"{place(address.province, address.city, address.district)}{address.street_masked}",
        "recipient": address.recipient_masked,
        "phone": address.phone_masked,
    }


def confirm_address(tracker: Tracker, dispatcher: CollectingDispatcher, domain: DomainDict) -> None:
    """The confirmation question (asked by action_ask_confirmed)."""
    address = from_slot(tracker.get_slot("new_address"))
    if address is None:
        return
    dispatcher.utter_message(response="utter_confirm_address", order_no=tracker.get_slot("order_id"),
                             **masked(address))


def _previous_value(tracker: Tracker, slot: str) -> Any:
    """The slot's value before the latest user message (what a validation may restore)."""
    seen_user = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            seen_user = True
        elif seen_user and event.get("event") == "slot" and event.get("name") == slot:
            return event.get("value")
    return None


class ValidateAddressForm(OrderFormValidation):
    flow_slots = ("new_address", "confirmed")

    def name(self) -> str:
        return "validate_address_form"

    def validate_phone_last4(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A full mobile number here is the new recipient's, not proof of identity -- unless asked for."""
        digits = re.sub(r"\D", "", str(value or ""))
        if len(digits) == 11 and tracker.get_slot("requested_slot") != "phone_last4":
            return {"phone_last4": _previous_value(tracker, "phone_last4")}
        return super().validate_phone_last4(value, dispatcher, tracker, domain)

    def after_order(
        self, order_no: str, customer_id: int, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        tracker.slots["order_id"] = order_no
        order = load_order(tracker, dispatcher)
        if order is None:
            return {"flow_blocked": True}
        if order.status in ("shipped", "delivered", "completed") or order.tracking is not None:
            dispatcher.utter_message(response="utter_address_already_shipped", order_no=order_no)
            return {"flow_blocked": True}
        if order.status == "cancelled":
            dispatcher.utter_message(response="utter_address_order_cancelled", order_no=order_no)
            return {"flow_blocked": True}
        return {}

    async def extract_new_address(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """The new address given along with the request ("订单X 改地址 浙江省… 王小明 139…"): not asked
        for again. Once asked for, the from_text mapping takes the whole answer."""
        if tracker.get_slot("new_address") or tracker.get_slot("requested_slot") == "new_address":
            return {}
        text = address_text_in(str((tracker.latest_message or {}).get("text") or ""))
        return {"new_address": text} if text else {}

    def validate_new_address(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("flow_blocked"):
            return {"new_address": None}  # the order was refused just now: nothing more to say
        address = parse_address(str(value or ""))
        if address is None:
            dispatcher.utter_message(response="utter_address_unparsed")
            return {"new_address": None}
        try:
            address = validate_address(address)
        except DomainError as error:
            field = str(error.details.get("field", ""))
            if field == "phone":
                dispatcher.utter_message(response="utter_address_invalid_phone")
            else:
                dispatcher.utter_message(response="utter_address_invalid",
                                         field=label(domain, "address_field", field))
            return {"new_address": None}
        return {"new_address": slot_value(address)}


class ActionSubmitAddress(Action):
    def name(self) -> str:
        return "action_submit_address"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        customer_id = confirmed_customer(tracker)
        order_no = tracker.get_slot("order_id")
        address = from_slot(tracker.get_slot("new_address"))
        if customer_id is None:
            return reset_flow_events()
        if address is None:
            dispatcher.utter_message(response="utter_address_unparsed")
            return reset_flow_events()
        try:
            with shop_session(dispatcher) as session:
                result = change_address(session, customer_id, order_no, new_address=address, clock=system_clock)
        except DomainError as error:
            if error.code == "already_shipped":
                dispatcher.utter_message(response="utter_address_already_shipped", order_no=order_no)
            elif error.code == "not_eligible":
                dispatcher.utter_message(response="utter_address_order_cancelled", order_no=order_no)
            elif error.code == "invalid_input" and error.details.get("field") == "phone":
                dispatcher.utter_message(response="utter_address_invalid_phone")
            elif error.code == "invalid_input":
                dispatcher.utter_message(response="utter_address_invalid",
                                         field=label(domain, "address_field", str(error.details.get("field"))))
            else:
                dispatcher.utter_message(response="utter_order_not_found")
            return reset_flow_events()
        except BackendUnavailable:
            return reset_flow_events()
        if not result.created:
            dispatcher.utter_message(response="utter_address_unchanged", order_no=order_no)
        else:
            dispatcher.utter_message(response="utter_address_changed", order_no=order_no, **masked(result.address))
        return reset_flow_events() + (offer_rating(tracker) if result.created else [])
