"""Words actions build, in the shopper's language (actions/wording.py, actions/language.py; issue 35)."""

from __future__ import annotations

import asyncio
import re
from datetime import date, datetime
from typing import Any

import pytest
from actions_testkit import make_tracker, user_event
from rasa_sdk.executor import ActionExecutor

from actions.items import item_shown
from actions.orders import describe_items
from actions.wording import label, listed, pickup_time, reply_language, speaking, translated, when
from shop.seed import DEMO_CUSTOMER_ID, DEMO_ORDERS
from shop.tokens import mint_token

CJK = re.compile(r"[\u3400-\u9fff]")


def test_labels_come_in_the_replys_language(domain: dict[str, Any]) -> None:
    assert label(domain, "status", "shipped") == "运输中"
    with speaking("en", domain):
        assert label(domain, "status", "shipped") == "in transit"
        assert label(None, "status", "shipped") == "in transit"  # the call's domain
        assert label(domain, "status", "no_such_status") == "no_such_status"


def test_dates_read_naturally_in_english() -> None:
    moment = datetime(2026, 12, 7, 10, 48)
    assert when(moment) == "12-07 10:48"
    assert when(date(2026, 12, 7)) == "12-07"
    with speaking("en"):
        assert when(moment) == "Dec 7, 10:48"
        assert when(date(2026, 1, 31)) == "Jan 31"


def test_a_pickup_slot_reads_as_a_date_in_english() -> None:
    """The shop's "2026-12-09 09:00-12:00" is "Dec 9, 09:00–12:00" to an English shopper (issue 35)."""
    assert pickup_time("2026-12-09 09:00-12:00") == "2026-12-09 09:00-12:00"
    with speaking("en"):
        assert pickup_time("2026-12-09 09:00-12:00") == "Dec 9, 09:00–12:00"
        assert pickup_time("明天上午") == "明天上午"  # not a slot of the shop's data: as it is
        assert pickup_time(None) == ""


def test_couriers_and_colours_have_their_english_names(domain: dict[str, Any]) -> None:
    assert translated("courier", "中通快递") == "中通快递"
    with speaking("en", domain):
        assert translated("courier", "中通快递") == "ZTO Express"
        assert translated("courier", "顺丰速运") == "SF Express"
        assert translated("color", "黑色") == "black"
        assert translated("courier", "某某快运") == "某某快运"  # no English name: as the shop wrote it
        assert listed(["a", "b"]) == "a, b"
    assert listed(["a", "b"]) == "a、b"


@pytest.mark.usefixtures("shop_db")
def test_items_are_named_in_english_where_the_shop_has_english_names(domain: dict[str, Any]) -> None:
    from actions_testkit import db_session

    from shop.clock import system_clock
    from shop.services.orders import get_order_detail

    with db_session() as session:
        order = get_order_detail(session, DEMO_CUSTOMER_ID, DEMO_ORDERS["multi_item"], clock=system_clock)
    chinese = describe_items(order.items)
    with speaking("en", domain):
        english = describe_items(order.items)
        buttons = [item_shown(item) for item in order.items]
    assert CJK.search(chinese) and "、" in chinese
    assert not CJK.search(english) and ", " in english
    assert not any(CJK.search(title) for title in buttons)


def run_call(language: str | None, domain: dict[str, Any]) -> list[dict[str, Any]]:
    """action_ask_order_id through rasa_sdk's own executor, as `rasa run actions` runs it."""
    executor = ActionExecutor()
    executor.register_package("actions")
    token = mint_token(DEMO_CUSTOMER_ID)
    slots = {"language": language} if language else {}
    tracker = make_tracker(slots=slots, events=[user_event("where is my order", "query_order", token=token)])
    state = {"sender_id": tracker.sender_id, "slots": tracker.slots, "latest_message": tracker.latest_message,
             "events": tracker.events, "paused": False, "followup_action": None, "active_loop": {},
             "latest_action_name": "action_listen"}
    result = asyncio.run(executor.run({"next_action": "action_ask_order_id", "tracker": state, "domain": domain}))
    return result["responses"]


@pytest.mark.usefixtures("shop_db")
def test_each_call_words_its_buttons_in_the_conversations_language(domain: dict[str, Any]) -> None:
    english_titles = [b["title"] for b in run_call("en", domain)[-1]["buttons"]]
    chinese_titles = [b["title"] for b in run_call("zh", domain)[-1]["buttons"]]
    assert english_titles and not any(CJK.search(title) for title in english_titles), english_titles
    assert all(CJK.search(title) for title in chinese_titles), chinese_titles
    assert [b["title"] for b in run_call(None, domain)[-1]["buttons"]] == chinese_titles
    assert reply_language() == "zh"  # the call's language stayed in the call


@pytest.mark.usefixtures("shop_db")
def test_an_item_is_chosen_by_its_english_name_too() -> None:
    from actions_testkit import db_session

    from actions.items import chosen_item
    from shop.clock import system_clock
    from shop.services.orders import get_order_detail

    with db_session() as session:
        order = get_order_detail(session, DEMO_CUSTOMER_ID, DEMO_ORDERS["multi_item"], clock=system_clock)
    flask = chosen_item(order, "the flask", by_button=False)
    assert flask is not None and flask.title == "不锈钢保温杯"
    assert chosen_item(order, "保温杯", by_button=False) == flask
