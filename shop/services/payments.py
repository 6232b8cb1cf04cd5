"""Payment diagnostics: failures, double charges and "paid but still unpaid" orders."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from shop.clock import Clock
from shop.errors import DomainError
from shop.models import AfterSaleEvent, AfterSaleRequest, Order, Payment
from shop.rules import refund_arrival_days
from shop.services._common import assign_request_no, find_by_key, get_owned_order, payment_view
from shop.services.views import DuplicateRefundResult, PaymentReport

DUPLICATE = "duplicate_charge"


def duplicate_payment(order: Order) -> Payment | None:
    """A successful charge made after earlier ones already covered the amount due.

    Payments refunded *as* duplicates still count, so a refunded duplicate stays visible.
    """
    covered = Decimal("0.00")
    for payment in order.payments:
        counts = payment.status == "succeeded" or payment.refund_reason == DUPLICATE
        if not counts:
            continue
        if covered >= order.paid_amount:
            return payment
        covered += payment.amount
    return None


def payment_report(session: Session, customer_id: int, order_no: str) -> PaymentReport:
    """Everything about the order's payment attempts, as codes and data."""
    order = get_owned_order(session, customer_id, order_no)
    failed = [p.failure_reason or "unknown" for p in order.payments if p.status == "failed"]
    duplicate = duplicate_payment(order)
    succeeded = any(p.status == "succeeded" for p in order.payments)
    return PaymentReport(
        order_no=order.order_no,
        order_status=order.status,
        amount_due=order.paid_amount,
        payments=[payment_view(p) for p in order.payments],
        failed_reasons=list(dict.fromkeys(failed)),
        duplicate_charge=payment_view(duplicate) if duplicate else None,
        duplicate_refunded=bool(duplicate and duplicate.status == "refunded"),
        paid_but_unpaid=order.status == "pending_payment" and succeeded,
    )


def refund_duplicate_charge(
    session: Session, customer_id: int, order_no: str, *, clock: Clock
) -> DuplicateRefundResult:
    """Refund the extra charge exactly once; later calls report ``already_refunded``."""
    order = get_owned_order(session, customer_id, order_no, lock=True)
    duplicate = duplicate_payment(order)
    if duplicate is None:
        raise DomainError("not_eligible", "no duplicate charge on this order", reason="no_duplicate_charge")
    created = duplicate.status == "succeeded"
    if created:
        now = clock()
        duplicate.status, duplicate.refunded_at, duplicate.refund_reason = "refunded", now, DUPLICATE
        _record_refund(session, order, duplicate, now)
    req = find_by_key(session, f"dup:{duplicate.id}")
    return DuplicateRefundResult(
        code="refunded" if created else "already_refunded",
        payment=payment_view(duplicate),
        refund_amount=duplicate.amount,
        refund_method=duplicate.method,
        expected_arrival_days=refund_arrival_days(duplicate.method) or (0, 0),
        request_no=req.request_no if req else None,
        created=created,
    )


def _record_refund(session: Session, order: Order, payment: Payment, now: datetime) -> None:
    req = AfterSaleRequest(
        order=order, customer_id=order.customer_id, type="refund_only", status="refunded",
        reason_kind=DUPLICATE, reason_text="", evidence_urls=[], refund_amount=payment.amount,
        refund_method=payment.method, shipping_fee_compensation=Decimal("0.00"),
        idempotency_key=f"dup:{payment.id}", created_at=now, updated_at=now,
    )
    req.events.extend([AfterSaleEvent(status=s, time=now) for s in ("requested", "approved", "refunded")])
    assign_request_no(session, req)
