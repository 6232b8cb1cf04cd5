"""Rasa's SQL tracker store with a cheaper turn: `type: addons.stores.sql_tracker_store.KeptSQLTrackerStore`.

Same table, same rows, same configuration keys as Rasa's `SQLTrackerStore` (SQLite or PostgreSQL);
a turn costs less (docs/benchmarks.md, "Conversations kept"):

- on SQLite, connections stay open in a pool, in WAL mode with synchronous=NORMAL;

- retrieving reads only the latest session's rows, found through two indexes of ours
  (`SESSION_INDEXES`, created at start when missing), and only their `data` column, instead of building
  one ORM object per stored event. Rasa's own query finds the session's start with a subquery and an
  OR that no index serves, so it read every row the sender ever wrote, `data` included, on every
  message: a message's cost grew with the whole conversation's length (issue 28, point 8; measured by
  tests/integration/test_security.py), however short the session window keeps the session;
- saving inserts the new events with one Core `executemany` instead of one ORM object each, and knows
  how many events of the session are stored from this process's own last retrieve or save instead of
  Rasa's `count()` query, provided the sender's newest row is still the one it saw then (one cheap
  `max(id)` on the sender's index). Any other writer in between (another Rasa process or replica), a
  save without a retrieve, or a new session in the saved events falls back to Rasa's own count, so the
  rows written are those Rasa's store would write.

- a shopper's JWT (`metadata.customer_token`, also inside `session_started_metadata`) is stored as
  "[redacted]": identity belongs to each message, so no later turn needs it, and the database holds no
  credential.
"""

from __future__ import annotations

import itertools
import json
import logging
from collections import OrderedDict
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import QueuePool

logger = logging.getLogger(__name__)

#: Senders remembered at once (the least recently used are forgotten: they fall back to the count).
REMEMBERED_SENDERS = 10_000

_EVENTS = SQLTrackerStore.SQLEvent
#: The latest session start of a sender (the newest `session_started` row), then the sender's rows
#: from that time on: both found by index, whatever the length of the whole conversation.
SESSION_INDEXES = (
    sa.Index("ix_events_sender_type_timestamp", _EVENTS.sender_id, _EVENTS.type_name, _EVENTS.timestamp),
    sa.Index("ix_events_sender_timestamp", _EVENTS.sender_id, _EVENTS.timestamp),
)


class KeptSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite":
            self._pool_sqlite_connections()
        self._create_session_indexes()
        #: sender -> (events of the latest session stored, id of the sender's newest row)
        self._stored: OrderedDict[str, tuple[int, int | None]] = OrderedDict()

    def _pool_sqlite_connections(self) -> None:
        """Keep SQLite connections open (SQLAlchemy 1.4 opens and closes one per session for a file), in WAL
        mode with synchronous=NORMAL: a commit no longer writes, syncs and deletes a rollback journal, and a
        process that stops loses nothing committed (a power cut may lose the last commits)."""
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(url, poolclass=QueuePool, pool_size=2, max_overflow=8,
                                       connect_args={"check_same_thread": False})
        sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        self.sessionmaker = sessionmaker(bind=self.engine)

    def _create_session_indexes(self) -> None:
        """Once per database (a table of many conversations takes a while, once)."""
        for index in SESSION_INDEXES:
            try:
                index.create(bind=self.engine, checkfirst=True)
            except sa.exc.SQLAlchemyError as error:  # another replica created it meanwhile, or no rights
                logger.warning("tracker store index %s not created: %s", index.name, error)

    def _event_query(self, session: Any, sender_id: str, fetch_events_from_all_sessions: bool) -> Any:
        """Rasa's rows, in Rasa's order (the latest session: every row at or after the newest
        `session_started` row's timestamp, or all rows when there is none), in two indexed steps."""
        query = session.query(self.SQLEvent).filter(self.SQLEvent.sender_id == sender_id)
        if not fetch_events_from_all_sessions:
            start = (
                session.query(sa.func.max(self.SQLEvent.timestamp))
                .filter(self.SQLEvent.sender_id == sender_id, self.SQLEvent.type_name == SessionStarted.type_name)
                .scalar()
            )
            if start is not None:
                query = query.filter(self.SQLEvent.timestamp >= start)
        return query.order_by(self.SQLEvent.id)

    def _remember(self, sender_id: str, count: int, newest_id: int | None) -> None:
        self._stored[sender_id] = (count, newest_id)
        self._stored.move_to_end(sender_id)
        while len(self._stored) > REMEMBERED_SENDERS:
            self._stored.popitem(last=False)

    async def _retrieve(
        self, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> DialogueStateTracker | None:
        with self.session_scope() as session:
            rows = (
                self._event_query(session, sender_id, fetch_events_from_all_sessions=fetch_events_from_all_sessions)
                .with_entities(self.SQLEvent.id, self.SQLEvent.data)
                .all()
            )
        if not fetch_events_from_all_sessions:
            self._remember(sender_id, len(rows), max((row.id for row in rows), default=None))
        events = [json.loads(row.data) for row in rows]
        if self.domain and events:
            return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        return None

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)
        sender_id = tracker.sender_id
        with self.session_scope() as session:
            newest = self._newest_id(session, sender_id)
            remembered = self._stored.get(sender_id)
            if remembered is not None and remembered[1] == newest:
                stored = remembered[0]
            else:
                stored = self._event_query(session, sender_id, fetch_events_from_all_sessions=False).count()
            new_events = list(itertools.islice(tracker.events, stored, len(tracker.events)))
            if new_events:
                session.execute(self.SQLEvent.__table__.insert(), [self._row(sender_id, event) for event in new_events])
            session.commit()
            if new_events:
                newest = self._newest_id(session, sender_id)
        if any(isinstance(event, SessionStarted) for event in new_events):
            self._stored.pop(sender_id, None)  # the session's count restarts: let Rasa's query say where
        else:
            self._remember(sender_id, stored + len(new_events), newest)

    def _newest_id(self, session: Any, sender_id: str) -> int | None:
        return session.query(sa.func.max(self.SQLEvent.id)).filter(self.SQLEvent.sender_id == sender_id).scalar()

    @staticmethod
    def _row(sender_id: str, event: Any) -> dict[str, Any]:
        data = without_secrets(event.as_dict())
        return {
            "sender_id": sender_id,
            "type_name": event.type_name,
            "timestamp": data.get("timestamp"),
            "intent_name": data.get("parse_data", {}).get("intent", {}).get("name"),
            "action_name": data.get("name"),
            "data": json.dumps(data),
        }


#: Metadata keys never stored: a shopper's JWT proves identity for its own message only (actions/identity.py),
#: so a stored copy would serve nobody but whoever reads the database.
SECRET_KEYS = frozenset({"customer_token"})
REDACTED = "[redacted]"


def without_secrets(value: Any) -> Any:
    """`value` with every SECRET_KEYS entry, at any depth, replaced by REDACTED."""
    if isinstance(value, dict):
        return {key: REDACTED if key in SECRET_KEYS and item else without_secrets(item) for key, item in value.items()}
    if isinstance(value, list):
        return [without_secrets(item) for item in value]
    return value


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
