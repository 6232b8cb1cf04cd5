"""Shop-local time.

All datetimes in the shop are naive and mean Asia/Shanghai local time. Services never
call ``datetime.now()`` themselves; they take a ``clock`` so tests can pin time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone

Clock = Callable[[], datetime]

# China has had no DST since 1991, so a fixed +08:00 offset equals Asia/Shanghai and
# avoids depending on the tzdata package being installed.
SHOP_TZ = timezone(timedelta(hours=8), name="Asia/Shanghai")


def system_clock() -> datetime:
    """Now in Asia/Shanghai, as a naive datetime (the shop's storage convention)."""
    return datetime.now(SHOP_TZ).replace(tzinfo=None)


def fixed_clock(at: datetime) -> Clock:
    """A clock frozen at ``at`` (for tests, seeding and reproducible demos)."""
    return lambda: at


def to_shop_time(value: datetime) -> datetime:
    """Convert an aware datetime to naive shop time; naive values are assumed local already."""
    if value.tzinfo is None:
        return value
    return value.astimezone(SHOP_TZ).replace(tzinfo=None)
