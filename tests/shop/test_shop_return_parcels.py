"""寄回运单: recording the waybill of a return or exchange parcel, idempotently, and refusing it where
no parcel is awaited."""

from __future__ import annotations

from datetime import datetime

import pytest
from shop_builders import catalogue, customer, order
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shop.cli import format_order
from shop.errors import DomainError
from shop.models import AfterSaleEvent, ReturnParcel
from shop.services.exchanges import request_exchange
from shop.services.return_parcels import (
    booked_pickup,
    check_parcel_awaited,
    labelled_order_numbers_in,
    normalise_waybill,
    orders_awaiting_parcel,
    orders_with_parcel_recorded,
    own_order_numbers_in,
    record_return_parcel,
    waybill_in,
)
from shop.services.returns import request_return
from shop.states import transition

DELIVERED = datetime(2024, 6, 1, 15, 30)


def on_day(n: int):  # noqa: ANN201 - a Clock
    return lambda: datetime(2024, 6, 1 + n, 12, 0)


@pytest.fixture()
def world(db_session: Session) -> dict:
    skus = catalogue(db_session)
    me = customer(db_session)
    other = customer(db_session, "李四", "13900005678")
    tee = order(db_session, me, [(skus["TEE-M"], 1), (skus["CUP"], 1)], delivered_at=DELIVERED)
    return {"s": db_session, "skus": skus, "me": me, "other": other, "tee": tee}


def _return(world: dict, item: int, reason_kind: str) -> str:
    evidence = ["https://img.example.com/1.jpg"] if reason_kind != "no_reason" else []
    request = request_return(world["s"], world["me"].id, world["tee"].order_no, item_id=item,
                             reason_kind=reason_kind, evidence_urls=evidence, clock=on_day(2))
    return request.request_no


def _parcels(s: Session) -> int:
    return s.execute(select(func.count()).select_from(ReturnParcel)).scalar_one()


def test_waybills_normalised_and_found_in_words() -> None:
    assert normalise_waybill(" sf 1234-5678-9012 ") == "SF123456789012"
    assert normalise_waybill("773245678901234") == "773245678901234"
    for bad in ("", "SF12", "顺丰123456789", "ABCDE123456789", "1" * 21):
        with pytest.raises(DomainError) as error:
            normalise_waybill(bad)
        assert error.value.code == "invalid_input" and error.value.details["field"] == "waybill_no"
    assert waybill_in("寄回了 单号是SF1234567890哈") == "SF1234567890"
    assert waybill_in("中通 75312345678901") == "75312345678901"
    assert waybill_in("寄回了") is None
    assert waybill_in("SF1234567890 和 YT9876543210123") is None  # two parcels: ask, do not guess
    assert waybill_in("寄回了 顺丰 SF 1234 5678 902") == "SF12345678902"  # digits in groups
    assert waybill_in("订单 8800000100000007 单号 75312345678901", frozenset({"8800000100000007"})) == "75312345678901"


def test_only_the_customers_own_order_numbers_are_orders_in_a_message(world: dict) -> None:
    s, me, other, tee = world["s"], world["me"], world["other"], world["tee"]
    theirs = order(s, other, [(world["skus"]["CUP"], 1)], delivered_at=DELIVERED)
    text = f"订单{tee.order_no} 单号 {theirs.order_no} 还有SF1234567890"
    assert own_order_numbers_in(s, me.id, text) == {tee.order_no}
    assert own_order_numbers_in(s, other.id, text) == {theirs.order_no}
    assert own_order_numbers_in(s, me.id, "寄回了") == frozenset()


def test_numbers_called_orders() -> None:
    text = "订单8800000200000001的退货寄回了，订单号是 8800000100000007，单号75312345678901"
    assert labelled_order_numbers_in(text) == {"8800000200000001", "8800000100000007"}
    assert labelled_order_numbers_in("退货寄回了 75312345678901") == frozenset()


def test_an_approved_return_is_shipped_back_once(world: dict) -> None:
    s, me, tee = world["s"], world["me"], world["tee"]
    request_no = _return(world, tee.items[0].id, "no_reason")  # approved at once
    assert orders_awaiting_parcel(s, me.id) == [tee.order_no]
    first = record_return_parcel(s, me.id, tee.order_no, "sf1234567890", clock=on_day(3))
    again = record_return_parcel(s, me.id, tee.order_no, "SF 1234567890", clock=on_day(3))
    assert (first.outcome, again.outcome) == ("recorded", "unchanged")
    assert first.request_nos == [request_no] and not first.in_review and first.waybill_no == "SF1234567890"
    request = tee.after_sales[0]
    assert request.status == "return_shipped" and request.parcel.waybill_no == "SF1234567890"
    assert [event.status for event in request.events].count("return_shipped") == 1
    assert _parcels(s) == 1
    assert orders_awaiting_parcel(s, me.id) == [] and orders_with_parcel_recorded(s, me.id) == [tee.order_no]
    assert "return_shipped reason=no_reason refund=79.00 waybill=SF1234567890" in "\n".join(format_order(tee))
    transition(request, "received", on_day(5))  # at the shop: nothing left to correct
    assert orders_with_parcel_recorded(s, me.id) == []


def test_the_shoppers_own_parcel_cancels_the_booked_pickup_once(world: dict) -> None:
    """A no-reason return books a courier pickup; posting the goods oneself makes it unneeded."""
    s, me, tee = world["s"], world["me"], world["tee"]
    _return(world, tee.items[0].id, "no_reason")
    request = tee.after_sales[0]
    slot = request.pickup_slot
    assert slot and booked_pickup(s, me.id, tee.order_no) == slot
    first = record_return_parcel(s, me.id, tee.order_no, "SF1234567890", clock=on_day(3))
    assert first.pickup_cancelled == slot and request.pickup_slot is None
    assert f"waybill SF1234567890; pickup {slot} cancelled" in [event.note for event in request.events]
    assert booked_pickup(s, me.id, tee.order_no) is None
    fixed = record_return_parcel(s, me.id, tee.order_no, "SF1234567899", clock=on_day(3))
    assert fixed.outcome == "corrected" and fixed.pickup_cancelled is None


def test_an_exchange_pickup_is_cancelled_and_a_review_has_none(world: dict) -> None:
    s, me, tee = world["s"], world["me"], world["tee"]
    _return(world, tee.items[1].id, "quality")  # under review: no pickup booked yet
    assert booked_pickup(s, me.id, tee.order_no) is None
    request_exchange(s, me.id, tee.order_no, item_id=tee.items[0].id, target_color="黑色", clock=on_day(2))
    slot = booked_pickup(s, me.id, tee.order_no)
    assert slot is not None
    parcel = record_return_parcel(s, me.id, tee.order_no, "YT1234567890123", clock=on_day(3))
    assert parcel.pickup_cancelled == slot and parcel.in_review
    with pytest.raises(DomainError):
        booked_pickup(s, world["other"].id, tee.order_no)  # someone else's order: not found


def test_a_request_under_review_keeps_its_status_and_a_new_waybill_corrects(world: dict) -> None:
    s, me, tee = world["s"], world["me"], world["tee"]
    _return(world, tee.items[0].id, "quality")  # waits for review
    first = record_return_parcel(s, me.id, tee.order_no, "75312345678901", clock=on_day(3))
    assert first.outcome == "recorded" and first.in_review
    fixed = record_return_parcel(s, me.id, tee.order_no, "75312345678999", clock=on_day(4))
    request = tee.after_sales[0]
    assert fixed.outcome == "corrected" and request.status == "requested"
    assert request.parcel.waybill_no == "75312345678999" and _parcels(s) == 1


def test_one_parcel_for_every_open_request_of_the_order(world: dict) -> None:
    s, me, tee = world["s"], world["me"], world["tee"]
    first = _return(world, tee.items[0].id, "no_reason")
    second = _return(world, tee.items[1].id, "quality")
    parcel = record_return_parcel(s, me.id, tee.order_no, "JT0001234567890", clock=on_day(3))
    assert sorted(parcel.request_nos) == sorted([first, second]) and parcel.in_review
    assert _parcels(s) == 2


def test_an_exchange_parcel_is_recorded(world: dict) -> None:
    s, me, tee = world["s"], world["me"], world["tee"]
    exchange = request_exchange(s, me.id, tee.order_no, item_id=tee.items[0].id, target_color="黑色",
                                clock=on_day(2))
    parcel = record_return_parcel(s, me.id, tee.order_no, "YT1234567890123", clock=on_day(3))
    assert parcel.request_nos == [exchange.request_no] and parcel.outcome == "recorded"


@pytest.mark.parametrize("status", ["received", "rejected"])
def test_nothing_recorded_where_no_parcel_is_awaited(world: dict, status: str) -> None:
    s, me, tee = world["s"], world["me"], world["tee"]
    with pytest.raises(DomainError) as error:
        check_parcel_awaited(s, me.id, tee.order_no)
    assert error.value.code == "not_eligible" and error.value.details["reason"] == "no_request"
    _return(world, tee.items[0].id, "no_reason")
    request = tee.after_sales[0]
    for step in (["return_shipped", "received"] if status == "received" else ["rejected"]):
        transition(request, step, on_day(3))
    events = s.execute(select(func.count()).select_from(AfterSaleEvent)).scalar_one()
    with pytest.raises(DomainError) as error:
        record_return_parcel(s, me.id, tee.order_no, "SF1234567890", clock=on_day(4))
    expected = "already_received" if status == "received" else "no_request"
    assert error.value.details["reason"] == expected
    assert _parcels(s) == 0 and s.execute(select(func.count()).select_from(AfterSaleEvent)).scalar_one() == events


def test_someone_elses_order_and_bad_waybills_change_nothing(world: dict) -> None:
    s, me, other, tee = world["s"], world["me"], world["other"], world["tee"]
    _return(world, tee.items[0].id, "no_reason")
    with pytest.raises(DomainError) as error:
        record_return_parcel(s, other.id, tee.order_no, "SF1234567890", clock=on_day(3))
    assert error.value.code == "not_found"
    with pytest.raises(DomainError) as error:
        record_return_parcel(s, me.id, tee.order_no, "单号忘了", clock=on_day(3))
    assert error.value.code == "invalid_input"
    assert _parcels(s) == 0 and tee.after_sales[0].status == "approved"
    assert orders_awaiting_parcel(s, other.id) == []
