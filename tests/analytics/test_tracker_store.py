"""KeptSQLTrackerStore writes exactly the rows Rasa's SQLTrackerStore writes, whatever the turn pattern."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    ConversationPaused,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from addons.stores.sql_tracker_store import KeptSQLTrackerStore

DOMAIN = Domain.from_yaml("""
version: "3.1"
intents: [greet, query_order]
slots:
  order_id:
    type: text
    mappings: [{type: from_entity, entity: order_id}]
entities: [order_id]
responses:
  utter_greet: [{text: hi}]
""")


def turn(number: int, at: float) -> list[Event]:
    return [
        UserUttered(f"消息{number}", {"name": "query_order", "confidence": 0.9}, timestamp=at),
        SlotSet("order_id", f"88{number:014d}", timestamp=at + 0.1),
        ActionExecuted("utter_greet", timestamp=at + 0.2),
        BotUttered(f"回复{number}", timestamp=at + 0.3),
        ActionExecuted("action_listen", timestamp=at + 0.4),
    ]


def session_start(at: float) -> list[Event]:
    return [ActionExecuted("action_session_start", timestamp=at), SessionStarted(timestamp=at + 0.01),
            ActionExecuted("action_listen", timestamp=at + 0.02)]


async def play(stores: list[SQLTrackerStore], sender: str, plan: list[list[Event]], *, retrieve: bool = True) -> None:
    """Each turn: a store (taking turns when several share the database) retrieves, adds events, saves."""
    for number, events in enumerate(plan):
        store = stores[number % len(stores)]
        tracker = await store.retrieve(sender) if retrieve or number == 0 else None
        if tracker is None:
            tracker = DialogueStateTracker(sender, DOMAIN.slots)
            if not retrieve and number:
                tracker = await stores[0].retrieve_full_tracker(sender) or tracker
        for event in events:
            tracker.update(event)
        await store.save(tracker)


def rows(url: str) -> list[tuple[str, str, str]]:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        found = connection.execute(sa.text("SELECT sender_id, type_name, data FROM events ORDER BY id")).all()
    engine.dispose()
    return [tuple(row) for row in found]


def conversation() -> list[list[Event]]:
    plan = [session_start(1000.0) + turn(0, 1001.0)]
    plan += [turn(n, 1000.0 + 10 * n) for n in range(1, 6)]
    plan += [session_start(9000.0) + turn(6, 9001.0)]  # a new session after an hour of silence
    plan += [turn(n, 9000.0 + 10 * n) for n in range(7, 10)]
    plan += [[ConversationPaused(timestamp=9200.0)], turn(10, 9300.0)]
    return plan


@pytest.mark.parametrize("processes", [1, 2])
def test_the_same_rows_as_rasa(tmp_path: Path, processes: int) -> None:
    stock_db, kept_db = tmp_path / "stock.db", tmp_path / "kept.db"
    stock = [SQLTrackerStore(DOMAIN, db=str(stock_db)) for _ in range(processes)]
    kept = [KeptSQLTrackerStore(DOMAIN, db=str(kept_db)) for _ in range(processes)]
    for store_set in (stock, kept):
        asyncio.run(play(store_set, "shopper-a", conversation()))
        asyncio.run(play(store_set, "shopper-b", conversation()[:4]))
    assert rows(f"sqlite:///{kept_db}") == rows(f"sqlite:///{stock_db}")
    assert len(rows(f"sqlite:///{kept_db}")) == 5 * 11 + 3 * 2 + 1 + 5 * 4 + 3
    retrieved = asyncio.run(kept[0].retrieve("shopper-a"))
    assert retrieved is not None and retrieved.is_paused() and retrieved.get_slot("order_id") == "8800000000000010"


def test_a_save_without_a_retrieve_falls_back_to_rasas_count(tmp_path: Path) -> None:
    stock_db, kept_db = tmp_path / "stock.db", tmp_path / "kept.db"
    plan = conversation()[:4]
    asyncio.run(play([SQLTrackerStore(DOMAIN, db=str(stock_db))], "s", plan, retrieve=False))
    asyncio.run(play([KeptSQLTrackerStore(DOMAIN, db=str(kept_db))], "s", plan, retrieve=False))
    assert rows(f"sqlite:///{kept_db}") == rows(f"sqlite:///{stock_db}")


def test_analytics_reads_what_it_writes(tmp_path: Path) -> None:
    from shop.analytics.conversations import EVENTS, build_conversations

    db = tmp_path / "kept.db"
    asyncio.run(play([KeptSQLTrackerStore(DOMAIN, db=str(db))], "s", conversation()))
    engine = sa.create_engine(f"sqlite:///{db}")
    with engine.connect() as connection:
        stored = connection.execute(sa.select(EVENTS.c.sender_id, EVENTS.c.type_name, EVENTS.c.data)).all()
    sessions = build_conversations([tuple(row) for row in stored])
    assert [len(session.messages) for session in sessions] == [6, 5]
    assert sessions[1].handed_off


def test_rasa_builds_it_from_endpoints_yml(tmp_path: Path) -> None:
    """Rasa falls back to an in-memory store (a warning only) when a custom type cannot be imported."""
    import yaml
    from rasa.core.tracker_store import TrackerStore
    from rasa.utils.endpoints import read_endpoint_config

    from tests.integration.conftest import ROOT

    config = yaml.safe_load((ROOT / "endpoints.yml").read_text(encoding="utf-8"))["tracker_store"]
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(yaml.safe_dump({"tracker_store": {**config, "db": str(tmp_path / "kept.db")}}))
    store = TrackerStore.create(read_endpoint_config(str(endpoints), "tracker_store"), DOMAIN)
    inner = getattr(store, "_tracker_store", store)  # Rasa wraps it (AwaitableTrackerStore)
    assert isinstance(inner, KeptSQLTrackerStore)


def test_a_shoppers_token_is_never_stored(tmp_path: Path) -> None:
    """Identity belongs to each message: the stored conversation holds no credential."""
    store = KeptSQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "kept.db"))
    token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.signature"
    events = [ActionExecuted("action_session_start"), SessionStarted(),
              SlotSet("session_started_metadata", {"customer_token": token, "client": "127.0.0.1"}),
              UserUttered("查订单", {"name": "query_order"}, metadata={"customer_token": token, "language": "zh"})]
    asyncio.run(store.save(DialogueStateTracker.from_events("shopper", events)))
    stored = sa.create_engine(f"sqlite:///{tmp_path / 'kept.db'}").connect().execute(
        sa.text("select data from events")).scalars().all()
    assert token not in "".join(stored) and "[redacted]" in "".join(stored) and '"language": "zh"' in "".join(stored)


def test_it_retrieves_what_rasa_retrieves(tmp_path: Path) -> None:
    stock = SQLTrackerStore(DOMAIN, db=str(tmp_path / "stock.db"))
    kept = KeptSQLTrackerStore(DOMAIN, db=str(tmp_path / "kept.db"))
    for store in (stock, kept):
        asyncio.run(play([store], "shopper-a", conversation()))
    for full in (False, True):
        retrieve = "retrieve_full_tracker" if full else "retrieve"
        trackers = [asyncio.run(getattr(store, retrieve)("shopper-a")) for store in (stock, kept)]
        assert [event.as_dict() for event in trackers[1].events] == [event.as_dict() for event in trackers[0].events]
    assert asyncio.run(kept.retrieve("nobody")) is None


def _plans(store: SQLTrackerStore, sender: str) -> list[str]:
    """SQLite's plan of every query a retrieve and a save of `sender` run."""
    statements: list[tuple[str, tuple]] = []

    def record(conn: object, cursor: object, statement: str, parameters: tuple, *_: object) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    sa.event.listen(store.engine, "before_cursor_execute", record)
    try:
        tracker = asyncio.run(store.retrieve(sender))
        assert tracker is not None
        tracker.update(UserUttered("再来一条", {"name": "greet"}, timestamp=99_999.0))
        asyncio.run(store.save(tracker))
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", record)
    with store.engine.connect() as connection:
        return [" | ".join(str(row[-1]) for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params))
                for sql, params in statements]


def test_a_turn_reads_the_latest_session_by_index_not_every_row_of_the_conversation(tmp_path: Path) -> None:
    """Rasa's query walks all of a sender's rows (their data too) to find the latest session: a message's
    cost grew with the whole conversation (issue 28, point 8). Each query here is an index search that
    narrows by more than the sender, or reads the sender's index alone (max(id))."""
    long_one = [session_start(1000.0 * s) + [e for n in range(20) for e in turn(n, 1000.0 * s + 10 * n + 1)]
                for s in range(1, 6)]
    stock = SQLTrackerStore(DOMAIN, db=str(tmp_path / "stock.db"))
    kept = KeptSQLTrackerStore(DOMAIN, db=str(tmp_path / "kept.db"))
    for store in (stock, kept):
        asyncio.run(play([store], "long", long_one))

    def reads_every_row(plan: str) -> bool:  # a step fetching every row of the sender (not an index alone)
        return any(step.startswith("SCAN events") or (step.startswith("SEARCH events USING INDEX ")
                                                      and step.endswith("(sender_id=?)"))
                   for step in plan.split(" | "))

    stock_plans = _plans(stock, "long")
    assert any(reads_every_row(plan) for plan in stock_plans), stock_plans  # what this store is for
    plans = _plans(kept, "long")
    assert plans and not [plan for plan in plans if reads_every_row(plan)], plans
    assert any("ix_events_sender_type_timestamp" in plan for plan in plans)
    assert any("ix_events_sender_timestamp (sender_id=? AND timestamp>?)" in plan for plan in plans)
