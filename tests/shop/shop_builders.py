"""Tiny builders for precise test data (the seed is too big to reason about per test)."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from shop.clock import fixed_clock
from shop.models import Customer, Order, OrderItem, Payment, Product, Shipment, Sku, TrackingEvent

NOW = datetime(2024, 6, 15, 10, 0)
clock = fixed_clock(NOW)
_numbers = itertools.count(1)


def at(**delta: float) -> datetime:
    """NOW shifted, e.g. ``at(days=-3)``."""
    return NOW + timedelta(**delta)


def clock_at(**delta: float):  # noqa: ANN201 - returns a Clock
    return fixed_clock(at(**delta))


def customer(session: Session, name: str = "张三", phone: str = "13800001234") -> Customer:
    row = Customer(
        name=name,
        phone=phone,
        province="广东省",
        city="深圳市",
        district="南山区",
        street="科技园路88号3栋502",
    )
    session.add(row)
    session.flush()
    return row


def catalogue(session: Session) -> dict[str, Sku]:
    """T恤 (S/M/L white, XL sold out, M black dearer), shoes 40-42, crab (not returnable), cup."""
    tee = Product(title="纯棉T恤", category="服装", returnable=True, return_window_days=7)
    shoe = Product(title="跑步鞋", category="鞋靴", returnable=True, return_window_days=7)
    crab = Product(title="大闸蟹", category="生鲜", returnable=False, return_window_days=0)
    cup = Product(title="保温杯", category="家居", returnable=True, return_window_days=7)
    specs = [
        ("TEE-S", tee, "S", "白色", "79.00", 5),
        ("TEE-M", tee, "M", "白色", "79.00", 5),
        ("TEE-L", tee, "L", "白色", "79.00", 1),
        ("TEE-XL", tee, "XL", "白色", "89.00", 0),
        ("TEE-M-BLK", tee, "M", "黑色", "85.00", 3),
        ("SH-40", shoe, "40", "黑色", "399.00", 2),
        ("SH-41", shoe, "41", "黑色", "399.00", 2),
        ("SH-42", shoe, "42", "黑色", "399.00", 2),
        ("CRAB", crab, None, None, "368.00", 9),
        ("CUP", cup, None, "银色", "89.00", 9),
    ]
    skus = {
        code: Sku(
            sku_code=code, product=p, size=size, color=color, price=Decimal(price), stock=stock, reserved=0
        )
        for code, p, size, color, price, stock in specs
    }
    session.add_all(skus.values())
    session.flush()
    return skus


def order(
    session: Session,
    buyer: Customer,
    lines: list[tuple[Sku, int]],
    *,
    status: str = "delivered",
    number: str | None = None,
    delivered_at: datetime | None = None,
    ship_by: datetime | None = None,
    last_event: datetime | None = None,
    paid: bool | None = None,
    method: str = "alipay",
    discount: str = "0",
    delay_reason: str | None = None,
) -> Order:
    """An order in ``status`` with consistent payments/shipment; times relative to NOW."""
    created = at(days=-20) if status in ("delivered", "completed") else at(days=-3)
    row = Order(
        order_no=number or f"9{next(_numbers):015d}",
        customer=buyer,
        status=status,
        created_at=created,
        province=buyer.province,
        city=buyer.city,
        district=buyer.district,
        street=buyer.street,
        recipient=buyer.name,
        phone=buyer.phone,
        delay_reason=delay_reason,
        total_amount=Decimal("0"),
        paid_amount=Decimal("0"),
    )
    off = Decimal(discount)
    for sku, qty in lines:
        line_paid = sku.price * qty - off
        off = Decimal("0")
        row.items.append(OrderItem(sku=sku, quantity=qty, unit_price=sku.price, paid_amount=line_paid))
        row.total_amount += sku.price * qty
        row.paid_amount += line_paid
    is_paid = paid if paid is not None else status not in ("pending_payment", "cancelled")
    if is_paid:
        row.payments.append(
            Payment(
                method=method,
                amount=row.paid_amount,
                status="succeeded",
                created_at=created + timedelta(minutes=1),
            )
        )
        if status != "pending_payment":
            row.paid_at = created + timedelta(minutes=1)
            row.ship_by = ship_by or row.paid_at + timedelta(hours=48)
    if status in ("shipped", "delivered", "completed"):
        _ship(row, created, delivered_at if status != "shipped" else None, last_event)
    if status in ("delivered", "completed"):
        row.delivered_at = delivered_at or at(days=-3)
    if status == "completed":
        row.completed_at = row.delivered_at + timedelta(days=7)
    if status == "cancelled":
        row.cancelled_at = created + timedelta(hours=1)
    session.add(row)
    session.flush()
    return row


def _ship(row: Order, created: datetime, delivered_at: datetime | None, last_event: datetime | None) -> None:
    shipped_at = created + timedelta(hours=2)
    events = [TrackingEvent(time=shipped_at, place="杭州", description="已揽收")]
    if last_event is not None:
        events.append(TrackingEvent(time=last_event, place="武汉转运中心", description="运输中"))
    if delivered_at is not None:
        events.append(TrackingEvent(time=delivered_at, place="深圳", description="已签收"))
    row.shipment = Shipment(
        courier="顺丰速运", tracking_no=f"SF{row.order_no[-10:]}", shipped_at=shipped_at, events=events
    )


def add_payment(
    session: Session,
    row: Order,
    *,
    status: str = "succeeded",
    method: str = "wechat",
    failure_reason: str | None = None,
    minutes: int = 2,
) -> Payment:
    payment = Payment(
        order=row,
        method=method,
        amount=row.paid_amount,
        status=status,
        failure_reason=failure_reason,
        created_at=row.created_at + timedelta(minutes=minutes),
    )
    session.add(payment)
    session.flush()
    session.refresh(row)
    return payment
