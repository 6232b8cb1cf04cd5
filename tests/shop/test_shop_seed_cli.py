"""Seed determinism/coverage, the demo orders behave as documented, and the CLI."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
from shop_builders import NOW
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.pool import StaticPool

from shop.cli import main
from shop.clock import fixed_clock
from shop.db import init_schema, make_engine
from shop.errors import DomainError
from shop.models import Customer, Order, Payment, Shipment
from shop.seed import (
    DEMO_CUSTOMER_ID,
    DEMO_CUSTOMER_PHONE,
    DEMO_ORDERS,
    OTHER_CUSTOMER_ID,
    OTHER_CUSTOMER_ORDERS,
    seed,
)
from shop.services.cancellation import quote_cancel
from shop.services.exchanges import quote_exchange
from shop.services.orders import get_order_detail
from shop.services.payments import payment_report
from shop.services.returns import quote_return
from shop.services.tracking import get_tracking
from shop.services.verification import check_phone_last4
from shop.tokens import verify_token

clock = fixed_clock(NOW)


def _snapshot(session: Session) -> list[tuple]:
    stmt = (
        select(Order)
        .order_by(Order.order_no)
        .options(selectinload(Order.payments), selectinload(Order.shipment).selectinload(Shipment.events))
    )
    rows = session.execute(stmt).scalars()
    return [
        (
            o.order_no,
            o.status,
            o.created_at,
            o.paid_amount,
            o.ship_by,
            o.delay_reason,
            [(p.method, p.amount, p.status) for p in o.payments],
            [(e.time, e.description) for e in (o.shipment.events if o.shipment else [])],
        )
        for o in rows
    ]


def test_seed_coverage(seeded: Session) -> None:
    assert seeded.execute(select(func.count()).select_from(Customer)).scalar_one() >= 30
    statuses = Counter(seeded.execute(select(Order.status)).scalars())
    assert sum(statuses.values()) >= 200
    assert set(statuses) == {"pending_payment", "paid", "shipped", "delivered", "completed", "cancelled"}
    demo = seeded.get(Customer, DEMO_CUSTOMER_ID)
    assert (demo.name, demo.phone) == ("张三", DEMO_CUSTOMER_PHONE)
    numbers = seeded.execute(select(Order.order_no)).scalars().all()
    assert all(12 <= len(n) <= 19 and n.isdigit() for n in numbers)
    assert seeded.execute(
        select(func.count()).select_from(Payment).where(Payment.status == "failed")
    ).scalar_one()


def test_seed_is_deterministic() -> None:
    snapshots = []
    for _ in range(2):
        engine = create_engine("sqlite://", future=True, poolclass=StaticPool)  # private in-memory DB
        init_schema(engine)
        with Session(engine, future=True) as session:
            seed(session, now=NOW)
            session.commit()
            snapshots.append(_snapshot(session))
    assert snapshots[0] == snapshots[1]


def test_seed_refuses_non_empty_db(seeded: Session) -> None:
    with pytest.raises(DomainError):
        seed(seeded, now=NOW)


@pytest.mark.parametrize(
    ("key", "code"),
    [
        ("awaiting_payment", "awaiting_payment"),
        ("packing_today", "packing_today"),
        ("packing", "packing"),
        ("ship_overdue", "ship_overdue"),
        ("in_transit", "in_transit"),
        ("stuck", "in_transit_late"),
        ("in_transit_delayed", "in_transit_late"),
        ("delivered_in_window", "delivered"),
        ("completed", "completed"),
        ("cancelled", "cancelled"),
    ],
)
def test_demo_orders_progress(seeded: Session, key: str, code: str) -> None:
    assert get_order_detail(seeded, DEMO_CUSTOMER_ID, DEMO_ORDERS[key], clock=clock).progress.code == code


def test_demo_orders_cover_documented_cases(seeded: Session) -> None:
    me = DEMO_CUSTOMER_ID
    assert (
        get_order_detail(seeded, me, DEMO_ORDERS["ship_overdue"], clock=clock).progress.params["delay_reason"]
        == "暴雨导致干线延误"
    )
    assert get_tracking(seeded, me, DEMO_ORDERS["stuck"], clock=clock).claim_eligible
    ok = quote_return(
        seeded, me, DEMO_ORDERS["delivered_in_window"], item_id=None, reason_kind="no_reason", clock=clock
    )
    assert ok.eligible
    late = quote_return(
        seeded, me, DEMO_ORDERS["delivered_out_of_window"], item_id=None, reason_kind="no_reason", clock=clock
    )
    assert late.code == "window_expired"
    assert quote_return(
        seeded, me, DEMO_ORDERS["delivered_out_of_window"], item_id=None, reason_kind="quality", clock=clock
    ).eligible
    for key in ("fresh_food", "custom_made"):
        assert (
            quote_return(
                seeded, me, DEMO_ORDERS[key], item_id=None, reason_kind="no_reason", clock=clock
            ).code
            == "category_not_returnable"
        )
    assert (
        quote_exchange(
            seeded, me, DEMO_ORDERS["exchange_out_of_stock"], item_id=None, target_size="+1", clock=clock
        ).code
        == "out_of_stock"
    )
    assert quote_exchange(
        seeded, me, DEMO_ORDERS["delivered_in_window"], item_id=None, target_size="L", clock=clock
    ).eligible
    assert payment_report(seeded, me, DEMO_ORDERS["double_charge"]).duplicate_charge is not None
    assert payment_report(seeded, me, DEMO_ORDERS["payment_failed"]).failed_reasons == [
        "insufficient_balance",
        "card_limit",
    ]
    assert payment_report(seeded, me, DEMO_ORDERS["paid_not_updated"]).paid_but_unpaid
    assert quote_cancel(seeded, me, DEMO_ORDERS["in_transit"]).code == "already_shipped"
    assert (
        quote_return(
            seeded, me, DEMO_ORDERS["return_in_progress"], item_id=None, reason_kind="no_reason", clock=clock
        ).code
        == "already_requested"
    )
    assert check_phone_last4(seeded, DEMO_ORDERS["stuck"], "1234", clock=clock).customer_id == me
    with pytest.raises(DomainError, match="not_found"):
        get_order_detail(seeded, me, OTHER_CUSTOMER_ORDERS["in_transit"], clock=clock)
    assert get_order_detail(seeded, OTHER_CUSTOMER_ID, OTHER_CUSTOMER_ORDERS["in_transit"], clock=clock)


# --- CLI -------------------------------------------------------------------------------


def test_cli_flow(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = f"sqlite:///{tmp_path / 'cli' / 'shop.db'}"
    assert main(["--db", db, "init"]) == 0
    assert main(["--db", db, "seed", "--now", NOW.isoformat()]) == 0
    assert main(["--db", db, "seed"]) == 1
    capsys.readouterr()
    assert main(["--db", db, "show", DEMO_ORDERS["stuck"]]) == 0
    out = capsys.readouterr().out
    assert DEMO_ORDERS["stuck"] in out and "138****1234" in out and "13800001234" not in out
    assert main(["--db", db, "show", "000"]) == 1
    assert "not found" in capsys.readouterr().err
    assert main(["--db", db, "reset", "--now", "2024-06-15T10:00:00"]) == 0


def test_cli_import_error_and_token(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = f"sqlite:///{tmp_path / 'shop.db'}"
    main(["--db", db, "init"])
    bad = tmp_path / "bad.json"
    bad.write_text('{"orders": [{"order_no": "1"}]}', encoding="utf-8")
    assert main(["--db", db, "import", str(bad)]) == 1
    assert "orders[0]" in capsys.readouterr().err
    assert main(["token", "1", "--ttl", "120"]) == 0
    token = capsys.readouterr().out.strip()
    assert verify_token(token) == 1


def test_cli_usage_error_exit_2() -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["frobnicate"])
    assert exit_info.value.code == 2
    with pytest.raises(SystemExit) as exit_info:
        main(["seed", "--now", "tomorrow"])
    assert exit_info.value.code == 2


def test_seed_now_with_timezone_is_converted(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'tz.db'}"
    main(["--db", db, "init"])
    assert main(["--db", db, "seed", "--now", "2024-06-15T02:00:00+00:00"]) == 0
    with Session(make_engine(db), future=True) as session:
        row = session.execute(
            select(Order).where(Order.order_no == DEMO_ORDERS["awaiting_payment"])
        ).scalar_one()
        assert row.created_at == datetime(2024, 6, 15, 9, 0)
