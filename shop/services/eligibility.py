"""Which orders a flow can take, and why not: the questions the bot asks before a flow's questions.

The write services (addresses, invoices, returns, ...) enforce the same rules when they write; these
answer early, on an order already loaded for the shopper, so that the bot neither offers an order a
flow cannot take nor asks questions it would refuse at the end. Actions only ask: a reason code
comes back, and the actions layer picks the response for it.
"""

from __future__ import annotations

from typing import Protocol

from shop.services._common import PAID_STATES, POST_SHIPMENT

#: Orders whose goods the shopper has received (returns, exchanges, problems after delivery).
RECEIVED_STATES = frozenset({"delivered", "completed"})

#: The order statuses each flow can act on: only these are offered as buttons.
FLOW_ORDER_STATUSES: dict[str, frozenset[str]] = {
    "urge": frozenset({"paid"}),
    "return": RECEIVED_STATES,
    "exchange": RECEIVED_STATES,
    "cancel": frozenset({"pending_payment", "paid"}),
    "address": frozenset({"pending_payment", "paid"}),
    "invoice": PAID_STATES,
    "logistics": POST_SHIPMENT,
}
#: A parcel problem (or a return reason) known before the order is asked ("登记少件", "快递箱压坏了")
#: is about a received parcel: the logistics flow then offers received orders only.
PROBLEMS_AFTER_DELIVERY = frozenset({"not_received", "damaged", "missing_items"})
REASONS_AFTER_DELIVERY = frozenset({"damaged", "missing_items"})

# An order's display order of statuses, so that buttons and queries list them stably.
_STATUS_ORDER = ("pending_payment", "paid", "shipped", "delivered", "completed", "cancelled")


#: Flows that ask where a parcel is offer the orders the shopper most likely means first: those on their
#: way, then those just delivered, then those paid and waiting to ship; any other order after those.
_WHERE_IS_IT_FLOWS = frozenset({"order", "logistics"})
_WHERE_IS_IT_FIRST = ("shipped", "delivered", "paid")
#: Unpaid orders have no parcel: these flows offer them only when the shopper has no other (and say so).
UNPAID = "pending_payment"


def order_status_tiers(
    flow: str, *, problem: str | None = None, reason: str | None = None
) -> tuple[tuple[tuple[str, ...], ...], tuple[str, ...]]:
    """The statuses `flow` offers, in tiers (each tier's orders, newest first, before the next tier's; an
    empty tier: any order), and the statuses offered only when no tier has an order."""
    statuses = order_statuses_for(flow, problem=problem, reason=reason)
    if flow not in _WHERE_IS_IT_FLOWS:
        return (statuses,), ()
    allowed = statuses or _STATUS_ORDER
    first = tuple((status,) for status in _WHERE_IS_IT_FIRST if status in allowed)
    rest = tuple(status for status in allowed if status not in _WHERE_IS_IT_FIRST and status != UNPAID)
    last_resort = (UNPAID,) if UNPAID in allowed else ()
    return first + ((rest,) if rest else ()), last_resort


def only_unpaid_offered(flow: str, statuses: list[str]) -> bool:
    """Whether a where-is-it flow fell back to unpaid orders (the shopper has no other): the bot says so."""
    return flow in _WHERE_IS_IT_FLOWS and bool(statuses) and all(status == UNPAID for status in statuses)


class _OrderState(Protocol):
    status: str
    tracking: object | None


def order_statuses_for(flow: str, *, problem: str | None = None, reason: str | None = None) -> tuple[str, ...]:
    """The statuses of the orders `flow` may offer (empty: any order), given what the shopper said so far."""
    statuses = FLOW_ORDER_STATUSES.get(flow, frozenset())
    if flow == "logistics" and (problem in PROBLEMS_AFTER_DELIVERY or reason in REASONS_AFTER_DELIVERY):
        statuses = RECEIVED_STATES
    return tuple(status for status in _STATUS_ORDER if status in statuses)


def why_flow_cannot_take(flow: str, order: _OrderState) -> str | None:
    """None when `flow` can go on with this order; otherwise the reason code the bot words:
    `already_shipped`, `order_cancelled`, `not_delivered` or `not_paid`."""
    if flow in ("return", "exchange"):
        if order.status in RECEIVED_STATES:
            return None
        return "order_cancelled" if order.status == "cancelled" else "not_delivered"
    if flow == "address":
        if order.status in POST_SHIPMENT or order.tracking is not None:
            return "already_shipped"
        return "order_cancelled" if order.status == "cancelled" else None
    if flow == "invoice":
        return None if order.status in PAID_STATES else "not_paid"
    return None
