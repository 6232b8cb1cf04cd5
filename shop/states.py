"""State machines for orders and after-sale requests.

``transition`` is the only place statuses change, so illegal moves are refused in one
spot and the side timestamps (paid_at, delivered_at, ...) / timeline events stay in sync.
"""

from __future__ import annotations

from shop.clock import Clock
from shop.errors import DomainError
from shop.models import AfterSaleEvent, AfterSaleRequest, Order

ORDER_TRANSITIONS: dict[str, frozenset[str]] = {
    "pending_payment": frozenset({"paid", "cancelled"}),
    "paid": frozenset({"shipped", "cancelled"}),
    "shipped": frozenset({"delivered"}),
    "delivered": frozenset({"completed"}),
    "completed": frozenset(),
    "cancelled": frozenset(),
}

_AS_COMMON: dict[str, frozenset[str]] = {
    "requested": frozenset({"approved", "rejected"}),
    "approved": frozenset({"return_shipped", "rejected"}),
    "return_shipped": frozenset({"received"}),
}

# Per type: a pure refund (refund_only) skips the parcel round trip.
AFTER_SALE_TRANSITIONS: dict[str, dict[str, frozenset[str]]] = {
    "return": {**_AS_COMMON, "received": frozenset({"refunded"})},
    "exchange": {**_AS_COMMON, "received": frozenset({"exchanged"})},
    "refund_only": {
        "requested": frozenset({"approved", "rejected"}),
        "approved": frozenset({"refunded", "rejected"}),
    },
}

_ORDER_TIMESTAMPS = {
    "paid": "paid_at",
    "delivered": "delivered_at",
    "completed": "completed_at",
    "cancelled": "cancelled_at",
}

Stateful = Order | AfterSaleRequest


def allowed_next(obj: Stateful) -> frozenset[str]:
    """Statuses reachable in one step from ``obj``'s current status."""
    if isinstance(obj, Order):
        return ORDER_TRANSITIONS.get(obj.status, frozenset())
    return AFTER_SALE_TRANSITIONS.get(obj.type, {}).get(obj.status, frozenset())


def transition(obj: Stateful, new_status: str, clock: Clock, *, note: str | None = None) -> None:
    """Move ``obj`` to ``new_status`` or raise ``illegal_transition`` without touching it."""
    if new_status not in allowed_next(obj):
        kind = "order" if isinstance(obj, Order) else f"after-sale {obj.type}"
        raise DomainError(
            "illegal_transition",
            f"{kind} cannot go from {obj.status!r} to {new_status!r}",
            current=obj.status,
            requested=new_status,
        )
    now = clock()
    if isinstance(obj, Order):
        _apply_order(obj, new_status, now)
    else:
        _apply_after_sale(obj, new_status, now, note)


def _apply_order(order: Order, new_status: str, now: object) -> None:
    order.status = new_status
    stamp = _ORDER_TIMESTAMPS.get(new_status)
    if stamp:
        setattr(order, stamp, now)


def _apply_after_sale(req: AfterSaleRequest, new_status: str, now: object, note: str | None) -> None:
    _release_exchange_stock(req, new_status)
    req.status = new_status
    req.updated_at = now
    req.events.append(AfterSaleEvent(status=new_status, time=now, note=note))


def _release_exchange_stock(req: AfterSaleRequest, new_status: str) -> None:
    """An exchange holds target stock; ending it either ships the unit or frees it."""
    if req.type != "exchange" or req.target_sku is None or new_status not in ("rejected", "exchanged"):
        return
    quantity = sum(item.quantity for item in req.items) or 1
    req.target_sku.reserved = max(0, req.target_sku.reserved - quantity)
    if new_status == "exchanged":
        req.target_sku.stock = max(0, req.target_sku.stock - quantity)
