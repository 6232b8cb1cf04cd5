"""Conversations rebuilt from Rasa's SQL tracker store (its `events` table, read as plain data).

A conversation is one Rasa session of one sender: the events from a `session_started` to the next
(Rasa starts a new session after `session_expiration_time` of silence, domain `session_config`).
Times are converted from the store's Unix timestamps to naive shop time (Asia/Shanghai), the
shop's storage convention, so they compare with the shop's tables.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, select
from sqlalchemy.engine import Engine

from shop.clock import SHOP_TZ

#: Rasa's SQLTrackerStore table (rasa/core/tracker_store.py, SQLEvent), declared here to read it.
EVENTS = Table(
    "events", MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255)),
    Column("type_name", String(255)),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)
FALLBACK_INTENT = "nlu_fallback"
#: A conversation may start before the period and be read whole: sessions last at most this long here.
READ_MARGIN = timedelta(days=1)


@dataclass
class UserMessage:
    time: datetime
    text: str
    intent: str
    confidence: float
    #: product_inquiry/<topic> for a FAQ question (the response selector's choice), else the intent.
    topic: str
    entities: dict[str, str]
    #: the conversation's order slot at the end of this message's turn (what the message was about).
    order_no: str | None = None
    #: seconds until the assistant's first reply to it; None when nothing answered before the next message.
    response_seconds: float | None = None
    #: second-ranked intent when the NLU fell back (what a trainer would probably label it).
    runner_up_intent: str | None = None


@dataclass
class Conversation:
    sender_id: str
    started_at: datetime
    ended_at: datetime
    messages: list[UserMessage] = field(default_factory=list)
    bot_replies: list[tuple[datetime, str | None]] = field(default_factory=list)
    agent_replies: list[datetime] = field(default_factory=list)
    actions: list[tuple[datetime, str]] = field(default_factory=list)
    paused_at: datetime | None = None
    resumed_at: datetime | None = None

    @property
    def first_message_at(self) -> datetime:
        return self.messages[0].time

    @property
    def handed_off(self) -> bool:
        return self.paused_at is not None


def shop_time(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, SHOP_TZ).replace(tzinfo=None)


def unix_time(value: datetime) -> float:
    return value.replace(tzinfo=SHOP_TZ).timestamp()


def load_conversations(engine: Engine, start: datetime, end: datetime) -> list[Conversation]:
    """Conversations whose first shopper message falls in [start, end), shop time, oldest first."""
    query = (
        select(EVENTS.c.sender_id, EVENTS.c.type_name, EVENTS.c.timestamp, EVENTS.c.data)
        .where(EVENTS.c.timestamp >= unix_time(start - READ_MARGIN), EVENTS.c.timestamp < unix_time(end + READ_MARGIN))
        .order_by(EVENTS.c.sender_id, EVENTS.c.id)
    )
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    conversations = [
        conversation for conversation in build_conversations((row.sender_id, row.type_name, row.data) for row in rows)
        if conversation.messages and start <= conversation.first_message_at < end
    ]
    return sorted(conversations, key=lambda conversation: conversation.first_message_at)


def build_conversations(rows: Iterable[tuple[str, str, str]]) -> list[Conversation]:
    """Sessions from (sender_id, type_name, data JSON) rows in store order."""
    builder = _Builder()
    for sender_id, type_name, data in rows:
        try:
            event = json.loads(data or "{}")
        except ValueError:
            continue
        if isinstance(event, dict) and isinstance(event.get("timestamp"), (int, float)):
            builder.add(sender_id, type_name, event)
    return builder.finish()


class _Builder:
    def __init__(self) -> None:
        self.done: list[Conversation] = []
        self.current: Conversation | None = None
        self.order_slot: str | None = None
        self.open_turn: list[UserMessage] = []

    def add(self, sender_id: str, type_name: str, event: dict[str, Any]) -> None:
        time = shop_time(float(event["timestamp"]))
        if self.current is not None and self.current.sender_id != sender_id:
            self._close()
            self.order_slot = None
        if self.current is None or (_starts_session(type_name, event) and not _is_empty(self.current)):
            self._close()
            self.current = Conversation(sender_id, time, time)
        conversation = self.current
        conversation.ended_at = max(conversation.ended_at, time)
        if type_name == "user":
            self._end_turn()
            message = user_message(event, time)
            conversation.messages.append(message)
            self.open_turn = [message]
        elif type_name == "bot" and (event.get("metadata") or {}).get("agent"):
            conversation.agent_replies.append(time)  # a person's reply from the desk, not the assistant's
        elif type_name == "bot":
            response = (event.get("metadata") or {}).get("utter_action")
            conversation.bot_replies.append((time, response))
            for message in self.open_turn:
                if message.response_seconds is None:
                    message.response_seconds = max(0.0, (time - message.time).total_seconds())
        elif type_name == "action":
            conversation.actions.append((time, str(event.get("name") or "")))
        elif type_name == "slot" and event.get("name") == "order_id":
            value = event.get("value")
            self.order_slot = str(value) if value else None
        elif type_name == "pause" and conversation.paused_at is None:
            conversation.paused_at = time
        elif type_name == "resume" and conversation.paused_at is not None and conversation.resumed_at is None:
            conversation.resumed_at = time

    def _end_turn(self) -> None:
        for message in self.open_turn:
            message.order_no = message.entities.get("order_id") or self.order_slot
        self.open_turn = []

    def _close(self) -> None:
        self._end_turn()
        if self.current is not None:
            self.done.append(self.current)
        self.current = None

    def finish(self) -> list[Conversation]:
        self._close()
        return self.done


def _starts_session(type_name: str, event: dict[str, Any]) -> bool:
    """Rasa writes `action_session_start`, then `session_started`, then the carried-over slots."""
    return type_name == "session_started" or (type_name == "action" and event.get("name") == "action_session_start")


def _is_empty(conversation: Conversation) -> bool:
    return not conversation.messages and not conversation.bot_replies


def user_message(event: dict[str, Any], time: datetime) -> UserMessage:
    parse = event.get("parse_data") or {}
    intent = parse.get("intent") or {}
    name = str(intent.get("name") or FALLBACK_INTENT)
    entities: dict[str, str] = {}
    for entity in parse.get("entities") or []:
        if isinstance(entity, dict) and entity.get("entity") and entity.get("value") is not None:
            entities.setdefault(str(entity["entity"]), str(entity["value"]))
    ranking = [str(item.get("name")) for item in parse.get("intent_ranking") or [] if isinstance(item, dict)]
    runner_up = next((other for other in ranking if other != FALLBACK_INTENT), None)
    return UserMessage(
        time=time, text=str(event.get("text") or ""), intent=name,
        confidence=float(intent.get("confidence") or 0.0), topic=faq_topic(parse) or name,
        entities=entities, runner_up_intent=runner_up,
    )


def faq_topic(parse: dict[str, Any]) -> str | None:
    """product_inquiry/<topic> chosen by the response selector, for a retrieval intent."""
    intent = (parse.get("intent") or {}).get("name")
    selectors = parse.get("response_selector") or {}
    for key, selector in selectors.items():
        if key == "all_retrieval_intents" or not isinstance(selector, dict):
            continue
        chosen = (selector.get("response") or {}).get("intent_response_key")
        if chosen and str(chosen).split("/", 1)[0] == intent:
            return str(chosen)
    return None
