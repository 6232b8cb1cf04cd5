"""Business constants in one place (windows, fees, refund lead times, sizes).

Changing a policy means changing this file only; docs/shop.md describes the same values.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

#: Reasons a shopper may give for a return. The last three are "seller's fault".
REASON_KINDS = ("no_reason", "quality", "wrong_item", "damaged")
FAULT_REASONS = frozenset({"quality", "wrong_item", "damaged"})
#: Default product window for no-reason returns (product.return_window_days overrides).
DEFAULT_RETURN_WINDOW_DAYS = 7
#: Fault returns: this many days after delivery, for every category, evidence required.
FAULT_WINDOW_DAYS = 15
#: Paid to the shopper for the return postage on fault returns.
SHIPPING_FEE_COMPENSATION = Decimal("10.00")
#: Where returned goods go (data, shown to the shopper by the bot).
RETURN_ADDRESS = "浙江省杭州市余杭区文一西路998号 店小二退货仓 售后组 0571-88880000"
#: Courier pickup slot offered for approved returns/exchanges (next day).
PICKUP_WINDOW = "09:00-12:00"

#: Refund arrival (min_days, max_days) by original payment method.
REFUND_ARRIVAL_DAYS: dict[str, tuple[int, int]] = {
    "alipay": (1, 3),
    "wechat": (1, 3),
    "balance": (0, 1),
    "card": (3, 7),
}
DEFAULT_REFUND_ARRIVAL_DAYS = (3, 7)

#: A shipped parcel whose tracking has not moved for this many hours is stuck (SHOP_STUCK_AFTER_HOURS overrides).
STUCK_AFTER_HOURS = 72
#: Expected courier transit time once shipped, for ETAs.
TRANSIT_DAYS = 2
#: The n-th reminder on an overdue order escalates to a human ticket.
URGE_ESCALATE_AT = 3

#: Letter size order; numeric sizes (shoes) sort numerically.
SIZE_ORDER = ("XS", "S", "M", "L", "XL", "XXL", "XXXL")

#: Default hours between order payment and promised shipment (import default).
DEFAULT_SHIP_WITHIN_HOURS = 48


def refund_arrival_days(method: str | None) -> tuple[int, int] | None:
    """Expected (min, max) days for a refund to reach the shopper, None if nothing to refund."""
    if method is None:
        return None
    return REFUND_ARRIVAL_DAYS.get(method, DEFAULT_REFUND_ARRIVAL_DAYS)


def window_deadline(delivered_at: datetime, days: int) -> datetime:
    """Last moment of a window: end of the ``days``-th calendar day after delivery.

    Delivery day is day 0, so with 7 days a parcel delivered on the 1st can be returned
    until the 8th 23:59:59.999999 and not on the 9th.
    """
    last_day = delivered_at.date() + timedelta(days=days)
    return datetime.combine(last_day, datetime.max.time())


def pickup_slot(now: datetime) -> str:
    """Next-day pickup slot as data, e.g. ``"2024-06-16 09:00-12:00"``."""
    return f"{(now + timedelta(days=1)).date().isoformat()} {PICKUP_WINDOW}"

#: Wrong last-4 digits of an order's phone (anonymous shoppers): at most this many per order number,
#: across all conversations, within the window; then the order is locked until old failures age out.
VERIFY_MAX_FAILURES_PER_ORDER = 5
#: ... and at most this many from one client address (any order numbers) within the window.
VERIFY_MAX_FAILURES_PER_CLIENT = 20
VERIFY_WINDOW = timedelta(hours=1)
