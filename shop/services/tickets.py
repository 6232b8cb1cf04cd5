"""Human hand-off tickets routed to a skill group with a priority."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from shop.clock import Clock
from shop.errors import DomainError, not_found
from shop.models import Order, Ticket
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


def assign_ticket(session: Session, ticket_no: str, *, assignee: str, clock: Clock) -> TicketView:
    """Agent takes the ticket (open -> assigned). Back-office call, not customer-scoped."""
    ticket = _load(session, ticket_no)
    _move(ticket, "assigned")
    ticket.assignee = assignee
    session.flush()
    return ticket_view(session, ticket, created=False)


def close_ticket(session: Session, ticket_no: str, *, clock: Clock) -> TicketView:
    """Close the ticket (from open or assigned); a new ticket may then be opened for the chat."""
    ticket = _load(session, ticket_no)
    _move(ticket, "closed")
    ticket.closed_at = clock()
    session.flush()
    return ticket_view(session, ticket, created=False)
