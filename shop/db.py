"""Engine/session helpers. The schema is only created by explicit command."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SAWarning
from sqlalchemy.orm import Session
from sqlalchemy.pool import QueuePool, StaticPool

from shop.config import get_settings
from shop.models import Base

_ENGINES: dict[str, Engine] = {}


def make_engine(url: str | None = None) -> Engine:
    """Return a (cached) engine for ``url`` or ``SHOP_DB_URL``.

    Cached per URL because Rasa actions call this per request and engines own pools.
    """
    url = url or get_settings().db_url
    if url not in _ENGINES:
        _ENGINES[url] = _create(url)
    return _ENGINES[url]


def _create(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, future=True, pool_pre_ping=True)
    # SQLite stores Numeric as REAL; for Numeric(12, 2) amounts (< 10^10) the round trip back to
    # a 2-place Decimal is exact, so the generic "Decimal not native" warning is only noise.
    warnings.filterwarnings("ignore", message=r"Dialect sqlite\+pysqlite does \*not\* support Decimal",
                            category=SAWarning)
    kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False}}
    database = parsed.database
    if not database or database == ":memory:":
        # One shared connection, otherwise every connection sees its own empty DB.
        kwargs["poolclass"] = StaticPool
    else:
        Path(database).parent.mkdir(parents=True, exist_ok=True)
        # SQLAlchemy 1.4 opens a new SQLite connection per session by default (NullPool); the action
        # server opens a session per action, so keep a few connections open instead.
        kwargs.update(poolclass=QueuePool, pool_size=5, max_overflow=10)
    engine = create_engine(url, future=True, **kwargs)
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # SQLite ignores foreign keys unless asked, per connection.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def init_schema(engine: Engine) -> None:
    """Create all tables that do not exist yet."""
    Base.metadata.create_all(engine)


def drop_schema(engine: Engine) -> None:
    """Drop all shop tables (data is lost)."""
    Base.metadata.drop_all(engine)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A unit of work: commit on success, roll back on any exception (incl. DomainError)."""
    with Session(engine, future=True) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
