"""Delivered but not received (显示签收没收到), received damaged (破损) or with items missing
(少件/漏发): reship or refund.

Rules (see :mod:`shop.rules`): only for delivered orders, reported within
``FAULT_WINDOW_DAYS`` of delivery (delivery day is day 0), with at least one photo/screenshot
URL. One report per order: asking again returns the same report (``created=False``), whatever
problem or remedy is named the second time. A refund pays back, to the original payment method,
what was paid for the whole order, or for missing items their share of their line's paid amount,
through a ``refund_only`` after-sale request (status ``requested``: an agent checks the evidence),
so refund progress shows it. A reship of missing items sends only those. Lines already in an
after-sale request (e.g. a return) cannot be reported again (``already_requested``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from shop import rules
from shop.clock import Clock
from shop.errors import DomainError
from shop.models import (
    AfterSaleEvent,
    AfterSaleItem,
    AfterSaleRequest,
    DeliveryIssue,
    DeliveryIssueItem,
    Order,
    OrderItem,
)
from shop.services._common import (
    active_request_for_item,
    assign_request_no,
    get_owned_order,
    original_payment_method,
)
from shop.services.returns import _clean_evidence
from shop.services.views import DeliveryIssueQuote, DeliveryIssueView

PROBLEMS = ("not_received", "damaged", "missing_items")
REMEDIES = ("reship", "refund")
# Quote codes that become errors when the shopper insists on reporting anyway.
_ERROR_FOR_CODE = {"window_expired": "window_expired", "not_delivered": "not_eligible",
                   "already_requested": "not_eligible"}


def quote_delivery_issue(
    session: Session, customer_id: int, order_no: str, *, missing: Mapping[int, int] | None = None, clock: Clock
) -> DeliveryIssueQuote:
    """May a delivery problem be reported for this order, and what would a refund pay? With `missing`
    ({order item id: quantity that did not arrive}) the refund is those items' share."""
    order = get_owned_order(session, customer_id, order_no)
    lines = _missing_lines(order, missing) if missing is not None else None
    return _quote(session, order, clock(), lines)


def report_delivery_issue(
    session: Session,
    customer_id: int,
    order_no: str,
    *,
    problem: str,
    remedy: str,
    evidence_urls: Sequence[str] = (),
    missing: Mapping[int, int] | None = None,
    clock: Clock,
) -> DeliveryIssueView:
    """Record the problem once; a refund also opens a ``refund_only`` request. ``missing_items`` needs
    `missing`: {order item id: how many of that line did not arrive}."""
    if problem not in PROBLEMS:
        raise DomainError("invalid_input", f"problem must be one of {PROBLEMS}", field="problem")
    if remedy not in REMEDIES:
        raise DomainError("invalid_input", f"remedy must be one of {REMEDIES}", field="remedy")
    if (problem == "missing_items") != bool(missing):
        raise DomainError("invalid_input", "missing items are named for missing_items only, and always",
                          field="missing")
    order = get_owned_order(session, customer_id, order_no, lock=True)
    now = clock()
    lines = _missing_lines(order, missing) if missing else None
    quote = _quote(session, order, now, lines)
    if quote.existing is not None:
        return quote.existing
    if not quote.eligible:
        raise DomainError(_ERROR_FOR_CODE[quote.code], f"delivery problem not possible: {quote.code}",
                          reason=quote.code)
    urls = _clean_evidence(evidence_urls)
    if not urls:
        raise DomainError("evidence_required", "a delivery problem needs at least one photo/screenshot URL")
    issue = DeliveryIssue(order=order, problem=problem, remedy=remedy, evidence_urls=urls, status="open",
                          created_at=now)
    issue.items = [DeliveryIssueItem(order_item=line, quantity=quantity) for line, quantity in lines or []]
    if remedy == "refund":
        issue.refund_request = _refund_request(session, order, problem, urls, now, lines, quote.refund_amount)
    session.add(issue)
    session.flush()
    issue.issue_no = f"DI{now:%Y%m%d}{issue.id:06d}"
    session.flush()
    return _view(issue, created=True)


def _missing_lines(order: Order, missing: Mapping[int, int]) -> list[tuple[OrderItem, int]]:
    """The order's lines and quantities named as missing; anything else is bad input."""
    by_id = {line.id: line for line in order.items}
    lines = []
    for item_id, quantity in missing.items():
        line = by_id.get(int(item_id))
        if line is None:
            raise DomainError("invalid_input", f"item {item_id} is not in order {order.order_no}", field="missing")
        if not 1 <= int(quantity) <= line.quantity:
            raise DomainError("invalid_input", f"quantity must be 1..{line.quantity}", field="missing")
        lines.append((line, int(quantity)))
    if not lines:
        raise DomainError("invalid_input", "name at least one missing item", field="missing")
    return lines


def _share(line: OrderItem, quantity: int) -> Decimal:
    """What was paid for `quantity` of the line (discounts spread evenly over its units)."""
    if quantity == line.quantity:
        return line.paid_amount
    return (line.paid_amount * quantity / line.quantity).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _quote(
    session: Session, order: Order, now: datetime, lines: list[tuple[OrderItem, int]] | None = None
) -> DeliveryIssueQuote:
    existing = session.execute(select(DeliveryIssue).where(DeliveryIssue.order_id == order.id)).scalar_one_or_none()
    method = original_payment_method(order)
    deadline = rules.window_deadline(order.delivered_at, rules.FAULT_WINDOW_DAYS) if order.delivered_at else None
    if existing is not None:
        code = "already_reported"
    elif order.delivered_at is None or order.status not in ("delivered", "completed"):
        code = "not_delivered"
    elif any(active_request_for_item(session, line.id) is not None for line in order.items):
        code = "already_requested"
    elif deadline is not None and now > deadline:
        code = "window_expired"
    else:
        code = "ok"
    return DeliveryIssueQuote(
        eligible=code == "ok",
        code=code,
        refund_amount=(sum((_share(line, quantity) for line, quantity in lines), Decimal("0.00"))
                       if lines else order.paid_amount),
        refund_method=method,
        expected_arrival_days=rules.refund_arrival_days(method),
        deadline=deadline.date() if deadline else None,
        existing=_view(existing, created=False) if existing is not None else None,
    )


def _refund_request(
    session: Session, order: Order, problem: str, urls: list[str], now: datetime,
    lines: list[tuple[OrderItem, int]] | None, amount: Decimal,
) -> AfterSaleRequest:
    req = AfterSaleRequest(
        order=order, customer_id=order.customer_id, type="refund_only", status="requested", reason_kind=problem,
        reason_text="", evidence_urls=urls, refund_amount=amount,
        refund_method=original_payment_method(order), idempotency_key=f"delivery_issue:{order.id}",
        created_at=now, updated_at=now,
    )
    refunded = lines or [(line, line.quantity) for line in order.items]
    req.items = [AfterSaleItem(order_item_id=line.id, quantity=quantity) for line, quantity in refunded]
    req.events.append(AfterSaleEvent(status="requested", time=now))
    assign_request_no(session, req)
    return req


def _view(issue: DeliveryIssue, *, created: bool) -> DeliveryIssueView:
    req = issue.refund_request
    return DeliveryIssueView(
        issue_no=issue.issue_no,
        order_no=issue.order.order_no,
        problem=issue.problem,
        remedy=issue.remedy,
        status=issue.status,
        evidence_urls=list(issue.evidence_urls or []),
        missing=[(item.order_item_id, item.quantity) for item in issue.items],
        refund_amount=req.refund_amount if req is not None else None,
        refund_method=req.refund_method if req is not None else None,
        expected_arrival_days=rules.refund_arrival_days(req.refund_method) if req is not None else None,
        request_no=req.request_no if req is not None else None,
        created_at=issue.created_at,
        created=created,
    )
