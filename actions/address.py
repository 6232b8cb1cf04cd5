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
from actions.free_text import say_why_refused
from actions.order_forms import OrderFormValidation, confirmed_customer, load_order, reset_flow_events
from actions.satisfaction import offer_rating
from actions.wording import label, place
from shop.clock import system_clock
from shop.errors import DomainError
from shop.privacy import mask_name, mask_phone, mask_street
from shop.services.addresses import change_address, validate_address
from shop.services.eligibility import why_flow_cannot_take
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
# A recipient written straight after the house number ("文三路100号王小明13912345678"): a common
# surname and one to three more characters, after a digit or a unit word. The confirmation shows it.
SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
            "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武"
            "戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮"
            "柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古"
            "吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫"
            "寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝")
TRAILING_NAME = re.compile(rf"(?<=[\d号室栋楼层座])([{SURNAMES}][\u4e00-\u9fa5]{{1,3}})$")
PLACE_SUFFIX = re.compile(r"(省|市|区|县|旗|路|街|道|号|巷|村|镇|乡|楼|栋|室|弄|座|单元|小区|大厦|广场)$")


# Where an address starts in a message that also carries the request and the order number
# ("8800000100000004 改地址 浙江省杭州市…"): at its province.
REGIONS = ("北京", "天津", "上海", "重庆", "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江", "安徽", "福建",
           "江西", "山东", "河南", "湖北", "湖南", "广东", "海南", "四川", "贵州", "云南", "陕西", "甘肃", "青海",
           "台湾", "内蒙古", "广西", "西藏", "宁夏", "新疆", "香港", "澳门")
ADDRESS_START = re.compile("|".join(REGIONS))
# A province by its name, with or without 省 or the rest of its full name ("浙江杭州市…", "广西南宁市…").
PROVINCE_ENDINGS = "省|壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区"
NAMED_PROVINCE = re.compile("^(" + "|".join(sorted(REGIONS, key=len, reverse=True)) + f")(?:{PROVINCE_ENDINGS})?")
# Words before the address ("改成", "帮我改到"): short, and no part of a place.
LEAD_IN = re.compile(r"^[^\d省市区县路街号]{1,8}$")
# Where a place name, not a person, follows the house number ("100号和平小区", "88号明珠花园").
NOT_A_NAME = re.compile(r"(园|苑|府|城|湾|庭|居|阁|寓|中心|大楼|门|口|侧|边|面|里|内|外)$")
FULL_PROVINCE = {
    **{region: f"{region}省" for region in REGIONS},
    "内蒙古": "内蒙古自治区", "广西": "广西壮族自治区", "西藏": "西藏自治区", "宁夏": "宁夏回族自治区",
    "新疆": "新疆维吾尔自治区", "香港": "香港特别行政区", "澳门": "澳门特别行政区",
}


def parse_address(text: str) -> AddressInput | None:
    """The six parts of an address typed in one message, or None when a part is missing.

    The phone is the last long run of digits; the recipient is the last short name set apart by
    a space or comma, or else a name written straight after the house number; province/city/district
    are read from the front of the rest, from its first region name on ("改成北京市…"). Values are
    not checked here (the backend's validate_address does that).
    """
    text = str(text or "").strip()
    phones = list(PHONE.finditer(text))
    if not phones:
        return None
    phone = re.sub(r"\D", "", phones[-1].group(1))
    rest = text[: phones[-1].start()] + " " + text[phones[-1].end():]
    tokens = [t for t in SEPARATORS.split(LABELS.sub(" ", rest)) if t]
    names = [i for i, t in enumerate(tokens) if NAME.match(t) and not PLACE_SUFFIX.search(t)]
    recipient = tokens.pop(names[-1]) if names else None
    place = _from_first_region("".join(tokens))
    if recipient is None:
        attached = TRAILING_NAME.search(place)
        if attached is None or PLACE_SUFFIX.search(attached.group(1)) or NOT_A_NAME.search(attached.group(1)):
            return None
        recipient, place = attached.group(1), place[: attached.start()]
    regions = _province_and_city(place)
    if regions is None:
        return None
    province, city, place = regions
    district_match = DISTRICT.match(place)
    if district_match is None:
        return None
    district = district_match.group(1)
    street = place[len(district):]
    if not street:
        return None
    return AddressInput(province, city, district, street, recipient, phone)


def _from_first_region(place: str) -> str:
    """"改成浙江省杭州市…" -> "浙江省杭州市…": words before the address are dropped."""
    start = ADDRESS_START.search(place)
    if start is None or start.start() == 0 or not LEAD_IN.match(place[: start.start()]):
        return place
    return place[start.start():]


def _province_and_city(place: str) -> tuple[str, str, str] | None:
    """Province, city and what follows them; "浙江杭州市" names 浙江省, "北京市" is both."""
    municipality = MUNICIPALITY.match(place)
    if municipality:
        return f"{municipality.group(1)}市", f"{municipality.group(1)}市", place[municipality.end():]
    named = NAMED_PROVINCE.match(place)
    province_match = named or PROVINCE.match(place)
    if province_match is None:
        return None
    province = FULL_PROVINCE[named.group(1)] if named else province_match.group(1)
    place = place[province_match.end():]
    city_match = CITY.match(place)
    if city_match is None:
        return None
    return province, city_match.group(1), place[city_match.end():]




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
        order = load_order(tracker, dispatcher, order_no=order_no)
        if order is None:
            return {"flow_blocked": True}
        why = why_flow_cannot_take("address", order)  # already_shipped or order_cancelled
        if why is not None:
            dispatcher.utter_message(response=f"utter_address_{why}", order_no=order_no)
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
            else:  # asked again after saying what is wrong
                say_why_refused(error, dispatcher, domain, otherwise="utter_address_invalid",
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
                say_why_refused(error, dispatcher, domain, otherwise="utter_address_invalid",
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
