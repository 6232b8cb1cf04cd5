"""Invoice (发票) requests: one per paid order."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from shop.clock import Clock
from shop.errors import DomainError
from shop.models import Invoice, Order
from shop.services._common import PAID_STATES, get_owned_order
from shop.services.views import InvoiceView

KINDS = ("personal", "company")
# 统一社会信用代码 (GB 32100-2015): 18 chars; letters exclude I, O, S, V, Z.
TAX_NO_RE = re.compile(r"^[0-9A-HJ-NP-RTUW-Y]{2}\d{6}[0-9A-HJ-NP-RTUW-Y]{10}$")
EMAIL_RE = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")


def _validate(kind: str, title: str, tax_no: str | None, email: str) -> tuple[str, str | None, str]:
    if kind not in KINDS:
        raise DomainError("invalid_input", f"kind must be one of {KINDS}", field="kind")
    title = (title or "").strip()
    if not title or len(title) > 100:
        raise DomainError("invalid_input", "title is required (<= 100 chars)", field="title")
    email = (email or "").strip()
    if not EMAIL_RE.match(email) or len(email) > 120:
        raise DomainError("invalid_input", "email is not valid", field="email")
    if kind == "personal":
        return title, None, email
    tax = (tax_no or "").strip().replace(" ", "").upper()
    if not TAX_NO_RE.match(tax):
        raise DomainError("invalid_input", "tax_no must be an 18-char unified social credit code",
                          field="tax_no")
    return title, tax, email


def request_invoice(
    session: Session,
    customer_id: int,
    order_no: str,
    *,
    kind: str,
    title: str,
    tax_no: str | None = None,
    email: str,
    clock: Clock,
) -> InvoiceView:
    """Request the order's invoice; a second request returns the first (``created=False``)."""
    order = get_owned_order(session, customer_id, order_no, lock=True)
    existing = _invoice(session, order)
    if existing is not None:
        return _view(order, existing, created=False)
    if order.status not in PAID_STATES:
        raise DomainError("not_paid", "only paid orders can be invoiced", status=order.status)
    title, tax, email = _validate(kind, title, tax_no, email)
    invoice = Invoice(order_id=order.id, kind=kind, title=title, tax_no=tax, email=email,
                      status="requested", requested_at=clock())
    session.add(invoice)
    session.flush()
    return _view(order, invoice, created=True)


def invoice_status(session: Session, customer_id: int, order_no: str) -> InvoiceView | None:
    """The order's invoice, or None if none was requested."""
    order = get_owned_order(session, customer_id, order_no)
    invoice = _invoice(session, order)
    return _view(order, invoice, created=False) if invoice else None


def _invoice(session: Session, order: Order) -> Invoice | None:
    return session.execute(select(Invoice).where(Invoice.order_id == order.id)).scalar_one_or_none()


def _view(order: Order, invoice: Invoice, *, created: bool) -> InvoiceView:
    return InvoiceView(order.order_no, invoice.kind, invoice.title, invoice.tax_no, invoice.email,
                       invoice.status, invoice.requested_at, invoice.issued_at, created)
