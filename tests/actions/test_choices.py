"""Choosing from a list by typed words (actions/choices.py): pure, no Rasa, no DB."""

from __future__ import annotations

from typing import Any

import pytest

from actions.choices import names_several, pick, tied
from actions.order_forms import is_a_misread_choice, words_for_choosing

TEES = ["纯棉圆领T恤 白色/M", "纯棉圆领T恤 黑色/L", "不锈钢保温杯 银色"]
PHONES = ["iPhone 15 手机壳 透明", "华为 Mate 60 钢化膜"]
ORDERS = ["轻量跑步鞋 已签收", "修身牛仔裤 已签收", "阳澄湖大闸蟹礼盒 已签收"]


@pytest.mark.parametrize(("options", "said", "chosen"), [
    (TEES, "第二个", TEES[1]), (TEES, "2", TEES[1]), (TEES, "最后那件", TEES[2]), (TEES, "第五个", None),
    (TEES, "白色T恤", TEES[0]), (TEES, "黑色那件", TEES[1]), (TEES, "保温杯吧", TEES[2]),
    (TEES, "T恤", None),  # two T恤: which one?
    (TEES, "T恤和保温杯", None),  # two items named at once
    (TEES, "手机壳", None), (TEES, "那个", None),
    (ORDERS, "跑鞋那单", ORDERS[0]), (ORDERS, "大闸蟹", ORDERS[2]), (ORDERS, "已签收的", None),
    (TEES, "杯子", TEES[2]), (ORDERS, "裤子那单", ORDERS[1]), (ORDERS, "鞋子", ORDERS[0]),
    (TEES, "杯", None), (TEES, "好的", None), (TEES, "袜子", None), (TEES, "子", None),
    (TEES, "the second one", TEES[1]), (TEES, "First", TEES[0]), (TEES, "3rd one pls", TEES[2]),
    (TEES, "the last one", TEES[2]), (TEES, "fifth", None),
    # Latin letters count only as whole words: "firstly" shares t and l with "T恤 黑色/L" letter by letter
    (TEES, "firstly", None), (TEES, "黑色L码", TEES[1]), (TEES, "m码T恤", TEES[0]), (TEES, "tl", None),
    (PHONES, "iphone的壳", PHONES[0]), (PHONES, "华为的", PHONES[1]),
])
def test_pick_by_place_or_by_the_words_of_one_option(options: list[str], said: str, chosen: str | None) -> None:
    assert pick(options, said, str) == chosen


@pytest.mark.parametrize(("said", "several"), [
    ("T恤和保温杯", True), ("白色T恤", False), ("T恤", False), ("保温杯", False), ("手机壳", False),
])
def test_words_that_name_several_options(said: str, several: bool) -> None:
    assert names_several(TEES, said, str) is several


@pytest.mark.parametrize(("options", "said", "fitting"), [
    (TEES, "T恤", TEES[:2]), (TEES, "纯棉T恤那件", TEES[:2]), (ORDERS, "已签收的", ORDERS),
    (TEES, "白色T恤", []),  # one option fits best: chosen, not tied
    (TEES, "手机壳", []), (TEES, "第二个", []),
])
def test_words_that_fit_several_options_equally(options: list[str], said: str, fitting: list[str]) -> None:
    assert tied(options, said, str) == fitting


@pytest.mark.parametrize(("message", "words", "misread_choice"), [
    ({"text": "the white one", "entities": [{"entity": "color", "value": "白色"}]}, "the white one 白色", True),
    ({"text": "jeans L", "entities": [{"entity": "product", "value": "牛仔裤"}, {"entity": "size", "value": "L"},
                                      {"entity": "product", "value": "牛仔裤"}]}, "jeans L 牛仔裤 L", True),
    ({"text": "the second one", "entities": []}, "the second one", True),
    ({"text": "hello", "entities": []}, "hello", False),
    # a question about the product is answered, not taken as a choice
    ({"text": "is the t-shirt cotton?", "entities": [{"entity": "product", "value": "T恤"}]},
     "is the t-shirt cotton? T恤", False),
    ({"text": "does the white one come in XL", "entities": [{"entity": "color", "value": "白色"}]},
     "does the white one come in XL 白色", False),
    # Chinese is matched as typed: the words are the options' own
    ({"text": "白色那件", "entities": [{"entity": "color", "value": "白色"}]}, "白色那件", False),
])
def test_english_choices_are_matched_by_the_chinese_values_they_name(
    message: dict[str, Any], words: str, misread_choice: bool
) -> None:
    assert words_for_choosing(message) == words
    assert is_a_misread_choice(message) is misread_choice
