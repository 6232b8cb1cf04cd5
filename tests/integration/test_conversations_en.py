"""The English conversation suite (issue 35): tests/integration/conversations_en.yml, played by the runner
of the Chinese suite (test_conversations.py: real servers, a freshly seeded shop per conversation, the
database checked afterwards), and every reply must be English.

English here: no Chinese character (nor Chinese punctuation) outside what the shop holds only in
Chinese -- addresses (the shop's return address too) and names, couriers' updates, delay reasons,
payment notes, the 商品参数 of products and the names of products without an English name -- read from
the shop database at each reply. A turn marked `chinese: true` asked for Chinese and is not checked.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import text
from sqlalchemy.engine import Engine

from shop.rules import RETURN_ADDRESS
from tests.integration.test_conversations import play, server, shop  # noqa: F401 - the suite's fixtures

CONVERSATIONS = Path(__file__).with_name("conversations_en.yml")
MIN_CONVERSATIONS = 30
CHINESE = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff01-\uff0f\uff1a-\uff1f]+")
# What the shop holds only in Chinese (its data, not the assistant's words).
CHINESE_DATA = (
    "select province || city || district || street || ' ' || recipient || ' ' || coalesce(delay_reason, '') "
    "from orders",
    "select name || ' ' || province || city || district || street from customers",
    "select place || ' ' || description from tracking_events",
    "select name || ' ' || value from product_facts",
    "select title from products where name_en is null",
    "select coalesce(failure_reason, '') from payments",
    "select old_address || ' ' || new_address from address_changes",
)


def load() -> list[dict[str, Any]]:
    return yaml.safe_load(CONVERSATIONS.read_text(encoding="utf-8"))


def shop_chinese(engine: Engine) -> str:
    with engine.connect() as conn:
        rows = [str(row[0]) for query in CHINESE_DATA for row in conn.execute(text(query))]
    return "\n".join([RETURN_ADDRESS, *rows])  # parcels are sent back to a Chinese address


def not_english(reply: str, data: str) -> list[str]:
    """The runs of Chinese characters and punctuation in the reply that are not the shop's Chinese-only
    data as it holds them (so Chinese punctuation around data, such as （张*）, is not English either)."""
    return [run for run in CHINESE.findall(reply) if run not in data]


def test_the_suite_covers_every_flow_in_readable_conversations() -> None:
    conversations = load()
    assert len(conversations) >= MIN_CONVERSATIONS
    names = [c["name"] for c in conversations]
    assert len(names) == len(set(names))
    for conversation in conversations:
        assert len(conversation["turns"]) >= 2 and conversation.get("db"), conversation["name"]
        assert all(turn.get("expect") or turn.get("silent") for turn in conversation["turns"]), conversation["name"]


def test_chinese_data_is_told_from_chinese_words() -> None:
    data = "广东省深圳市南山区科技园路88号 张三\n已发往深圳市南山区"
    assert not_english("address 广东省深圳市南山区科技园路88**** (张*)", data) == []
    assert not_english("Dec 8, 03:28 深圳市 已发往深圳市南山区", data) == []
    assert not_english("订单状态：运输中", data) == ["订单状态：运输中"]
    assert not_english("Order （张*）, paid", data) == ["（张", "）"]


@pytest.mark.parametrize("conversation", load(), ids=lambda c: c["name"])
def test_english_conversation(conversation: dict[str, Any], server: str, shop: tuple[str, Engine]) -> None:  # noqa: F811
    _, engine = shop

    def in_english(turn: dict[str, Any], reply: str, where: str) -> None:
        if turn.get("chinese") or turn.get("silent"):
            return
        chinese = not_english(reply, shop_chinese(engine))
        assert not chinese, f"not English: {chinese}; {where}"

    play(conversation, server, shop, in_english)
