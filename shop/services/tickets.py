"""Human hand-off tickets routed to a skill group with a priority."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from shop.clock import Clock
from shop.errors import DomainError, not_found
from shop.models import Customer, Order, Ticket, TicketNote
from shop.services._common import get_owned_order
from shop.services.views import TicketView
from shop.text import neutralise

SKILL_GROUPS: dict[str, str] = {
    "return_goods": "售后",
    "exchange_goods": "售后",
    "query_refund": "售后",
    "complain": "售后",
    "human_handoff": "售后",
    "logistics_issue": "物流",
    "urge_shipment": "物流",
    "query_order": "物流",
    "payment_issue": "支付",
    "product_inquiry": "售前",
}
#: Unknown topics go to the general after-sales queue rather than failing the hand-off.
DEFAULT_SKILL_GROUP = "售后"
HIGH_PRIORITY_TOPICS = frozenset({"query_refund", "complain"})
#: A summary is written by the bot from the conversation (topic, slots, the shopper's last messages):
#: it is kept, neutralised (shop.text.neutralise), never refused, and cut to this many characters.
MAX_SUMMARY = 4000
#: An agent's or operator's internal note on a ticket (never shown to the shopper).
MAX_NOTE_LENGTH = 2000
#: Filters of the ticket list: "open" is every ticket not closed (open or assigned).
LISTED_STATUSES = ("open", "closed")
PRIORITIES = ("high", "normal")
MAX_LISTED = 500
TICKET_TRANSITIONS: dict[str, frozenset[str]] = {
    "open": frozenset({"assigned", "closed"}),
    "assigned": frozenset({"closed"}),
    "closed": frozenset(),
}


#: Topics that say nothing of the problem's kind: the order's state then decides the group.
GENERAL_TOPICS = frozenset({"complain", "human_handoff"})


def route(topic: str, *, quality_problem: bool = False, parcel_on_its_way: bool = False) -> tuple[str, str]:
    """(skill_group, priority) for a topic: refunds, complaints and quality problems are urgent.

    A complaint or a plain 转人工 about an order whose parcel is on its way (e.g. stuck for days) is
    the logistics group's."""
    group = SKILL_GROUPS.get(topic, DEFAULT_SKILL_GROUP)
    if parcel_on_its_way and topic in GENERAL_TOPICS:
        group = SKILL_GROUPS["logistics_issue"]
    high = quality_problem or topic in HIGH_PRIORITY_TOPICS
    return group, "high" if high else "normal"


def open_ticket(
    session: Session,
    *,
    customer_id: int | None,
    order_no: str | None,
    topic: str,
    summary: str,
    conversation_id: str,
    clock: Clock,
    quality_problem: bool = False,
    priority: str | None = None,
) -> TicketView:
    """Open a ticket, or return the conversation's ticket that is still open/assigned."""
    conversation_id = (conversation_id or "").strip()
    if not conversation_id:
        raise DomainError("invalid_input", "conversation_id is required", field="conversation_id")
    existing = _open_for_conversation(session, conversation_id)
    if existing is not None:
        return ticket_view(session, existing, created=False)
    order = _order(session, customer_id, order_no)
    group, routed_priority = route(topic, quality_problem=quality_problem,
                                   parcel_on_its_way=order is not None and order.status == "shipped")
    ticket = Ticket(
        customer_id=customer_id, order_id=order.id if order else None, conversation_id=conversation_id,
        topic=topic, skill_group=group, priority=priority or routed_priority,
        summary=neutralise(summary, max_len=MAX_SUMMARY),
        status="open", created_at=clock(),
    )
    session.add(ticket)
    session.flush()
    ticket.ticket_no = f"TK{ticket.created_at:%Y%m%d}{ticket.id:06d}"
    session.flush()
    return ticket_view(session, ticket, created=True)


def _order(session: Session, customer_id: int | None, order_no: str | None) -> Order | None:
    if not order_no:
        return None
    if customer_id is None:
        raise not_found()  # an anonymous chat cannot attach someone's order
    return get_owned_order(session, customer_id, order_no)


def _open_for_conversation(session: Session, conversation_id: str) -> Ticket | None:
    stmt = select(Ticket).where(Ticket.conversation_id == conversation_id, Ticket.status != "closed")
    return session.execute(stmt).scalars().first()


def ticket_view(session: Session, ticket: Ticket, *, created: bool) -> TicketView:
    order_no = None
    if ticket.order_id is not None:
        order_no = session.execute(select(Order.order_no).where(Order.id == ticket.order_id)).scalar_one()
    return TicketView(ticket.ticket_no, ticket.skill_group, ticket.priority, ticket.status, ticket.topic,
                      order_no, ticket.created_at, created)


def _load(session: Session, ticket_no: str) -> Ticket:
    ticket = session.execute(select(Ticket).where(Ticket.ticket_no == ticket_no)).scalar_one_or_none()
    if ticket is None:
        raise not_found("ticket")
    return ticket


def _move(ticket: Ticket, new_status: str) -> None:
    if new_status not in TICKET_TRANSITIONS[ticket.status]:
        raise DomainError("illegal_transition", f"ticket cannot go from {ticket.status!r} to {new_status!r}",
                          current=ticket.status, requested=new_status)
    ticket.status = new_status


def mark_closed(ticket: Ticket, *, closed_by: str, clock: Clock) -> None:
    """The one way a ticket is closed (the desk, the bot's hand-back, `python -m shop tickets close`):
    from open or assigned, recording when and by whom."""
    _move(ticket, "closed")
    ticket.closed_at = clock()
    ticket.closed_by = closed_by


@dataclass(frozen=True)
class TicketClosed:
    ticket_no: str
    conversation_id: str
    closed_at: datetime
    closed_by: str | None
    changed: bool  # False: it was closed already, and nothing was written


def close_ticket(
    session: Session, ticket_no: str, *, closed_by: str, clock: Clock, note: str | None = None
) -> TicketClosed:
    """Close a ticket by its number (a back-office call, not customer-scoped), with an optional internal
    note. Closing a closed ticket changes nothing (not even the note); an unknown number is not_found."""
    note = check_note(note) if note is not None else None
    ticket = session.execute(
        select(Ticket).where(Ticket.ticket_no == str(ticket_no)[:24]).with_for_update()
    ).scalar_one_or_none()
    if ticket is None:
        raise not_found("ticket")
    changed = ticket.status != "closed"
    if changed:
        mark_closed(ticket, closed_by=closed_by, clock=clock)
        if note:
            session.add(TicketNote(ticket_id=ticket.id, author=closed_by, text=note, created_at=ticket.closed_at))
        session.flush()
    return TicketClosed(ticket.ticket_no, ticket.conversation_id, ticket.closed_at, ticket.closed_by, changed)


def check_note(text: str) -> str:
    text = (text or "").strip()
    if not text or len(text) > MAX_NOTE_LENGTH:
        raise DomainError("invalid_input", f"a note has 1-{MAX_NOTE_LENGTH} characters", field="text")
    return text


@dataclass(frozen=True)
class TicketListing:
    ticket_no: str
    created_at: datetime
    skill_group: str
    priority: str
    status: str
    topic: str
    customer_id: int | None
    customer_name: str | None
    order_no: str | None
    summary: str
    assignee: str | None
    closed_at: datetime | None


def list_tickets(
    session: Session,
    *,
    status: str | None = None,
    skill_group: str | None = None,
    priority: str | None = None,
    customer_id: int | None = None,
    order_no: str | None = None,
    limit: int = 50,
) -> list[TicketListing]:
    """Tickets newest first, for the operator; each filter narrows the list (status "open" includes
    assigned ones). An unknown filter value is invalid_input, not an empty list."""
    _check_filters(status, skill_group, priority, limit)
    statement = (
        select(Ticket, Order.order_no, Customer.name)
        .outerjoin(Order, Order.id == Ticket.order_id)
        .outerjoin(Customer, Customer.id == Ticket.customer_id)
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(limit)
    )
    if status == "open":
        statement = statement.where(Ticket.status != "closed")
    elif status == "closed":
        statement = statement.where(Ticket.status == "closed")
    if skill_group:
        statement = statement.where(Ticket.skill_group == skill_group)
    if priority:
        statement = statement.where(Ticket.priority == priority)
    if customer_id is not None:
        statement = statement.where(Ticket.customer_id == customer_id)
    if order_no:
        statement = statement.where(Order.order_no == order_no)
    return [TicketListing(ticket.ticket_no, ticket.created_at, ticket.skill_group, ticket.priority, ticket.status,
                          ticket.topic, ticket.customer_id, name, number, ticket.summary, ticket.assignee,
                          ticket.closed_at)
            for ticket, number, name in session.execute(statement)]


def _check_filters(status: str | None, skill_group: str | None, priority: str | None, limit: int) -> None:
    if status is not None and status not in LISTED_STATUSES:
        raise DomainError("invalid_input", f"status is one of {', '.join(LISTED_STATUSES)}", field="status")
    groups = sorted(set(SKILL_GROUPS.values()))
    if skill_group is not None and skill_group not in groups:
        raise DomainError("invalid_input", f"skill group is one of {', '.join(groups)}", field="skill_group")
    if priority is not None and priority not in PRIORITIES:
        raise DomainError("invalid_input", f"priority is one of {', '.join(PRIORITIES)}", field="priority")
    if not 1 <= limit <= MAX_LISTED:
        raise DomainError("invalid_input", f"limit is 1-{MAX_LISTED}", field="limit")
