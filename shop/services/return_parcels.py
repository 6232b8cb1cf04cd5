"""寄回: the waybill of the parcel a shopper posts back for a return or an exchange.

Fault returns and exchanges are told to post the goods back at once, so the parcel may travel while
the request is still under review. Its waybill is recorded on every open return or exchange of the
order (one parcel carries them all): an approved request moves to ``return_shipped``; one under review
keeps its status, and the shop sees the waybill when it reviews it. Recording the same waybill again
changes nothing; another waybill corrects the recorded one until the shop has received the parcel.
A courier pickup booked for an approved request is cancelled when the shopper posts the parcel
themselves: the courier would otherwise call for goods already on their way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from shop.clock import Clock
from shop.errors import DomainError
from shop.models import AfterSaleRequest, Order, ReturnParcel
from shop.services._common import get_owned_order
from shop.states import transition

PARCEL_TYPES = ("return", "exchange")
# Requests whose parcel the shop has not received yet: a waybill may be recorded or corrected.
OPEN_STATUSES = ("requested", "approved", "return_shipped")
# After these the parcel is at the shop (or the request is over): nothing to record.
RECEIVED_STATUSES = ("received", "refunded", "exchanged")
# Carriers' waybills: up to four letters (SF, YT, JT, JD, ZTO...) and 8-20 digits; many are digits only.
WAYBILL = re.compile(r"[A-Z]{0,4}\d{8,20}")
# Written in a message, its digits may come in groups ("SF 1234 5678 901").
WAYBILL_IN_TEXT = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{0,4}[ -]?\d(?:[ -]?\d){7,19}(?![ -]?\d)")
# "订单8800000100000007" / "订单号是 ...": a number the shopper calls an order is no waybill, whoever's it is.
LABELLED_ORDER = re.compile(r"订单(?:号|编号)?\s*[是为:：]?\s*(\d{8,20})(?!\d)")

_OPEN_REQUESTS_OF_CUSTOMER = (
    select(Order.order_no)
    .join(AfterSaleRequest, AfterSaleRequest.order_id == Order.id)
    .where(AfterSaleRequest.type.in_(PARCEL_TYPES), AfterSaleRequest.status.in_(("requested", "approved")))
)


@dataclass(frozen=True)
class ReturnParcelView:
    order_no: str
    waybill_no: str
    outcome: str  # recorded / unchanged / corrected
    request_nos: list[str]
    in_review: bool  # some request is still awaiting the shop's approval
    pickup_cancelled: str | None = None  # the booked pickup slot this parcel made unneeded


def normalise_waybill(text: str | None) -> str:
    """"sf 1234-5678-9012" -> "SF123456789012", or ``invalid_input`` (field waybill_no)."""
    waybill = re.sub(r"[\s-]", "", str(text or "")).upper()
    if not WAYBILL.fullmatch(waybill):
        raise DomainError("invalid_input", "a waybill is up to 4 letters and 8-20 digits", field="waybill_no")
    return waybill


def waybill_in(text: str | None, order_numbers: frozenset[str] = frozenset()) -> str | None:
    """The one waybill written in a message ("单号是SF1234567890哈"), normalised; None if none or several.
    Numbers in ``order_numbers`` are orders, not waybills ("订单8800000100000007 单号75312345678901")."""
    found = {normalise_waybill(match.group(0)) for match in WAYBILL_IN_TEXT.finditer(str(text or ""))}
    found -= order_numbers
    return found.pop() if len(found) == 1 else None


def numbers_in(text: str | None) -> frozenset[str]:
    """Every number in a message that could be a waybill or an order number, as written, without spaces."""
    matches = WAYBILL_IN_TEXT.finditer(str(text or ""))
    return frozenset(re.sub(r"[\s-]", "", match.group(0)).upper() for match in matches)


def labelled_order_numbers_in(text: str | None) -> frozenset[str]:
    """The numbers a message calls orders ("订单8800000100000007的退货寄回了")."""
    return frozenset(match.group(1) for match in LABELLED_ORDER.finditer(str(text or "")))


def own_order_numbers_in(session: Session, customer_id: int, text: str | None) -> frozenset[str]:
    """The numbers written in a message that are the customer's order numbers: a message may give the
    order and the waybill ("订单8800000100000007 单号75312345678901"). Other customers' orders count
    as waybills here, so the answer tells nothing about them."""
    numbers = numbers_in(text)
    if not numbers:
        return frozenset()
    stmt = select(Order.order_no).where(Order.customer_id == customer_id, Order.order_no.in_(numbers))
    return frozenset(session.execute(stmt).scalars())


def orders_awaiting_parcel(session: Session, customer_id: int) -> list[str]:
    """The customer's orders with a return or exchange whose parcel has not been recorded or sent."""
    stmt = _OPEN_REQUESTS_OF_CUSTOMER.where(
        Order.customer_id == customer_id, ~AfterSaleRequest.parcel.has()
    ).distinct().order_by(Order.order_no)
    return list(session.execute(stmt).scalars())


def orders_with_parcel_recorded(session: Session, customer_id: int) -> list[str]:
    """The customer's orders whose parcel's waybill is recorded and the shop has not received it yet:
    the waybill may still be corrected."""
    stmt = (
        select(Order.order_no)
        .join(AfterSaleRequest, AfterSaleRequest.order_id == Order.id)
        .where(Order.customer_id == customer_id, AfterSaleRequest.type.in_(PARCEL_TYPES),
               AfterSaleRequest.status.in_(OPEN_STATUSES), AfterSaleRequest.parcel.has())
        .distinct().order_by(Order.order_no)
    )
    return list(session.execute(stmt).scalars())


def _requests(order: Order) -> list[AfterSaleRequest]:
    return [req for req in order.after_sales if req.type in PARCEL_TYPES]


def check_parcel_awaited(session: Session, customer_id: int, order_no: str) -> None:
    """``not_eligible`` unless the order has a return or exchange whose parcel the shop still awaits:
    reason ``no_request`` (none was asked for, or all were rejected) or ``already_received``."""
    order = get_owned_order(session, customer_id, order_no)
    _open_requests(order)


def _open_requests(order: Order) -> list[AfterSaleRequest]:
    requests = _requests(order)
    open_ = [req for req in requests if req.status in OPEN_STATUSES]
    if open_:
        return open_
    received = any(req.status in RECEIVED_STATUSES for req in requests)
    reason = "already_received" if received else "no_request"
    raise DomainError("not_eligible", f"no parcel awaited: {reason}", reason=reason)


def record_return_parcel(
    session: Session, customer_id: int, order_no: str, waybill_no: str, *, clock: Clock
) -> ReturnParcelView:
    """Record (or correct) the waybill on each open return or exchange of the order; idempotent."""
    waybill = normalise_waybill(waybill_no)
    order = get_owned_order(session, customer_id, order_no, lock=True)
    requests = _open_requests(order)
    now = clock()
    outcomes, cancelled = set(), None
    for req in requests:
        outcomes.add(_record(req, waybill, now))
        if req.status == "approved":
            pickup, req.pickup_slot = req.pickup_slot, None
            cancelled = cancelled or pickup
            note = f"waybill {waybill}" + (f"; pickup {pickup} cancelled" if pickup else "")
            transition(req, "return_shipped", clock, note=note)
    session.flush()
    outcome = "corrected" if "corrected" in outcomes else "recorded" if "recorded" in outcomes else "unchanged"
    return ReturnParcelView(
        order_no=order.order_no, waybill_no=waybill, outcome=outcome,
        request_nos=[req.request_no for req in requests],
        in_review=any(req.status == "requested" for req in requests), pickup_cancelled=cancelled,
    )


def booked_pickup(session: Session, customer_id: int, order_no: str) -> str | None:
    """The courier pickup still booked for the order's approved returns or exchanges: recording the
    shopper's own parcel would cancel it (the confirmation says so)."""
    order = get_owned_order(session, customer_id, order_no)
    return next((req.pickup_slot for req in _requests(order) if req.status == "approved" and req.pickup_slot), None)


def _record(req: AfterSaleRequest, waybill: str, now: object) -> str:
    if req.parcel is None:
        req.parcel = ReturnParcel(waybill_no=waybill, created_at=now, updated_at=now)
        return "recorded"
    if req.parcel.waybill_no == waybill:
        return "unchanged"
    req.parcel.waybill_no, req.parcel.updated_at = waybill, now
    return "corrected"
