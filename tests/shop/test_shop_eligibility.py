"""Which orders each flow takes, and the reason code for those it cannot: one table, in shop."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from shop.services.eligibility import order_statuses_for, why_flow_cannot_take

STATUSES = ("pending_payment", "paid", "shipped", "delivered", "completed", "cancelled")


def test_the_statuses_each_flow_offers() -> None:
    assert order_statuses_for("urge") == ("paid",)
    assert order_statuses_for("return") == order_statuses_for("exchange") == ("delivered", "completed")
    assert order_statuses_for("cancel") == order_statuses_for("address") == ("pending_payment", "paid")
    assert order_statuses_for("invoice") == ("paid", "shipped", "delivered", "completed")
    assert order_statuses_for("logistics") == ("shipped", "delivered", "completed")
    assert order_statuses_for("logistics", problem="missing_items") == ("delivered", "completed")
    assert order_statuses_for("logistics", reason="damaged") == ("delivered", "completed")
    assert order_statuses_for("order") == ()  # any order


@pytest.mark.parametrize(("flow", "expected"), [
    ("return", {"delivered": None, "completed": None, "cancelled": "order_cancelled", "pending_payment":
                "not_delivered", "paid": "not_delivered", "shipped": "not_delivered"}),
    ("address", {"pending_payment": None, "paid": None, "cancelled": "order_cancelled", "shipped": "already_shipped",
                 "delivered": "already_shipped", "completed": "already_shipped"}),
    ("invoice", {"pending_payment": "not_paid", "cancelled": "not_paid", "paid": None, "shipped": None,
                 "delivered": None, "completed": None}),
])
def test_why_a_flow_cannot_take_an_order(flow: str, expected: dict[str, str | None]) -> None:
    got = {status: why_flow_cannot_take(flow, SimpleNamespace(status=status, tracking=None)) for status in STATUSES}
    assert got == expected


def test_a_paid_order_with_a_waybill_has_shipped_for_the_address() -> None:
    order = SimpleNamespace(status="paid", tracking=object())
    assert why_flow_cannot_take("address", order) == "already_shipped"
