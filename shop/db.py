"""Engine/session helpers. The schema, and a SQLite file, are only created by explicit command.

Connecting never creates anything: a SQLite file is opened read-write only (SQLite's URI
``mode=rw``), so a missing file is an error instead of a new empty database that would hide the
real one once it is back. Only `init_schema` (``python -m shop init`` / ``reset``) creates the file
and the tables. Pooled connections are checked when they are taken from the pool (pre-ping; for a
SQLite file also that the file is still the one the connection opened), so a database that went
away and came back is used again from the next unit of work, without a restart.
"""

from __future__ import annotations

import os
import sqlite3
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, inspect
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError, SAWarning, SQLAlchemyError
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
    database = sqlite_file(parsed.database)
    if database is None:
        # One shared connection, otherwise every connection sees its own empty DB.
        engine = create_engine(url, future=True, poolclass=StaticPool, connect_args={"check_same_thread": False})
    else:
        # SQLAlchemy 1.4 opens a new SQLite connection per session by default (NullPool); the action
        # server opens a session per action, so keep a few connections open instead.
        engine = create_engine(url, future=True, creator=lambda: _open_existing(database),
                               poolclass=QueuePool, pool_size=5, max_overflow=10, pool_pre_ping=True)
        event.listen(engine, "connect", _remember_file(database))
        event.listen(engine, "checkout", _same_file(database))
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def sqlite_file(database: str | None) -> Path | None:
    """The file of a SQLite URL's database part, or None for an in-memory database."""
    if not database or database == ":memory:":
        return None
    return Path(database).absolute()


def _open_existing(path: Path) -> sqlite3.Connection:
    """A read-write connection to an existing SQLite file; never creates one (OperationalError)."""
    return sqlite3.connect(f"{path.as_uri()}?mode=rw", uri=True, check_same_thread=False)


def _file_identity(path: Path) -> tuple[int, int]:
    stat = os.stat(path)
    return stat.st_dev, stat.st_ino


def _remember_file(path: Path) -> Any:
    def remember(_dbapi_connection: Any, record: Any) -> None:
        record.info["sqlite_file"] = _file_identity(path)

    return remember


def _same_file(path: Path) -> Any:
    """At checkout: a connection whose file was removed or replaced is discarded (a new one is opened,
    or the unit of work fails if the file is missing); it would read and write a deleted file."""

    def check(_dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        try:
            current = _file_identity(path)
        except OSError:
            raise DisconnectionError(f"SQLite file {path} is missing") from None
        if record.info.get("sqlite_file") != current:
            raise DisconnectionError(f"SQLite file {path} was replaced")

    return check


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # SQLite ignores foreign keys unless asked, per connection.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def create_database_file(engine: Engine) -> None:
    """Create the SQLite file (and its folder) of a file engine when missing; nothing for other databases."""
    path = sqlite_file(engine.url.database) if engine.url.get_backend_name() == "sqlite" else None
    if path is None or path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    sqlite3.connect(path).close()


def init_schema(engine: Engine) -> None:
    """Create the database file (SQLite) and all tables that do not exist yet: the one place that creates."""
    create_database_file(engine)
    Base.metadata.create_all(engine)


def missing_tables(engine: Engine) -> list[str]:
    """The shop's tables the database lacks (all of them for an empty one); raises when it cannot be reached."""
    with engine.connect() as connection:
        present = set(inspect(connection).get_table_names())
    return sorted(name for name in Base.metadata.tables if name not in present)


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


class DatabaseNotReady(Exception):
    """The shop database is missing, unreachable or lacks tables; the message says what to run."""


def describe(engine: Engine) -> str:
    """The engine's URL without its password, for messages."""
    return engine.url.render_as_string(hide_password=True)


def require_database(engine: Engine) -> None:
    """Raise `DatabaseNotReady` unless the database answers and has every shop table (nothing is created)."""
    where = describe(engine)
    hint = "create it with `python -m shop init` (empty) or `make db` (the demo shop)"
    try:
        missing = missing_tables(engine)
    except SQLAlchemyError as error:
        reason = str(error.orig if isinstance(error, DBAPIError) else error).splitlines()[0]
        raise DatabaseNotReady(f"shop database {where} cannot be opened ({reason}): {hint}") from None
    if len(missing) == len(Base.metadata.tables):
        raise DatabaseNotReady(f"shop database {where} has no shop tables: {hint}")
    if missing:
        raise DatabaseNotReady(f"shop database {where} lacks tables {', '.join(missing)}: "
                               "`python -m shop init` adds them (existing rows are kept)")
