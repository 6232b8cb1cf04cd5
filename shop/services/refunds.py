"""Refund progress ("where is my money?") across returns, cancellations and duplicate charges."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from shop.models import AfterSaleRequest
from shop.services._common import after_sale_view, get_owned_order
from shop.services.views import AfterSaleView

REFUND_TYPES = ("return", "refund_only")


def refund_progress(
    session: Session, customer_id: int, *, order_no: str | None = None
) -> list[AfterSaleView]:
    """The customer's refund-bearing requests, newest first, with timeline and arrival days."""
    stmt = select(AfterSaleRequest).where(
        AfterSaleRequest.customer_id == customer_id, AfterSaleRequest.type.in_(REFUND_TYPES)
    )
    if order_no is not None:
        order = get_owned_order(session, customer_id, order_no)
        stmt = stmt.where(AfterSaleRequest.order_id == order.id)
    stmt = stmt.order_by(AfterSaleRequest.created_at.desc(), AfterSaleRequest.id.desc())
    return [after_sale_view(req, created=False) for req in session.execute(stmt).scalars()]
