"""Urging, cancellation, address changes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from shop_builders import add_payment, at, catalogue, clock, customer, order
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shop.errors import DomainError
from shop.models import AddressChange, AfterSaleRequest, Payment, ShippingReminder, Ticket
from shop.services.addresses import change_address, validate_address
from shop.services.cancellation import cancel_order, quote_cancel
from shop.services.refunds import refund_progress
from shop.services.shipping import urge_shipment
from shop.services.views import AddressInput


@pytest.fixture()
def world(db_session: Session) -> dict:
    return {
        "s": db_session,
        "skus": catalogue(db_session),
        "me": customer(db_session),
        "other": customer(db_session, "李四", "13900005678"),
    }


def _count(s: Session, model: type) -> int:
    return s.execute(select(func.count()).select_from(model)).scalar_one()


# --- urge ------------------------------------------------------------------------------


def test_urge_codes_without_reminders(world: dict) -> None:
    s, me, cup = world["s"], world["me"], world["skus"]["CUP"]
    for status, code in (
        ("pending_payment", "not_paid"),
        ("shipped", "already_shipped"),
        ("cancelled", "cancelled"),
    ):
        row = order(s, me, [(cup, 1)], status=status)
        result = urge_shipment(s, me.id, row.order_no, clock=clock)
        assert result.code == code and result.reminder_count == 0 and result.ticket_no is None
    assert _count(s, ShippingReminder) == 0


def test_urge_on_time_gives_eta(world: dict) -> None:
    s, me = world["s"], world["me"]
    row = order(s, me, [(world["skus"]["CUP"], 1)], status="paid", ship_by=at(days=1))
    result = urge_shipment(s, me.id, row.order_no, clock=clock)
    assert result.code == "on_time" and result.eta == date(2024, 6, 18) and result.reminder_count == 1


def test_third_overdue_reminder_opens_one_high_priority_ticket(world: dict) -> None:
    s, me = world["s"], world["me"]
    row = order(
        s,
        me,
        [(world["skus"]["CUP"], 1)],
        status="paid",
        ship_by=at(hours=-5),
        delay_reason="暴雨导致干线延误",
    )
    results = [urge_shipment(s, me.id, row.order_no, clock=clock) for _ in range(4)]
    assert [r.reminder_count for r in results] == [1, 2, 3, 4]
    assert [r.ticket_no is None for r in results] == [True, True, False, False]
    assert results[2].ticket_no == results[3].ticket_no
    assert results[0].code == "overdue" and results[0].delay_reason == "暴雨导致干线延误"
    assert results[0].eta == date(2024, 6, 18)
    ticket = s.execute(select(Ticket)).scalar_one()
    assert (ticket.skill_group, ticket.priority, ticket.topic) == ("物流", "high", "urge_shipment")


# --- cancel ----------------------------------------------------------------------------


def test_cancel_paid_order_refunds_to_original_method_once(world: dict) -> None:
    s, me = world["s"], world["me"]
    row = order(s, me, [(world["skus"]["TEE-M"], 1)], status="paid", method="card")
    quote = quote_cancel(s, me.id, row.order_no, clock=clock)
    assert (quote.eligible, quote.code, quote.refund_amount, quote.refund_method, quote.refund_eta_days) == (
        True,
        "ok",
        Decimal("79.00"),
        "card",
        (3, 7),
    )
    first = cancel_order(s, me.id, row.order_no, clock=clock)
    again = cancel_order(s, me.id, row.order_no, clock=clock)
    assert first.created and not again.created and first.status == again.status == "cancelled"
    assert first.refund_amount == again.refund_amount == Decimal("79.00")
    assert first.request_no == again.request_no is not None
    assert s.execute(select(Payment.status)).scalars().all() == ["refunded"]
    assert _count(s, AfterSaleRequest) == 1
    assert quote_cancel(s, me.id, row.order_no).code == "already_cancelled"
    [refund] = refund_progress(s, me.id)
    assert (
        refund.type == "refund_only"
        and refund.status == "refunded"
        and refund.expected_arrival_days == (3, 7)
    )


def test_cancel_unpaid_order_refunds_nothing(world: dict) -> None:
    s, me = world["s"], world["me"]
    row = order(s, me, [(world["skus"]["CUP"], 1)], status="pending_payment")
    result = cancel_order(s, me.id, row.order_no, clock=clock)
    assert result.refund_amount == 0 and result.refund_method is None and result.request_no is None


@pytest.mark.parametrize("status", ["shipped", "delivered", "completed"])
def test_cancel_after_shipment_refused_and_nothing_written(world: dict, status: str) -> None:
    s, me = world["s"], world["me"]
    row = order(s, me, [(world["skus"]["CUP"], 1)], status=status)
    assert quote_cancel(s, me.id, row.order_no).code == "already_shipped"
    with pytest.raises(DomainError) as err:
        cancel_order(s, me.id, row.order_no, clock=clock)
    assert err.value.code == "already_shipped"
    assert row.status == status and row.cancelled_at is None
    assert s.execute(select(Payment.status)).scalars().all() == ["succeeded"]


def test_cancel_other_customers_order_not_found(world: dict) -> None:
    s = world["s"]
    row = order(s, world["other"], [(world["skus"]["CUP"], 1)], status="paid")
    with pytest.raises(DomainError, match="not_found"):
        cancel_order(s, world["me"].id, row.order_no, clock=clock)
    assert row.status == "paid"


# --- address ---------------------------------------------------------------------------

NEW = AddressInput("浙江省", "杭州市", "西湖区", "文三路199号2单元801", "张三", "13912345678")


def test_change_address_before_shipment_and_idempotent(world: dict) -> None:
    s, me = world["s"], world["me"]
    row = order(s, me, [(world["skus"]["CUP"], 1)], status="paid")
    first = change_address(s, me.id, row.order_no, new_address=NEW, clock=clock)
    again = change_address(s, me.id, row.order_no, new_address=NEW, clock=clock)
    assert first.created and not again.created and row.city == "杭州市" and row.phone == "13912345678"
    assert first.address.phone_masked == "139****5678" and first.address.city == "杭州市"
    assert _count(s, AddressChange) == 1


@pytest.mark.parametrize(
    ("phone", "ok"),
    [
        ("13912345678", True),
        ("19912345678", True),
        ("12912345678", False),
        ("1391234567", False),
        ("139123456789", False),
        ("+8613912345678", False),
        ("1391234567a", False),
    ],
)
def test_address_phone_validation(phone: str, ok: bool) -> None:
    address = AddressInput("浙江省", "杭州市", "西湖区", "文三路1号", "张三", phone)
    if ok:
        assert validate_address(address).phone == phone
    else:
        with pytest.raises(DomainError) as err:
            validate_address(address)
        assert err.value.code == "invalid_input" and err.value.details["field"] == "phone"


def test_address_required_fields() -> None:
    with pytest.raises(DomainError) as err:
        validate_address(AddressInput("浙江省", "杭州市", "  ", "文三路1号", "张三", "13912345678"))
    assert err.value.details["field"] == "district"


def test_change_address_after_shipment_refused(world: dict) -> None:
    s, me = world["s"], world["me"]
    row = order(s, me, [(world["skus"]["CUP"], 1)], status="shipped")
    with pytest.raises(DomainError) as err:
        change_address(s, me.id, row.order_no, new_address=NEW, clock=clock)
    assert err.value.code == "already_shipped" and row.city == "深圳市" and _count(s, AddressChange) == 0


def test_change_address_of_cancelled_order_refused(world: dict) -> None:
    s, me = world["s"], world["me"]
    row = order(s, me, [(world["skus"]["CUP"], 1)], status="cancelled")
    with pytest.raises(DomainError, match="not_eligible"):
        change_address(s, me.id, row.order_no, new_address=NEW, clock=clock)


def test_add_payment_helper_keeps_order_consistent(world: dict) -> None:
    s, me = world["s"], world["me"]
    row = order(s, me, [(world["skus"]["CUP"], 1)], status="paid")
    add_payment(s, row, status="failed", failure_reason="card_limit")
    assert len(row.payments) == 2
