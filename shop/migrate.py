"""Schema changes of the shop database go through Alembic migrations (shop/migrations/versions/).

`python -m shop migrate` brings a database to the newest revision, so a shop's data survives an
upgrade of Xiaoer. A database made by `python -m shop init` (or `reset`) is stamped with the newest
revision. One made before migrations existed (no version table) gets the tables it lacks, is stamped
with the baseline, then upgraded. The demo database may still simply be reseeded (`make demo-db`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Engine

from shop.db import create_database_file
from shop.models import Base

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BASELINE = "0001"
VERSION_TABLE = "alembic_version"


def _config(connection: Any) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    return str(ScriptDirectory.from_config(_config(None)).get_current_head())


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def stamp_head(engine: Engine) -> None:
    """Record that the database has the newest schema (it was just created from shop.models)."""
    with engine.begin() as connection:
        command.stamp(_config(connection), "head")


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Bring the database to the newest revision; returns (revision before, revision after)."""
    create_database_file(engine)
    with engine.connect() as connection:
        tables = set(inspect(connection).get_table_names())
    before = current_revision(engine) if VERSION_TABLE in tables else None
    with engine.begin() as connection:
        if VERSION_TABLE not in tables and tables & set(Base.metadata.tables):
            # made before migrations: what the baseline has and it lacks is created, then it is the baseline
            Base.metadata.create_all(connection, tables=[Base.metadata.tables[name] for name in BASELINE_TABLES
                                                         if name in Base.metadata.tables])
            command.stamp(_config(connection), BASELINE)
        command.upgrade(_config(connection), "head")
    return before, head_revision()


def schema_differences(engine: Engine) -> list[Any]:
    """What Alembic's autogenerate finds between shop.models and the database (empty: they agree)."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))


#: The tables of the baseline revision (0001), for databases made before migrations.
BASELINE_TABLES: tuple[str, ...] = (
    "address_changes",
    "after_sale_events",
    "after_sale_items",
    "after_sale_requests",
    "agent_sessions",
    "agents",
    "canned_replies",
    "claims",
    "customers",
    "delivery_issue_items",
    "delivery_issues",
    "invoice_changes",
    "invoices",
    "notice_preferences",
    "notices",
    "order_items",
    "orders",
    "payments",
    "product_aliases",
    "product_facts",
    "products",
    "return_parcels",
    "satisfaction_ratings",
    "shipments",
    "shipping_reminders",
    "shop_events",
    "shopper_conversations",
    "sign_in_failures",
    "size_chart_rows",
    "skus",
    "ticket_notes",
    "tickets",
    "tracking_events",
    "verification_failures",
)


def new_revision(message: str) -> list[str]:
    """Write a migration for what shop.models has and the newest revision lacks (Alembic's
    autogenerate, against a scratch SQLite database migrated to the head); returns the files written.
    Read it before committing: autogenerate does not see renames, and data moves are written by hand."""
    import tempfile

    from sqlalchemy import create_engine

    with tempfile.TemporaryDirectory() as folder:
        engine = create_engine(f"sqlite:///{folder}/scratch.db")
        upgrade(engine)
        number = f"{len([p for p in (MIGRATIONS / 'versions').glob('[0-9]*.py')]) + 1:04d}"
        with engine.begin() as connection:
            scripts = command.revision(_config(connection), message=message, autogenerate=True, rev_id=number)
        engine.dispose()
    written = scripts if isinstance(scripts, list) else [scripts]
    return [str(script.path) for script in written if script is not None]
