"""A small conversation set with known answers, written as Rasa's SQL tracker store writes events."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import create_engine
from sqlalchemy.engine import Engine

from shop.analytics.conversations import EVENTS, unix_time

MONDAY = datetime(2026, 11, 30, 0, 0)  # ISO week 2026-W49 starts here


class Recorder:
    """Writes one sender's events in order, as rows (sender_id, type_name, data)."""

    def __init__(self, rows: list[tuple[str, str, str]], sender: str, start: datetime) -> None:
        self.rows, self.sender, self.now = rows, sender, start
        self.event("action", name="action_session_start")
        self.event("session_started")

    def event(self, type_name: str, **fields: Any) -> None:
        body = {"event": type_name, "timestamp": unix_time(self.now), **fields}
        self.rows.append((self.sender, type_name, json.dumps(body, ensure_ascii=False)))

    def wait(self, seconds: float) -> Recorder:
        self.now += timedelta(seconds=seconds)
        return self

    def user(self, text: str, intent: str, confidence: float = 0.95, *, entities: dict[str, str] | None = None,
             faq: str | None = None, runner_up: str | None = None) -> Recorder:
        parse: dict[str, Any] = {
            "intent": {"name": intent, "confidence": confidence},
            "entities": [{"entity": key, "value": value} for key, value in (entities or {}).items()],
            "intent_ranking": [{"name": intent, "confidence": confidence}]
            + ([{"name": runner_up, "confidence": 0.2}] if runner_up else []),
        }
        if faq:
            parse["response_selector"] = {
                "all_retrieval_intents": ["product_inquiry"],
                "product_inquiry": {"response": {"intent_response_key": faq, "confidence": 0.9}},
            }
        self.event("user", text=text, parse_data=parse, input_channel="rest")
        return self

    def bot(self, seconds: float = 1.0, response: str = "utter_x") -> Recorder:
        self.wait(seconds)
        self.event("action", name=response)
        self.event("bot", text="…", metadata={"utter_action": response})
        return self

    def slot(self, name: str, value: Any) -> Recorder:
        self.event("slot", name=name, value=value)
        return self

    def agent(self, seconds: float, text: str = "您好，我是客服小美") -> Recorder:
        self.wait(seconds)
        self.event("bot", text=text, metadata={"agent": "xiaomei"})
        return self

    def pause(self) -> Recorder:
        self.event("pause")
        return self

    def resume(self) -> Recorder:
        self.event("resume")
        return self


def tracker_db(rows: list[tuple[str, str, str]], url: str = "sqlite://") -> Engine:
    """A tracker store (in memory unless `url` says where) holding `rows` in Rasa's `events` table."""
    engine = create_engine(url, future=True)
    EVENTS.metadata.create_all(engine)
    with engine.begin() as connection:
        for sender, type_name, data in rows:
            body = json.loads(data)
            connection.execute(EVENTS.insert().values(
                sender_id=sender, type_name=type_name, timestamp=body["timestamp"], data=data,
                intent_name=(body.get("parse_data") or {}).get("intent", {}).get("name"), action_name=body.get("name"),
            ))
    return engine


def known_week() -> list[tuple[str, str, str]]:
    """Five conversations of 2026-W49 (and one of the week before), each answer known.

    a: Monday 10:05, FAQ 包邮吗 (shipping_fee) answered in 1 s, then 谢谢 answered in 2 s: resolved by the bot.
    b: Monday 10:40, 智能手环到哪了 (query_order about order 8801, 智能手环) answered in 3 s, then a
       fallback 直播间链接在哪 answered in 1 s: not resolved (last message not understood).
    c: Tuesday 20:10, angry 气死了还不发货 (urge_shipment, order 8802) in 1 s, 转人工 -> paused;
       an agent answers 240 s later, resumed after 300 s: handed off (asked for a human).
    d: Tuesday 20:30, 直播间链接在哪 (fallback) twice, then paused: handed off (not understood), still waiting.
    e: Wednesday 09:00, 我170穿多大码 (size_advice about 牛仔裤, low confidence 0.45) answered in 2 s.
    z: 2026-11-25 (the week before), one FAQ question.
    """
    rows: list[tuple[str, str, str]] = []
    a = Recorder(rows, "a", MONDAY + timedelta(hours=10, minutes=5))
    a.user("包邮吗", "product_inquiry", faq="product_inquiry/shipping_fee").bot(1).wait(30)
    a.user("谢谢", "thank").bot(2)
    b = Recorder(rows, "b", MONDAY + timedelta(hours=10, minutes=40))
    b.user("智能手环到哪了", "query_order").slot("order_id", "8801").bot(3).wait(20)
    b.user("直播间链接在哪", "nlu_fallback", 0.3, runner_up="product_inquiry").bot(1)
    c = Recorder(rows, "c", MONDAY + timedelta(days=1, hours=20, minutes=10))
    c.user("气死了还不发货！！", "urge_shipment", entities={"order_id": "8802"}).bot(1).wait(10)
    c.user("转人工", "human_handoff").bot(1).pause().agent(240).wait(60).resume()
    d = Recorder(rows, "d", MONDAY + timedelta(days=1, hours=20, minutes=30))
    d.user("直播间链接在哪？", "nlu_fallback", 0.2, runner_up="product_inquiry").bot(1).wait(5)
    d.user("直播间 链接在哪", "nlu_fallback", 0.25, runner_up="product_inquiry").bot(1).pause()
    e = Recorder(rows, "e", MONDAY + timedelta(days=2, hours=9))
    e.user("我170穿多大码", "product_inquiry", 0.45, entities={"product": "牛仔裤"},
           faq="product_inquiry/size_advice").bot(2)
    z = Recorder(rows, "z", MONDAY - timedelta(days=5))
    z.user("发什么快递", "product_inquiry", faq="product_inquiry/shipping_time").bot(1)
    return rows
