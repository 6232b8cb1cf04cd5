"""The documented way back from a hand-off (README): the HTTP API, with its token, executes
action_handoff_resume; the shopper is told the assistant is back and the next message is answered."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from sqlalchemy import text

from shop.db import make_engine
from shop.seed import DEMO_CUSTOMER_ID, DEMO_ORDERS
from shop.tokens import mint_token
from tests.integration.conftest import api, post_json

IN_TRANSIT = DEMO_ORDERS["in_transit"]


def test_resuming_through_the_api_brings_the_bot_back(chat: Any, rasa_server: str) -> None:
    shopper = chat(mint_token(DEMO_CUSTOMER_ID))
    assert "工单" in shopper.texts("转人工")
    # paused: the agent answers; the bot only says the agent is coming, once every few minutes
    assert "客服正在接入" in shopper.texts("你好")
    assert shopper.say("在吗") == []
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
    assert "客服正在接入" in shopper.texts("在吗")
    post_json(api(rasa_server, f"/conversations/{shopper.sender}/tracker/events"), {"event": "resume"})
    answer = shopper.texts(f"订单{IN_TRANSIT}到哪了")
    assert "运单号" in answer and "没能处理" not in answer and "工单" not in answer


def test_after_the_hand_back_the_shopper_rates_the_human_service_once(chat: Any, rasa_server: str,
                                                                     shop_db_url: str) -> None:
    """The survey of kind "handoff" (issue 30): asked with the hand-back, answered in words, stored with the
    conversation; a second hand-off in the same session is handed back without a second survey."""
    shopper = chat(mint_token(DEMO_CUSTOMER_ID))
    assert "工单" in shopper.texts("转人工")
    execute = api(rasa_server, f"/conversations/{shopper.sender}/execute?output_channel=latest")
    resumed = post_json(execute, {"name": "action_handoff_resume"})
    told = "\n".join(message.get("text", "") for message in resumed["messages"])
    assert "店小二回来啦" in told and "人工客服的服务您满意吗" in told
    assert "还有什么想对我们说的" in shopper.texts("打个五星吧")
    assert "感谢您的评价" in shopper.texts("客服很耐心")
    with make_engine(shop_db_url).connect() as conn:
        stored = conn.execute(text("select rating, comment from satisfaction_ratings where conversation_id = :c"),
                              {"c": shopper.sender}).one()
    assert tuple(stored) == (5, "客服很耐心")
    assert "工单" in shopper.texts("还是转人工吧")
    again = post_json(execute, {"name": "action_handoff_resume"})
    told = "\n".join(message.get("text", "") for message in again["messages"])
    assert "店小二回来啦" in told and "满意" not in told


def test_messages_reach_the_desk_and_an_agents_reply_ends_the_notices(chat: Any, rasa_server: str) -> None:
    """While paused the messages are logged for the desk; once an agent has written, the bot adds nothing."""
    shopper = chat(mint_token(DEMO_CUSTOMER_ID))
    assert "工单" in shopper.texts("转人工")
    assert "agent, who will join shortly" in shopper.texts("hello? anyone there?")  # in the shopper's language
    with urllib.request.urlopen(api(rasa_server, f"/conversations/{shopper.sender}/tracker"), timeout=30) as reply:
        events = json.load(reply)["events"]
    assert "hello? anyone there?" in [event.get("text") for event in events if event.get("event") == "user"]
    post_json(api(rasa_server, f"/conversations/{shopper.sender}/tracker/events"),
              {"event": "bot", "text": "您好，我是客服小李", "metadata": {"agent": "小李"}})
    assert shopper.say("好的 我的快递一直不动") == []
