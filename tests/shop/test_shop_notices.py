"""Shop events in and proactive notices out (issue 33): the monitor's rules with an injected clock, notices
recorded once, quiet hours, opt-out, and events applied once (a bad or replayed one changes nothing)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from shop_builders import NOW
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from shop.clock import fixed_clock
from shop.db import init_schema, make_engine, session_scope
from shop.errors import DomainError
from shop.models import (
    AfterSaleRequest,
    Invoice,
    Notice,
    Order,
    ShopEvent,
    TrackingEvent,
)
from shop.seed import DEMO_ORDERS, seed
from shop.services.events import apply_event, sign, signature_matches
from shop.services.notices import (
    claim_for_delivery,
    due_notices,
    finish_delivery,
    in_quiet_hours,
    live_conversation,
    notice_in_conversation,
    parse_quiet_hours,
    record_due_notices,
    remember_conversation,
    set_muted,
    unread_notices,
    watch_once,
)

STUCK = DEMO_ORDERS["stuck"]
IN_TRANSIT = DEMO_ORDERS["in_transit"]
clock = fixed_clock(NOW)

WIDGET = "widget-5f0c2a9e7b41d3c8"  # conversation ids are random, 16-64 characters
OLD_WIDGET = "widget-old-5f0c2a9e7b41d3c8"


def body(**event: Any) -> bytes:
    return json.dumps({"occurred_at": (NOW - timedelta(hours=1)).isoformat() + "+08:00", "data": {}, **event},
                      ensure_ascii=False).encode()


def due_of(session: Session, now: datetime = NOW, stuck_after_hours: int = 72) -> dict[str, Any]:
    return {n.key: n for n in due_notices(session, now, stuck_after_hours=stuck_after_hours, lookback_hours=72)}


def kinds_for(session: Session, order_no: str, now: datetime = NOW) -> list[str]:
    return [n.kind for n in due_of(session, now).values() if n.facts.get("order_no") == order_no]


def count(session: Session, model: Any, *where: Any) -> int:
    return int(session.execute(select(func.count()).select_from(model).where(*where)).scalar_one())


def customer_of(session: Session, order_no: str) -> int:
    return session.execute(select(Order.customer_id).where(Order.order_no == order_no)).scalar_one()


# --- the monitor's rules ---------------------------------------------------------------------------

def test_the_stuck_demo_parcel_is_due_with_its_facts(seeded: Session) -> None:
    notices = [n for n in due_of(seeded).values() if n.kind == "parcel_stuck" and n.facts["order_no"] == STUCK]
    assert len(notices) == 1
    facts = notices[0].facts
    assert facts["hours"] == 80 and facts["amount"] and facts["courier"]


def test_a_parcel_is_stuck_only_after_the_threshold(seeded: Session) -> None:
    assert "parcel_stuck" in kinds_for(seeded, STUCK)
    assert "parcel_stuck" not in kinds_for(seeded, STUCK, NOW - timedelta(hours=9))  # 71 h without an update
    assert "parcel_stuck" not in kinds_for(seeded, IN_TRANSIT)
    assert not [n for n in due_of(seeded, stuck_after_hours=100).values() if n.facts.get("order_no") == STUCK]


def test_a_missed_ship_time_is_due_and_a_future_one_is_not(seeded: Session) -> None:
    assert kinds_for(seeded, DEMO_ORDERS["ship_overdue"]) == ["ship_late"]
    assert kinds_for(seeded, DEMO_ORDERS["packing"]) == []


def test_a_recent_after_sale_step_is_due_and_old_history_is_not(seeded: Session) -> None:
    assert "after_sale_update" in kinds_for(seeded, DEMO_ORDERS["return_in_progress"])
    assert kinds_for(seeded, DEMO_ORDERS["return_in_progress"], NOW + timedelta(days=10)) == []


def test_recorded_once_then_nothing_new(seeded: Session) -> None:
    first = record_due_notices(seeded, clock=clock, quiet_hours="")
    assert first.recorded and not first.quiet
    assert record_due_notices(seeded, clock=clock, quiet_hours="").recorded == []
    assert count(seeded, Notice) == len(first.recorded)


def test_a_new_scan_then_another_stall_is_a_new_notice(seeded: Session) -> None:
    record_due_notices(seeded, clock=clock, quiet_hours="")
    apply_event(seeded, body(id="scan-1", type="tracking.updated", order_no=STUCK,
                             data={"place": "广州转运中心", "description": "已到达"}), clock=clock)
    assert record_due_notices(seeded, clock=clock, quiet_hours="").recorded == []  # moving again
    later = fixed_clock(NOW + timedelta(hours=73))
    again = [n for n in record_due_notices(seeded, clock=later, quiet_hours="").recorded
             if n.kind == "parcel_stuck" and n.facts["order_no"] == STUCK]
    assert len(again) == 1 and again[0].facts["place"] == "广州转运中心"


@pytest.mark.parametrize(("moment", "quiet"), [
    (time(21, 59), False), (time(22, 0), True), (time(3, 0), True), (time(7, 59), True), (time(8, 0), False),
])
def test_quiet_hours_span_midnight(moment: time, quiet: bool) -> None:
    assert in_quiet_hours(datetime.combine(NOW.date(), moment), parse_quiet_hours("22:00-08:00")) is quiet


def test_quiet_hours_of_a_day_and_none() -> None:
    assert in_quiet_hours(datetime(2024, 6, 15, 13, 0), parse_quiet_hours("12:00-14:00"))
    assert parse_quiet_hours("") is None and not in_quiet_hours(datetime(2024, 6, 15, 23, 0), None)
    with pytest.raises(DomainError):
        parse_quiet_hours("22-8")


def test_nothing_is_recorded_at_night(seeded: Session) -> None:
    night = fixed_clock(NOW.replace(hour=23))
    result = record_due_notices(seeded, clock=night, quiet_hours="22:00-08:00")
    assert result.quiet and result.recorded == [] and count(seeded, Notice) == 0
    assert record_due_notices(seeded, clock=night, quiet_hours="").recorded  # empty: no quiet hours


def test_a_shopper_who_stopped_notices_gets_none_until_they_resume(seeded: Session) -> None:
    customer = customer_of(seeded, STUCK)
    assert set_muted(seeded, customer, True, clock=clock)
    assert not set_muted(seeded, customer, True, clock=clock)  # already stopped
    recorded = record_due_notices(seeded, clock=clock, quiet_hours="").recorded
    assert recorded and all(n.customer_id != customer for n in recorded)
    assert set_muted(seeded, customer, False, clock=clock)
    resumed = record_due_notices(seeded, clock=clock, quiet_hours="").recorded
    assert {n.customer_id for n in resumed} == {customer}
    set_muted(seeded, customer, True, clock=clock)
    assert all(n.customer_id != customer for n in unread_notices(seeded))  # stopped: nothing unread delivered


def test_one_deliverer_takes_a_notice_and_only_its_conversation_reads_it(seeded: Session) -> None:
    notice = record_due_notices(seeded, clock=clock, quiet_hours="").recorded[0]
    assert claim_for_delivery(seeded, notice.notice_id, "conv-a")
    assert not claim_for_delivery(seeded, notice.notice_id, "conv-b")
    assert notice_in_conversation(seeded, notice.notice_id, "conv-a") is not None
    assert notice_in_conversation(seeded, notice.notice_id, "conv-b") is None
    assert notice_in_conversation(seeded, "not a number", "conv-a") is None
    finish_delivery(seeded, notice.notice_id, delivered=False, live=True, clock=clock)
    assert notice_in_conversation(seeded, notice.notice_id, "conv-a") is None  # back to unread
    assert claim_for_delivery(seeded, notice.notice_id, "conv-b")


def test_a_conversation_id_has_a_shape(seeded: Session) -> None:
    for guessable in ("<script>", "widget-1", "x" * 65):
        with pytest.raises(DomainError):
            remember_conversation(seeded, 1, guessable, "socketio", clock=clock)


def test_another_shoppers_conversation_is_never_taken_over(seeded: Session) -> None:
    """Shopper 2 naming shopper 1's open conversation must not divert shopper 1's notices."""
    remember_conversation(seeded, 1, "conv-of-shopper-one-5f0c2a9e", "socketio", clock=clock)
    with pytest.raises(DomainError, match="another conversation"):
        remember_conversation(seeded, 2, "conv-of-shopper-one-5f0c2a9e", "socketio", clock=clock)
    assert live_conversation(seeded, 1, clock=clock).conversation_id == "conv-of-shopper-one-5f0c2a9e"
    assert live_conversation(seeded, 2, clock=clock) is None


# --- watch: one pass -------------------------------------------------------------------------------

@pytest.fixture()
def shop_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'shop.db'}")
    init_schema(engine)
    with session_scope(engine) as session:
        seed(session, now=NOW)
    yield engine
    engine.dispose()


def test_watch_sends_into_the_open_conversation_once_and_keeps_the_rest_unread(shop_engine: Engine) -> None:
    with session_scope(shop_engine) as session:
        customer = customer_of(session, STUCK)
        remember_conversation(session, customer, WIDGET, "socketio", clock=fixed_clock(NOW - timedelta(minutes=3)))
    sent: list[tuple[int, str, str]] = []

    def send(notice: Any, conversation_id: str, channel: str) -> bool:
        with session_scope(shop_engine) as session:  # the assistant reads it while it is being sent
            assert notice_in_conversation(session, notice.notice_id, conversation_id) is not None
        sent.append((notice.customer_id, conversation_id, channel))
        return True

    first = watch_once(shop_engine, clock=clock, send=send, quiet_hours="")
    assert first.recorded > first.sent > 0 and first.unread == first.recorded - first.sent
    assert {entry[0] for entry in sent} == {customer} and {entry[1:] for entry in sent} == {(WIDGET, "socketio")}
    second = watch_once(shop_engine, clock=clock, send=send, quiet_hours="")
    assert (second.recorded, second.sent) == (0, 0) and len(sent) == first.sent


def test_watch_keeps_a_notice_unread_when_the_widget_is_closed_or_rasa_refuses(shop_engine: Engine) -> None:
    with session_scope(shop_engine) as session:
        customer = customer_of(session, STUCK)
        remember_conversation(session, customer, OLD_WIDGET, "socketio", clock=fixed_clock(NOW - timedelta(hours=2)))
    closed = watch_once(shop_engine, clock=clock, send=lambda *_: pytest.fail("nothing is open"), quiet_hours="")
    assert closed.sent == 0 and closed.unread == closed.recorded > 0
    with session_scope(shop_engine) as session:
        remember_conversation(session, customer, OLD_WIDGET, "socketio", clock=clock)
    refused = watch_once(shop_engine, clock=clock, send=lambda *_: False, quiet_hours="")
    assert refused.sent == 0
    with session_scope(shop_engine) as session:
        assert {n.customer_id for n in unread_notices(session, customer)} == {customer}


def test_watch_sends_nothing_at_night(shop_engine: Engine) -> None:
    night = fixed_clock(NOW.replace(hour=23))
    report = watch_once(shop_engine, clock=night, send=lambda *_: pytest.fail("quiet"), quiet_hours="22:00-08:00")
    assert report.quiet
    with session_scope(shop_engine) as session:
        assert count(session, Notice) == 0


# --- events in -------------------------------------------------------------------------------------

def test_signature() -> None:
    payload = b'{"id": "1"}'
    header = sign("secret", payload)
    assert header.startswith("sha256=") and signature_matches("secret", payload, header)
    assert not signature_matches("other", payload, header)
    assert not signature_matches("secret", payload + b" ", header)
    assert not signature_matches("secret", payload, None)
    assert not signature_matches("secret", payload, header.upper())


def test_a_scan_is_applied_once_and_a_replay_changes_nothing(seeded: Session) -> None:
    event = body(id="evt-1", type="tracking.updated", order_no=STUCK, data={"place": "深圳", "description": "运输中"})
    scans = count(seeded, TrackingEvent)
    assert apply_event(seeded, event, clock=clock).applied
    assert not apply_event(seeded, event, clock=clock).applied
    assert count(seeded, TrackingEvent) == scans + 1 and count(seeded, ShopEvent) == 1
    with pytest.raises(DomainError) as error:
        apply_event(seeded, event.replace("运输中".encode(), "派送中".encode()), clock=clock)
    assert error.value.code == "conflict"


@pytest.mark.parametrize(("event", "code", "field"), [
    ({"id": "e", "type": "order.teleported", "order_no": STUCK}, "invalid_input", "type"),
    ({"id": "bad id!", "type": "tracking.updated", "order_no": STUCK}, "invalid_input", "id"),
    ({"id": "e", "type": "tracking.updated", "order_no": STUCK, "data": {"place": "x"}}, "invalid_input",
     "data.description"),
    ({"id": "e", "type": "order.shipped", "order_no": STUCK, "data": {"courier": "顺丰", "tracking_no": "<x>"}},
     "invalid_input", "data.tracking_no"),
    ({"id": "e", "type": "tracking.updated", "order_no": STUCK, "data": {"description": "x", "extra": 1}},
     "invalid_input", "data.extra"),
    ({"id": "e", "type": "tracking.updated", "order_no": "8800009999999999", "data": {"description": "x"}},
     "not_found", "order_no"),
    ({"id": "e", "type": "order.delivered", "order_no": DEMO_ORDERS["packing"]}, "not_shipped", None),
    ({"id": "e", "type": "order.paid", "order_no": STUCK, "data": {"method": "alipay"}}, "illegal_transition", None),
    ({"id": "e", "type": "invoice.issued", "order_no": DEMO_ORDERS["delivered_in_window"]}, "illegal_transition", None),
])
def test_a_bad_event_is_refused_with_its_reason_and_changes_nothing(
    seeded: Session, event: dict[str, Any], code: str, field: str | None
) -> None:
    before = (count(seeded, TrackingEvent), count(seeded, ShopEvent))
    with pytest.raises(DomainError) as error:
        apply_event(seeded, body(**event), clock=clock)
    assert error.value.code == code
    if field:
        assert error.value.details.get("field") == field
    seeded.rollback()
    assert (count(seeded, TrackingEvent), count(seeded, ShopEvent)) == before


@pytest.mark.parametrize("raw", [b"", b"[]", b"not json", "{\"id\": \"\u00e9\"".encode("latin-1"), b"{" * 20000])
def test_a_body_that_is_no_event_is_refused(seeded: Session, raw: bytes) -> None:
    with pytest.raises(DomainError) as error:
        apply_event(seeded, raw, clock=clock)
    assert error.value.code == "invalid_input"


def test_an_event_from_the_future_or_without_offset_is_refused(seeded: Session) -> None:
    future = json.dumps({"id": "f", "type": "tracking.updated", "order_no": STUCK, "data": {"description": "x"},
                         "occurred_at": (NOW + timedelta(hours=3)).isoformat() + "+08:00"}).encode()
    naive = future.replace(b"+08:00", b"")
    for raw in (future, naive):
        with pytest.raises(DomainError) as error:
            apply_event(seeded, raw, clock=clock)
        assert error.value.details["field"] == "occurred_at"


def test_an_order_paid_shipped_and_delivered_by_events(seeded: Session) -> None:
    order_no = DEMO_ORDERS["awaiting_payment"]
    apply_event(seeded, body(id="p", type="order.paid", order_no=order_no, data={"method": "wechat"}), clock=clock)
    apply_event(seeded, body(id="s", type="order.shipped", order_no=order_no,
                             data={"courier": "顺丰速运", "tracking_no": "SF1234567890", "place": "杭州",
                                   "description": "已揽收"}), clock=clock)
    apply_event(seeded, body(id="d", type="order.delivered", order_no=order_no, data={"description": "已签收"}),
                clock=clock)
    order = seeded.execute(select(Order).where(Order.order_no == order_no)).scalar_one()
    assert order.status == "delivered" and order.shipment.tracking_no == "SF1234567890"
    assert order.payments[-1].method == "wechat" and order.delivered_at == NOW - timedelta(hours=1)


def test_event_driven_notices(seeded: Session) -> None:
    apply_event(seeded, body(id="x", type="shipment.exception", order_no=IN_TRANSIT,
                             data={"kind": "damaged", "place": "武汉", "description": "外包装破损"}), clock=clock)
    request = seeded.execute(
        select(AfterSaleRequest).join(Order).where(Order.order_no == DEMO_ORDERS["return_in_progress"])
    ).scalar_one()
    apply_event(seeded, body(id="r", type="refund.paid", order_no=DEMO_ORDERS["return_in_progress"],
                             data={"request_no": request.request_no}), clock=clock)
    invoice_order = DEMO_ORDERS["delivered_in_window"]
    invoice = seeded.execute(select(Invoice).join(Order, Invoice.order_id == Order.id)
                             .where(Order.order_no == invoice_order)).scalar_one()
    invoice.status, invoice.issued_at = "requested", None
    apply_event(seeded, body(id="i", type="invoice.issued", order_no=invoice_order), clock=clock)
    result = record_due_notices(seeded, clock=clock, quiet_hours="")
    recorded = {(n.kind, n.facts["order_no"]): n for n in result.recorded}
    assert recorded[("shipment_exception", IN_TRANSIT)].facts["exception"] == "damaged"
    assert recorded[("refund_paid", DEMO_ORDERS["return_in_progress"])].facts["amount"]
    assert ("invoice_issued", invoice_order) in recorded


def test_the_notice_that_asks_goes_last_so_that_the_answer_follows_its_question(seeded: Session) -> None:
    record_due_notices(seeded, clock=clock, quiet_hours="")
    kinds = [n.kind for n in unread_notices(seeded, customer_of(seeded, STUCK))]
    assert len(kinds) > 2 and kinds[-1] == "parcel_stuck" and "parcel_stuck" not in kinds[:-1]
