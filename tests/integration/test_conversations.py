"""The conversation suite: whole conversations over REST, as a mystery shopper (神秘顾客) would have them.

Each conversation in tests/integration/conversations.yml is one block: what the shopper says, what
must come back (every `expect` text in the replies, no `refuse` text; `silent`: no reply at all, as in a
conversation handed to a person), and what the shop database
holds afterwards (`db`: SQL counts or values over the conversation's orders). Every conversation starts
from a freshly seeded shop (`fresh_shop`: a copy of the file seeded at the session's start), so each one's
writes are its own. Order numbers are written as
{order:<DEMO_ORDERS key>} (e.g. {order:multi_item}); a turn's `metadata` is sent with the message.

Real servers: the session's action server and Rasa (tests/integration/conftest.py; models/current.tar.gz,
XIAOER_TEST_MODEL to try another model), on their SQLite shop.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import text
from sqlalchemy.engine import Engine

from shop.db import make_engine
from shop.seed import DEMO_CUSTOMER_ID, DEMO_ORDERS, OTHER_CUSTOMER_ORDERS
from shop.tokens import mint_token
from tests.integration.conftest import Chat, sender_id

CONVERSATIONS = Path(__file__).with_name("conversations.yml")
MIN_CONVERSATIONS = 80
PLACEHOLDER = re.compile(r"\{(order|other):(\w+)\}")


def load() -> list[dict[str, Any]]:
    return yaml.safe_load(CONVERSATIONS.read_text(encoding="utf-8"))


def filled(value: str) -> str:
    """{order:multi_item} → that demo order's number."""
    def number(found: re.Match[str]) -> str:
        table = DEMO_ORDERS if found.group(1) == "order" else OTHER_CUSTOMER_ORDERS
        return table[found.group(2)]
    return PLACEHOLDER.sub(number, value)


@pytest.fixture
def shop(fresh_shop: str) -> tuple[str, Engine]:
    """The session servers' shop (tests/integration/conftest.py), freshly seeded for this conversation:
    (its URL, an engine on it)."""
    return fresh_shop, make_engine(fresh_shop)


@pytest.fixture
def server(rasa_server: str) -> str:
    """The session's Rasa (and action server): started once for every conversation of both suites."""
    return rasa_server


def test_the_suite_has_enough_readable_conversations() -> None:
    conversations = load()
    assert len(conversations) >= MIN_CONVERSATIONS
    names = [c["name"] for c in conversations]
    assert len(names) == len(set(names)), "every conversation has a name of its own"
    for conversation in conversations:
        assert len(conversation["turns"]) >= 2, conversation["name"]  # multi-turn
        assert conversation.get("db"), f"{conversation['name']}: every conversation asserts the database"
        assert all(turn.get("expect") or turn.get("silent") for turn in conversation["turns"]), conversation["name"]


class TurnChat(Chat):
    def send(self, words: str, metadata: dict[str, Any] | None) -> list[dict[str, Any]]:
        from tests.integration.conftest import post_json

        body: dict[str, Any] = {"sender": self.sender, "message": words}
        meta = dict(metadata or {})
        if self.token:
            meta["customer_token"] = self.token
        if meta:
            body["metadata"] = meta
        return post_json(self.url, body)


@pytest.mark.parametrize("conversation", load(), ids=lambda c: c["name"])
def test_conversation(conversation: dict[str, Any], server: str, shop: tuple[str, Engine]) -> None:
    play(conversation, server, shop)


def play(conversation: dict[str, Any], server: str, shop: tuple[str, Engine],
         check_reply: Callable[[dict[str, Any], str, str], None] | None = None) -> None:
    """One conversation on the freshly seeded `shop` (the fixture); `check_reply(turn, reply, where)` sees
    every reply too (tests/integration/test_conversations_en.py: replies in English)."""
    _, engine = shop
    token = mint_token(DEMO_CUSTOMER_ID) if conversation.get("token", "demo") == "demo" else None
    bot = TurnChat(server, sender_id(conversation["name"]), token)
    for number, turn in enumerate(conversation["turns"], 1):
        said = filled(str(turn["say"]))
        replies = bot.send(said, turn.get("metadata"))
        reply = "\n".join(str(m.get("text", "")) for m in replies) + "\n" + "\n".join(
            str(b.get("title", "")) for m in replies for b in m.get("buttons") or [])
        where = f"turn {number} ({said!r}) got:\n{reply}"
        if turn.get("silent"):  # a paused conversation: nothing comes back
            assert not [m for m in replies if m.get("text") or m.get("buttons")], where
        for expected in turn.get("expect") or []:
            options = [filled(e) for e in (expected if isinstance(expected, list) else [expected])]
            assert any(o in reply for o in options), f"expected {options}; {where}"
        for refused in turn.get("refuse", []):
            assert filled(refused) not in reply, f"must not say {refused!r}; {where}"
        if check_reply is not None:
            check_reply(turn, reply, where)
    with engine.connect() as conn:
        for check in conversation["db"]:
            value = conn.execute(text(filled(check["sql"]))).scalar()
            assert str(value) == str(check["equals"]), f"{check['sql']} = {value}, expected {check['equals']}"
