"""Alembic's environment for the shop: the connection comes from shop.migrate, the target from shop.models."""

from __future__ import annotations

from alembic import context

from shop.models import Base

config = context.config
connection = config.attributes["connection"]  # shop.migrate always passes one
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
