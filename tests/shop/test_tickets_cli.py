"""`python -m shop tickets` lists hand-off tickets newest first, filtered; `tickets close` closes one
(idempotent, an unknown number exits with 2 and changes nothing); the desk closes through the same rule."""

from __future__ import annotations

import unicodedata
from datetime import timedelta
from pathlib import Path

import pytest
from shop_builders import NOW, fixed_clock
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shop.cli import format_table, main
from shop.db import make_engine, session_scope
from shop.errors import DomainError
from shop.models import Ticket, TicketNote
from shop.seed import DEMO_CUSTOMER_ID, DEMO_ORDERS
from shop.services.tickets import close_ticket, list_tickets, open_ticket


@pytest.fixture()
def db(tmp_path: Path) -> str:
    """A seeded SQLite shop with three tickets: an urgent complaint about the stuck parcel (oldest), a
    pre-sale question of nobody in particular, and a closed return ticket (newest)."""
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    assert main(["--db", url, "reset", "--now", NOW.isoformat()]) == 0
    with session_scope(make_engine(url)) as session:
        open_ticket(session, customer_id=DEMO_CUSTOMER_ID, order_no=DEMO_ORDERS["stuck"], topic="complain",
                    summary="物流三天没动了\n客户很着急", conversation_id="conv-stuck", clock=fixed_clock(NOW))
        open_ticket(session, customer_id=None, order_no=None, topic="product_inquiry", summary="能开发票吗",
                    conversation_id="conv-anon", clock=fixed_clock(NOW + timedelta(hours=1)))
        done = open_ticket(session, customer_id=DEMO_CUSTOMER_ID, order_no=DEMO_ORDERS["delivered_in_window"],
                           topic="return_goods", summary="退货", conversation_id="conv-return",
                           clock=fixed_clock(NOW + timedelta(hours=2)))
        close_ticket(session, done.ticket_no, closed_by="mei", clock=fixed_clock(NOW + timedelta(hours=3)))
    return url


def _topics(session: Session, **filters: object) -> list[str]:
    return [t.topic for t in list_tickets(session, **filters)]  # type: ignore[arg-type]


def test_the_list_is_newest_first_and_each_filter_narrows_it(db: str) -> None:
    with session_scope(make_engine(db)) as session:
        assert _topics(session) == ["return_goods", "product_inquiry", "complain"]
        assert _topics(session, status="open") == ["product_inquiry", "complain"]
        assert _topics(session, status="closed") == ["return_goods"]
        assert _topics(session, skill_group="物流") == ["complain"]  # a complaint about a parcel on its way
        assert _topics(session, priority="high") == ["complain"]
        assert _topics(session, customer_id=DEMO_CUSTOMER_ID) == ["return_goods", "complain"]
        assert _topics(session, order_no=DEMO_ORDERS["stuck"]) == ["complain"]
        assert _topics(session, order_no="8800000000000000") == []
        assert _topics(session, limit=1) == ["return_goods"]
        for bad in ({"status": "pending"}, {"skill_group": "x"}, {"priority": "urgent"}, {"limit": 0}):
            with pytest.raises(DomainError, match="invalid_input"):
                list_tickets(session, **bad)  # type: ignore[arg-type]


def test_the_cli_prints_a_readable_table(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["--db", db, "tickets"]) == 0
    header, rule, *rows = capsys.readouterr().out.splitlines()
    assert header.split() == ["ticket", "created", "group", "priority", "status", "customer", "order", "summary"]
    assert set(rule.replace(" ", "")) == {"-"} and len(rows) == 3
    assert "closed" in rows[0] and "售前" in rows[1] and "-" in rows[1].split()
    complaint = rows[2]
    for shown in ("物流", "high", "open", f"#{DEMO_CUSTOMER_ID} 张*", DEMO_ORDERS["stuck"],
                  "物流三天没动了 客户很着急"):
        assert shown in complaint
    assert "张三" not in complaint  # the customer's name is masked, as in `show`
    assert main(["--db", db, "tickets", "--open", "--group", "物流", "--priority", "high"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 3
    assert main(["--db", db, "tickets", "--customer", "999"]) == 0
    assert capsys.readouterr().out.strip() == "no tickets"


def _columns(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def test_the_table_aligns_chinese_text() -> None:
    header, _, first, second = format_table(["a", "b"], [["售后", "x"], ["ab", "y"]])
    assert _columns(first[:first.index("x")]) == _columns(second[:second.index("y")]) == header.index("b") == 6


def test_closing_by_the_cli_is_idempotent_and_keeps_the_note(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    with session_scope(make_engine(db)) as session:
        [ticket_no] = [t.ticket_no for t in list_tickets(session, status="open", priority="high")]
    assert main(["--db", db, "tickets", "close", ticket_no, "--note", "已电话联系客户", "--by", "lan"]) == 0
    assert f"ticket {ticket_no} closed" in capsys.readouterr().out
    with Session(make_engine(db), future=True) as session:
        ticket = session.execute(select(Ticket).where(Ticket.ticket_no == ticket_no)).scalar_one()
        first = (ticket.status, ticket.closed_at, ticket.closed_by)
        assert first[0] == "closed" and first[2] == "lan"
    assert main(["--db", db, "tickets", "close", ticket_no, "--note", "again", "--by", "mei"]) == 0
    assert "already closed" in capsys.readouterr().out
    with Session(make_engine(db), future=True) as session:
        ticket = session.execute(select(Ticket).where(Ticket.ticket_no == ticket_no)).scalar_one()
        assert (ticket.status, ticket.closed_at, ticket.closed_by) == first
        notes = session.execute(select(TicketNote.text).where(TicketNote.ticket_id == ticket.id)).scalars().all()
        assert notes == ["已电话联系客户"]


def _state(db: str) -> list[tuple]:
    with Session(make_engine(db), future=True) as session:
        tickets = session.execute(select(Ticket.ticket_no, Ticket.status, Ticket.closed_at, Ticket.closed_by)
                                  .order_by(Ticket.id)).all()
        return [*tickets, session.execute(select(func.count()).select_from(TicketNote)).scalar_one()]


@pytest.mark.parametrize("ticket_no", ["TK000000000000", "", "x" * 200])
def test_closing_an_unknown_ticket_exits_with_2_and_changes_nothing(
    db: str, ticket_no: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _state(db)
    assert main(["--db", db, "tickets", "close", ticket_no, "--note", "x"]) == 2
    assert "no ticket" in capsys.readouterr().err
    assert _state(db) == before


def test_a_note_too_long_closes_nothing(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    with session_scope(make_engine(db)) as session:
        ticket_no = list_tickets(session, status="open")[0].ticket_no
    before = _state(db)
    assert main(["--db", db, "tickets", "close", ticket_no, "--note", "长" * 2001]) == 1
    assert "note" in capsys.readouterr().err
    assert _state(db) == before
