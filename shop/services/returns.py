"""Returns (退货退款): eligibility quote and idempotent request creation.

Rules (see :mod:`shop.rules`): delivery day is day 0. ``no_reason`` returns are allowed
through the end of day ``product.return_window_days`` (7 by default) unless the product is
not returnable (生鲜/定制 or window 0). Fault returns (quality/wrong_item/damaged) are allowed
for every category through day 15, need at least one evidence URL, and earn a shipping-fee
compensation. The refund is what was actually paid for the lines (after discounts).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from shop import rules
from shop.clock import Clock
from shop.errors import DomainError
from shop.models import AfterSaleEvent, AfterSaleItem, AfterSaleRequest, Order, OrderItem
from shop.services._common import (
    active_request_for_item,
    after_sale_view,
    assign_request_no,
    count_requests,
    find_by_key,
    get_item,
    get_owned_order,
    item_view,
    original_payment_method,
)
from shop.services.views import AfterSaleView, ReturnQuote

MAX_EVIDENCE = 9
# Quote codes that become errors when the shopper insists on requesting anyway.
_ERROR_FOR_CODE = {
    "window_expired": "window_expired",
    "category_not_returnable": "category_not_returnable",
    "not_delivered": "not_eligible",
    "already_requested": "not_eligible",
}


# Codes that do not depend on the reason given.
REFUSED_FOR_ANY_REASON = ("not_delivered", "already_requested")


@dataclass(frozen=True)
class _Check:
    code: str
    deadline: datetime | None


def check_reason_kind(reason_kind: str) -> None:
    if reason_kind == "missing_items":
        # What never arrived cannot be sent back: it is a delivery issue (delivery_issues.py), whose
        # refund is the missing items' share, with no pickup and no parcel to wait for.
        raise DomainError("not_eligible", "missing items are reported as a delivery issue, not returned",
                          reason="missing_items")
    if reason_kind not in rules.REASON_KINDS:
        raise DomainError("invalid_input", f"reason_kind must be one of {rules.REASON_KINDS}",
                          field="reason_kind")


def window_days(item: OrderItem, reason_kind: str) -> int:
    """0 means "not allowed for this reason"."""
    if reason_kind in rules.FAULT_REASONS:
        return rules.FAULT_WINDOW_DAYS
    product = item.sku.product
    return product.return_window_days if product.returnable else 0


def check_line(session: Session, order: Order, item: OrderItem, reason_kind: str, now: datetime) -> _Check:
    """Eligibility of one line for a return (also reused by exchanges)."""
    if order.delivered_at is None or order.status not in ("delivered", "completed"):
        return _Check("not_delivered", None)
    if active_request_for_item(session, item.id) is not None:
        return _Check("already_requested", None)
    days = window_days(item, reason_kind)
    if days <= 0:
        return _Check("category_not_returnable", None)
    deadline = rules.window_deadline(order.delivered_at, days)
    return _Check("ok" if now <= deadline else "window_expired", deadline)


def _lines(order: Order, item_id: int | None) -> list[OrderItem]:
    return list(order.items) if item_id is None else [get_item(order, item_id)]


def _quote(
    session: Session, order: Order, lines: list[OrderItem], reason_kind: str, now: datetime
) -> ReturnQuote:
    checks = [check_line(session, order, line, reason_kind, now) for line in lines]
    failing = next((c for c in checks if c.code != "ok"), None)
    deadlines = [c.deadline for c in checks if c.deadline is not None]
    fault = reason_kind in rules.FAULT_REASONS
    views = [item_view(line) for line in lines]
    return ReturnQuote(
        eligible=failing is None,
        code=failing.code if failing else "ok",
        refund_amount=sum((line.paid_amount for line in lines), Decimal("0.00")),
        shipping_fee_compensation=rules.SHIPPING_FEE_COMPENSATION if fault else Decimal("0.00"),
        deadline=min(deadlines).date() if deadlines else None,
        item=views[0] if len(views) == 1 else None,
        items=views,
        evidence_required=fault,
    )


def quote_return(
    session: Session,
    customer_id: int,
    order_no: str,
    *,
    item_id: int | None,
    reason_kind: str,
    clock: Clock,
) -> ReturnQuote:
    """Can this line (or, with ``item_id=None``, the whole order) be returned, and for how much?"""
    check_reason_kind(reason_kind)
    order = get_owned_order(session, customer_id, order_no)
    return _quote(session, order, _lines(order, item_id), reason_kind, clock())


def quote_for_any_reason(
    session: Session, customer_id: int, order_no: str, *, item_id: int, clock: Clock
) -> ReturnQuote:
    """The line's quote before the shopper says why: an eligible one when some reason could be
    accepted, else the refusal no reason changes (not delivered, already in after-sales, past the
    longest window: the latest deadline)."""
    order = get_owned_order(session, customer_id, order_no)
    lines, now = _lines(order, item_id), clock()
    quotes = []
    for kind in rules.REASON_KINDS:  # no_reason first: usually it is accepted and one check is enough
        quote = _quote(session, order, lines, kind, now)
        if quote.eligible or quote.code in REFUSED_FOR_ANY_REASON:
            return quote
        quotes.append(quote)
    return max(quotes, key=lambda q: (q.deadline is not None, q.deadline))


def request_return(
    session: Session,
    customer_id: int,
    order_no: str,
    *,
    item_id: int | None,
    reason_kind: str,
    reason_text: str = "",
    evidence_urls: Sequence[str] = (),
    clock: Clock,
    idempotency_key: str | None = None,
) -> AfterSaleView:
    """Create the return once; repeating the call returns the same request (``created=False``)."""
    check_reason_kind(reason_kind)
    order = get_owned_order(session, customer_id, order_no, lock=True)
    key = f"c{customer_id}:{idempotency_key}" if idempotency_key else None
    existing = (find_by_key(session, key) if key else None) or _existing_return(session, order, item_id)
    if existing is not None:
        return after_sale_view(existing, created=False)
    lines = _lines(order, item_id)
    now = clock()
    quote = _quote(session, order, lines, reason_kind, now)
    if not quote.eligible:
        code = _ERROR_FOR_CODE[quote.code]
        raise DomainError(code, f"return not possible: {quote.code}", reason=quote.code)
    urls = _clean_evidence(evidence_urls)
    if quote.evidence_required and not urls:
        raise DomainError("evidence_required", "fault returns need at least one photo/video URL")
    line_ids = "-".join(str(line.id) for line in lines)
    key = key or f"return:{order.id}:{line_ids}:{count_requests(session, order.id)}"
    req = _new_return(order, lines, quote, reason_kind, reason_text, urls, key, now)
    assign_request_no(session, req)
    return after_sale_view(req, created=True)


def _existing_return(session: Session, order: Order, item_id: int | None) -> AfterSaleRequest | None:
    """A live return covering exactly these lines is "the same request" asked again."""
    lines = _lines(order, item_id)
    found = {active_request_for_item(session, line.id) for line in lines}
    if len(found) == 1:
        req = found.pop()
        if req is not None and req.type == "return" and {i.order_item_id for i in req.items} == {
            line.id for line in lines
        }:
            return req
    return None


def _clean_evidence(evidence_urls: Sequence[str] | None) -> list[str]:
    if isinstance(evidence_urls, str):
        evidence_urls = [evidence_urls]
    urls = [u.strip() for u in (evidence_urls or ()) if isinstance(u, str) and u.strip()]
    if len(urls) > MAX_EVIDENCE or any(len(u) > 500 for u in urls):
        raise DomainError("invalid_input", f"at most {MAX_EVIDENCE} URLs of <= 500 chars",
                          field="evidence_urls")
    return urls


def _new_return(
    order: Order,
    lines: list[OrderItem],
    quote: ReturnQuote,
    reason_kind: str,
    reason_text: str,
    urls: list[str],
    key: str,
    now: datetime,
) -> AfterSaleRequest:
    # No-reason returns are approved automatically (pickup booked); fault returns wait for
    # an agent to look at the evidence.
    auto_approve = reason_kind == "no_reason"
    req = AfterSaleRequest(
        order=order, customer_id=order.customer_id, type="return",
        status="approved" if auto_approve else "requested", reason_kind=reason_kind,
        reason_text=(reason_text or "")[:1000], evidence_urls=urls, refund_amount=quote.refund_amount,
        refund_method=original_payment_method(order),
        shipping_fee_compensation=quote.shipping_fee_compensation, return_address=rules.RETURN_ADDRESS,
        pickup_slot=rules.pickup_slot(now) if auto_approve else None, idempotency_key=key,
        created_at=now, updated_at=now,
    )
    req.items = [AfterSaleItem(order_item_id=line.id, quantity=line.quantity) for line in lines]
    req.events.append(AfterSaleEvent(status="requested", time=now))
    if auto_approve:
        req.events.append(AfterSaleEvent(status="approved", time=now, note="auto_approved"))
    return req
