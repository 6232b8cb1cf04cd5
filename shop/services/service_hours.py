"""Human-agent service hours (e.g. "09:00-22:00", shop local time; overnight ranges allowed)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from shop.errors import DomainError


def parse_hours(hours: str) -> tuple[time, time]:
    """``"09:00-22:00" -> (09:00, 22:00)``; ``invalid_input`` on anything else."""
    try:
        start, end = (time.fromisoformat(part.strip()) for part in hours.split("-"))
    except (ValueError, AttributeError) as exc:
        raise DomainError("invalid_input", f"bad service hours {hours!r}", field="hours") from exc
    if start == end:
        raise DomainError("invalid_input", "service hours must not be empty", field="hours")
    return start, end


def is_within_service_hours(now: datetime, hours: str = "09:00-22:00") -> bool:
    """True when agents are on duty: start inclusive, end exclusive."""
    start, end = parse_hours(hours)
    current = now.time()
    if start < end:
        return start <= current < end
    return current >= start or current < end  # overnight, e.g. 22:00-06:00


def next_opening(now: datetime, hours: str = "09:00-22:00") -> datetime:
    """``now`` if open, else the next time agents come on duty."""
    if is_within_service_hours(now, hours):
        return now
    start, _ = parse_hours(hours)
    today = datetime.combine(now.date(), start)
    return today if today > now else today + timedelta(days=1)
