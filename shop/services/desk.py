"""The agents' desk: the queue of tickets by skill group, claiming, notes, closing, canned replies.

Rules: an agent sees and takes only tickets of their skill groups (admins: all); a ticket is claimed
by one agent at a time (open -> assigned, checked under a row lock); only the agent holding it (or an
admin) replies, notes or closes; closing records who closed it and when, so the handling time is
``closed_at - claimed_at``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from shop.clock import Clock
from shop.errors import DomainError, not_found
from shop.models import CANNED_REPLY_KINDS, CannedReply, Customer, Order, Ticket, TicketNote
from shop.services.agents import AgentView
from shop.services.orders import list_orders
from shop.services.tickets import check_note, mark_closed
from shop.services.views import OrderSummary

MAX_REPLY_LENGTH = 1000
MAX_CANNED_TITLE = 40
QUEUE_LIMIT = 200
CUSTOMER_ORDERS_SHOWN = 50  # list_orders caps it there
DEFAULT_CANNED_REPLIES = Path(__file__).resolve().parent.parent / "canned_replies.json"
PRIORITY_RANK = {"high": 0, "normal": 1}


@dataclass(frozen=True)
class QueueEntry:
    ticket_no: str
    skill_group: str
    priority: str
    status: str
    topic: str
    order_no: str | None
    customer_name: str | None
    created_at: datetime
    waiting_seconds: int
    assignee: str | None


@dataclass(frozen=True)
class NoteView:
    author: str
    text: str
    created_at: datetime


@dataclass(frozen=True)
class TicketDetail:
    entry: QueueEntry
    conversation_id: str
    summary: str
    customer_id: int | None
    customer_name: str | None
    orders: list[OrderSummary]
    notes: list[NoteView]
    claimed_at: datetime | None
    closed_at: datetime | None
    closed_by: str | None


@dataclass(frozen=True)
class CannedReplyView:
    id: int
    kind: str
    title: str
    text: str


def queue(session: Session, agent: AgentView, *, clock: Clock) -> list[QueueEntry]:
    """Tickets not closed, of the agent's skill groups: high priority first, then the longest waiting."""
    statement = (
        select(Ticket, Order.order_no, Customer.name)
        .outerjoin(Order, Order.id == Ticket.order_id)
        .outerjoin(Customer, Customer.id == Ticket.customer_id)
        .where(Ticket.status != "closed")
        .order_by(case((Ticket.priority == "high", 0), else_=1), Ticket.created_at, Ticket.id)
        .limit(QUEUE_LIMIT)
    )
    if not agent.is_admin:
        statement = statement.where(Ticket.skill_group.in_(agent.skill_groups))
    now = clock()
    return [_entry(ticket, order_no, name, now) for ticket, order_no, name in session.execute(statement).all()]


def _entry(ticket: Ticket, order_no: str | None, customer_name: str | None, now: datetime) -> QueueEntry:
    waiting = int(((ticket.closed_at or now) - ticket.created_at).total_seconds())
    return QueueEntry(ticket.ticket_no, ticket.skill_group, ticket.priority, ticket.status, ticket.topic, order_no,
                      customer_name, ticket.created_at, max(0, waiting), ticket.assignee)


def ticket_detail(session: Session, agent: AgentView, ticket_no: str, *, clock: Clock) -> TicketDetail:
    """What the bot passed on, the customer's orders with their state, the internal notes."""
    ticket = _visible(session, agent, ticket_no)
    order_no = session.execute(select(Order.order_no).where(Order.id == ticket.order_id)).scalar_one_or_none()
    customer = session.get(Customer, ticket.customer_id) if ticket.customer_id else None
    orders = list_orders(session, ticket.customer_id, limit=CUSTOMER_ORDERS_SHOWN) if customer else []
    notes = session.execute(
        select(TicketNote).where(TicketNote.ticket_id == ticket.id).order_by(TicketNote.created_at, TicketNote.id)
    ).scalars()
    return TicketDetail(
        entry=_entry(ticket, order_no, customer.name if customer else None, clock()),
        conversation_id=ticket.conversation_id, summary=ticket.summary, customer_id=ticket.customer_id,
        customer_name=customer.name if customer else None, orders=orders,
        notes=[NoteView(note.author, note.text, note.created_at) for note in notes],
        claimed_at=ticket.claimed_at, closed_at=ticket.closed_at, closed_by=ticket.closed_by,
    )


def claim(session: Session, agent: AgentView, ticket_no: str, *, clock: Clock) -> str:
    """Take an open ticket; the conversation id is returned. A ticket someone holds is refused."""
    ticket = _visible(session, agent, ticket_no)
    if ticket.status == "assigned" and ticket.assignee == agent.username:
        return ticket.conversation_id  # taking it again changes nothing
    # One agent at a time: the update only matches while the ticket is still open.
    taken = session.execute(
        update(Ticket)
        .where(Ticket.id == ticket.id, Ticket.status == "open")
        .values(status="assigned", assignee=agent.username, claimed_at=clock())
        .execution_options(synchronize_session=False)
    ).rowcount
    if taken != 1:
        session.refresh(ticket)
        raise DomainError("illegal_transition", "the ticket is not open", current=ticket.status,
                          assignee=ticket.assignee)
    return ticket.conversation_id


def conversation_of_held_ticket(session: Session, agent: AgentView, ticket_no: str) -> str:
    """The conversation of a ticket this agent holds (a reply needs it); others are refused."""
    ticket = _held(session, agent, ticket_no)
    return ticket.conversation_id


def add_note(session: Session, agent: AgentView, ticket_no: str, text: str, *, clock: Clock) -> NoteView:
    text = check_note(text)
    ticket = _visible(session, agent, ticket_no)
    note = TicketNote(ticket_id=ticket.id, author=agent.username, text=text, created_at=clock())
    session.add(note)
    session.flush()
    return NoteView(note.author, note.text, note.created_at)


def check_reply(text: str) -> str:
    text = (text or "").strip()
    if not text or len(text) > MAX_REPLY_LENGTH:
        raise DomainError("invalid_input", f"a reply has 1-{MAX_REPLY_LENGTH} characters", field="text")
    return text


def close(session: Session, agent: AgentView, ticket_no: str, *, clock: Clock) -> str:
    """Close a ticket the agent holds (or any, for an admin); returns its conversation id.

    Closing again what this agent closed changes nothing (the bot's hand-back closes it first, as held).
    """
    ticket = _visible(session, agent, ticket_no)
    session.refresh(ticket, with_for_update=True)
    if ticket.status == "closed" and ticket.closed_by == agent.username:
        return ticket.conversation_id
    ticket = _held(session, agent, ticket_no)
    mark_closed(ticket, closed_by=agent.username, clock=clock)
    session.flush()
    return ticket.conversation_id


def close_for_conversation(session: Session, conversation_id: str, *, closed_by: str, clock: Clock) -> str | None:
    """Close the conversation's ticket still open, when the bot is resumed by other means; its number."""
    ticket = session.execute(
        select(Ticket).where(Ticket.conversation_id == conversation_id, Ticket.status != "closed")
    ).scalar_one_or_none()
    if ticket is None:
        return None
    mark_closed(ticket, closed_by=ticket.assignee or closed_by, clock=clock)
    session.flush()
    return ticket.ticket_no


def _visible(session: Session, agent: AgentView, ticket_no: str) -> Ticket:
    ticket = session.execute(select(Ticket).where(Ticket.ticket_no == str(ticket_no)[:24])).scalar_one_or_none()
    if ticket is None or not (agent.is_admin or ticket.skill_group in agent.skill_groups):
        raise not_found("ticket")  # another group's ticket is not told apart from none
    return ticket


def _held(session: Session, agent: AgentView, ticket_no: str) -> Ticket:
    ticket = _visible(session, agent, ticket_no)
    session.refresh(ticket, with_for_update=True)
    if ticket.status != "assigned" or not (ticket.assignee == agent.username or agent.is_admin):
        raise DomainError("illegal_transition", "claim the ticket first", current=ticket.status,
                          assignee=ticket.assignee)
    return ticket


def canned_replies(session: Session) -> list[CannedReplyView]:
    rows = session.execute(select(CannedReply).order_by(CannedReply.kind.desc(), CannedReply.id)).scalars()
    return [CannedReplyView(row.id, row.kind, row.title, row.text) for row in rows]


def save_canned_reply(
    session: Session, agent: AgentView, *, reply_id: int | None, kind: str, title: str, text: str, clock: Clock
) -> CannedReplyView:
    """Add (reply_id None) or edit a canned reply: admins only."""
    if not agent.is_admin:
        raise DomainError("not_eligible", "only an admin edits canned replies")
    title, text = (title or "").strip(), (text or "").strip()
    if kind not in CANNED_REPLY_KINDS:
        raise DomainError("invalid_input", f"kind must be one of {CANNED_REPLY_KINDS}", field="kind")
    if not title or len(title) > MAX_CANNED_TITLE:
        raise DomainError("invalid_input", f"a title has 1-{MAX_CANNED_TITLE} characters", field="title")
    check_reply(text)
    if reply_id is None:
        row = CannedReply(kind=kind, title=title, text=text, updated_at=clock(), updated_by=agent.username)
        session.add(row)
    else:
        row = session.get(CannedReply, reply_id)
        if row is None:
            raise not_found("canned_reply")
        row.kind, row.title, row.text = kind, title, text
        row.updated_at, row.updated_by = clock(), agent.username
    session.flush()
    return CannedReplyView(row.id, row.kind, row.title, row.text)


def delete_canned_reply(session: Session, agent: AgentView, reply_id: int) -> None:
    if not agent.is_admin:
        raise DomainError("not_eligible", "only an admin edits canned replies")
    row = session.get(CannedReply, reply_id)
    if row is None:
        raise not_found("canned_reply")
    session.delete(row)


def ensure_default_canned_replies(session: Session, *, clock: Clock, source: Path = DEFAULT_CANNED_REPLIES) -> int:
    """Load the shop's default 话术 when there are none yet; returns how many were added."""
    if session.execute(select(func.count(CannedReply.id))).scalar_one():
        return 0
    entries = json.loads(source.read_text(encoding="utf-8"))
    for entry in entries:
        session.add(CannedReply(kind=entry["kind"], title=entry["title"], text=entry["text"], updated_at=clock()))
    session.flush()
    return len(entries)
