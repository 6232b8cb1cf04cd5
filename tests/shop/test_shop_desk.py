"""The agents' desk rules: accounts and sessions, the queue by skill group, one claim at a time, notes,
closing with who and when, canned replies editable by admins only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from shop_builders import NOW
from sqlalchemy import select
from sqlalchemy.orm import Session

from shop.clock import fixed_clock
from shop.errors import DomainError
from shop.models import Agent, AgentSession, Ticket
from shop.seed import DEMO_CUSTOMER_ID, DEMO_ORDERS
from shop.services import agents, desk
from shop.services.tickets import open_ticket

CLOCK = fixed_clock(NOW)


def make_agent(session: Session, username: str, groups: tuple[str, ...] = ("售后",), role: str = "agent"
               ) -> agents.AgentView:
    return agents.add_agent(session, username=username, password="correct horse", display_name=username.title(),
                            role=role, skill_groups=groups, clock=CLOCK)


def make_ticket(session: Session, topic: str, conversation: str, minutes_ago: int = 0, order: str = "stuck") -> str:
    view = open_ticket(session, customer_id=DEMO_CUSTOMER_ID, order_no=DEMO_ORDERS[order], topic=topic,
                       summary="topic: x", conversation_id=conversation,
                       clock=fixed_clock(NOW - timedelta(minutes=minutes_ago)))
    return view.ticket_no


def test_passwords_are_scrypt_hashes_that_only_the_right_password_matches() -> None:
    stored = agents.hash_password("correct horse")
    assert stored.startswith("scrypt$") and "correct horse" not in stored
    assert agents.password_matches("correct horse", stored)
    assert not agents.password_matches("correct horsE", stored)
    assert agents.hash_password("correct horse") != stored  # salted
    assert not agents.password_matches("x", "garbage")


def test_agent_accounts_are_checked(seeded: Session) -> None:
    make_agent(seeded, "mei")
    for bad in ({"username": "mei"}, {"username": "x y"}, {"password": "short"}, {"role": "boss"}):
        fields = {"username": "new", "password": "long enough", "display_name": "", "role": "agent",
                  "skill_groups": ("售后",), "clock": CLOCK, **bad}
        with pytest.raises(DomainError) as error:
            agents.add_agent(seeded, **fields)
        assert error.value.code == "invalid_input"
    assert agents.parse_skill_groups("售后，物流 售后") == ("售后", "物流")
    with pytest.raises(DomainError):
        agents.parse_skill_groups("售后,仓库")


def test_sign_in_gives_a_session_whose_secret_is_not_stored(seeded: Session) -> None:
    make_agent(seeded, "mei")
    assert agents.sign_in(seeded, "mei", "wrong password", clock=CLOCK) is None
    assert agents.sign_in(seeded, "nobody", "correct horse", clock=CLOCK) is None
    secret, session = agents.sign_in(seeded, "MEI", "correct horse", clock=CLOCK)
    stored = seeded.execute(select(AgentSession.token_hash)).scalars().all()
    assert secret not in stored and len(stored) == 1
    found = agents.session_for(seeded, secret, clock=CLOCK)
    assert found is not None and found.agent.username == "mei" and found.csrf_token == session.csrf_token
    assert agents.csrf_matches(found, session.csrf_token) and not agents.csrf_matches(found, "forged")
    assert agents.session_for(seeded, secret, clock=fixed_clock(NOW + timedelta(hours=13))) is None  # expired
    seeded.execute(select(Agent)).scalar_one().active = False
    assert agents.session_for(seeded, secret, clock=CLOCK) is None  # a disabled agent is signed out
    agents.sign_out(seeded, secret)
    assert seeded.execute(select(AgentSession)).first() is None


def test_password_guessing_locks_the_name_and_the_address_for_a_while(seeded: Session) -> None:
    make_agent(seeded, "mei")
    for n in range(agents.SIGN_IN_MAX_FAILURES_PER_NAME):
        assert agents.sign_in(seeded, "mei", f"guess {n}", clock=CLOCK, client=f"198.51.100.{n}") is None
    # locked: even the right password is refused, from any address, until the failures age out
    assert agents.sign_in(seeded, "mei", "correct horse", clock=CLOCK, client="203.0.113.1") is None
    later = fixed_clock(NOW + agents.SIGN_IN_WINDOW + timedelta(minutes=1))
    assert agents.sign_in(seeded, "mei", "correct horse", clock=later, client="203.0.113.1") is not None
    # one address guessing across many names is stopped too
    make_agent(seeded, "lan")
    for n in range(agents.SIGN_IN_MAX_FAILURES_PER_CLIENT):
        agents.sign_in(seeded, f"name{n}", "guess", clock=later, client="192.0.2.66")
    assert agents.sign_in(seeded, "lan", "correct horse", clock=later, client="192.0.2.66") is None
    assert agents.sign_in(seeded, "lan", "correct horse", clock=later, client="192.0.2.67") is not None


def test_queue_shows_the_agents_groups_high_priority_then_longest_waiting(seeded: Session) -> None:
    after_sales = make_agent(seeded, "mei", ("售后",))
    logistics = make_agent(seeded, "lei", ("物流",))
    admin = make_agent(seeded, "boss", ("售后",), role="admin")
    older = make_ticket(seeded, "return_goods", "c1", minutes_ago=30)
    newer = make_ticket(seeded, "return_goods", "c2", minutes_ago=5)
    urgent = make_ticket(seeded, "complain", "c3", minutes_ago=1, order="delivered_in_window")
    parcel = make_ticket(seeded, "logistics_issue", "c4", minutes_ago=60)
    assert [e.ticket_no for e in desk.queue(seeded, after_sales, clock=CLOCK)] == [urgent, older, newer]
    assert [e.ticket_no for e in desk.queue(seeded, logistics, clock=CLOCK)] == [parcel]
    assert len(desk.queue(seeded, admin, clock=CLOCK)) == 4
    entry = desk.queue(seeded, logistics, clock=CLOCK)[0]
    assert entry.skill_group == "物流" and entry.waiting_seconds == 3600 and entry.order_no == DEMO_ORDERS["stuck"]
    with pytest.raises(DomainError) as error:  # another group's ticket is not shown
        desk.ticket_detail(seeded, logistics, older, clock=CLOCK)
    assert error.value.code == "not_found"


def test_one_agent_at_a_time_then_only_the_holder_closes_and_it_is_recorded(seeded: Session) -> None:
    mei, lan = make_agent(seeded, "mei"), make_agent(seeded, "lan")
    ticket_no = make_ticket(seeded, "return_goods", "conv-9", minutes_ago=10)
    with pytest.raises(DomainError):
        desk.conversation_of_held_ticket(seeded, mei, ticket_no)  # no reply before claiming
    assert desk.claim(seeded, mei, ticket_no, clock=CLOCK) == "conv-9"
    assert desk.claim(seeded, mei, ticket_no, clock=CLOCK) == "conv-9"  # again: no change
    with pytest.raises(DomainError) as taken:
        desk.claim(seeded, lan, ticket_no, clock=CLOCK)
    assert taken.value.code == "illegal_transition" and taken.value.details["assignee"] == "mei"
    with pytest.raises(DomainError):
        desk.close(seeded, lan, ticket_no, clock=CLOCK)
    desk.add_note(seeded, lan, ticket_no, "顾客很着急", clock=CLOCK)
    later = fixed_clock(NOW + timedelta(minutes=7))
    assert desk.close(seeded, mei, ticket_no, clock=later) == "conv-9"
    ticket = seeded.execute(select(Ticket).where(Ticket.ticket_no == ticket_no)).scalar_one()
    assert (ticket.status, ticket.closed_by, ticket.closed_at - ticket.claimed_at) == ("closed", "mei",
                                                                                       timedelta(minutes=7))
    detail = desk.ticket_detail(seeded, mei, ticket_no, clock=later)
    assert [n.text for n in detail.notes] == ["顾客很着急"]
    assert any(order.order_no == DEMO_ORDERS["stuck"] for order in detail.orders)
    assert desk.close(seeded, mei, ticket_no, clock=fixed_clock(NOW + timedelta(hours=1))) == "conv-9"  # again
    assert seeded.execute(select(Ticket.closed_at).where(Ticket.ticket_no == ticket_no)).scalar_one() == later()
    with pytest.raises(DomainError):
        desk.close(seeded, lan, ticket_no, clock=later)  # someone else cannot


def test_resuming_the_bot_closes_the_conversations_open_ticket_once(seeded: Session) -> None:
    ticket_no = make_ticket(seeded, "return_goods", "conv-r")
    assert desk.close_for_conversation(seeded, "conv-r", closed_by="api", clock=CLOCK) == ticket_no
    assert desk.close_for_conversation(seeded, "conv-r", closed_by="api", clock=CLOCK) is None


def test_the_hand_back_closes_a_held_ticket_in_the_agents_name(seeded: Session) -> None:
    """The desk hands back first (the bot's action closes the ticket), then records the close: no error."""
    mei = make_agent(seeded, "mei")
    ticket_no = make_ticket(seeded, "return_goods", "conv-h")
    desk.claim(seeded, mei, ticket_no, clock=CLOCK)
    assert desk.close_for_conversation(seeded, "conv-h", closed_by="api", clock=CLOCK) == ticket_no
    assert desk.close(seeded, mei, ticket_no, clock=CLOCK) == "conv-h"
    assert seeded.execute(select(Ticket.closed_by).where(Ticket.ticket_no == ticket_no)).scalar_one() == "mei"


def test_notes_and_replies_have_a_size(seeded: Session) -> None:
    mei = make_agent(seeded, "mei")
    ticket_no = make_ticket(seeded, "return_goods", "conv-n")
    for text in ("", "   ", "x" * 2001):
        with pytest.raises(DomainError):
            desk.add_note(seeded, mei, ticket_no, text, clock=CLOCK)
    with pytest.raises(DomainError):
        desk.check_reply("x" * 1001)
    assert desk.check_reply("  好的  ") == "好的"


def test_canned_replies_are_loaded_once_and_edited_by_admins_only(seeded: Session) -> None:
    added = desk.ensure_default_canned_replies(seeded, clock=CLOCK)
    assert added >= 5 and desk.ensure_default_canned_replies(seeded, clock=CLOCK) == 0
    kinds = {reply.kind for reply in desk.canned_replies(seeded)}
    assert kinds == {"scene", "comfort"}
    agent, admin = make_agent(seeded, "mei"), make_agent(seeded, "boss", role="admin")
    with pytest.raises(DomainError):
        desk.save_canned_reply(seeded, agent, reply_id=None, kind="scene", title="t", text="x", clock=CLOCK)
    saved = desk.save_canned_reply(seeded, admin, reply_id=None, kind="comfort", title="新", text="别急", clock=CLOCK)
    edited = desk.save_canned_reply(seeded, admin, reply_id=saved.id, kind="scene", title="新", text="马上",
                                    clock=CLOCK)
    assert (edited.kind, edited.text) == ("scene", "马上")
    desk.delete_canned_reply(seeded, admin, saved.id)
    assert saved.id not in {reply.id for reply in desk.canned_replies(seeded)}
