"""Pre-sales questions: FAQ answers by the ResponseSelector's topic, stock and price from the catalogue."""

from __future__ import annotations

from typing import Any

import pytest
from actions_testkit import make_tracker, message, names, run_action, user_event

from actions.products import ActionAnswerProductQuestion
from actions.wording import speaking

pytestmark = pytest.mark.usefixtures("shop_db")


def ask(text: str, topic: str, domain: dict[str, Any], **entities: str) -> Any:
    # spans where the value is in the text, as the NLU gives them
    found = [{"entity": k, "value": v, **({"start": text.find(v), "end": text.find(v) + len(v)} if v in text else {})}
             for k, v in entities.items()]
    event = user_event(text, "product_inquiry", found)
    event["parse_data"]["response_selector"] = {
        "product_inquiry": {"response": {"intent_response_key": f"product_inquiry/{topic}"}}
    }
    dispatcher, events = run_action(ActionAnswerProductQuestion(), make_tracker(events=[event]), domain)
    assert events == []
    return dispatcher


@pytest.mark.parametrize("topic", ["shipping_time", "return_policy", "shipping_fee",
                                   "shelf_life", "size_advice", "service_hours", "coupons", "specs"])
def test_faq_topics_are_answered_from_the_domain(topic: str, domain: dict[str, Any]) -> None:
    assert names(ask("问一下", topic, domain)) == [f"utter_product_inquiry/{topic}"]


def test_stock_of_a_size_and_colour_in_stock(domain: dict[str, Any]) -> None:
    reply = message(ask("T恤黑色L码还有吗", "stock_price", domain, product="T恤", color="黑色", size="L"),
                    "utter_stock_available")
    assert reply["title"] == "纯棉圆领T恤" and reply["spec"] == "黑色 L" and reply["price"] == "79.00"


def test_sold_out_size_lists_what_is_in_stock(domain: dict[str, Any]) -> None:
    reply = message(ask("T恤黑色XXL有吗", "stock_price", domain, product="T恤", color="黑色", size="XXL"),
                    "utter_stock_sold_out")
    assert reply["spec"] == "黑色 XXL"
    assert "黑色 S/M/L/XL；" in reply["in_stock"] + "；" and "白色 S/M/L/XL/XXL" in reply["in_stock"]


def test_product_without_spec_gets_price_and_sizes(domain: dict[str, Any]) -> None:
    reply = message(ask("跑步鞋多少钱", "stock_price", domain, product="跑步鞋"), "utter_stock_summary")
    assert reply["price"] == "399.00" and reply["in_stock"].startswith("黑色 39/40/41/42/44")


def test_unknown_product_and_missing_spec_are_said_plainly(domain: dict[str, Any]) -> None:
    assert names(ask("有卖冰箱吗", "stock_price", domain, product="冰箱")) == ["utter_stock_unknown_product"]
    assert names(ask("T恤有紫色吗", "stock_price", domain, product="T恤", color="紫色")) == ["utter_stock_no_such_spec"]


@pytest.mark.parametrize(("text", "product", "title", "fact"), [
    ("T恤是什么材质的", "T恤", "纯棉圆领T恤", "材质：100% 精梳棉"),
    ("这个保温杯能装开水吗", "保温杯", "不锈钢保温杯", "适用：可装开水和茶"),
    ("手环防水吗", "手环", "智能手环", "防水：5ATM"),
])
def test_a_question_about_a_product_gets_its_facts_from_the_catalogue(
    text: str, product: str, title: str, fact: str, domain: dict[str, Any]
) -> None:
    reply = message(ask(text, "specs", domain, product=product), "utter_product_facts")
    assert reply["title"] == title and fact in reply["facts"]


@pytest.mark.parametrize(("text", "product", "facts"), [
    ("T恤是什么材质的", "T恤", "材质：100% 精梳棉"),  # the fact the question names, alone
    # two named: in the shop's order
    ("手环防水吗 续航呢", "手环", "续航：典型使用约 14 天；防水：5ATM，可游泳佩戴，不能泡热水或潜水"),
])
def test_a_question_naming_a_fact_gets_that_fact(
    text: str, product: str, facts: str, domain: dict[str, Any]
) -> None:
    assert message(ask(text, "specs", domain, product=product), "utter_product_facts")["facts"] == facts


def test_a_question_naming_no_fact_gets_them_all(domain: dict[str, Any]) -> None:
    facts = message(ask("这个保温杯能装开水吗", "specs", domain, product="保温杯"), "utter_product_facts")["facts"]
    assert facts.split("；")[0] == "材质：316 不锈钢内胆、304 不锈钢外壳" and len(facts.split("；")) == 4


def test_a_question_about_an_unknown_product_says_so(domain: dict[str, Any]) -> None:
    assert names(ask("冰箱是几级能效", "specs", domain, product="冰箱")) == ["utter_stock_unknown_product"]


def test_stock_question_without_a_product_gets_the_faq_text(domain: dict[str, Any]) -> None:
    assert names(ask("有货吗", "stock_price", domain)) == ["utter_product_inquiry/stock_price"]


def ask_in(language: str, text: str, topic: str, domain: dict[str, Any], **entities: str) -> Any:
    """`ask` inside an action call in `language` (its labels from the domain, as the executor's hook sets)."""
    with speaking(language, domain):
        return ask(text, topic, domain, **entities)


@pytest.mark.parametrize("topic", ["warranty", "shipping_regions", "payment_methods"])
def test_cross_border_payment_and_warranty_topics_have_answers(topic: str, domain: dict[str, Any]) -> None:
    assert names(ask("问一下", topic, domain)) == [f"utter_product_inquiry/{topic}"]


@pytest.mark.parametrize("topic", ["warranty", "specs"])
def test_a_warranty_question_gets_the_products_warranty(topic: str, domain: dict[str, Any]) -> None:
    reply = message(ask_in("zh", "耳机保修多久", topic, domain, product="耳机"), "utter_product_facts")
    assert reply["facts"] == "保修：一年质保，非人为损坏免费维修或换新"


def ask_english(text: str, said: str, product: str, topic: str, domain: dict[str, Any]) -> Any:
    """An English question whose product words `said` the NLU maps to the catalogue's `product` (synonyms)."""
    start = text.find(said)
    event = user_event(text, "product_inquiry",
                       [{"entity": "product", "value": product, "start": start, "end": start + len(said)}])
    event["parse_data"]["response_selector"] = {
        "product_inquiry": {"response": {"intent_response_key": f"product_inquiry/{topic}"}}
    }
    with speaking("en", domain):
        dispatcher, _ = run_action(ActionAnswerProductQuestion(), make_tracker(events=[event]), domain)
    return dispatcher


@pytest.mark.parametrize(("text", "said", "product", "fact"), [
    ("what's the warranty on the earbuds?", "earbuds", "耳机", "保修: 一年质保"),
    ("how long does the earbuds battery last?", "earbuds", "耳机", "续航: 单次约 6 小时"),
    ("how long will the earbuds run on one charge?", "earbuds", "耳机", "续航: 单次约 6 小时"),
    ("how long do the earbuds take to charge?", "earbuds", "耳机", "充电: Type-C"),
    ("what material is the t-shirt?", "t-shirt", "T恤", "材质: 100% 精梳棉"),
    ("is the fitness band waterproof?", "fitness band", "手环", "防水: 5ATM"),
])
def test_an_english_question_naming_a_fact_gets_that_fact_alone(
    text: str, said: str, product: str, fact: str, domain: dict[str, Any]
) -> None:
    facts = message(ask_english(text, said, product, "specs", domain), "utter_product_facts")["facts"]
    assert facts.startswith(fact) and ";" not in facts, facts


def test_a_warranty_topic_in_other_words_gets_the_products_warranty(domain: dict[str, Any]) -> None:
    reply = message(ask_in("zh", "这个手环有质保吗", "warranty", domain, product="手环"), "utter_product_facts")
    assert reply["facts"] == "保修：一年质保，非人为损坏免费维修或换新"


def test_a_warranty_question_about_a_product_without_one_gets_the_shops_warranty(domain: dict[str, Any]) -> None:
    assert names(ask_in("zh", "T恤保修吗", "specs", domain, product="T恤")) == ["utter_product_inquiry/warranty"]
    assert names(ask_english("is the t-shirt under warranty", "t-shirt", "T恤", "warranty",
                             domain)) == ["utter_product_inquiry/warranty"]
