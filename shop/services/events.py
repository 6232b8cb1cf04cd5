"""Shop events in: what a shop's own systems report about an order (paid, shipped, a tracking scan,
delivered, a delivery exception, an after-sale step, a refund paid, an invoice issued), applied once.

Each event names itself by an ``id`` chosen by the sender; an event is applied at most once: the same
id again (a retry, a replay) changes nothing, the same id with another body is refused. A bad event
raises a :class:`DomainError` naming the reason and writes nothing. Status changes go through
:func:`shop.states.transition`, the one place statuses change, as the shopper-facing services do.
The documented JSON shape is in docs/shop.md ("Shop events in").
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, Extra, ValidationError, constr, validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from shop.clock import Clock, fixed_clock, to_shop_time
from shop.errors import DomainError, invalid_input
from shop.models import AfterSaleRequest, Invoice, Order, Payment, Shipment, ShopEvent, TrackingEvent
from shop.rules import DEFAULT_SHIP_WITHIN_HOURS
from shop.states import transition

MAX_EVENT_BYTES = 16 * 1024
#: An event may be reported late, never from the future (beyond the senders' clock skew).
CLOCK_SKEW = timedelta(minutes=10)
EVENT_TYPES = ("order.paid", "order.shipped", "tracking.updated", "order.delivered", "shipment.exception",
               "after_sale.updated", "refund.paid", "invoice.issued")
EXCEPTION_KINDS = ("lost", "damaged", "returned_to_sender", "delayed")
PAYMENT_METHODS = ("alipay", "wechat", "card", "balance")
AFTER_SALE_STEPS = ("approved", "return_shipped", "received", "refunded", "exchanged", "rejected")
Text100 = constr(strip_whitespace=True, max_length=100)
Text200 = constr(strip_whitespace=True, max_length=200)
Scan = constr(strip_whitespace=True, min_length=1, max_length=300)
SIGNATURE = re.compile(r"^sha256=[0-9a-f]{64}$")
RequestNo = constr(strip_whitespace=True, regex=r"^[A-Za-z0-9-]{4,24}$")


class _Shape(BaseModel):
    class Config:
        extra = Extra.forbid
        anystr_strip_whitespace = True


class EventEnvelope(_Shape):
    id: constr(strip_whitespace=True, regex=r"^[A-Za-z0-9_.:-]{1,64}$")  # type: ignore[valid-type]
    type: Literal[EVENT_TYPES]  # type: ignore[valid-type]
    order_no: constr(strip_whitespace=True, regex=r"^\d{12,19}$")  # type: ignore[valid-type]
    occurred_at: datetime
    data: dict[str, Any] = {}

    @validator("occurred_at")
    def _has_offset(cls, value: datetime) -> datetime:  # noqa: N805 - pydantic validators take cls
        if value.tzinfo is None:
            raise ValueError("must carry a UTC offset, e.g. 2026-12-07T10:00:00+08:00")
        return value


class PaidData(_Shape):
    method: Literal[PAYMENT_METHODS]  # type: ignore[valid-type]


class ShippedData(_Shape):
    courier: constr(strip_whitespace=True, min_length=1, max_length=30)  # type: ignore[valid-type]
    tracking_no: constr(strip_whitespace=True, regex=r"^[A-Za-z0-9-]{4,40}$")  # type: ignore[valid-type]
    place: Text100 = ""  # type: ignore[valid-type]
    description: Text200 = ""  # type: ignore[valid-type]


class ScanData(_Shape):
    place: Text100 = ""  # type: ignore[valid-type]
    description: Scan  # type: ignore[valid-type]


class DeliveredData(_Shape):
    place: Text100 = ""  # type: ignore[valid-type]
    description: Text200 = ""  # type: ignore[valid-type]


class ExceptionData(_Shape):
    kind: Literal[EXCEPTION_KINDS]  # type: ignore[valid-type]
    place: Text100 = ""  # type: ignore[valid-type]
    description: Scan  # type: ignore[valid-type]


class AfterSaleData(_Shape):
    request_no: RequestNo  # type: ignore[valid-type]
    status: Literal[AFTER_SALE_STEPS]  # type: ignore[valid-type]
    note: Text200 = ""  # type: ignore[valid-type]


class RefundData(_Shape):
    request_no: RequestNo  # type: ignore[valid-type]


class NoData(_Shape):
    pass


DATA_SHAPES: dict[str, type[_Shape]] = {
    "order.paid": PaidData, "order.shipped": ShippedData, "tracking.updated": ScanData,
    "order.delivered": DeliveredData, "shipment.exception": ExceptionData, "after_sale.updated": AfterSaleData,
    "refund.paid": RefundData, "invoice.issued": NoData,
}


@dataclass(frozen=True)
class EventResult:
    event_id: str
    type: str
    order_no: str
    #: False when this id was applied before (a retry or a replay): nothing changed now.
    applied: bool


def parse_event(body: bytes) -> tuple[EventEnvelope, _Shape]:
    """The event in ``body`` (UTF-8 JSON), checked for shape and size; ``invalid_input`` names the field."""
    if len(body) > MAX_EVENT_BYTES:
        raise invalid_input("body", f"at most {MAX_EVENT_BYTES} bytes")
    try:
        raw = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise invalid_input("body", "not UTF-8 JSON") from error
    if not isinstance(raw, dict):
        raise invalid_input("body", "must be a JSON object")
    try:
        envelope = EventEnvelope.parse_obj(raw)
    except ValidationError as error:
        raise _first_problem(error, "") from error
    try:
        data = DATA_SHAPES[envelope.type].parse_obj(envelope.data)
    except ValidationError as error:
        raise _first_problem(error, "data.") from error
    return envelope, data


def _first_problem(error: ValidationError, prefix: str) -> DomainError:
    first = error.errors()[0]
    field = ".".join(str(part) for part in first["loc"] if part != "__root__") or "data"
    return invalid_input(prefix + field, first["msg"])


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def apply_event(session: Session, body: bytes, *, clock: Clock) -> EventResult:
    """Apply the event in ``body`` once. A replay of its id changes nothing; a bad event writes nothing."""
    envelope, data = parse_event(body)
    digest = body_digest(body)
    known = session.execute(select(ShopEvent).where(ShopEvent.event_id == envelope.id)).scalar_one_or_none()
    if known is not None:
        if known.body_sha256 != digest:
            raise DomainError("conflict", "this event id was applied with another body", field="id")
        return EventResult(envelope.id, envelope.type, envelope.order_no, applied=False)
    occurred = to_shop_time(envelope.occurred_at)
    if occurred > clock() + CLOCK_SKEW:
        raise invalid_input("occurred_at", "is in the future")
    order = session.execute(
        select(Order).where(Order.order_no == envelope.order_no).with_for_update()
    ).scalar_one_or_none()
    if order is None:
        raise DomainError("not_found", "order not found", field="order_no")
    details = APPLY[envelope.type](session, order, data, occurred)
    session.add(ShopEvent(event_id=envelope.id, type=envelope.type, order_id=order.id, body_sha256=digest,
                          details=details or {}, occurred_at=occurred, received_at=clock()))
    session.flush()
    return EventResult(envelope.id, envelope.type, envelope.order_no, applied=True)


def _paid(session: Session, order: Order, data: PaidData, at: datetime) -> None:
    transition(order, "paid", fixed_clock(at))
    order.ship_by = order.ship_by or at + timedelta(hours=DEFAULT_SHIP_WITHIN_HOURS)
    order.payments.append(Payment(method=data.method, amount=order.paid_amount, status="succeeded", created_at=at))


def _shipped(session: Session, order: Order, data: ShippedData, at: datetime) -> None:
    if order.shipment is not None:
        raise DomainError("illegal_transition", "the order was shipped already", current=order.status,
                          requested="shipped")
    transition(order, "shipped", fixed_clock(at))
    shipment = Shipment(order=order, courier=data.courier, tracking_no=data.tracking_no, shipped_at=at)
    session.add(shipment)
    if data.description:
        shipment.events.append(TrackingEvent(time=at, place=data.place, description=data.description))


def _shipment(order: Order) -> Shipment:
    if order.shipment is None:
        raise DomainError("not_shipped", "the order has no shipment yet", status=order.status)
    return order.shipment


def _scan(session: Session, order: Order, data: ScanData, at: datetime) -> None:
    _shipment(order).events.append(TrackingEvent(time=at, place=data.place, description=data.description))


def _delivered(session: Session, order: Order, data: DeliveredData, at: datetime) -> None:
    shipment = _shipment(order)
    transition(order, "delivered", fixed_clock(at))
    if data.description:
        shipment.events.append(TrackingEvent(time=at, place=data.place, description=data.description))


def _exception(session: Session, order: Order, data: ExceptionData, at: datetime) -> dict[str, Any]:
    _shipment(order).events.append(TrackingEvent(time=at, place=data.place, description=data.description))
    return {"kind": data.kind, "place": data.place}


def _request(session: Session, order: Order, request_no: str) -> AfterSaleRequest:
    request = session.execute(
        select(AfterSaleRequest).where(AfterSaleRequest.request_no == request_no,
                                       AfterSaleRequest.order_id == order.id)
    ).scalar_one_or_none()
    if request is None:
        raise DomainError("not_found", "after-sale request not found on this order", field="data.request_no")
    return request


def _after_sale(session: Session, order: Order, data: AfterSaleData, at: datetime) -> dict[str, Any]:
    request = _request(session, order, data.request_no)
    transition(request, data.status, fixed_clock(at), note=data.note or None)
    return {"request_no": request.request_no, "status": data.status}


def _refund(session: Session, order: Order, data: RefundData, at: datetime) -> dict[str, Any]:
    request = _request(session, order, data.request_no)
    transition(request, "refunded", fixed_clock(at))
    return {"request_no": request.request_no, "status": "refunded"}


def _invoice(session: Session, order: Order, data: NoData, at: datetime) -> None:
    invoice = session.execute(select(Invoice).where(Invoice.order_id == order.id)).scalar_one_or_none()
    if invoice is None:
        raise DomainError("not_found", "no invoice was requested for this order", field="order_no")
    if invoice.status != "requested":
        raise DomainError("illegal_transition", "the invoice was issued already", current=invoice.status,
                          requested="issued")
    invoice.status, invoice.issued_at = "issued", at


APPLY: dict[str, Any] = {
    "order.paid": _paid, "order.shipped": _shipped, "tracking.updated": _scan, "order.delivered": _delivered,
    "shipment.exception": _exception, "after_sale.updated": _after_sale, "refund.paid": _refund,
    "invoice.issued": _invoice,
}


def signature_matches(secret: str, body: bytes, header: str | None) -> bool:
    """Whether ``header`` is ``sha256=<hex HMAC-SHA256 of body>`` under ``secret`` (constant-time compare)."""
    if not header or not SIGNATURE.fullmatch(header.strip()):
        return False
    expected = "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.strip())


def sign(secret: str, body: bytes) -> str:
    """The signature header a sender computes: ``sha256=<hex HMAC-SHA256 of the raw body>``."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
