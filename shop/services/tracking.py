"""Parcel tracking, stuck-parcel detection and delivery claims."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from shop.clock import Clock
from shop.config import get_settings
from shop.errors import DomainError
from shop.models import Claim, Order
from shop.services._common import get_owned_order
from shop.services.views import ClaimView, EventView, TrackingInfo

CLAIM_KINDS = ("courier_check", "claim")


def get_tracking(
    session: Session,
    customer_id: int,
    order_no: str,
    *,
    clock: Clock,
    stuck_after_hours: int | None = None,
) -> TrackingInfo:
    """Tracking of a shipped order; ``not_shipped`` if there is no parcel yet."""
    order = get_owned_order(session, customer_id, order_no)
    return tracking_for(order, clock(), stuck_after_hours)


def tracking_for(order: Order, now: datetime, stuck_after_hours: int | None = None) -> TrackingInfo:
    """Build :class:`TrackingInfo` for an already-loaded order (used by order detail too)."""
    shipment = order.shipment
    if shipment is None:
        raise DomainError("not_shipped", "order has no shipment yet", status=order.status)
    threshold = stuck_after_hours if stuck_after_hours is not None else get_settings().stuck_after_hours
    events = [EventView(e.time, e.place, e.description) for e in reversed(shipment.events)]
    latest = events[0] if events else None
    elapsed = now - (latest.time if latest else shipment.shipped_at)
    delivered = order.delivered_at is not None or order.status in ("delivered", "completed")
    # Exactly `threshold` hours without an update already counts as stuck.
    stuck = not delivered and elapsed >= timedelta(hours=threshold)
    return TrackingInfo(
        order_no=order.order_no,
        courier=shipment.courier,
        tracking_no=shipment.tracking_no,
        shipped_at=shipment.shipped_at,
        events=events,
        latest=latest,
        hours_since_update=max(0, int(elapsed.total_seconds() // 3600)),
        is_stuck=stuck,
        claim_eligible=stuck,
        delivered=delivered,
    )


def file_delivery_claim(
    session: Session,
    customer_id: int,
    order_no: str,
    *,
    kind: str,
    clock: Clock,
    stuck_after_hours: int | None = None,
) -> ClaimView:
    """Open a courier check (催查件) or a 先行赔付 claim for a stuck parcel, once per kind."""
    if kind not in CLAIM_KINDS:
        raise DomainError("invalid_input", f"kind must be one of {CLAIM_KINDS}", field="kind")
    order = get_owned_order(session, customer_id, order_no, lock=True)
    existing = session.execute(
        select(Claim).where(Claim.order_id == order.id, Claim.kind == kind)
    ).scalar_one_or_none()
    if existing is not None:
        return _claim_view(existing, order, created=False)
    info = tracking_for(order, clock(), stuck_after_hours)
    if not info.claim_eligible:
        raise DomainError("not_eligible", "parcel is not stuck", reason="not_stuck",
                          hours_since_update=info.hours_since_update)
    claim = Claim(order_id=order.id, kind=kind, status="open", created_at=clock(),
                  amount=order.paid_amount if kind == "claim" else None)
    session.add(claim)
    session.flush()
    claim.claim_no = f"CL{claim.created_at:%Y%m%d}{claim.id:06d}"
    session.flush()
    return _claim_view(claim, order, created=True)


def _claim_view(claim: Claim, order: Order, *, created: bool) -> ClaimView:
    return ClaimView(claim.claim_no, order.order_no, claim.kind, claim.status, claim.amount,
                     claim.created_at, created)
