"""Invoice (发票) requests: one per paid order, and corrections of it (换开)."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from shop.clock import Clock
from shop.errors import DomainError
from shop.models import Invoice, InvoiceChange, Order
from shop.services._common import PAID_STATES, get_owned_order
from shop.services.views import InvoiceChangeView, InvoiceView
from shop.text import TITLE_PUNCTUATION, clean_text

KINDS = ("personal", "company")
# 统一社会信用代码 (GB 32100-2015): 18 chars; letters exclude I, O, S, V, Z.
TAX_NO_RE = re.compile(r"^[0-9A-HJ-NP-RTUW-Y]{2}\d{6}[0-9A-HJ-NP-RTUW-Y]{10}$")
EMAIL_RE = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")


MAX_TITLE, MAX_EMAIL = 100, 120  # the columns' sizes


def check_title(title: object) -> str:
    """An invoice title as stored (a person's or company's name: letters, digits, spaces, & ( ) , . - /),
    or ``invalid_input`` (field title) with the problem (shop.text)."""
    return clean_text(title, field="title", max_len=MAX_TITLE, punctuation=TITLE_PUNCTUATION)


def check_email(email: object) -> str:
    """The e-mail an invoice goes to, or ``invalid_input`` (field email)."""
    email = clean_text(email, field="email", max_len=MAX_EMAIL)
    if not EMAIL_RE.match(email):
        raise DomainError("invalid_input", "email is not valid", field="email", problem="format")
    return email


def check_tax_no(tax_no: object) -> str:
    """A company's 统一社会信用代码 (spaces dropped, upper case), or ``invalid_input`` (field tax_no)."""
    tax = clean_text(tax_no, field="tax_no", max_len=40).replace(" ", "").upper()
    if not TAX_NO_RE.match(tax):
        raise DomainError("invalid_input", "tax_no must be an 18-char unified social credit code",
                          field="tax_no", problem="format")
    return tax


def _validate(kind: str, title: str, tax_no: str | None, email: str) -> tuple[str, str | None, str]:
    if kind not in KINDS:
        raise DomainError("invalid_input", f"kind must be one of {KINDS}", field="kind")
    title, email = check_title(title), check_email(email)
    if kind == "personal":
        return title, None, email
    return title, check_tax_no(tax_no), email


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


def change_invoice(
    session: Session,
    customer_id: int,
    order_no: str,
    *,
    kind: str,
    title: str,
    tax_no: str | None = None,
    email: str,
    clock: Clock,
) -> InvoiceChangeView:
    """Correct the order's invoice (wrong title, tax number, e-mail).

    Not issued yet: the request itself is corrected. Issued: a re-issue is requested (staff void the old
    one); while one is pending, asking again corrects that one, so there is never more than one.
    Details equal to what will be issued change nothing (``outcome="unchanged"``).
    """
    order = get_owned_order(session, customer_id, order_no, lock=True)
    invoice = _invoice(session, order)
    if invoice is None:
        raise DomainError("no_invoice", "the order has no invoice to change")
    details = _validate(kind, title, tax_no, email)
    if invoice.status == "requested":
        return _correct(order, invoice, kind, details, outcome="corrected")
    pending = _pending_change(session, invoice)
    if pending is not None:
        return _correct(order, pending, kind, details, outcome="reissue_corrected")
    if (kind, *details) == _details(invoice):
        return _change_view(order, invoice, outcome="unchanged")
    change = InvoiceChange(invoice_id=invoice.id, kind=kind, title=details[0], tax_no=details[1],
                           email=details[2], status="pending", requested_at=clock())
    session.add(change)
    session.flush()
    return _change_view(order, change, outcome="reissue_requested")


def invoice_status(session: Session, customer_id: int, order_no: str) -> InvoiceView | None:
    """The order's invoice, or None if none was requested."""
    order = get_owned_order(session, customer_id, order_no)
    invoice = _invoice(session, order)
    if invoice is None:
        return None
    return _view(order, invoice, created=False, change_pending=_pending_change(session, invoice) is not None)


def _invoice(session: Session, order: Order) -> Invoice | None:
    return session.execute(select(Invoice).where(Invoice.order_id == order.id)).scalar_one_or_none()


def _pending_change(session: Session, invoice: Invoice) -> InvoiceChange | None:
    stmt = select(InvoiceChange).where(InvoiceChange.invoice_id == invoice.id, InvoiceChange.status == "pending")
    return session.execute(stmt).scalars().first()


def _details(row: Invoice | InvoiceChange) -> tuple[str, str, str | None, str]:
    return row.kind, row.title, row.tax_no, row.email


def _correct(
    order: Order, row: Invoice | InvoiceChange, kind: str, details: tuple[str, str | None, str], *, outcome: str
) -> InvoiceChangeView:
    if (kind, *details) == _details(row):
        return _change_view(order, row, outcome="unchanged")
    row.kind, (row.title, row.tax_no, row.email) = kind, details
    return _change_view(order, row, outcome=outcome)


def _change_view(order: Order, row: Invoice | InvoiceChange, *, outcome: str) -> InvoiceChangeView:
    return InvoiceChangeView(order.order_no, *_details(row), outcome)


def _view(order: Order, invoice: Invoice, *, created: bool, change_pending: bool = False) -> InvoiceView:
    return InvoiceView(order.order_no, invoice.kind, invoice.title, invoice.tax_no, invoice.email,
                       invoice.status, invoice.requested_at, invoice.issued_at, created, change_pending)
