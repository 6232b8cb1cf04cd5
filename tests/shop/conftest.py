"""Shared fixtures for the shop tests (no Rasa).

Every DB test runs on SQLite and, when ``SHOP_TEST_DB_URL`` points at a reachable
PostgreSQL, on PostgreSQL too -- in a private schema that is dropped afterwards, so
parallel runs and other tables in that database are left alone.
"""

from __future__ import annotations

import sys
from pathlib import Path

# The project is not pip-installed and tests/conftest.py belongs to another team, so make
# `import shop` work however pytest is started (``pytest`` or ``python -m pytest``).
_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

import os  # noqa: E402
import uuid  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402

import pytest  # noqa: E402
from shop_builders import NOW  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlalchemy.exc import OperationalError  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from shop.db import init_schema, make_engine  # noqa: E402
from shop.models import Base  # noqa: E402
from shop.seed import seed  # noqa: E402

PG_ENV = "SHOP_TEST_DB_URL"
BACKENDS = ["sqlite", "postgresql"]


def _pg_url() -> str:
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(f"{PG_ENV} is not set; PostgreSQL variant skipped")
    try:
        probe = create_engine(url, future=True)
        with probe.connect():
            pass
        probe.dispose()
    except OperationalError as exc:
        pytest.skip(f"PostgreSQL from {PG_ENV} unreachable: {str(exc).splitlines()[0]}")
    return url


def _isolated_engine(backend: str, tmp_dir: Path) -> tuple[Engine, Callable[[], None]]:
    """A fresh empty database with the schema; returns (engine, cleanup)."""
    if backend == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_dir / 'shop.db'}")
        init_schema(engine)
        return engine, engine.dispose
    url = _pg_url()
    schema = f"shop_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, future=True)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = create_engine(url, future=True, connect_args={"options": f"-csearch_path={schema}"})
    init_schema(engine)

    def cleanup() -> None:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return engine, cleanup


@pytest.fixture(scope="session", params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    eng, cleanup = _isolated_engine(request.param, tmp_path_factory.mktemp("shopdb"))
    yield eng
    cleanup()


def clean_tables(engine: Engine) -> None:
    """Empty every table and reset ids, so each test starts from a blank database."""
    tables = list(reversed(Base.metadata.sorted_tables))
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join(t.name for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture()
def db_session(engine: Engine) -> Iterator[Session]:
    """A session on an empty database (committing inside a test is allowed)."""
    clean_tables(engine)
    with Session(engine, future=True) as session:
        yield session


@pytest.fixture(scope="module", params=BACKENDS)
def seeded_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """A separate database seeded once per test module at ``NOW``."""
    eng, cleanup = _isolated_engine(request.param, tmp_path_factory.mktemp("seeded"))
    with Session(eng, future=True) as session:
        seed(session, now=NOW)
        session.commit()
    yield eng
    cleanup()


@pytest.fixture()
def seeded(seeded_engine: Engine) -> Iterator[Session]:
    """Session on the seeded database; everything the test writes is rolled back."""
    with Session(seeded_engine, future=True) as session:
        yield session
        session.rollback()


def pytest_configure(config: pytest.Config) -> None:
    # pytest resets warning filters per test; re-apply shop.db's SQLite Decimal filter.
    config.addinivalue_line(
        "filterwarnings",
        r"ignore:Dialect sqlite\+pysqlite does \*not\* support Decimal:sqlalchemy.exc.SAWarning",
    )
