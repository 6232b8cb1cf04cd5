"""Which orders each flow takes, and the reason code for those it cannot: one table, in shop."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from shop_builders import catalogue, customer, order
from sqlalchemy.orm import Session

from shop.seed import DEMO_CUSTOMER_ID
from shop.services.eligibility import only_unpaid_offered, order_status_tiers, order_statuses_for, why_flow_cannot_take
from shop.services.orders import list_orders_for_flow

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


def test_where_is_it_flows_offer_parcels_first_and_unpaid_orders_last() -> None:
    """"Where is my order?": on its way first, then delivered, then paid and waiting to ship; unpaid orders
    only when there is nothing else."""
    tiers, last_resort = order_status_tiers("order")
    assert tiers == (("shipped",), ("delivered",), ("paid",), ("completed", "cancelled"))
    assert last_resort == ("pending_payment",)
    assert order_status_tiers("logistics") == ((("shipped",), ("delivered",), ("completed",)), ())
    assert order_status_tiers("cancel") == ((("pending_payment", "paid"),), ())  # other flows: one tier
    assert only_unpaid_offered("order", ["pending_payment"]) and not only_unpaid_offered("cancel", ["pending_payment"])
    assert not only_unpaid_offered("order", ["pending_payment", "paid"])


def test_where_is_my_order_lists_the_orders_on_their_way_first(seeded: Session) -> None:
    offered = [order.status for order in list_orders_for_flow(seeded, DEMO_CUSTOMER_ID, "order", limit=5)]
    assert offered == ["shipped", "shipped", "shipped", "delivered", "delivered"]
    everything = list_orders_for_flow(seeded, DEMO_CUSTOMER_ID, "order", limit=50)
    assert "pending_payment" not in {order.status for order in everything}  # they have other orders


def test_unpaid_orders_are_offered_when_there_is_nothing_else(db_session: Session) -> None:
    skus = catalogue(db_session)
    me = customer(db_session)
    order(db_session, me, [(skus["CUP"], 1)], status="pending_payment")
    offered = list_orders_for_flow(db_session, me.id, "order")
    assert [o.status for o in offered] == ["pending_payment"]
