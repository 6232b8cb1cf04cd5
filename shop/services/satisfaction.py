"""End-of-chat satisfaction rating (1-5), one per conversation."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from shop.clock import Clock
from shop.errors import DomainError
from shop.models import SatisfactionRating
from shop.services.views import RatingView
from shop.text import clean_text

MAX_COMMENT = 500


def check_comment(comment: object) -> str:
    """A rating's comment as stored ("" for none): any text up to MAX_COMMENT characters, line breaks
    allowed, no markup or control characters; else ``invalid_input`` (field comment) with the problem."""
    return clean_text(comment, field="comment", max_len=MAX_COMMENT, required=False, multiline=True)


def record_rating(
    session: Session, *, conversation_id: str, rating: int, comment: str | None = None, clock: Clock
) -> RatingView:
    """Store the rating; rating again in the same conversation updates the same row."""
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise DomainError("invalid_input", "rating must be an integer 1-5", field="rating")
    comment = check_comment(comment)
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
