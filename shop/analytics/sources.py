"""Where analytics reads from: Rasa's SQL tracker store (as configured in endpoints.yml) and the shop DB."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.engine import URL, Engine, make_url

from shop.config import PROJECT_ROOT
from shop.db import make_engine

ENDPOINTS_FILE = PROJECT_ROOT / "endpoints.yml"
TRACKER_DB_ENV = "XIAOER_TRACKER_DB_URL"
#: Rasa's SQL tracker store, and ours that writes the same table (addons/stores/sql_tracker_store.py).
SQL_STORE_TYPES = frozenset({"SQL", "ADDONS.STORES.SQL_TRACKER_STORE.KEPTSQLTRACKERSTORE"})


class TrackerStoreNotConfigured(RuntimeError):
    """endpoints.yml keeps no SQL tracker store, so there are no kept conversations to read."""


def tracker_db_url(endpoints_file: Path = ENDPOINTS_FILE) -> str:
    """SQLAlchemy URL of the tracker store: $XIAOER_TRACKER_DB_URL, else endpoints.yml's `tracker_store`.

    Built as Rasa's SQLTrackerStore builds it (dialect, url/host, port, db, username, password);
    a relative SQLite path is relative to the project folder, where `make serve` runs Rasa.
    """
    override = os.environ.get(TRACKER_DB_ENV, "").strip()
    if override:
        return override
    config = _tracker_store_config(endpoints_file)
    dialect = str(config.get("dialect") or "sqlite")
    database = str(config.get("db") or "rasa.db")
    if dialect == "sqlite":
        path = Path(database)
        return f"sqlite:///{path if path.is_absolute() else PROJECT_ROOT / path}"
    host = config.get("url") or config.get("host")
    if host and "://" in str(host):
        return str(host)
    url = URL.create(
        dialect if "+" in dialect or dialect != "postgresql" else "postgresql+psycopg2",
        username=config.get("username"), password=config.get("password"), host=host,
        port=int(config["port"]) if config.get("port") else None, database=database,
    )
    return url.render_as_string(hide_password=False)


def _tracker_store_config(endpoints_file: Path) -> dict[str, Any]:
    try:
        document = yaml.safe_load(os.path.expandvars(endpoints_file.read_text(encoding="utf-8"))) or {}
    except OSError as error:
        raise TrackerStoreNotConfigured(f"cannot read {endpoints_file}: {error}") from error
    config = document.get("tracker_store") or {}
    if str(config.get("type", "")).upper() not in SQL_STORE_TYPES:
        raise TrackerStoreNotConfigured(
            f"{endpoints_file} has no SQL tracker_store: conversations are not kept, nothing to measure"
        )
    return config


def tracker_engine(url: str | None = None) -> Engine:
    """A (cached) engine on the tracker store; reads only."""
    url = url or tracker_db_url()
    if make_url(url).get_backend_name() == "sqlite" and not Path(make_url(url).database or "").exists():
        raise TrackerStoreNotConfigured(f"no tracker store database at {make_url(url).database}: "
                                        "start the assistant (make serve) or play `make demo-traffic` first")
    return make_engine(url)


def shop_engine(url: str | None = None) -> Engine:
    return make_engine(url)
