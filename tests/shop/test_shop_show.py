"""`python -m shop show ORDER` prints everything the shop keeps about an order, personal data masked."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from shop_builders import NOW
from sqlalchemy import select

from shop.cli import main
from shop.db import make_engine, session_scope
from shop.models import Claim, DeliveryIssue, Order, SatisfactionRating, ShippingReminder, Ticket
from shop.seed import DEMO_ORDERS


def test_show_lists_claims_issues_tickets_ratings_and_reminders(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    db = f"sqlite:///{tmp_path / 'shop.db'}"
    assert main(["--db", db, "init"]) == 0
    assert main(["--db", db, "seed", "--now", NOW.isoformat()]) == 0
    order_no = DEMO_ORDERS["stuck"]
    with session_scope(make_engine(db)) as session:
        order = session.execute(select(Order).where(Order.order_no == order_no)).scalar_one()
        session.add_all([
            Claim(claim_no="CL-TEST-1", order_id=order.id, kind="stuck", status="open", amount=Decimal("10.00"),
                  created_at=NOW),
            DeliveryIssue(issue_no="DI-TEST-1", order_id=order.id, problem="not_received", remedy="reship",
                          evidence_urls=[], status="open", created_at=NOW),
            ShippingReminder(order_id=order.id, created_at=NOW - timedelta(hours=1)),
            Ticket(ticket_no="TK-TEST-1", customer_id=order.customer_id, order_id=order.id,
                   conversation_id="shopper-1", topic="logistics_issue", skill_group="物流", priority="high",
                   status="open", created_at=NOW),
            SatisfactionRating(conversation_id="shopper-1", rating=2, comment="太慢了", created_at=NOW,
                               updated_at=NOW),
        ])
    capsys.readouterr()
    assert main(["--db", db, "show", order_no]) == 0
    out = capsys.readouterr().out
    for expected in ("CL-TEST-1 stuck open amount=10.00", "DI-TEST-1 not_received remedy=reship open",
                     "TK-TEST-1 logistics_issue 物流 high open", "2/5", "太慢了", "shipping reminders:\n    "):
        assert expected in out
    assert "13800001234" not in out
