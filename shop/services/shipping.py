"""催发货: shipping reminders with escalation to a human on repeated overdue reminders."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shop import rules
from shop.clock import Clock
from shop.models import Order, ShippingReminder, Ticket
from shop.services._common import POST_SHIPMENT, get_owned_order
from shop.services.tickets import open_ticket
from shop.services.views import UrgeResult


def urge_shipment(session: Session, customer_id: int, order_no: str, *, clock: Clock) -> UrgeResult:
    """Record a reminder; the 3rd+ reminder on an overdue order opens one high-priority 物流 ticket."""
    order = get_owned_order(session, customer_id, order_no, lock=True)
    now = clock()
    code = _code(order, now)
    if code not in ("on_time", "overdue"):
        return UrgeResult(code, order.ship_by, None, _count(session, order), _ticket_no(session, order),
                          order.delay_reason)
    session.add(ShippingReminder(order_id=order.id, created_at=now))
    session.flush()
    count = _count(session, order)
    ticket_no = _ticket_no(session, order)
    if code == "overdue" and count >= rules.URGE_ESCALATE_AT and ticket_no is None:
        ticket_no = _escalate(session, order, count, clock)
    return UrgeResult(code, order.ship_by, _eta(order, now, code), count, ticket_no, order.delay_reason)


def _code(order: Order, now: datetime) -> str:
    if order.status == "pending_payment":
        return "not_paid"
    if order.status == "cancelled":
        return "cancelled"
    if order.status in POST_SHIPMENT:
        return "already_shipped"
    return "overdue" if order.ship_by is None or now >= order.ship_by else "on_time"


def _eta(order: Order, now: datetime, code: str) -> date:
    """On time: promised ship day + transit. Overdue: ships tomorrow at the earliest."""
    if code == "on_time" and order.ship_by is not None:
        return order.ship_by.date() + timedelta(days=rules.TRANSIT_DAYS)
    return now.date() + timedelta(days=1 + rules.TRANSIT_DAYS)


def _count(session: Session, order: Order) -> int:
    stmt = select(func.count()).select_from(ShippingReminder).where(ShippingReminder.order_id == order.id)
    return int(session.execute(stmt).scalar_one())


def _ticket_no(session: Session, order: Order) -> str | None:
    stmt = select(Ticket.ticket_no).where(Ticket.order_id == order.id, Ticket.topic == "urge_shipment")
    return session.execute(stmt.order_by(Ticket.id)).scalars().first()


def _escalate(session: Session, order: Order, count: int, clock: Clock) -> str:
    ship_by = f"{order.ship_by:%Y-%m-%d %H:%M}" if order.ship_by else "-"
    summary = (f"催发货升级: 订单 {order.order_no} 第{count}次催单, 承诺发货 {ship_by}, "
               f"延迟原因: {order.delay_reason or '无'}")  # for agents, not a chatbot reply
    view = open_ticket(
        session, customer_id=order.customer_id, order_no=order.order_no, topic="urge_shipment",
        summary=summary, conversation_id=f"urge:{order.order_no}", clock=clock, priority="high",
    )
    return view.ticket_no
