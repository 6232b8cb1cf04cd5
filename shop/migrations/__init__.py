"""Alembic migrations of the shop database (`python -m shop migrate`); versions/ holds one file each."""
