"""Proactive notices: what deserves telling a shopper before they ask, each told once.

The monitor's rules (``due_notices``), over the shop's data at ``now``:

* ``parcel_stuck``: a shipped, undelivered parcel without a tracking update for SHOP_STUCK_AFTER_HOURS
  (once per stall: a new scan followed by another stall is a new notice);
* ``ship_late``: a paid order past its promised ship time (once per promised time);
* ``shipment_exception``: an exception scan the shop reported (lost, damaged, returned to sender, delayed);
* ``after_sale_update``: each step of a return or exchange the shopper did not take themselves
  (approved, received, exchanged, rejected);
* ``refund_paid``: a refund paid, of a return or of a cancelled order;
* ``invoice_issued``: an invoice issued.

Event-driven rules look back SHOP_NOTICE_LOOKBACK_HOURS (72): older history is not news. Nothing is
recorded during quiet hours (SHOP_QUIET_HOURS, default 22:00-08:00 shop time; empty: none), nor for a
shopper who asked for no notices (``set_muted``). A notice is recorded once by its key; delivering it
is the caller's (the watch command and the widget's pull endpoint), through ``claim_for_delivery`` so
that no two deliverers send the same notice. The wording is the assistant's (domain responses): a
notice carries a kind and facts only.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from shop.clock import Clock
from shop.config import get_settings
from shop.db import session_scope
from shop.errors import invalid_input
from shop.models import (
    AfterSaleEvent,
    AfterSaleRequest,
    Invoice,
    Notice,
    NoticePreference,
    Order,
    Payment,
    ShopEvent,
    ShopperConversation,
)
from shop.services.tracking import tracking_for

NOTICE_KINDS = ("parcel_stuck", "ship_late", "shipment_exception", "after_sale_update", "refund_paid",
                "invoice_issued")
#: After-sale steps worth a notice; the shopper posting the parcel back (return_shipped) is their own doing,
#: and a refund is told as ``refund_paid``.
NOTIFIED_STEPS = ("approved", "received", "exchanged", "rejected")
#: Notices that end with a question (好的 answers it): sent after the others of a pass.
ASKING_KINDS = ("parcel_stuck",)
#: A widget that pulled within this long is open: a notice goes to its conversation live.
LIVE_WITHIN = timedelta(minutes=10)
# Conversation ids are random (the channels refuse shorter ones): a guessable one is never remembered.
CONVERSATION_ID = re.compile(r"^[A-Za-z0-9_.:@-]{16,64}$")
QUIET_HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class DueNotice:
    key: str
    customer_id: int
    order_id: int | None
    kind: str
    facts: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class NoticeView:
    notice_id: int
    customer_id: int
    kind: str
    facts: dict[str, Any]
    status: str
    conversation_id: str | None
    created_at: datetime


def parse_quiet_hours(text: str) -> tuple[time, time] | None:
    """"22:00-08:00" -> (22:00, 08:00); "" -> None (no quiet hours)."""
    text = (text or "").strip()
    if not text:
        return None
    found = QUIET_HOURS.match(text)
    if found is None:
        raise invalid_input("SHOP_QUIET_HOURS", "must read HH:MM-HH:MM (or be empty)")
    start, end = time(int(found[1]), int(found[2])), time(int(found[3]), int(found[4]))
    return start, end


def in_quiet_hours(now: datetime, hours: tuple[time, time] | None) -> bool:
    """Whether shop time ``now`` falls in the quiet hours [start, end), which may span midnight."""
    if hours is None:
        return False
    start, end = hours
    moment = now.time()
    if start <= end:
        return start <= moment < end
    return moment >= start or moment < end


def due_notices(session: Session, now: datetime, *, stuck_after_hours: int, lookback_hours: int) -> list[DueNotice]:
    """Every notice the shop's data deserves at ``now`` (recorded or not)."""
    since = now - timedelta(hours=lookback_hours)
    return [*_stuck_and_late(session, now, stuck_after_hours), *_exceptions(session, since),
            *_after_sale_steps(session, since), *_cancellation_refunds(session, since), *_invoices(session, since)]


def _stuck_and_late(session: Session, now: datetime, stuck_after_hours: int) -> Iterable[DueNotice]:
    orders = session.execute(select(Order).where(Order.status.in_(("paid", "shipped")))).scalars()
    for order in orders:
        if order.status == "paid" and order.ship_by is not None and order.ship_by < now:
            yield DueNotice(f"ship_late:{order.id}:{order.ship_by:%Y%m%d%H%M}", order.customer_id, order.id,
                            "ship_late", {"order_no": order.order_no, "ship_by": order.ship_by.isoformat()})
        elif order.status == "shipped" and order.shipment is not None:
            info = tracking_for(order, now, stuck_after_hours)
            if not info.is_stuck:
                continue
            last = info.latest.time if info.latest else info.shipped_at
            yield DueNotice(
                f"parcel_stuck:{order.id}:{last:%Y%m%d%H%M}", order.customer_id, order.id, "parcel_stuck",
                {"order_no": order.order_no, "hours": info.hours_since_update, "courier": info.courier,
                 "place": info.latest.place if info.latest else "", "amount": str(order.paid_amount)},
            )


def _exceptions(session: Session, since: datetime) -> Iterable[DueNotice]:
    rows = session.execute(
        select(ShopEvent, Order).join(Order, ShopEvent.order_id == Order.id)
        .where(ShopEvent.type == "shipment.exception", ShopEvent.occurred_at >= since)
    ).all()
    for event, order in rows:
        yield DueNotice(f"shipment_exception:{event.id}", order.customer_id, order.id, "shipment_exception",
                        {"order_no": order.order_no, "exception": event.details.get("kind", ""),
                         "place": event.details.get("place", "")})


def _after_sale_steps(session: Session, since: datetime) -> Iterable[DueNotice]:
    rows = session.execute(
        select(AfterSaleEvent, AfterSaleRequest, Order)
        .join(AfterSaleRequest, AfterSaleEvent.request_id == AfterSaleRequest.id)
        .join(Order, AfterSaleRequest.order_id == Order.id)
        .where(AfterSaleEvent.time >= since, AfterSaleEvent.status.in_((*NOTIFIED_STEPS, "refunded")))
    ).all()
    for step, request, order in rows:
        facts = {"order_no": order.order_no, "request_no": request.request_no or "", "type": request.type,
                 "status": step.status, "amount": str(request.refund_amount or "")}
        kind = "refund_paid" if step.status == "refunded" else "after_sale_update"
        yield DueNotice(f"{kind}:{step.id}", order.customer_id, order.id, kind, facts)


def _cancellation_refunds(session: Session, since: datetime) -> Iterable[DueNotice]:
    rows = session.execute(
        select(Payment, Order).join(Order, Payment.order_id == Order.id)
        .where(Payment.status == "refunded", Payment.refunded_at >= since)
    ).all()
    for payment, order in rows:
        yield DueNotice(f"refund_paid:payment:{payment.id}", order.customer_id, order.id, "refund_paid",
                        {"order_no": order.order_no, "request_no": "", "type": "cancel",
                         "status": "refunded", "amount": str(payment.amount)})


def _invoices(session: Session, since: datetime) -> Iterable[DueNotice]:
    rows = session.execute(
        select(Invoice, Order).join(Order, Invoice.order_id == Order.id)
        .where(Invoice.status == "issued", Invoice.issued_at >= since)
    ).all()
    for invoice, order in rows:
        yield DueNotice(f"invoice_issued:{invoice.id}:{invoice.issued_at:%Y%m%d%H%M}", order.customer_id, order.id,
                        "invoice_issued", {"order_no": order.order_no})


@dataclass(frozen=True)
class RecordResult:
    quiet: bool
    recorded: list[NoticeView]


def record_due_notices(
    session: Session,
    *,
    clock: Clock,
    quiet_hours: str | None = None,
    stuck_after_hours: int | None = None,
    lookback_hours: int | None = None,
) -> RecordResult:
    """Record each due notice not recorded before (none during quiet hours, none for muted shoppers)."""
    settings = get_settings()
    now = clock()
    hours = parse_quiet_hours(settings.quiet_hours if quiet_hours is None else quiet_hours)
    if in_quiet_hours(now, hours):
        return RecordResult(quiet=True, recorded=[])
    due = due_notices(session, now,
                      stuck_after_hours=stuck_after_hours if stuck_after_hours is not None
                      else settings.stuck_after_hours,
                      lookback_hours=lookback_hours if lookback_hours is not None else settings.notice_lookback_hours)
    keys = [notice.key for notice in due]
    known = set(session.execute(select(Notice.key).where(Notice.key.in_(keys))).scalars()) if keys else set()
    muted = set(session.execute(select(NoticePreference.customer_id).where(NoticePreference.muted)).scalars())
    recorded = []
    for notice in due:
        if notice.key in known or notice.customer_id in muted:
            continue
        known.add(notice.key)
        row = Notice(key=notice.key, customer_id=notice.customer_id, order_id=notice.order_id, kind=notice.kind,
                     facts=notice.facts, status="unread", created_at=now)
        session.add(row)
        session.flush()
        recorded.append(_view(row))
    return RecordResult(quiet=False, recorded=recorded)


def _view(row: Notice) -> NoticeView:
    return NoticeView(row.id, row.customer_id, row.kind, dict(row.facts or {}), row.status, row.conversation_id,
                      row.created_at)


def unread_notices(session: Session, customer_id: int | None = None) -> list[NoticeView]:
    """Unread notices, oldest first, those that ask something last (of one shopper, or of all)."""
    muted = select(NoticePreference.customer_id).where(NoticePreference.muted)
    query = select(Notice).where(Notice.status == "unread", Notice.customer_id.not_in(muted)).order_by(Notice.id)
    if customer_id is not None:
        query = query.where(Notice.customer_id == customer_id)
    # A notice that asks something (the stuck parcel's offer of a claim) goes last, so that the shopper's
    # answer follows its question.
    rows = sorted(session.execute(query).scalars(), key=lambda row: (row.kind in ASKING_KINDS, row.id))
    return [_view(row) for row in rows]


def claim_for_delivery(session: Session, notice_id: int, conversation_id: str) -> bool:
    """Take an unread notice for delivery into ``conversation_id``; False when another deliverer has it."""
    taken = session.execute(
        update(Notice).where(Notice.id == notice_id, Notice.status == "unread")
        .values(status="sending", conversation_id=conversation_id)
        .execution_options(synchronize_session=False)
    )
    return taken.rowcount == 1


def finish_delivery(session: Session, notice_id: int, *, delivered: bool, live: bool, clock: Clock) -> None:
    """After a delivery attempt: ``sent`` (live) or ``read`` (pulled), or back to ``unread`` if it failed."""
    row = session.get(Notice, notice_id)
    if row is None or row.status != "sending":
        return
    if delivered:
        row.status, row.sent_at = ("sent" if live else "read"), clock()
    else:
        row.status, row.conversation_id = "unread", None


def notice_in_conversation(session: Session, notice_id: Any, conversation_id: str) -> NoticeView | None:
    """The notice being delivered into this conversation, else None (a notice id typed by a shopper into
    another conversation reads nothing)."""
    try:
        number = int(str(notice_id))
    except ValueError:
        return None
    row = session.get(Notice, number)
    if row is None or row.conversation_id != conversation_id or row.status not in ("sending", "sent", "read"):
        return None
    return _view(row)


def remember_conversation(session: Session, customer_id: int, conversation_id: str, channel: str, *,
                          clock: Clock) -> None:
    """The signed-in shopper's widget is open on ``conversation_id`` now."""
    if not CONVERSATION_ID.fullmatch(conversation_id or ""):
        raise invalid_input("session_id", "a random id of 16-64 letters, digits and _.:@-")
    row = session.execute(
        select(ShopperConversation).where(ShopperConversation.conversation_id == conversation_id)
    ).scalar_one_or_none()
    if row is None:
        session.add(ShopperConversation(customer_id=customer_id, conversation_id=conversation_id, channel=channel,
                                        last_seen_at=clock()))
    elif row.customer_id != customer_id:
        # another shopper's conversation: never taken over (its notices would go to the wrong person)
        raise invalid_input("session_id", "belongs to another conversation")
    else:
        row.channel, row.last_seen_at = channel, clock()
    session.flush()


def live_conversation(session: Session, customer_id: int, *, clock: Clock) -> ShopperConversation | None:
    """The shopper's most recently seen conversation, if their widget is open (seen within LIVE_WITHIN)."""
    return session.execute(
        select(ShopperConversation)
        .where(ShopperConversation.customer_id == customer_id,
               ShopperConversation.last_seen_at >= clock() - LIVE_WITHIN)
        .order_by(ShopperConversation.last_seen_at.desc(), ShopperConversation.id.desc()).limit(1)
    ).scalar_one_or_none()


def set_muted(session: Session, customer_id: int, muted: bool, *, clock: Clock) -> bool:
    """Stop (or resume) the shopper's notices; True when this changed their choice. While stopped, nothing
    new is recorded for them and nothing unread is delivered."""
    row = session.get(NoticePreference, customer_id)
    changed = bool(row.muted if row else False) != muted
    if row is None:
        session.add(NoticePreference(customer_id=customer_id, muted=muted, updated_at=clock()))
    else:
        row.muted, row.updated_at = muted, clock()
    session.flush()
    return changed


#: Delivers a notice into a conversation on a channel; True when it was delivered.
Send = Callable[[NoticeView, str, str], bool]


@dataclass(frozen=True)
class WatchReport:
    quiet: bool
    recorded: int
    sent: int
    unread: int


def watch_once(engine: Engine, *, clock: Clock, send: Send, quiet_hours: str | None = None) -> WatchReport:
    """One pass of the monitor: record what is due, then send each unread notice of a shopper whose widget
    is open into that conversation. Each step commits on its own, so that the assistant (another process)
    reads the notice it is asked to word."""
    with session_scope(engine) as session:
        result = record_due_notices(session, clock=clock, quiet_hours=quiet_hours)
    if result.quiet:
        return WatchReport(quiet=True, recorded=0, sent=0, unread=0)
    with session_scope(engine) as session:
        unread = unread_notices(session)
        targets = [(notice, conversation.conversation_id, conversation.channel) for notice in unread
                   if (conversation := live_conversation(session, notice.customer_id, clock=clock)) is not None]
    sent = 0
    for notice, conversation_id, channel in targets:
        with session_scope(engine) as session:
            if not claim_for_delivery(session, notice.notice_id, conversation_id):
                continue
        delivered = send(notice, conversation_id, channel)
        with session_scope(engine) as session:
            finish_delivery(session, notice.notice_id, delivered=delivered, live=True, clock=clock)
        sent += int(delivered)
    return WatchReport(quiet=False, recorded=len(result.recorded), sent=sent, unread=len(unread) - sent)
