"""Order cancellation (only before shipment) with refund to the original payment method."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from shop.clock import Clock
from shop.errors import DomainError
from shop.models import AfterSaleEvent, AfterSaleRequest, Order
from shop.rules import refund_arrival_days
from shop.services._common import POST_SHIPMENT, assign_request_no, find_by_key, get_owned_order
from shop.services.views import CancelQuote, CancelResult
from shop.states import transition

REFUND_REASON = "order_cancelled"


def _refundable(order: Order) -> tuple[Decimal, str | None]:
    """Money we hold for the order (all successful payments, duplicates included)."""
    paid = [p for p in order.payments if p.status == "succeeded"]
    return sum((p.amount for p in paid), Decimal("0.00")), (paid[0].method if paid else None)


def _refunded(order: Order) -> tuple[Decimal, str | None]:
    done = [p for p in order.payments if p.status == "refunded" and p.refund_reason == REFUND_REASON]
    return sum((p.amount for p in done), Decimal("0.00")), (done[0].method if done else None)


def _code(order: Order) -> str:
    if order.status == "cancelled":
        return "already_cancelled"
    if order.status in POST_SHIPMENT or order.shipment is not None:
        return "already_shipped"
    return "ok"


def quote_cancel(
    session: Session, customer_id: int, order_no: str, *, clock: Clock | None = None
) -> CancelQuote:
    """Whether the order can still be cancelled and what would be refunded where."""
    order = get_owned_order(session, customer_id, order_no)
    code = _code(order)
    amount, method = _refunded(order) if code == "already_cancelled" else _refundable(order)
    eta = refund_arrival_days(method) if amount else None
    return CancelQuote(code == "ok", code, amount, method, eta)


def cancel_order(session: Session, customer_id: int, order_no: str, *, clock: Clock) -> CancelResult:
    """Cancel before shipment; repeating returns the same result with ``created=False``."""
    order = get_owned_order(session, customer_id, order_no, lock=True)
    code = _code(order)
    if code == "already_cancelled":
        return _result(session, order, created=False)
    if code == "already_shipped":
        raise DomainError("already_shipped", "order has shipped; use a return instead", status=order.status)
    amount, method = _refundable(order)
    transition(order, "cancelled", clock)
    now = order.cancelled_at
    for payment in order.payments:
        if payment.status == "succeeded":
            payment.status, payment.refunded_at, payment.refund_reason = "refunded", now, REFUND_REASON
    if amount > 0:
        _record_refund(session, order, amount, method, now)
    session.flush()
    return _result(session, order, created=True)


def _record_refund(
    session: Session, order: Order, amount: Decimal, method: str | None, now: datetime
) -> None:
    """A refund_only request so "where is my refund?" sees cancellation refunds too."""
    req = AfterSaleRequest(
        order=order, customer_id=order.customer_id, type="refund_only", status="refunded",
        reason_kind=REFUND_REASON, reason_text="", evidence_urls=[], refund_amount=amount,
        refund_method=method, shipping_fee_compensation=Decimal("0.00"),
        idempotency_key=f"cancel:{order.id}", created_at=now, updated_at=now,
    )
    req.events.extend([AfterSaleEvent(status=s, time=now) for s in ("requested", "approved", "refunded")])
    assign_request_no(session, req)


def _result(session: Session, order: Order, *, created: bool) -> CancelResult:
    amount, method = _refunded(order)
    req = find_by_key(session, f"cancel:{order.id}")
    return CancelResult(
        order_no=order.order_no, status=order.status, refund_amount=amount, refund_method=method,
        refund_eta_days=refund_arrival_days(method) if amount else None,
        request_no=req.request_no if req else None, cancelled_at=order.cancelled_at, created=created,
    )
