"""The documented way back from a hand-off (README): the HTTP API, with its token, executes
action_handoff_resume; the shopper is told the assistant is back and the next message is answered."""

from __future__ import annotations

from typing import Any

from shop.seed import DEMO_CUSTOMER_ID, DEMO_ORDERS
from shop.tokens import mint_token
from tests.integration.conftest import api, post_json

IN_TRANSIT = DEMO_ORDERS["in_transit"]


def test_resuming_through_the_api_brings_the_bot_back(chat: Any, rasa_server: str) -> None:
    shopper = chat(mint_token(DEMO_CUSTOMER_ID))
    assert "工单" in shopper.texts("转人工")
    assert shopper.say("你好") == []  # paused: the agent answers, not the bot
    resumed = post_json(api(rasa_server, f"/conversations/{shopper.sender}/execute?output_channel=latest"),
                        {"name": "action_handoff_resume"})
    told = "\n".join(message.get("text", "") for message in resumed["messages"])
    assert "店小二回来啦" in told
    answer = shopper.texts(f"订单{IN_TRANSIT}到哪了")
    assert IN_TRANSIT in answer and "运单号" in answer
    assert "没能处理" not in answer and "工单" not in answer


def test_restart_is_the_way_out_of_a_hand_off_without_an_agent(chat: Any) -> None:
    shopper = chat(mint_token(DEMO_CUSTOMER_ID))
    assert "工单" in shopper.texts("转人工")
    assert "店小二回来啦" in shopper.texts("/restart")
    answer = shopper.texts(f"订单{IN_TRANSIT}到哪了")
    assert IN_TRANSIT in answer and "运单号" in answer


def test_a_bare_resume_event_is_followed_by_a_normal_answer(chat: Any, rasa_server: str) -> None:
    """Before, the first message after it got "这句我没能处理" and the hand-off again."""
    shopper = chat(mint_token(DEMO_CUSTOMER_ID))
    assert "工单" in shopper.texts("转人工")
    assert shopper.say("在吗") == []
    post_json(api(rasa_server, f"/conversations/{shopper.sender}/tracker/events"), {"event": "resume"})
    answer = shopper.texts(f"订单{IN_TRANSIT}到哪了")
    assert "运单号" in answer and "没能处理" not in answer and "工单" not in answer
