"""Return & exchange rules, boundaries and idempotency."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from shop_builders import catalogue, clock, customer, order
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shop.errors import DomainError
from shop.models import AfterSaleRequest, Sku
from shop.services.exchanges import quote_exchange, request_exchange, resolve_size
from shop.services.refunds import refund_progress
from shop.services.returns import quote_for_any_reason, quote_return, request_return
from shop.states import transition

DELIVERED = datetime(2024, 6, 1, 15, 30)  # day 0


def on_day(n: int, hour: int = 12):  # noqa: ANN201 - a Clock
    return lambda: datetime(2024, 6, 1 + n, hour, 0)


@pytest.fixture()
def world(db_session: Session) -> dict:
    skus = catalogue(db_session)
    me = customer(db_session)
    other = customer(db_session, "李四", "13900005678")
    tee = order(db_session, me, [(skus["TEE-M"], 1)], delivered_at=DELIVERED, discount="10.00")
    return {"s": db_session, "skus": skus, "me": me, "other": other, "tee": tee}


def _count(s: Session) -> int:
    return s.execute(select(func.count()).select_from(AfterSaleRequest)).scalar_one()


def _item(o: object) -> int:
    return o.items[0].id  # type: ignore[attr-defined]


@pytest.mark.parametrize(("day", "hour", "code"), [(0, 18, "ok"), (7, 23, "ok"), (8, 0, "window_expired")])
def test_no_reason_window_day7_ok_day8_not(world: dict, day: int, hour: int, code: str) -> None:
    s, me, tee = world["s"], world["me"], world["tee"]
    quote = quote_return(
        s, me.id, tee.order_no, item_id=_item(tee), reason_kind="no_reason", clock=on_day(day, hour)
    )
    assert quote.code == code and quote.eligible is (code == "ok")
    assert quote.deadline == datetime(2024, 6, 8).date()
    assert quote.refund_amount == Decimal("69.00")  # what was paid, not the list price
    assert quote.shipping_fee_compensation == 0 and not quote.evidence_required


@pytest.mark.parametrize(("day", "code"), [(15, "ok"), (16, "window_expired")])
def test_quality_window_15_days_with_compensation(world: dict, day: int, code: str) -> None:
    s, me, tee = world["s"], world["me"], world["tee"]
    quote = quote_return(
        s, me.id, tee.order_no, item_id=_item(tee), reason_kind="quality", clock=on_day(day, 23)
    )
    assert quote.code == code and quote.evidence_required
    assert quote.shipping_fee_compensation == Decimal("10.00")


def test_fresh_food_not_returnable_without_reason_but_quality_ok(world: dict) -> None:
    s, me = world["s"], world["me"]
    crab = order(s, me, [(world["skus"]["CRAB"], 1)], delivered_at=DELIVERED)
    q = quote_return(s, me.id, crab.order_no, item_id=_item(crab), reason_kind="no_reason", clock=on_day(1))
    assert (q.eligible, q.code) == (False, "category_not_returnable")
    err = pytest.raises(
        DomainError,
        request_return,
        s,
        me.id,
        crab.order_no,
        item_id=_item(crab),
        reason_kind="no_reason",
        clock=on_day(1),
    )
    assert err.value.code == "category_not_returnable"
    assert quote_return(
        s, me.id, crab.order_no, item_id=_item(crab), reason_kind="damaged", clock=on_day(1)
    ).eligible


def test_not_delivered_and_bad_input(world: dict) -> None:
    s, me = world["s"], world["me"]
    shipped = order(s, me, [(world["skus"]["CUP"], 1)], status="shipped")
    q = quote_return(s, me.id, shipped.order_no, item_id=None, reason_kind="no_reason", clock=clock)
    assert q.code == "not_delivered"
    with pytest.raises(DomainError) as err:
        quote_return(s, me.id, world["tee"].order_no, item_id=None, reason_kind="because", clock=clock)
    assert err.value.code == "invalid_input" and err.value.details["field"] == "reason_kind"
    with pytest.raises(DomainError) as err:
        quote_return(s, me.id, world["tee"].order_no, item_id=999999, reason_kind="no_reason", clock=clock)
    assert err.value.details["field"] == "item_id"


def test_request_return_idempotent_and_already_requested(world: dict) -> None:
    s, me, tee = world["s"], world["me"], world["tee"]
    first = request_return(
        s,
        me.id,
        tee.order_no,
        item_id=_item(tee),
        reason_kind="no_reason",
        reason_text="不喜欢",
        evidence_urls=[],
        clock=on_day(2),
    )
    again = request_return(
        s,
        me.id,
        tee.order_no,
        item_id=_item(tee),
        reason_kind="no_reason",
        reason_text="不喜欢",
        evidence_urls=[],
        clock=on_day(3),
    )
    assert first.created and not again.created and first.request_no == again.request_no
    assert first.status == "approved" and [t[0] for t in first.timeline] == ["requested", "approved"]
    assert first.pickup_slot.startswith("2024-06-04") and first.return_address
    assert first.refund_amount == Decimal("69.00") and first.expected_arrival_days == (1, 3)
    assert _count(s) == 1
    q = quote_return(s, me.id, tee.order_no, item_id=_item(tee), reason_kind="no_reason", clock=on_day(3))
    assert q.code == "already_requested"



def test_quote_for_any_reason_is_known_before_the_reason(world: dict) -> None:
    s, me, tee = world["s"], world["me"], world["tee"]

    def refusal(o: object, day: int) -> str | None:
        quote = quote_for_any_reason(s, me.id, o.order_no, item_id=_item(o), clock=on_day(day))  # type: ignore[attr-defined]
        return None if quote.eligible else quote.code

    crab = order(s, me, [(world["skus"]["CRAB"], 1)], delivered_at=DELIVERED)
    shipped = order(s, me, [(world["skus"]["CUP"], 1)], status="shipped")
    # some reason could still do: a no-reason return within 7 days, a quality one within 15, fresh food only for a fault
    assert (refusal(tee, 3), refusal(tee, 12), refusal(crab, 3)) == (None, None, None)
    assert refusal(shipped, 3) == "not_delivered"
    late = quote_for_any_reason(s, me.id, tee.order_no, item_id=_item(tee), clock=on_day(16))
    assert not late.eligible and late.code == "window_expired" and late.deadline == datetime(2024, 6, 16).date()
    request_return(s, me.id, tee.order_no, item_id=_item(tee), reason_kind="no_reason", clock=on_day(2))
    assert refusal(tee, 3) == "already_requested"
    assert _count(s) == 1  # asking wrote nothing


def test_idempotency_key_returns_same_request(world: dict) -> None:
    s, me, tee = world["s"], world["me"], world["tee"]
    kwargs = {
        "item_id": _item(tee),
        "reason_kind": "quality",
        "evidence_urls": ["https://img/1.jpg"],
        "clock": on_day(2),
        "idempotency_key": "conv-1:return",
    }
    a = request_return(s, me.id, tee.order_no, **kwargs)
    b = request_return(s, me.id, tee.order_no, **kwargs)
    assert a.request_no == b.request_no and not b.created and a.status == "requested"
    assert a.shipping_fee_compensation == Decimal("10.00") and _count(s) == 1


def test_quality_without_evidence_is_refused_and_writes_nothing(world: dict) -> None:
    s, me, tee = world["s"], world["me"], world["tee"]
    with pytest.raises(DomainError) as err:
        request_return(
            s,
            me.id,
            tee.order_no,
            item_id=_item(tee),
            reason_kind="quality",
            reason_text="破了",
            evidence_urls=["  "],
            clock=on_day(2),
        )
    assert err.value.code == "evidence_required" and _count(s) == 0


def test_window_expired_request_refused(world: dict) -> None:
    s, me, tee = world["s"], world["me"], world["tee"]
    with pytest.raises(DomainError) as err:
        request_return(s, me.id, tee.order_no, item_id=_item(tee), reason_kind="no_reason", clock=on_day(8))
    assert err.value.code == "window_expired" and _count(s) == 0


def test_other_customer_cannot_return(world: dict) -> None:
    s, tee = world["s"], world["tee"]
    with pytest.raises(DomainError) as err:
        request_return(
            s, world["other"].id, tee.order_no, item_id=_item(tee), reason_kind="no_reason", clock=on_day(1)
        )
    assert (err.value.code, err.value.message) == ("not_found", "order not found")


def test_whole_order_return_sums_paid_amounts(world: dict) -> None:
    s, me, skus = world["s"], world["me"], world["skus"]
    multi = order(s, me, [(skus["TEE-S"], 2), (skus["CUP"], 1)], delivered_at=DELIVERED, discount="5.00")
    q = quote_return(s, me.id, multi.order_no, item_id=None, reason_kind="no_reason", clock=on_day(1))
    assert q.eligible and q.item is None and len(q.items) == 2
    assert q.refund_amount == Decimal("79.00") * 2 - 5 + Decimal("89.00")
    view = request_return(s, me.id, multi.order_no, item_id=None, reason_kind="no_reason", clock=on_day(1))
    assert sorted(view.item_ids) == sorted(i.id for i in multi.items)


def test_refund_progress_lists_returns_with_timeline(world: dict) -> None:
    s, me, tee = world["s"], world["me"], world["tee"]
    view = request_return(
        s, me.id, tee.order_no, item_id=_item(tee), reason_kind="no_reason", clock=on_day(1)
    )
    req = s.execute(select(AfterSaleRequest)).scalar_one()
    for status in ("return_shipped", "received", "refunded"):
        transition(req, status, on_day(2))
    s.flush()
    [progress] = refund_progress(s, me.id, order_no=tee.order_no)
    assert progress.request_no == view.request_no and progress.status == "refunded"
    assert [t[0] for t in progress.timeline] == [
        "requested",
        "approved",
        "return_shipped",
        "received",
        "refunded",
    ]
    assert refund_progress(s, world["other"].id) == []
    with pytest.raises(DomainError, match="not_found"):
        refund_progress(s, world["other"].id, order_no=tee.order_no)


# --- exchanges -------------------------------------------------------------------------


def test_resolve_relative_sizes() -> None:
    assert resolve_size(["S", "M", "L", "XL"], "M", "+1") == "L"
    assert resolve_size(["XL", "S", "M"], "M", "-1") == "S"
    assert resolve_size(["S", "M"], "M", "+1") is None
    assert resolve_size(["40", "41", "42", "39"], "40", "-1") == "39"
    assert resolve_size(["S", "M"], "M", "s") == "S"


@pytest.mark.parametrize(
    ("size", "color", "code", "target", "diff"),
    [
        ("+1", None, "ok", "TEE-L", Decimal("0.00")),
        ("-1", None, "ok", "TEE-S", Decimal("0.00")),
        (None, "黑色", "ok", "TEE-M-BLK", Decimal("6.00")),
        ("XL", None, "out_of_stock", "TEE-XL", Decimal("10.00")),
        ("XXL", None, "sku_not_found", None, None),
        (None, None, "same_sku", "TEE-M", Decimal("0.00")),
        ("L", "黑色", "sku_not_found", None, None),
    ],
)
def test_quote_exchange_codes(
    world: dict, size: str | None, color: str | None, code: str, target: str | None, diff: Decimal | None
) -> None:
    s, me, tee = world["s"], world["me"], world["tee"]
    q = quote_exchange(
        s, me.id, tee.order_no, item_id=_item(tee), target_size=size, target_color=color, clock=on_day(2)
    )
    assert (q.code, q.target_sku_code, q.price_difference) == (code, target, diff)
    assert q.eligible is (code == "ok")


def test_exchange_window_and_category(world: dict) -> None:
    s, me, tee = world["s"], world["me"], world["tee"]
    assert (
        quote_exchange(s, me.id, tee.order_no, item_id=None, target_size="L", clock=on_day(8)).code
        == "window_expired"
    )
    crab = order(s, me, [(world["skus"]["CRAB"], 1)], delivered_at=DELIVERED)
    assert (
        quote_exchange(s, me.id, crab.order_no, item_id=None, clock=on_day(1)).code
        == "category_not_returnable"
    )


def test_request_exchange_reserves_once(world: dict) -> None:
    s, me, tee = world["s"], world["me"], world["tee"]
    target = s.execute(select(Sku).where(Sku.sku_code == "TEE-L")).scalar_one()
    a = request_exchange(s, me.id, tee.order_no, item_id=_item(tee), target_size="+1", clock=on_day(2))
    b = request_exchange(s, me.id, tee.order_no, item_id=_item(tee), target_size="+1", clock=on_day(2))
    s.refresh(target)
    assert a.created and not b.created and a.request_no == b.request_no
    assert a.target_sku_code == "TEE-L" and a.price_difference == 0 and a.type == "exchange"
    assert target.reserved == 1 and _count(s) == 1
    # the only TEE-L unit is now reserved: a second shopper sees it out of stock
    other_tee = order(s, world["other"], [(world["skus"]["TEE-M"], 1)], delivered_at=DELIVERED)
    q = quote_exchange(
        s, world["other"].id, other_tee.order_no, item_id=None, target_size="L", clock=on_day(2)
    )
    assert q.code == "out_of_stock" and not q.in_stock
    with pytest.raises(DomainError) as err:
        request_exchange(
            s, world["other"].id, other_tee.order_no, item_id=None, target_size="L", clock=on_day(2)
        )
    assert err.value.code == "out_of_stock"
    # the pending exchange blocks a return of the same line
    assert (
        quote_return(s, me.id, tee.order_no, item_id=None, reason_kind="no_reason", clock=on_day(2)).code
        == "already_requested"
    )


def test_rejecting_exchange_releases_reservation(world: dict) -> None:
    s, me, tee = world["s"], world["me"], world["tee"]
    request_exchange(s, me.id, tee.order_no, item_id=None, target_color="黑色", clock=on_day(2))
    req = s.execute(select(AfterSaleRequest)).scalar_one()
    assert req.target_sku.reserved == 1
    transition(req, "rejected", on_day(3))
    assert req.target_sku.reserved == 0


@pytest.mark.parametrize(
    ("size", "code"), [("XL", "out_of_stock"), ("XXL", "sku_not_found"), ("M", "invalid_input")]
)
def test_request_exchange_errors_write_nothing(world: dict, size: str, code: str) -> None:
    s, me, tee = world["s"], world["me"], world["tee"]
    with pytest.raises(DomainError) as err:
        request_exchange(s, me.id, tee.order_no, item_id=None, target_size=size, clock=on_day(2))
    assert err.value.code == code and _count(s) == 0
