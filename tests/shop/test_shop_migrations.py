"""Schema changes go through Alembic migrations: the migrated schema is shop.models', and a database
made before migrations, or by `python -m shop init`, upgrades without losing a row."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, inspect, select

from shop.cli import main
from shop.db import make_engine, session_scope
from shop.migrate import BASELINE, BASELINE_TABLES, current_revision, head_revision, schema_differences, upgrade
from shop.models import Base, Customer


def test_the_migrations_make_the_schema_of_shop_models(tmp_path: Path) -> None:
    # A table or column added to shop/models.py without a migration fails here: write one with
    # `alembic revision --autogenerate` (docs/shop.md, "Schema changes").
    engine = create_engine(f"sqlite:///{tmp_path / 'migrated.db'}")
    before, after = upgrade(engine)
    assert (before, after) == (None, head_revision())
    assert schema_differences(engine) == []
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())


def test_init_makes_the_same_schema_and_stamps_it_with_the_newest_revision(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'init.db'}"
    assert main(["--db", db, "init"]) == 0
    engine = make_engine(db)
    assert current_revision(engine) == head_revision()
    assert schema_differences(engine) == []
    assert main(["--db", db, "migrate"]) == 0  # nothing to do
    assert current_revision(engine) == head_revision()


def test_a_database_made_before_migrations_is_upgraded_with_its_rows(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    Base.metadata.create_all(engine, tables=[Base.metadata.tables["customers"]])  # an old shop: one table
    with session_scope(engine) as session:
        session.add(Customer(name="张三", phone="13800001234", province="浙江省", city="杭州市",
                             district="余杭区", street="文一西路1号"))
    before, after = upgrade(engine)
    assert before is None and after == head_revision()
    assert schema_differences(engine) == []
    with session_scope(engine) as session:
        assert session.execute(select(Customer.phone)).scalar_one() == "13800001234"


def test_the_baseline_names_every_table_it_creates() -> None:
    versions = Path(__file__).resolve().parents[2] / "shop" / "migrations" / "versions"
    baseline = next(versions.glob(f"{BASELINE}_*.py"))
    created = {line.split("'")[1] for line in baseline.read_text(encoding="utf-8").splitlines()
               if line.strip().startswith("op.create_table(")}
    assert created == set(BASELINE_TABLES)
