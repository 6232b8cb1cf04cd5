"""Pre-sales questions: the ResponseSelector's FAQ answer, or stock, price and 商品参数 from the catalogue.

`product_inquiry` is a retrieval intent (`product_inquiry/<topic>`, answers in domain/responses/product_inquiry.yml as
`utter_product_inquiry/<topic>`). Stock and price questions, and questions about a product's
material, size or use, that name a product are answered from the shop's catalogue instead of a
canned text.
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend import BackendUnavailable, shop_session
from actions.order_forms import entity_value
from actions.wording import by_language, english, label, label_pairs, money, product_name, translated
from shop.services.catalogue import advise_size, find_skus, product_facts
from shop.services.views import SkuView

MAX_COLOURS = 6


def latest_entity(tracker: Tracker, name: str) -> Any:
    """This message's entity only: a size from an earlier flow must not answer a new question."""
    return entity_value(tracker.latest_message, name)


def spec(sku: SkuView) -> str:
    return " ".join(v for v in (translated("color", sku.color), sku.size) if v)


def title(view: Any) -> str:
    """A catalogue view's product name in the reply's language."""
    return product_name(view.title, view.title_en)


def in_stock_specs(skus: list[SkuView]) -> str:
    """What can be bought now, grouped by colour: "白色 S/M/L；黑色 S/M"."""
    by_color: dict[str, list[str]] = {}
    for sku in skus:
        if sku.available > 0:
            by_color.setdefault(translated("color", sku.color), []).append(sku.size or "")
    groups = [f"{color} {'/'.join(s for s in sizes if s)}".strip() for color, sizes in by_color.items()]
    return by_language("；", "; ").join(groups[:MAX_COLOURS])


STOCK_TOPIC = "product_inquiry/stock_price"
SPECS_TOPIC = "product_inquiry/specs"
SIZE_TOPIC = "product_inquiry/size_advice"
WARRANTY_TOPIC = "product_inquiry/warranty"
# Topics a product's own 商品参数 answer when the question names the product: a warranty question gets
# the product's 保修 fact (or the shop's warranty answer when it has none), a specs question its facts.
FACT_TOPICS = (SPECS_TOPIC, WARRANTY_TOPIC)
WARRANTY_FACT = "保修"  # the name of the warranty fact in the shop's 商品参数 (shop/seed.py, docs/shop.md)
# A height as shoppers type it: 170 / 170cm / 1米7 / 1米70 / 1.7米 / 一米七.
HEIGHT = re.compile(r"(?<![\d.])(1[4-9]\d)\s*(?:cm|厘米|公分)?(?![\d.]|\s*(?:斤|公斤|kg))|"
                    r"(?:1|一)\s*(?:米|\.|m)\s*([5-9一五六七八九])([0-9一二三四五六七八九])?(?!\d)", re.IGNORECASE)
# A weight: 65公斤 / 65kg / 130斤 (half a kilogram) / 65 (a bare number under 140 said with a height).
WEIGHT = re.compile(r"(?<![\d.])(\d{2,3}(?:\.\d)?)\s*(公斤|kg|千克|斤)", re.IGNORECASE)
BARE_NUMBER = re.compile(r"(?<![\d.])(\d{2,3})(?![\d.])")
DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
# Messages back a size question's product may have been named in ("T恤有货吗" → "我170 65公斤穿多大").
PRODUCT_LOOKBACK = 4


def faq_topic(tracker: Tracker) -> str | None:
    """The ResponseSelector's choice, e.g. "product_inquiry/size_advice"."""
    selected = (tracker.latest_message.get("response_selector") or {}).get("product_inquiry") or {}
    return (selected.get("response") or {}).get("intent_response_key")


class ActionAnswerProductQuestion(Action):
    def name(self) -> str:
        return "action_answer_product_question"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        answer_product_question(tracker, dispatcher)
        return []


def answer_product_question(tracker: Tracker, dispatcher: CollectingDispatcher) -> None:
    # Every topic the selector can pick has a response (addons/linear_classifiers.py learns no others).
    topic = faq_topic(tracker) or STOCK_TOPIC
    measures = body_measures(str(tracker.latest_message.get("text") or ""))
    if measures is not None and (topic == SIZE_TOPIC or "码" in str(tracker.latest_message.get("text") or "")):
        answer_size(tracker, dispatcher, *measures)
    elif topic == STOCK_TOPIC and latest_entity(tracker, "product"):
        answer_stock(tracker, dispatcher)
    elif topic in FACT_TOPICS and latest_entity(tracker, "product"):
        answer_facts(tracker, dispatcher, topic)
    else:
        dispatcher.utter_message(response=f"utter_{topic}")


def _digit(token: str) -> int:
    return int(token) if token.isdigit() else DIGITS[token]


def body_measures(text: str) -> tuple[int, int] | None:
    """(height cm, weight kg) the message gives ("我170 65公斤穿多大", "1米7 130斤"), or None."""
    height_found = HEIGHT.search(text)
    if height_found is None:
        return None
    if height_found.group(1):
        height = int(height_found.group(1))
    else:
        tail = height_found.group(3)
        height = 100 + _digit(height_found.group(2)) * 10 + (_digit(tail) if tail else 0)
    rest = text[:height_found.start()] + " " + text[height_found.end():]
    weight_found = WEIGHT.search(rest)
    if weight_found is not None:
        weight = float(weight_found.group(1)) / (2 if weight_found.group(2) == "斤" else 1)
    else:
        bare = [int(n) for n in BARE_NUMBER.findall(rest) if 30 <= int(n) < 140]
        if not bare:
            return None
        weight = bare[0]
    return height, round(weight)


def product_of_the_question(tracker: Tracker) -> str | None:
    """The product this message names, else the one a recent message of the shopper named."""
    found = latest_entity(tracker, "product")
    if found:
        return str(found)
    messages = [e for e in tracker.events if e.get("event") == "user"][-PRODUCT_LOOKBACK:]
    for event in reversed(messages):
        named = entity_value(event.get("parse_data") or {}, "product")
        if named:
            return str(named)
    return None


def answer_size(tracker: Tracker, dispatcher: CollectingDispatcher, height: int, weight: int) -> None:
    """"我170 65公斤穿多大": the size the product's size chart gives for that height and weight."""
    product = product_of_the_question(tracker)
    if product is None:
        dispatcher.utter_message(response="utter_size_advice_which_product", height=height, weight=weight)
        return
    try:
        with shop_session(dispatcher) as session:
            advice = advise_size(session, product=product, height_cm=height, weight_kg=weight)
    except BackendUnavailable:
        return
    if advice is None:
        dispatcher.utter_message(response=f"utter_{SIZE_TOPIC}")
        return
    row = label(None, "size_chart", "row")
    chart = by_language("，", ", ").join(
        row.replace("{size}", size).replace("{height}", str(tallest)).replace("{weight}", str(heaviest))
        for size, tallest, heaviest in advice.chart)
    if advice.size is None:
        dispatcher.utter_message(response="utter_size_advice_beyond", title=title(advice), height=height,
                                 weight=weight, largest=advice.chart[-1][0], chart=chart)
    else:
        dispatcher.utter_message(response="utter_size_advice", title=title(advice), height=height, weight=weight,
                                 size=advice.size, chart=chart)


def answer_facts(tracker: Tracker, dispatcher: CollectingDispatcher, topic: str = SPECS_TOPIC) -> None:
    """The 商品参数 of the product this message names: the facts the question names ("T恤是什么材质的" → 材质,
    "手环防水吗" → 防水, "how long does the battery last" → 续航), else all of them as the shop lists them
    (能装开水 names none); a warranty question naming none of the product's facts gets the shop's warranty
    answer. The general answer when the shop has recorded none."""
    product = latest_entity(tracker, "product")
    try:
        with shop_session(dispatcher) as session:
            found = product_facts(session, product=str(product))
    except BackendUnavailable:
        return
    if found is None:
        dispatcher.utter_message(response="utter_stock_unknown_product", product=product)
        return
    question, named = facts_named(tracker.latest_message)
    asked = [(name, value) for name, value in found.facts if name in question or name in named
             or (topic == WARRANTY_TOPIC and name == WARRANTY_FACT)]  # 有质保吗 names 保修 in other words
    if not asked and (WARRANTY_FACT in question or WARRANTY_FACT in named):
        topic = WARRANTY_TOPIC  # "T恤保修吗": no 保修 recorded, so the shop's warranty answer, not every fact
    if not asked and (topic != SPECS_TOPIC or not found.facts):
        dispatcher.utter_message(response=f"utter_{topic}")
        return
    facts = by_language("；", "; ").join(
        f"{name}{by_language('：', ': ')}{value}" for name, value in asked or found.facts)
    if english():  # the shop's 商品参数 are in Chinese: said so, and given as they are
        facts = f"{facts} {label(None, 'note', 'detail_in_chinese')}"
    dispatcher.utter_message(response="utter_product_facts", title=title(found), facts=facts)


def facts_named(message: dict[str, Any]) -> tuple[str, set[str]]:
    """The question's text without the product named (保温杯 names no 保温 fact), and the Chinese names of
    the facts its English words stand for (labels `fact_words`: "battery" → 续航)."""
    question = _without_entities(message)
    lowered = question.lower()
    named = {chinese for chinese, words in label_pairs("fact_words")
             if words and re.search(rf"\b(?:{words})\b", lowered)}
    return question, named


def _without_entities(message: dict[str, Any]) -> str:
    """The message's text with the spans of its entities (the product named) blanked out."""
    text = str(message.get("text") or "")
    for entity in message.get("entities") or []:
        start, end = entity.get("start"), entity.get("end")
        if isinstance(start, int) and isinstance(end, int):
            text = text[:start] + " " * (end - start) + text[end:]
    return text


def answer_stock(tracker: Tracker, dispatcher: CollectingDispatcher) -> None:
    """Stock and price of the product (and size/colour) this message names."""
    product = latest_entity(tracker, "product")
    size = latest_entity(tracker, "size")
    color = latest_entity(tracker, "color")
    try:
        with shop_session(dispatcher) as session:
            all_specs = find_skus(session, product=product)
            wanted = find_skus(session, product=product, size=size, color=color) if size or color else all_specs
    except BackendUnavailable:
        return
    if not all_specs:
        dispatcher.utter_message(response="utter_stock_unknown_product", product=product)
    elif not wanted:
        dispatcher.utter_message(
            response="utter_stock_no_such_spec",
            title=title(all_specs[0]),
            spec=" ".join(str(v) for v in (color, size) if v),
            in_stock=in_stock_specs(all_specs),
        )
    elif size or color:
        answer_spec(wanted[0], all_specs, dispatcher)
    else:
        lowest = min(sku.price for sku in all_specs)
        dispatcher.utter_message(
            response="utter_stock_summary", title=title(all_specs[0]), price=money(lowest),
            in_stock=in_stock_specs(all_specs),
        )


def answer_spec(sku: SkuView, all_specs: list[SkuView], dispatcher: CollectingDispatcher) -> None:
    if sku.available > 0:
        dispatcher.utter_message(response="utter_stock_available", title=title(sku), spec=spec(sku),
                                 price=money(sku.price), available=sku.available)
    else:
        dispatcher.utter_message(response="utter_stock_sold_out", title=title(sku), spec=spec(sku),
                                 in_stock=in_stock_specs(all_specs))
