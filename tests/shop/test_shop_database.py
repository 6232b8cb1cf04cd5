"""The shop database is never created by connecting, fails loudly when missing, and is used again once back.

Issue 28, point 9: the action server created an empty SQLite file when the real one was missing, and
kept serving the empty (or deleted) file after the real one was back, until a restart.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from shop import db as shop_db
from shop.models import Customer

ROOT = Path(__file__).resolve().parents[2]


def _engine(path: Path) -> object:
    return shop_db.make_engine(f"sqlite:///{path}")


def _add_customer(engine: object, customer_id: int) -> None:
    with shop_db.session_scope(engine) as session:  # type: ignore[arg-type]
        session.add(Customer(id=customer_id, name="测试", phone=f"139{customer_id:08d}"))


def _customer_ids_in_file(path: Path) -> list[int]:
    """Read the file with a connection of its own, bypassing the engine's pool."""
    with sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True) as connection:
        return [row[0] for row in connection.execute("SELECT id FROM customers ORDER BY id")]


def test_connecting_to_a_missing_sqlite_file_fails_and_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "shop.db"
    engine = _engine(path)
    with pytest.raises(OperationalError), Session(engine, future=True) as session:
        session.execute(select(func.count()).select_from(Customer)).scalar_one()
    assert not path.exists()


def test_only_init_schema_creates_the_file_and_the_tables(tmp_path: Path) -> None:
    path = tmp_path / "var" / "shop.db"
    engine = _engine(path)
    with pytest.raises(shop_db.DatabaseNotReady, match="python -m shop init"):
        shop_db.require_database(engine)
    shop_db.init_schema(engine)
    assert path.exists() and shop_db.missing_tables(engine) == []
    shop_db.require_database(engine)


def test_an_empty_database_file_is_not_ready(tmp_path: Path) -> None:
    path = tmp_path / "shop.db"
    sqlite3.connect(path).close()
    with pytest.raises(shop_db.DatabaseNotReady, match="no shop tables"):
        shop_db.require_database(_engine(path))


def test_a_removed_file_fails_the_next_unit_of_work_and_a_restored_one_serves_again(tmp_path: Path) -> None:
    path, aside = tmp_path / "shop.db", tmp_path / "aside.db"
    engine = _engine(path)
    shop_db.init_schema(engine)
    _add_customer(engine, 1)  # leaves a pooled connection open on the file
    path.rename(aside)
    with pytest.raises(OperationalError):  # not served from the removed file, nor from a new empty one
        _add_customer(engine, 2)
    assert not path.exists()
    shutil.copy(aside, path)  # restored from a copy: another file than the pooled connections opened
    _add_customer(engine, 3)
    assert _customer_ids_in_file(path) == [1, 3]


def test_a_replaced_file_is_used_from_the_next_unit_of_work(tmp_path: Path) -> None:
    path, other = tmp_path / "shop.db", tmp_path / "other.db"
    engine = _engine(path)
    shop_db.init_schema(engine)
    _add_customer(engine, 1)
    other_engine = _engine(other)
    shop_db.init_schema(other_engine)
    _add_customer(other_engine, 7)
    os.replace(other, path)
    with Session(engine, future=True) as session:
        assert session.execute(select(Customer.id)).scalars().all() == [7]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "shop", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def test_cli_check_fails_loudly_on_a_missing_database_and_creates_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'var' / 'shop.db'}"
    for command in ("check", "seed", "show", ):
        result = _cli("--db", url, command, *(["8800000100000005"] if command == "show" else []))
        assert result.returncode == 1, (command, result.stdout, result.stderr)
        assert "python -m shop init" in result.stderr and "make db" in result.stderr
    assert not (tmp_path / "var").exists()
    assert _cli("--db", url, "init").returncode == 0
    checked = _cli("--db", url, "check")
    assert checked.returncode == 0 and "ok" in checked.stdout


def test_cli_reset_creates_a_missing_database(tmp_path: Path) -> None:
    path = tmp_path / "fresh" / "shop.db"
    assert _cli("--db", f"sqlite:///{path}", "reset", "--now", "2026-12-01T10:00:00").returncode == 0
    assert len(_customer_ids_in_file(path)) >= 30


def test_with_actions_script_refuses_to_start_without_the_database(tmp_path: Path) -> None:
    env = {**os.environ, "SHOP_DB_URL": f"sqlite:///{tmp_path / 'missing.db'}", "ACTIONS_PORT": "1",
           "PYTHONPATH": str(ROOT)}
    result = subprocess.run([str(ROOT / "scripts" / "with_actions.sh"), "true"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "python -m shop init" in result.stderr
    assert not (tmp_path / "missing.db").exists()


def test_postgresql_connections_recover_after_their_backends_are_terminated() -> None:
    url = os.environ.get("SHOP_TEST_DB_URL")
    if not url:
        pytest.skip("SHOP_TEST_DB_URL is not set; the PostgreSQL recovery test needs one")
    admin = create_engine(url, future=True)
    try:
        with admin.connect():
            pass
    except OperationalError as error:
        pytest.skip(f"PostgreSQL from SHOP_TEST_DB_URL unreachable: {str(error).splitlines()[0]}")
    engine = shop_db.make_engine(url)
    with engine.connect() as connection:
        backend = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
    with admin.begin() as connection:  # what a database restart does to every pooled connection
        assert connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend}).scalar_one()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT 1")).scalar_one() == 1
        assert connection.execute(text("SELECT pg_backend_pid()")).scalar_one() != backend
    admin.dispose()
