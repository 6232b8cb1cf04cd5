"""Order listing/detail/progress, owner check, tracking (72 h rule) and claims."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from shop_builders import NOW, at, catalogue, clock, clock_at, customer, order
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shop.errors import DomainError
from shop.models import Claim, VerificationFailure
from shop.services.invoices import request_invoice
from shop.services.orders import check_order_owner, get_order_detail, list_orders
from shop.services.tracking import file_delivery_claim, get_tracking
from shop.services.verification import PhoneCheck, VerificationLimits, check_phone_last4


@pytest.fixture()
def world(db_session: Session) -> dict:
    skus = catalogue(db_session)
    me = customer(db_session)
    other = customer(db_session, "李四", "13900005678")
    return {"s": db_session, "skus": skus, "me": me, "other": other}


def _err(fn: object, *args: object, **kwargs: object) -> DomainError:
    with pytest.raises(DomainError) as err:
        fn(*args, **kwargs)  # type: ignore[operator]
    return err.value


def test_list_orders_recent_first_with_filter_and_limit(world: dict) -> None:
    s, me, skus = world["s"], world["me"], world["skus"]
    old = order(s, me, [(skus["CUP"], 1)], status="completed")
    new = order(s, me, [(skus["TEE-M"], 1), (skus["CUP"], 2)], status="paid")
    order(s, world["other"], [(skus["CUP"], 1)], status="paid")
    result = list_orders(s, me.id)
    assert [o.order_no for o in result] == [new.order_no, old.order_no]
    assert result[0].item_titles == ["纯棉T恤", "保温杯"] and result[0].total_amount == new.total_amount
    assert [o.order_no for o in list_orders(s, me.id, status="completed")] == [old.order_no]
    # The limit counts orders, not order lines: the newest order keeps both its titles.
    assert [o.item_titles for o in list_orders(s, me.id, limit=1)] == [["纯棉T恤", "保温杯"]]
    assert list_orders(s, me.id, invoiced=True) == []
    request_invoice(s, me.id, old.order_no, kind="personal", title="张三", email="a@b.cn", clock=clock)
    assert [o.order_no for o in list_orders(s, me.id, invoiced=True)] == [old.order_no]


def test_other_customers_order_is_indistinguishable_from_missing(world: dict) -> None:
    s, skus = world["s"], world["skus"]
    theirs = order(s, world["other"], [(skus["CUP"], 1)], status="paid")
    a = _err(get_order_detail, s, world["me"].id, theirs.order_no, clock=clock)
    b = _err(get_order_detail, s, world["me"].id, "9999999999999999", clock=clock)
    assert (
        (a.code, a.message, a.details)
        == (b.code, b.message, b.details)
        == ("not_found", "order not found", {})
    )
    c = _err(get_tracking, s, world["me"].id, theirs.order_no, clock=clock)
    assert (c.code, c.message) == ("not_found", "order not found")


def test_detail_masks_address_and_lists_items(world: dict) -> None:
    s, me, skus = world["s"], world["me"], world["skus"]
    row = order(s, me, [(skus["TEE-M"], 2)], status="paid", discount="8.00")
    detail = get_order_detail(s, me.id, row.order_no, clock=clock)
    assert detail.address.phone_masked == "138****1234" and "502" not in detail.address.street_masked
    assert detail.address.recipient_masked == "张*"
    item = detail.items[0]
    assert (item.sku_code, item.quantity, item.unit_price, item.paid_amount) == ("TEE-M", 2, 79, 150)
    assert detail.tracking is None


@pytest.mark.parametrize(
    ("ship_by", "now", "code"),
    [
        (datetime(2024, 6, 15, 23, 0), datetime(2024, 6, 15, 10, 0), "packing_today"),
        (datetime(2024, 6, 16, 9, 0), datetime(2024, 6, 15, 10, 0), "packing"),
        (datetime(2024, 6, 15, 10, 0), datetime(2024, 6, 15, 10, 0), "ship_overdue"),  # at ship_by = late
        (datetime(2024, 6, 14, 18, 0), datetime(2024, 6, 15, 10, 0), "ship_overdue"),
    ],
)
def test_paid_progress_codes(world: dict, ship_by: datetime, now: datetime, code: str) -> None:
    s, me = world["s"], world["me"]
    row = order(
        s, me, [(world["skus"]["CUP"], 1)], status="paid", ship_by=ship_by, delay_reason="暴雨导致干线延误"
    )
    progress = get_order_detail(s, me.id, row.order_no, clock=lambda: now).progress
    assert progress.code == code and progress.params["ship_by"] == ship_by
    if code == "ship_overdue":
        assert progress.params["delay_reason"] == "暴雨导致干线延误"


@pytest.mark.parametrize(
    ("status", "code"),
    [
        ("pending_payment", "awaiting_payment"),
        ("delivered", "delivered"),
        ("completed", "completed"),
        ("cancelled", "cancelled"),
    ],
)
def test_other_progress_codes(world: dict, status: str, code: str) -> None:
    row = order(world["s"], world["me"], [(world["skus"]["CUP"], 1)], status=status)
    assert get_order_detail(world["s"], world["me"].id, row.order_no, clock=clock).progress.code == code


def test_shipped_progress_in_transit_vs_late(world: dict) -> None:
    s, me, cup = world["s"], world["me"], world["skus"]["CUP"]
    fresh = order(s, me, [(cup, 1)], status="shipped", last_event=at(hours=-5))
    stuck = order(s, me, [(cup, 1)], status="shipped", last_event=at(hours=-72))
    delayed = order(s, me, [(cup, 1)], status="shipped", last_event=at(hours=-1), delay_reason="中转站爆仓")
    assert get_order_detail(s, me.id, fresh.order_no, clock=clock).progress.code == "in_transit"
    late = get_order_detail(s, me.id, stuck.order_no, clock=clock).progress
    assert late.code == "in_transit_late" and late.params["stuck"] is True and late.params["reason"] is None
    reason = get_order_detail(s, me.id, delayed.order_no, clock=clock).progress
    assert reason.code == "in_transit_late" and reason.params["reason"] == "中转站爆仓"


@pytest.mark.parametrize(("hours", "stuck"), [(71, False), (71.99, False), (72, True), (80, True)])
def test_stuck_threshold_is_inclusive_at_72h(world: dict, hours: float, stuck: bool) -> None:
    s, me = world["s"], world["me"]
    row = order(s, me, [(world["skus"]["CUP"], 1)], status="shipped", last_event=at(hours=-hours))
    info = get_tracking(s, me.id, row.order_no, clock=clock)
    assert info.is_stuck is stuck and info.claim_eligible is stuck
    assert info.hours_since_update == int(hours)
    assert info.events[0].description == "运输中" and info.latest == info.events[0]  # newest first


def test_stuck_threshold_override_and_delivered_never_stuck(world: dict) -> None:
    s, me = world["s"], world["me"]
    row = order(s, me, [(world["skus"]["CUP"], 1)], status="shipped", last_event=at(hours=-50))
    assert get_tracking(s, me.id, row.order_no, clock=clock, stuck_after_hours=48).is_stuck
    done = order(s, me, [(world["skus"]["CUP"], 1)], status="delivered", delivered_at=at(days=-10))
    info = get_tracking(s, me.id, done.order_no, clock=clock)
    assert info.delivered and not info.is_stuck and not info.claim_eligible


def test_tracking_before_shipment_is_not_shipped(world: dict) -> None:
    row = order(world["s"], world["me"], [(world["skus"]["CUP"], 1)], status="paid")
    assert _err(get_tracking, world["s"], world["me"].id, row.order_no, clock=clock).code == "not_shipped"


def test_claim_only_when_stuck_and_idempotent(world: dict) -> None:
    s, me, cup = world["s"], world["me"], world["skus"]["CUP"]
    ok = order(s, me, [(cup, 1)], status="shipped", last_event=at(hours=-71))
    err = _err(file_delivery_claim, s, me.id, ok.order_no, kind="claim", clock=clock)
    assert err.code == "not_eligible"
    stuck = order(s, me, [(cup, 1)], status="shipped", last_event=at(hours=-72))
    first = file_delivery_claim(s, me.id, stuck.order_no, kind="claim", clock=clock)
    again = file_delivery_claim(s, me.id, stuck.order_no, kind="claim", clock=clock_at(hours=1))
    assert first.created and not again.created and first.claim_no == again.claim_no
    assert first.amount == stuck.paid_amount
    check = file_delivery_claim(s, me.id, stuck.order_no, kind="courier_check", clock=clock)
    assert check.created and check.amount is None
    assert s.execute(select(func.count()).select_from(Claim)).scalar_one() == 2
    assert _err(file_delivery_claim, s, me.id, stuck.order_no, kind="x", clock=clock).code == "invalid_input"


def test_phone_check_matches_buyer_or_recipient_and_fails_alike_for_a_missing_order(world: dict) -> None:
    s, me = world["s"], world["me"]
    row = order(s, me, [(world["skus"]["CUP"], 1)], status="paid")
    row.phone = "13712345678"  # recipient differs from buyer
    s.flush()
    assert check_phone_last4(s, row.order_no, "1234", clock=clock).customer_id == me.id
    assert check_phone_last4(s, row.order_no, "5678", clock=clock).customer_id == me.id
    wrong = check_phone_last4(s, row.order_no, "0000", clock=clock)
    missing = check_phone_last4(s, "1234567890123", "1234", clock=clock)
    assert wrong == missing == PhoneCheck(customer_id=None, locked=False, remaining=4)
    assert _err(check_phone_last4, s, row.order_no, "12a4", clock=clock).code == "invalid_input"


def test_phone_check_locks_an_order_across_callers_until_the_window_passes(world: dict) -> None:
    s, me = world["s"], world["me"]
    row = order(s, me, [(world["skus"]["CUP"], 1)], status="paid")
    limits = VerificationLimits(per_order=3, per_client=100, window=timedelta(hours=1))
    outcomes = [check_phone_last4(s, row.order_no, "0000", clock=clock, client=f"10.0.0.{n}", limits=limits)
                for n in range(3)]
    assert [(o.locked, o.remaining) for o in outcomes] == [(False, 2), (False, 1), (True, 0)]
    locked = check_phone_last4(s, row.order_no, "1234", clock=clock, limits=limits)
    assert locked == PhoneCheck(customer_id=None, locked=True, remaining=0)  # the right digits are not compared
    assert s.execute(select(func.count()).select_from(VerificationFailure)).scalar_one() == 3  # nor counted
    later = lambda: NOW + timedelta(hours=1, minutes=1)  # noqa: E731
    assert check_phone_last4(s, row.order_no, "1234", clock=later, limits=limits).customer_id == me.id


def test_phone_check_limits_one_client_across_orders(world: dict) -> None:
    s, me = world["s"], world["me"]
    first, second = (order(s, me, [(world["skus"]["CUP"], 1)], status="paid") for _ in range(2))
    limits = VerificationLimits(per_order=5, per_client=2, window=timedelta(hours=1))
    check_phone_last4(s, first.order_no, "0000", clock=clock, client="203.0.113.9", limits=limits)
    outcome = check_phone_last4(s, "9999999999999", "0000", clock=clock, client="203.0.113.9", limits=limits)
    assert outcome.locked
    assert check_phone_last4(s, second.order_no, "1234", clock=clock, client="203.0.113.9", limits=limits).locked
    assert check_phone_last4(s, second.order_no, "1234", clock=clock, client="198.51.100.7",
                             limits=limits).customer_id == me.id


def test_detail_of_shipped_order_has_tracking(world: dict) -> None:
    s, me = world["s"], world["me"]
    row = order(s, me, [(world["skus"]["CUP"], 1)], status="shipped", last_event=at(hours=-3))
    detail = get_order_detail(s, me.id, row.order_no, clock=clock)
    assert detail.tracking is not None and detail.tracking.courier == "顺丰速运"
    assert detail.tracking.hours_since_update == 3 and NOW - timedelta(hours=3) == detail.tracking.latest.time



def test_list_orders_filters_by_any_of_several_statuses(world: dict) -> None:
    s, me, skus = world["s"], world["me"], world["skus"]
    paid = order(s, me, [(skus["CUP"], 1)], status="paid")
    order(s, me, [(skus["CUP"], 1)], status="completed")
    unpaid = order(s, me, [(skus["CUP"], 1)], status="pending_payment")
    order(s, world["other"], [(skus["CUP"], 1)], status="paid")
    found = {o.order_no for o in list_orders(s, me.id, statuses=("paid", "pending_payment"))}
    assert found == {paid.order_no, unpaid.order_no}


def test_check_order_owner_refuses_others_and_missing_orders_alike(world: dict) -> None:
    s, skus = world["s"], world["skus"]
    mine = order(s, world["me"], [(skus["CUP"], 1)], status="paid")
    theirs = order(s, world["other"], [(skus["CUP"], 1)], status="paid")
    check_order_owner(s, world["me"].id, mine.order_no)
    a = _err(check_order_owner, s, world["me"].id, theirs.order_no)
    b = _err(check_order_owner, s, world["me"].id, "9999999999999999")
    assert (a.code, a.message) == (b.code, b.message) == ("not_found", "order not found")
