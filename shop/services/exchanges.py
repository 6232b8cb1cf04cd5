"""Exchanges (换货) to another size/colour of the same product.

Same window as no-reason returns (product window, not for 生鲜/定制). Relative sizes
``"+1"``/``"-1"`` step through the product's own sizes (S<M<L<XL<XXL, or numeric shoe
sizes). Creating an exchange reserves the target unit so it cannot be sold twice.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal

from sqlalchemy import update
from sqlalchemy.orm import Session

from shop import rules
from shop.clock import Clock
from shop.errors import DomainError
from shop.models import AfterSaleEvent, AfterSaleItem, AfterSaleRequest, Order, OrderItem, Sku
from shop.services._common import (
    active_request_for_item,
    after_sale_view,
    assign_request_no,
    count_requests,
    find_by_key,
    get_item,
    get_owned_order,
    item_view,
)
from shop.services.returns import check_line
from shop.services.views import AfterSaleView, ExchangeQuote

_RELATIVE = re.compile(r"^[+-]\d$")


def size_sort_key(size: str) -> tuple[int, float, str]:
    """Numeric sizes numerically, letter sizes by S<M<L..., anything else last."""
    try:
        return (0, float(size), "")
    except ValueError:
        pass
    upper = size.upper()
    if upper in rules.SIZE_ORDER:
        return (1, float(rules.SIZE_ORDER.index(upper)), "")
    return (2, 0.0, upper)


def resolve_size(sizes: list[str], current: str | None, target: str | None) -> str | None:
    """Absolute target size, handling ``+n``/``-n``; None when it does not exist."""
    if target is None:
        return current
    target = target.strip()
    if not _RELATIVE.match(target):
        return next((s for s in sizes if s.upper() == target.upper()), None)
    ordered = sorted(set(sizes), key=size_sort_key)
    if current not in ordered:
        return None
    index = ordered.index(current) + int(target)
    return ordered[index] if 0 <= index < len(ordered) else None


def _find_target(item: OrderItem, target_size: str | None, target_color: str | None) -> Sku | None:
    sku = item.sku
    siblings = list(sku.product.skus)
    size = resolve_size([s.size for s in siblings if s.size], sku.size, target_size)
    if target_size is not None and size is None:
        return None
    color = sku.color if target_color is None else target_color.strip()
    return next((s for s in siblings if s.size == size and (s.color or "") == (color or "")), None)


def _item(order: Order, item_id: int | None) -> OrderItem:
    if item_id is None:
        if len(order.items) != 1:
            raise DomainError("invalid_input", "choose which item to exchange", field="item_id")
        return order.items[0]
    return get_item(order, item_id)


def _quote(session: Session, order: Order, item: OrderItem, target_size: str | None,
           target_color: str | None, now: datetime) -> tuple[ExchangeQuote, Sku | None]:
    check = check_line(session, order, item, "no_reason", now)
    target = _find_target(item, target_size, target_color)
    code = check.code
    if code == "ok":
        code = _target_code(item, target)
    available = target is not None and target.stock - target.reserved >= item.quantity
    diff = (target.price - item.unit_price) * item.quantity if target is not None else None
    quote = ExchangeQuote(
        eligible=code == "ok", code=code, item=item_view(item),
        target_sku_code=target.sku_code if target else None,
        target_size=target.size if target else None, target_color=target.color if target else None,
        in_stock=available, price_difference=diff,
        deadline=check.deadline.date() if check.deadline else None,
    )
    return quote, target


def _target_code(item: OrderItem, target: Sku | None) -> str:
    if target is None:
        return "sku_not_found"
    if target.id == item.sku_id:
        return "same_sku"
    if target.stock - target.reserved < item.quantity:
        return "out_of_stock"
    return "ok"


def quote_exchange(
    session: Session,
    customer_id: int,
    order_no: str,
    *,
    item_id: int | None,
    target_size: str | None = None,
    target_color: str | None = None,
    clock: Clock,
) -> ExchangeQuote:
    """Can this line be exchanged for that size/colour, is it in stock, what is the difference?"""
    order = get_owned_order(session, customer_id, order_no)
    return _quote(session, order, _item(order, item_id), target_size, target_color, clock())[0]


def request_exchange(
    session: Session,
    customer_id: int,
    order_no: str,
    *,
    item_id: int | None,
    target_size: str | None = None,
    target_color: str | None = None,
    reason_text: str = "",
    clock: Clock,
    idempotency_key: str | None = None,
) -> AfterSaleView:
    """Create the exchange once and reserve the target SKU; repeats return the same request."""
    order = get_owned_order(session, customer_id, order_no, lock=True)
    item = _item(order, item_id)
    key = f"c{customer_id}:{idempotency_key}" if idempotency_key else None
    existing = (find_by_key(session, key) if key else None) or active_request_for_item(session, item.id)
    if existing is not None and existing.type == "exchange":
        return after_sale_view(existing, created=False)
    now = clock()
    quote, target = _quote(session, order, item, target_size, target_color, now)
    if not quote.eligible or target is None:
        raise DomainError(_error_code(quote.code), f"exchange not possible: {quote.code}", reason=quote.code)
    _reserve(session, target, item.quantity)
    key = key or f"exchange:{order.id}:{item.id}:{count_requests(session, order.id)}"
    req = _new_exchange(order, item, target, quote.price_difference or Decimal("0.00"), reason_text, key, now)
    assign_request_no(session, req)
    return after_sale_view(req, created=True)


def _error_code(code: str) -> str:
    if code in ("window_expired", "category_not_returnable", "sku_not_found", "out_of_stock"):
        return code
    if code == "same_sku":
        return "invalid_input"
    return "not_eligible"


def _reserve(session: Session, target: Sku, quantity: int) -> None:
    """Atomic conditional increment so two shoppers cannot reserve the last unit."""
    result = session.execute(
        update(Sku)
        .where(Sku.id == target.id, Sku.stock - Sku.reserved >= quantity)
        .values(reserved=Sku.reserved + quantity)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise DomainError("out_of_stock", "target SKU sold out", sku_code=target.sku_code)
    session.refresh(target)


def _new_exchange(order: Order, item: OrderItem, target: Sku, diff: Decimal, reason_text: str,
                  key: str, now: datetime) -> AfterSaleRequest:
    req = AfterSaleRequest(
        order=order, customer_id=order.customer_id, type="exchange", status="approved",
        reason_kind="no_reason", reason_text=(reason_text or "")[:1000], evidence_urls=[],
        refund_amount=None, shipping_fee_compensation=Decimal("0.00"), return_address=rules.RETURN_ADDRESS,
        pickup_slot=rules.pickup_slot(now), target_sku=target, price_difference=diff,
        idempotency_key=key, created_at=now, updated_at=now,
    )
    req.items = [AfterSaleItem(order_item_id=item.id, quantity=item.quantity)]
    req.events.extend([
        AfterSaleEvent(status="requested", time=now),
        AfterSaleEvent(status="approved", time=now, note="auto_approved"),
    ])
    return req
