"""End-of-chat satisfaction rating (1-5), one per conversation."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from shop.clock import Clock
from shop.errors import DomainError
from shop.models import SatisfactionRating
from shop.services.views import RatingView


def record_rating(
    session: Session, *, conversation_id: str, rating: int, comment: str | None = None, clock: Clock
) -> RatingView:
    """Store the rating; rating again in the same conversation updates the same row."""
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise DomainError("invalid_input", "rating must be an integer 1-5", field="rating")
    conversation_id = (conversation_id or "").strip()
    if not conversation_id:
        raise DomainError("invalid_input", "conversation_id is required", field="conversation_id")
    now = clock()
    row = session.execute(
        select(SatisfactionRating).where(SatisfactionRating.conversation_id == conversation_id)
    ).scalar_one_or_none()
    created = row is None
    if row is None:
        row = SatisfactionRating(conversation_id=conversation_id, created_at=now)
        session.add(row)
    row.rating, row.comment, row.updated_at = rating, (comment or None), now
    session.flush()
    return RatingView(row.conversation_id, row.rating, row.comment, row.created_at, created)
