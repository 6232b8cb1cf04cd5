"""products.name_en, the English product name

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-08 00:16:40.292415
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A database made before migrations got its missing tables from shop.models (shop.migrate.upgrade),
    # products with this column already.
    if "name_en" in {column["name"] for column in sa.inspect(op.get_bind()).get_columns("products")}:
        return
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_en', sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_column('name_en')
