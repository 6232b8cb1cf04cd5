"""Order listing, order detail with a progress code, and phone-based owner check."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from functools import cache

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from shop.clock import Clock
from shop.errors import not_found
from shop.models import Invoice, Order, OrderItem, Product, Sku
from shop.services._common import OWNED_ORDER, address_view, get_owned_order, item_view
from shop.services.eligibility import order_status_tiers
from shop.services.tracking import tracking_for
from shop.services.views import OrderDetail, OrderSummary, Progress, TrackingInfo

MAX_LIMIT = 50


def list_orders(
    session: Session,
    customer_id: int,
    *,
    status: str | None = None,
    statuses: Collection[str] = (),
    limit: int = 5,
    invoiced: bool = False,
) -> list[OrderSummary]:
    """The customer's most recent orders first, optionally only one status or any of `statuses`, or only
    orders with an invoice."""
    params: dict[str, object] = {"customer_id": customer_id, "limit": max(1, min(limit, MAX_LIMIT))}
    if status is not None:
        params["status"] = status
    if statuses:
        params["statuses"] = list(statuses)
    statement = _listing(invoiced=invoiced, by_status=status is not None, by_statuses=bool(statuses))
    rows = session.execute(statement, params).all()
    summaries: dict[int, OrderSummary] = {}
    for order_id, order_no, order_status, created_at, total, title, title_en in rows:
        if order_id not in summaries:
            summaries[order_id] = OrderSummary(order_no, order_status, created_at, total, [])
        summaries[order_id].item_titles.append(title)
        summaries[order_id].item_titles_en.append(title_en)
    return list(summaries.values())


def list_orders_for_flow(
    session: Session,
    customer_id: int,
    flow: str,
    *,
    problem: str | None = None,
    reason: str | None = None,
    limit: int = 5,
    invoiced: bool = False,
) -> list[OrderSummary]:
    """The orders `flow` offers, those the shopper most likely means first (eligibility.order_status_tiers):
    "where is my order?" lists parcels on their way before unpaid orders, which come only if nothing else."""
    tiers, last_resort = order_status_tiers(flow, problem=problem, reason=reason)
    orders: list[OrderSummary] = []
    for statuses in tiers:
        if len(orders) >= limit:
            break
        orders += list_orders(session, customer_id, statuses=statuses, limit=limit - len(orders), invoiced=invoiced)
    if not orders and last_resort:
        orders = list_orders(session, customer_id, statuses=last_resort, limit=limit, invoiced=invoiced)
    return orders


@cache
def _listing(*, invoiced: bool, by_status: bool, by_statuses: bool) -> Select:
    """The listing query for one combination of filters, built once (see shop.services._common): the
    orders and their product titles as plain rows, no ORM objects (this runs every time the bot asks
    "which order?", and building objects cost more than the SQL)."""
    recent = select(Order.id).where(Order.customer_id == bindparam("customer_id"))
    if invoiced:
        recent = recent.where(select(Invoice.id).where(Invoice.order_id == Order.id).exists())
    if by_status:
        recent = recent.where(Order.status == bindparam("status"))
    if by_statuses:
        recent = recent.where(Order.status.in_(bindparam("statuses", expanding=True)))
    newest_first = (Order.created_at.desc(), Order.id.desc())
    recent_ids = recent.order_by(*newest_first).limit(bindparam("limit")).subquery()
    return (
        select(Order.id, Order.order_no, Order.status, Order.created_at, Order.total_amount, Product.title,
               Product.name_en)
        .join(recent_ids, recent_ids.c.id == Order.id)
        .join(OrderItem, OrderItem.order_id == Order.id)
        .join(Sku, Sku.id == OrderItem.sku_id)
        .join(Product, Product.id == Sku.product_id)
        .order_by(*newest_first, OrderItem.id)
    )


_ORDER_OF_CUSTOMER = OWNED_ORDER.with_only_columns(Order.id)  # the same check, nothing loaded


def check_order_owner(session: Session, customer_id: int, order_no: str) -> None:
    """Raise ``not_found`` unless ``order_no`` is this customer's (one query, nothing loaded)."""
    params = {"order_no": str(order_no or "").strip(), "customer_id": customer_id}
    owned = session.execute(_ORDER_OF_CUSTOMER, params).first()
    if owned is None:
        raise not_found()


def get_order_detail(
    session: Session,
    customer_id: int,
    order_no: str,
    *,
    clock: Clock,
    stuck_after_hours: int | None = None,
) -> OrderDetail:
    """Everything the bot may say about one order (address masked)."""
    order = get_owned_order(session, customer_id, order_no)
    now = clock()
    tracking = tracking_for(order, now, stuck_after_hours) if order.shipment is not None else None
    return OrderDetail(
        order_no=order.order_no,
        status=order.status,
        created_at=order.created_at,
        paid_at=order.paid_at,
        ship_by=order.ship_by,
        delivered_at=order.delivered_at,
        total_amount=order.total_amount,
        paid_amount=order.paid_amount,
        items=[item_view(item) for item in order.items],
        address=address_view(order),
        progress=progress_for(order, now, tracking),
        tracking=tracking,
        delay_reason=order.delay_reason,
    )


def progress_for(order: Order, now: datetime, tracking: TrackingInfo | None) -> Progress:
    """Map status + time to one progress code; see docs/shop.md for the code table."""
    status = order.status
    if status == "pending_payment":
        return Progress("awaiting_payment", {"amount_due": order.paid_amount, "created_at": order.created_at})
    if status == "paid":
        return _paid_progress(order, now)
    if status == "shipped":
        return _shipped_progress(order, tracking)
    stamps = {"delivered": order.delivered_at, "completed": order.completed_at,
              "cancelled": order.cancelled_at}
    return Progress(status, {f"{status}_at": stamps.get(status)})


def _paid_progress(order: Order, now: datetime) -> Progress:
    ship_by = order.ship_by
    if ship_by is None or now >= ship_by:
        return Progress("ship_overdue", {"ship_by": ship_by, "delay_reason": order.delay_reason})
    if ship_by.date() == now.date():
        return Progress("packing_today", {"ship_by": ship_by})
    return Progress("packing", {"ship_by": ship_by})


def _shipped_progress(order: Order, tracking: TrackingInfo | None) -> Progress:
    params: dict[str, object] = {
        "courier": tracking.courier if tracking else None,
        "tracking_no": tracking.tracking_no if tracking else None,
        "latest": tracking.latest if tracking else None,
        "hours_since_update": tracking.hours_since_update if tracking else None,
    }
    stuck = bool(tracking and tracking.is_stuck)
    if stuck or order.delay_reason:
        return Progress("in_transit_late", {**params, "reason": order.delay_reason, "stuck": stuck})
    return Progress("in_transit", params)
