"""Fixtures for the action tests: the real domain and a freshly seeded SQLite shop per test.

The demo data is seeded once per session at the real current time (actions use
`shop.clock.system_clock`), then the file is copied for every test so tests can write freely.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rasa.shared.core.domain import Domain
from sqlalchemy.orm import Session

from shop import db
from shop.clock import system_clock
from shop.seed import seed


def _forget_engine(url: str) -> None:
    engine = db._ENGINES.pop(url, None)
    if engine is not None:
        engine.dispose()


@pytest.fixture(scope="session")
def domain(project_domain: Domain) -> dict[str, Any]:
    """The dict the action server receives with every request (of the session's one loaded domain)."""
    return project_domain.as_dict()


@pytest.fixture(scope="session")
def seeded_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("seed") / "shop.db"
    url = f"sqlite:///{path}"
    engine = db.make_engine(url)
    db.init_schema(engine)
    with Session(engine, future=True) as session:
        seed(session, now=system_clock())
        session.commit()
    _forget_engine(url)
    return path


@pytest.fixture()
def shop_db(seeded_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A private copy of the seeded shop as SHOP_DB_URL; returns the URL."""
    path = tmp_path / "shop.db"
    shutil.copyfile(seeded_file, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("SHOP_DB_URL", url)
    monkeypatch.delenv("SHOP_TOKEN_SECRET", raising=False)
    monkeypatch.delenv("SHOP_SERVICE_HOURS", raising=False)
    monkeypatch.delenv("SHOP_STUCK_AFTER_HOURS", raising=False)
    yield url
    _forget_engine(url)


def pytest_configure(config: pytest.Config) -> None:
    # pytest resets warning filters per test; re-apply shop.db's SQLite Decimal filter.
    config.addinivalue_line(
        "filterwarnings",
        r"ignore:Dialect sqlite\+pysqlite does \*not\* support Decimal:sqlalchemy.exc.SAWarning",
    )
