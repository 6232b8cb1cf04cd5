"""Settings read from the environment (no side effects at import time)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB_URL = f"sqlite:///{PROJECT_ROOT / 'var' / 'shop.db'}"
# DEV ONLY: tokens minted with this secret are forgeable by anyone reading the source.
# Production must set SHOP_TOKEN_SECRET.
DEV_TOKEN_SECRET = "xiaoer-dev-only-secret-change-me"


@dataclass(frozen=True)
class Settings:
    """Runtime configuration of the shop backend."""

    db_url: str = DEFAULT_DB_URL
    token_secret: str = DEV_TOKEN_SECRET
    stuck_after_hours: int = 72
    service_hours: str = "09:00-22:00"


def get_settings() -> Settings:
    """Read settings from env each call, so tests and CLIs can change env freely."""
    return Settings(
        db_url=os.environ.get("SHOP_DB_URL") or DEFAULT_DB_URL,
        token_secret=os.environ.get("SHOP_TOKEN_SECRET") or DEV_TOKEN_SECRET,
        stuck_after_hours=int(os.environ.get("SHOP_STUCK_AFTER_HOURS") or 72),
        service_hours=os.environ.get("SHOP_SERVICE_HOURS") or "09:00-22:00",
    )
