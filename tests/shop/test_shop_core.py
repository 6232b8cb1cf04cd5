"""States, tokens, privacy, service hours, config, db helpers."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from shop_builders import NOW, catalogue, clock, customer, order
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shop import db as shop_db
from shop.clock import system_clock
from shop.config import DEFAULT_DB_URL, get_settings
from shop.errors import DomainError
from shop.models import AfterSaleRequest, Customer, Order
from shop.privacy import mask_name, mask_phone, mask_street
from shop.services.service_hours import is_within_service_hours, next_opening
from shop.states import transition
from shop.tokens import mint_token, verify_token

SECRET = "test-secret"


# --- state machines ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "target", "stamp"),
    [
        ("pending_payment", "paid", "paid_at"),
        ("paid", "cancelled", "cancelled_at"),
        ("shipped", "delivered", "delivered_at"),
        ("delivered", "completed", "completed_at"),
    ],
)
def test_order_legal_transitions_set_timestamps(start: str, target: str, stamp: str) -> None:
    row = Order(status=start)
    transition(row, target, clock)
    assert row.status == target and getattr(row, stamp) == NOW


@pytest.mark.parametrize(
    ("start", "target"),
    [
        ("shipped", "cancelled"),
        ("delivered", "cancelled"),
        ("cancelled", "paid"),
        ("completed", "delivered"),
        ("pending_payment", "shipped"),
        ("paid", "paid"),
    ],
)
def test_order_illegal_transitions_change_nothing(start: str, target: str) -> None:
    row = Order(status=start)
    with pytest.raises(DomainError) as err:
        transition(row, target, clock)
    assert err.value.code == "illegal_transition"
    assert start in err.value.message and target in err.value.message
    assert row.status == start and row.cancelled_at is None and row.paid_at is None


def test_after_sale_machine_per_type() -> None:
    ret = AfterSaleRequest(type="return", status="requested")
    for status in ("approved", "return_shipped", "received", "refunded"):
        transition(ret, status, clock)
    assert [e.status for e in ret.events] == ["approved", "return_shipped", "received", "refunded"]
    with pytest.raises(DomainError):
        transition(AfterSaleRequest(type="return", status="received"), "exchanged", clock)
    with pytest.raises(DomainError):
        transition(AfterSaleRequest(type="return", status="return_shipped"), "rejected", clock)
    rejected = AfterSaleRequest(type="exchange", status="approved")
    transition(rejected, "rejected", clock)
    assert rejected.status == "rejected"
    refund = AfterSaleRequest(type="refund_only", status="approved")
    transition(refund, "refunded", clock)
    assert refund.status == "refunded"


def test_illegal_transition_in_session_scope_writes_nothing(engine: object, db_session: Session) -> None:
    buyer = customer(db_session)
    row = order(db_session, buyer, [(catalogue(db_session)["CUP"], 1)], status="shipped")
    db_session.commit()
    with pytest.raises(DomainError), shop_db.session_scope(engine) as session:  # type: ignore[arg-type]
        loaded = session.get(Order, row.id)
        loaded.delay_reason = "should be rolled back"
        transition(loaded, "cancelled", clock)
    db_session.expire_all()
    assert db_session.get(Order, row.id).status == "shipped"
    assert db_session.get(Order, row.id).delay_reason is None


def test_session_scope_commits_on_success(engine: object, db_session: Session) -> None:
    with shop_db.session_scope(engine) as session:  # type: ignore[arg-type]
        customer(session, "王五", "13900000000")
    assert db_session.execute(select(func.count()).select_from(Customer)).scalar_one() == 1


# --- tokens --------------------------------------------------------------------------


def test_token_roundtrip_and_expiry_boundary() -> None:
    token = mint_token(7, ttl_seconds=60, secret=SECRET, now=NOW)
    assert verify_token(token, secret=SECRET, now=NOW + timedelta(seconds=59)) == 7
    with pytest.raises(DomainError) as err:
        verify_token(token, secret=SECRET, now=NOW + timedelta(seconds=60))
    assert err.value.code == "token_expired"
    assert all(c.isalnum() or c in "-_." for c in token)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # signature tampered
        lambda t: "eyJ" + t[3:],  # payload tampered
        lambda t: t.replace(".", ""),  # malformed
        lambda t: "",
        lambda t: t + ".x",
        lambda t: "not a token at all",
    ],
)
def test_token_tampering_is_invalid(mutate: object) -> None:
    token = mint_token(7, secret=SECRET, now=NOW)
    with pytest.raises(DomainError) as err:
        verify_token(mutate(token), secret=SECRET, now=NOW)  # type: ignore[operator]
    assert err.value.code == "invalid_token"


def test_token_other_secret_and_forged_customer() -> None:
    token = mint_token(7, secret=SECRET, now=NOW)
    with pytest.raises(DomainError, match="invalid_token"):
        verify_token(token, secret="other", now=NOW)
    import base64

    forged_payload = base64.urlsafe_b64encode(b"v1:8:9999999999").rstrip(b"=").decode()
    with pytest.raises(DomainError, match="invalid_token"):
        verify_token(forged_payload + "." + token.split(".")[1], secret=SECRET, now=NOW)


def test_token_rejects_bad_input() -> None:
    with pytest.raises(DomainError, match="invalid_input"):
        mint_token(0, secret=SECRET)
    with pytest.raises(DomainError, match="invalid_input"):
        mint_token(1, ttl_seconds=0, secret=SECRET)


def test_token_uses_env_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOP_TOKEN_SECRET", "from-env")
    token = mint_token(3, now=NOW)
    assert verify_token(token, secret="from-env", now=NOW) == 3


# --- privacy, hours, config, engine --------------------------------------------------


def test_masks() -> None:
    assert mask_phone("13812341234") == "138****1234"
    assert mask_name("张三") == "张*" and mask_name("欧阳娜娜") == "欧***"
    masked = mask_street("科技园路88号3栋502")
    assert masked.startswith("科技园路") and "502" not in masked and masked.endswith("****")


@pytest.mark.parametrize(
    ("moment", "inside", "opening"),
    [
        ("2024-06-15 08:59", False, "2024-06-15 09:00"),
        ("2024-06-15 09:00", True, "2024-06-15 09:00"),
        ("2024-06-15 21:59", True, "2024-06-15 21:59"),
        ("2024-06-15 22:00", False, "2024-06-16 09:00"),
        ("2024-06-15 23:30", False, "2024-06-16 09:00"),
    ],
)
def test_service_hours(moment: str, inside: bool, opening: str) -> None:
    now = datetime.fromisoformat(moment)
    assert is_within_service_hours(now, "09:00-22:00") is inside
    assert next_opening(now, "09:00-22:00") == datetime.fromisoformat(opening)


def test_service_hours_overnight_and_invalid() -> None:
    assert is_within_service_hours(datetime(2024, 1, 1, 23, 0), "22:00-06:00")
    assert not is_within_service_hours(datetime(2024, 1, 1, 12, 0), "22:00-06:00")
    with pytest.raises(DomainError, match="invalid_input"):
        is_within_service_hours(NOW, "9 to 5")


def test_settings_defaults_and_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SHOP_DB_URL", "SHOP_TOKEN_SECRET", "SHOP_STUCK_AFTER_HOURS", "SHOP_SERVICE_HOURS"):
        monkeypatch.delenv(name, raising=False)
    settings = get_settings()
    assert settings.db_url == DEFAULT_DB_URL and settings.stuck_after_hours == 72
    assert settings.service_hours == "09:00-22:00"
    monkeypatch.setenv("SHOP_STUCK_AFTER_HOURS", "48")
    assert get_settings().stuck_after_hours == 48


def test_make_engine_creates_dir_lazily_and_caches(tmp_path: object) -> None:
    target = tmp_path / "nested" / "var" / "shop.db"  # type: ignore[operator]
    url = f"sqlite:///{target}"
    assert not target.parent.exists()
    engine = shop_db.make_engine(url)
    assert target.parent.exists() and shop_db.make_engine(url) is engine
    shop_db.init_schema(engine)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    shop_db.drop_schema(engine)


def test_system_clock_is_naive_shanghai() -> None:
    now = system_clock()
    utc = datetime.utcnow()
    assert now.tzinfo is None and abs((now - utc) - timedelta(hours=8)) < timedelta(minutes=1)
