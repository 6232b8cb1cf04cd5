"""Answers read as answers: when the assistant has just asked something, the shopper's next message is
first read as an answer to *that* question.

One mechanism over question kinds. A question knows what answers it expects: the form's requested
slot (or, outside forms, the offer just made) names a question kind in QUESTION_KINDS, and each kind
has one reader that sorts a message into

- ``yes`` / ``no`` (yes-or-no questions: confirmations, the offer of a human), fillers and reasons
  around them counting as nothing (嗯 可以的 就这样吧 / 不必了 尽快给我解决就好);
- ``value``: a value of the kind asked (an e-mail, a tax number, a waybill, a size, a rating in words);
- ``invalid``: meant as that value but not a valid one (an e-mail without @, a tax number of the wrong
  length): the form's own validation says what is wrong and asks again, the order and item kept;
- ``other``: a question or a different request ("插一句 我另一单 8800… 现在到哪了"), left to the NLU,
  so the rules switch flow as before.

At runtime (installed by addons.runtime like addons.typed_buttons) a message that reads as an answer
is parsed as before, then its intent becomes ``affirm`` / ``deny`` / ``inform`` and entities that
would move the flow elsewhere (an order number inside a tax number, an intent's own entities) are
dropped; the text is kept, for the slots filled from the text. The readers are pure functions, measured
by tests/addons/test_answers.py on tests/addons/answers.yml (per kind, ≥ 300 pairs).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from rasa.core.channels.channel import UserMessage
from rasa.core.processor import MessageProcessor
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from addons.typed_buttons import typed_button_payload

# The form's requested slot → the kind of question it asks.
QUESTION_KINDS: dict[str, str] = {
    "confirmed": "yes_no",
    "email": "email",
    "tax_no": "tax_no",
    "new_address": "address",
    "waybill_no": "waybill",
    "size": "size",
    "rating": "rating",
    "remedy": "remedy",
    "missing_quantity": "quantity",
    "invoice_kind": "invoice_kind",
    "evidence_url": "photo",
    "logistics_problem": "delivery_problem",
}
# Questions asked outside a form, by the action that asked them: the offer of a human after a complaint.
# A stuck parcel's proactive notice offers the 先行赔付 claim (actions/notices.py).
# The offer to take up a flow left for another request (actions/paused_flows.py) is a yes-or-no question too.
OFFER_KINDS: dict[str, str] = {"action_complain": "yes_no", "action_notice_parcel_stuck": "yes_no",
                               "action_offer_resume_flow": "yes_no"}
# The entity an answer's value is given as (slots filled from entities); others are filled from the text.
VALUE_ENTITIES: dict[str, str] = {"rating": "rating", "remedy": "remedy", "quantity": "missing_quantity",
                                  "invoice_kind": "invoice_kind", "delivery_problem": "logistics_problem"}
# Entities an answer keeps: what the question's slots are filled from. Anything else (an order number
# inside a tax number, a product) would move the flow.
KEPT_ENTITIES: dict[str, frozenset[str]] = {"size": frozenset({"size", "color"})}


# --- English wordings (addons/answer_words.yml, edited by trainers) -----------------------------------
WORDS_FILE = Path(__file__).with_name("answer_words.yml")


def _load_words(path: Path = WORDS_FILE) -> dict[str, Any]:
    """The file's lists, each as its lines (fragments of regular expressions)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}

    def lines(value: Any) -> Any:
        if isinstance(value, str):
            return [line.strip() for line in value.splitlines() if line.strip()]
        if isinstance(value, dict):
            return {key: lines(item) for key, item in value.items()}
        return value

    return {key: lines(value) for key, value in data.items()}


WORDS = _load_words()


def _alternation(fragments: list[str]) -> str:
    return "(?:" + "|".join(sorted(fragments, key=len, reverse=True)) + ")"


def english(fragments: list[str]) -> str:
    """The fragments as whole words ("no" is not in "know"), case-insensitive, for use inside a pattern."""
    return r"(?i:(?<![a-z'’])" + _alternation(fragments) + r"(?![a-z'’]))"


@dataclass(frozen=True)
class Reading:
    outcome: str  # yes / no / value / invalid / other
    value: str | None = None


OTHER = Reading("other")

SPACE = re.compile(r"\s+")
# A question, or words of another request: then the message is not an answer (the NLU decides).
EN_QUESTION = (rf"^\s*{english(WORDS['question_words'])}|^\s*(?!{english(WORDS['not_questions'])})"
               rf"{english(WORDS['question_verbs'])}\s+{english(WORDS['question_subjects'])}")
QUESTION = re.compile(
    r"[?？]|吗\s*$|吗[，,。.!！~～]|[怎咋]么|为什么|为啥|什么时候|多久|几天|是不是|能不能|可不可以|有没有|"
    + EN_QUESTION
)
OTHER_REQUEST = re.compile(
    r"插一句|另[一外]\s*[个]?\s*(?:单|订单)|别的(?:单|订单)|上一单|到哪|物流|发货|查一下|查查|帮我查|"
    r"开发票|发票|改地址|地址改|退货|换货|投诉|举报|人工|客服|取消订单|不买了|催一下|催单|"
    + english(WORDS["other_requests"])
)
EN_OTHER_REQUEST = re.compile(english(WORDS["other_requests"]))
ORDER_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{16,19}(?![0-9A-Za-z])")

# --- yes / no ----------------------------------------------------------------------------------------
NO_WORDS = re.compile(
    r"^(?:那|哦|噢|呃|额|嗯|唔|还是)*\s*(?:不用|不必|不要|不了|不需要|算了|没必要|先不|先别|暂时不|别|不行|不对|不是|不确认|"
    r"不同意|不可以|不好|no\b|nope|再想想|我再想想|再考虑|考虑一下)",
    re.IGNORECASE,
)
YES_WORDS = re.compile(
    r"^(?:那|哦|噢|嗯+|恩+|唔|呃|额|好吧|行吧)*\s*[，,。.!！~～ ]*"
    r"(?:可以|行|好的?|好嘞|好滴|好哒|好呀|好啊|没问题|确认|确定|"
    r"是的?|对的?|对|嗯+|恩+|ok|okay|yes|yep|sure|可|成|中|同意|要的?|需要|麻烦了?|麻烦你|提交|办吧|就这样|就按|就这么|"
    r"没错|对头|妥|收到|👌|👍)",
    re.IGNORECASE,
)


_EN_LEAD = rf"^[\s,.!~]*(?:{english(WORDS['fillers'])}[\s,.!~]*)*"
EN_YES_FIRST = re.compile(_EN_LEAD + english(WORDS["yes_first"]))
EN_NO_WORDS = re.compile(_EN_LEAD + english(WORDS["no_words"]))
EN_YES_WORDS = re.compile(_EN_LEAD + english(WORDS["yes_words"]))

# A request refused in the same breath is no request: "那算了 不用转人工", "no need for a human".
REFUSED_REQUEST = re.compile(r"(?:不用|不要|不需要|别|先不)\s*(?:转|找|帮我)?\s*(?:人工|客服|投诉|退货|换货)")
EN_REFUSED_REQUEST = re.compile(english(WORDS["refused_requests"]))


def read_yes_no(text: str) -> Reading:
    text = EN_REFUSED_REQUEST.sub(" no ", REFUSED_REQUEST.sub(" ", text))
    if QUESTION.search(text) or OTHER_REQUEST.search(text) or ORDER_NUMBER.search(text):
        return OTHER
    if EN_YES_FIRST.search(text):
        return Reading("yes")
    if NO_WORDS.search(text) or EN_NO_WORDS.search(text):
        return Reading("no")
    if YES_WORDS.search(text) or EN_YES_WORDS.search(text):
        return Reading("yes")
    return OTHER


# --- e-mail --------------------------------------------------------------------------------------------
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
EMAIL_ATTEMPT = re.compile(r"@|e-?mail|mail|\.com|\.cn|\.net|qq|163|126|gmail|outlook|hotmail|foxmail",
                           re.IGNORECASE)
LATIN_RUN = re.compile(r"[A-Za-z0-9._@-]{4,}")


def read_email(text: str) -> Reading:
    found = EMAIL.search(text)
    rest = EMAIL.sub(" # ", text)  # "#" holds its place (see read_waybill)
    if QUESTION.search(rest) or OTHER_REQUEST.search(rest):
        return OTHER
    if found:
        return Reading("value", found.group(0))
    if EMAIL_ATTEMPT.search(text) or LATIN_RUN.search(text):
        return Reading("invalid")
    return OTHER


# --- tax number (统一社会信用代码 / 税号) ------------------------------------------------------------------
TAX_TOKEN = re.compile(r"[0-9A-Za-z]{6,}")
TAX_LENGTHS = (15, 18, 20)


TAX_LEAD_IN = re.compile(english(WORDS["tax_no_words"]) + r"[:：.]?")


def read_tax_no(text: str) -> Reading:
    if QUESTION.search(text):
        return OTHER
    text = TAX_LEAD_IN.sub(" ", text)  # "tax id 9133 ..." : the words would join the digits
    tokens = [t for t in TAX_TOKEN.findall(SPACE.sub("", text)) if re.search(r"\d", t)]
    rest = TAX_TOKEN.sub(" ", SPACE.sub("", text))
    if QUESTION.search(rest) or OTHER_REQUEST.search(rest):
        return OTHER
    if not tokens:
        return OTHER
    token = max(tokens, key=len).upper()
    return Reading("value", token) if len(token) in TAX_LENGTHS else Reading("invalid")


# --- address with recipient and phone -----------------------------------------------------------------
ADDRESS_MARKS = re.compile(r"省|市|区|县|镇|乡|村|路|街|道|巷|弄|号|栋|幢|楼|室|单元|小区|大厦|花园|广场")
PHONE_DIGITS = re.compile(r"(?<!\d)1\d{6,12}(?!\d)")


EN_ADDRESS_MARKS = re.compile(english(WORDS["address_marks"]))


def read_address(text: str) -> Reading:
    if (QUESTION.search(text) or re.search(r"到哪|物流|退货|换货|投诉|人工|客服|发票|取消订单", text)
            or EN_OTHER_REQUEST.search(text)):
        return OTHER
    marks = len(ADDRESS_MARKS.findall(text)) + len(EN_ADDRESS_MARKS.findall(text))
    phone = PHONE_DIGITS.search(text)
    if marks >= 2 or (marks >= 1 and phone):
        valid_phone = phone is not None and len(phone.group(0)) == 11
        return Reading("value" if valid_phone else "invalid", text.strip())
    if phone:
        return Reading("invalid")
    return OTHER


# --- waybill ------------------------------------------------------------------------------------------
WAYBILL = re.compile(r"(?<![0-9A-Za-z])([A-Za-z]{1,4}\s*\d{8,18}|\d{10,15})(?![0-9A-Za-z])")


# Digits typed in groups ("SF 1234 5678 90") are one waybill.
BETWEEN_GROUPS = re.compile(r"(?<=[0-9A-Za-z])\s+(?=\d)")
SHORT_WAYBILL = re.compile(r"(?<![0-9A-Za-z])(?:[A-Za-z]{1,4}\d{1,7}|\d{5,9})(?![0-9A-Za-z])")


WAYBILL_WORDS = re.compile(english(WORDS["waybill_words"]))


def read_waybill(text: str) -> Reading:
    text = BETWEEN_GROUPS.sub("", text)
    found = WAYBILL.search(text)
    # "#" holds the waybill's place: "SF123... is the number" does not start with "is the", a question
    rest = WAYBILL_WORDS.sub(" ", WAYBILL.sub(" # ", text))
    if (QUESTION.search(rest) or re.search(r"到哪|退货进度|换货进度|投诉|人工|客服|发票|改地址|另[一外]", rest)
            or EN_OTHER_REQUEST.search(rest)):
        return OTHER
    if found:
        return Reading("value", SPACE.sub("", found.group(1)).upper())
    if SHORT_WAYBILL.search(text):
        return Reading("invalid")
    return OTHER


# --- size / colour of an exchange ---------------------------------------------------------------------
# Not after an apostrophe: the s of "it's" and the m of "i'm" are no sizes.
SIZE = re.compile(r"(?<![\dA-Za-z'’])(3[4-9]|4[0-8]|XXXL|XXL|XL|L|M|S)\s*(?:码|号)?(?![\dA-Za-z])", re.IGNORECASE)
RELATIVE_SIZE = re.compile(
    r"大一[码号]|小一[码号]|大[一两]?[码号]|小[一两]?[码号]|大点|小点|大一点|小一点|加大|偏大|偏小|"
    + english(WORDS["relative_sizes"])
)
COLOUR = re.compile(r"[白黑红蓝粉银灰绿黄紫棕咖米卡其藏青]+色|[白黑红蓝粉银灰绿黄紫]的|" + english(WORDS["colours"]))


def read_size(text: str) -> Reading:
    if ORDER_NUMBER.search(text):
        return OTHER
    sizes = SIZE.findall(text)
    named = sizes or RELATIVE_SIZE.search(text) or COLOUR.search(text)
    rest = COLOUR.sub(" ", RELATIVE_SIZE.sub(" ", SIZE.sub(" ", text)))
    if (QUESTION.search(rest) or re.search(r"到哪|物流|投诉|人工|客服|发票|改地址|退货", rest)
            or EN_OTHER_REQUEST.search(rest)):
        return OTHER
    if named:
        return Reading("value", sizes[-1].upper() if sizes else None)
    return OTHER


# --- rating -------------------------------------------------------------------------------------------
CHINESE_NUMBERS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
RATING_NUMBER = re.compile(r"(?<!\d)(\d{1,3})\s*(?:分|星|颗星)?(?!\d)|([一二两三四五六七八九十])\s*(?:分|星|颗星)")
RATING_WORDS: tuple[tuple[re.Pattern[str], int], ...] = (
    (re.compile(r"非常不满意|很不满意|太差|很差|极差|差评|垃圾|糟糕"), 1),
    (re.compile(r"不满意|不太满意|不怎么样|不好"), 2),
    (re.compile(r"一般|还行|凑合|马马虎虎|中评|还可以吧?$"), 3),
    (re.compile(r"非常满意|很满意|特别满意|太棒|超赞|完美|满分|好评|五星好评|非常好|特别好|很棒"), 5),
    (re.compile(r"满意|不错|挺好|很好|还可以|可以"), 4),
)


ENGLISH_NUMBERS: dict[str, int] = {str(word): int(number) for word, number in WORDS["numbers"].items()}
EN_NUMBER = english([word.replace(" ", r"\s+") for word in ENGLISH_NUMBERS])
EN_RATING_NUMBER = re.compile(rf"({EN_NUMBER})\s*(?i:stars?|points?|/\s*5|out of (?:5|five))")
# (pattern, rating), the longest phrase first: "not good" is read before "good".
EN_RATING_WORDS: tuple[tuple[re.Pattern[str], int], ...] = tuple(
    (re.compile(english([phrase])), int(rating))
    for phrase, rating in sorted(
        ((phrase, rating) for rating, phrases in WORDS["ratings"].items() for phrase in phrases),
        key=lambda pair: len(pair[0]), reverse=True)
)


def read_rating(text: str) -> Reading:
    if QUESTION.search(text) or OTHER_REQUEST.search(text) or ORDER_NUMBER.search(text):
        return OTHER
    found = RATING_NUMBER.search(text)
    worded = EN_RATING_NUMBER.search(text)
    if found or worded:
        if found:
            number = int(found.group(1)) if found.group(1) else CHINESE_NUMBERS[found.group(2)]
        else:
            number = ENGLISH_NUMBERS[SPACE.sub(" ", worded.group(1).lower())]
        return Reading("value", str(number)) if 1 <= number <= 5 else Reading("invalid")
    for words, rating in RATING_WORDS + EN_RATING_WORDS:
        if words.search(text):
            return Reading("value", str(rating))
    return OTHER


# --- remedy of a delivery problem ---------------------------------------------------------------------
RESHIP = re.compile(r"补发|重发|再发|重新发|补寄|再寄|重新寄|补一[个件份]|给我发|寄过来|发过来|要东西|要货|"
                    + english(WORDS["reship"]))
REFUND = re.compile(r"退款|退钱|退费|钱退|退回|把钱|赔钱|要钱|退我|返还|原路|退货|退了吧|不要了|赔|"
                    + english(WORDS["refund"]))


def read_remedy(text: str) -> Reading:
    if (QUESTION.search(text) or re.search(r"到哪|物流|投诉|人工|客服|发票|改地址|另[一外]", text)
            or EN_OTHER_REQUEST.search(text)):
        return OTHER
    reship, refund = RESHIP.search(text), REFUND.search(text)
    if reship and not refund:
        return Reading("value", "reship")
    if refund and not reship:
        return Reading("value", "refund")
    return OTHER


# --- how many are missing -----------------------------------------------------------------------------
QUANTITY = re.compile(
    r"(?<!\d)(\d{1,3})(?!\d)|([一两二三四五六七八九十])\s*[件个样盒瓶包双条只本支套袋罐份]|^([一两二三四五六七八九十])$"
)


EN_QUANTITY = re.compile(EN_NUMBER)
UNCOUNTABLE = re.compile(r"全部|都没|一件都|好几|很多|几个|" + english(WORDS["uncountable"]))


def read_quantity(text: str) -> Reading:
    if QUESTION.search(text) or OTHER_REQUEST.search(text) or ORDER_NUMBER.search(text):
        return OTHER
    found, worded = QUANTITY.search(text.strip()), EN_QUANTITY.search(text)
    if found:
        number = int(found.group(1)) if found.group(1) else CHINESE_NUMBERS[found.group(2) or found.group(3)]
    elif worded:
        number = ENGLISH_NUMBERS[SPACE.sub(" ", worded.group(0).lower())]
    else:
        return Reading("invalid") if UNCOUNTABLE.search(text) else OTHER
    return Reading("value", str(number)) if number >= 1 else Reading("invalid")


# --- the problem of a parcel shown as delivered -----------------------------------------------------
# The Chinese words are those of actions/logistics.py (the form's own reading of typed text); missing
# items first: "有一件没收到" is an item missing from the parcel, not a parcel that never came.
DELIVERY_PROBLEMS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("missing_items", re.compile(
        r"少件|少发|漏发|少寄|漏寄|缺件|没发全|发少了|寄少了|少了\s*[一两二三四五六七八九十\d]*\s*[件个样盒瓶包双条只本支套袋罐]|"
        r"东西少了|数量不对|数量少了|(?:有|其中|另外)[一两]?[件个样]没(?:有)?收到|只收到(?:了)?\s*[一两二三四五六七八九\d]|"
        + english(WORDS["missing_items"]))),
    ("not_received", re.compile(r"没收到|没有收到|未收到|收不到|没拿到|冒领|被别人签收|私自签收|代签|没签收|"
                                + english(WORDS["not_received"]))),
    ("damaged", re.compile(r"破损|破了|压坏|摔坏|碎了|坏了|压扁|压烂|磕坏|撞坏|漏了|" + english(WORDS["damaged"]))),
)


def read_delivery_problem(text: str) -> Reading:
    if (QUESTION.search(text) or ORDER_NUMBER.search(text) or re.search(r"投诉|人工|客服|发票|改地址|换货", text)
            or EN_OTHER_REQUEST.search(text)):
        return OTHER
    for problem, words in DELIVERY_PROBLEMS:
        if words.search(text):
            return Reading("value", problem)
    return OTHER


# --- invoice kind -------------------------------------------------------------------------------------
PERSONAL = re.compile(r"个人|自己|私人|本人|抬头写我|我自己|" + english(WORDS["personal"]))
COMPANY = re.compile(r"企业|公司|单位|报销|增值税|对公|" + english(WORDS["company"]))


def read_invoice_kind(text: str) -> Reading:
    if QUESTION.search(text) or ORDER_NUMBER.search(text):
        return OTHER
    personal, company = PERSONAL.search(text), COMPANY.search(text)
    if personal and not company:
        return Reading("value", "personal")
    if company and not personal:
        return Reading("value", "company")
    return OTHER


# --- photo --------------------------------------------------------------------------------------------
URL = re.compile(r"https?://[^\s，。！]+")


def read_photo(text: str) -> Reading:
    found = URL.search(text)
    if found:
        return Reading("value", found.group(0))
    if re.search(r"www\.|\.jpg|\.png|\.jpeg|图片链接", text, re.IGNORECASE):
        return Reading("invalid")
    return OTHER


READERS: dict[str, Callable[[str], Reading]] = {
    "yes_no": read_yes_no, "email": read_email, "tax_no": read_tax_no, "address": read_address,
    "waybill": read_waybill, "size": read_size, "rating": read_rating, "remedy": read_remedy,
    "quantity": read_quantity, "invoice_kind": read_invoice_kind, "photo": read_photo,
    "delivery_problem": read_delivery_problem,
}


def read_answer(kind: str, text: str | None) -> Reading:
    """What the message says as an answer to a question of `kind`."""
    plain = str(text or "").strip()
    if not plain or plain.startswith("/"):
        return OTHER
    return READERS[kind](plain)


# --- at runtime ---------------------------------------------------------------------------------------

def question_kind(tracker: DialogueStateTracker | None) -> str | None:
    """The kind of question the assistant asked last: the active form's requested slot, or an offer."""
    if tracker is None:
        return None
    loop = tracker.active_loop_name
    requested = tracker.get_slot("requested_slot")
    if loop and requested:
        return QUESTION_KINDS.get(str(requested))
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return None
        if isinstance(event, ActionExecuted) and event.action_name not in ("action_listen", None):
            return OFFER_KINDS.get(event.action_name)
    return None


def as_answer(parse_data: dict[str, Any], kind: str, reading: Reading) -> dict[str, Any]:
    """The NLU's parse, as the answer it is."""
    intent = {"yes": "affirm", "no": "deny"}.get(reading.outcome, "inform")
    kept = KEPT_ENTITIES.get(kind, frozenset()) | {"language"}  # the message's language (addons/language.py)
    entities = [e for e in parse_data.get("entities") or [] if e.get("entity") in kept]
    entity = VALUE_ENTITIES.get(kind)
    if entity and reading.outcome == "value" and reading.value:
        entities.append({"entity": entity, "value": reading.value, "extractor": "AnswerReader"})
    if kind == "size" and reading.value and not any(e.get("entity") == "size" for e in entities):
        entities.append({"entity": "size", "value": reading.value, "extractor": "AnswerReader"})
    ranking = [{"name": intent, "confidence": 1.0}]
    return {**parse_data, "intent": {"name": intent, "confidence": 1.0}, "intent_ranking": ranking,
            "entities": entities}


_previous_parse_message: Any = None


async def _parse_answer(
    self: MessageProcessor, message: UserMessage, tracker: DialogueStateTracker | None = None,
    only_output_properties: bool = True,
) -> dict[str, Any]:
    parse_data = await _previous_parse_message(self, message, tracker, only_output_properties)
    kind = question_kind(tracker)
    if kind is None or typed_button_payload(message.text, tracker) is not None:
        return parse_data
    reading = read_answer(kind, message.text)
    attached = str((message.metadata or {}).get("image_url") or "") if kind == "photo" else ""
    if URL.fullmatch(attached):  # an image attached to the message is the photo asked for
        reading = Reading("value", attached)
    if reading.outcome == "other":
        return parse_data
    return as_answer(parse_data, kind, reading)


def install() -> None:
    """Idempotent; wraps whatever parses messages now (addons.typed_buttons installs first)."""
    global _previous_parse_message
    if MessageProcessor.parse_message is not _parse_answer:
        _previous_parse_message = MessageProcessor.parse_message
        MessageProcessor.parse_message = _parse_answer  # type: ignore[method-assign]


def uninstall() -> None:
    if MessageProcessor.parse_message is _parse_answer and _previous_parse_message is not None:
        MessageProcessor.parse_message = _previous_parse_message  # type: ignore[method-assign]
