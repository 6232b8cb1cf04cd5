"""Pre-sales questions: FAQ answers by the ResponseSelector's topic, stock and price from the catalogue."""

from __future__ import annotations

from typing import Any

import pytest
from actions_testkit import make_tracker, message, names, run_action, user_event

from actions.products import ActionAnswerProductQuestion

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
