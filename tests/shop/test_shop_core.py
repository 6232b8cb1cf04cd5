"""States, tokens, privacy, service hours, config, db helpers."""

from __future__ import annotations

import base64
import time
from datetime import datetime, timedelta
from pathlib import Path

import jwt
import pytest
from shop_builders import NOW, catalogue, clock, customer, order
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shop import db as shop_db
from shop.clock import system_clock
from shop.config import DEFAULT_DB_URL, ConfigError, check_serving_config, get_settings
from shop.errors import DomainError
from shop.models import AfterSaleRequest, Customer, Order
from shop.privacy import mask_name, mask_phone, mask_street
from shop.services.service_hours import is_within_service_hours, next_opening
from shop.states import transition
from shop.tokens import mint_token, verify_token

SECRET = "test-secret-of-at-least-32-bytes-for-hs256"


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


def test_token_is_a_standard_jwt_that_any_library_mints() -> None:
    """A shop back-end mints with its own JWT library: Unix-time claims, sub as a string."""
    issued = int(time.time())
    foreign = jwt.encode({"sub": "7", "iat": issued, "exp": issued + 60}, SECRET, algorithm="HS256")
    assert verify_token(foreign, secret=SECRET) == 7
    claims = jwt.decode(mint_token(7, secret=SECRET), SECRET, algorithms=["HS256"])
    assert claims["sub"] == "7" and abs(claims["iat"] - issued) <= 2 and claims["exp"] - claims["iat"] == 86400


def test_token_expiry_is_unix_time_not_shop_local_time() -> None:
    """Expired an hour ago by the Unix clock: refused (the old token counted from naive +08:00 time)."""
    now = int(time.time())
    stale = jwt.encode({"sub": "7", "iat": now - 7200, "exp": now - 3600}, SECRET, algorithm="HS256")
    with pytest.raises(DomainError, match="token_expired"):
        verify_token(stale, secret=SECRET)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # signature tampered
        lambda t: t.split(".")[0] + "." + base64.urlsafe_b64encode(b'{"sub":"8","iat":1,"exp":9999999999}')
        .rstrip(b"=").decode() + "." + t.split(".")[2],  # payload swapped for another customer's
        lambda t: t.replace(".", ""),  # malformed
        lambda t: "",
        lambda t: t + ".x",
        lambda t: "not a token at all",
        lambda t: "a" * 5000,
    ],
)
def test_token_tampering_is_invalid(mutate: object) -> None:
    token = mint_token(7, secret=SECRET, now=NOW)
    with pytest.raises(DomainError) as err:
        verify_token(mutate(token), secret=SECRET, now=NOW)  # type: ignore[operator]
    assert err.value.code == "invalid_token"


def test_token_other_secret_none_algorithm_and_bad_subjects() -> None:
    token = mint_token(7, secret=SECRET, now=NOW)
    with pytest.raises(DomainError, match="invalid_token"):
        verify_token(token, secret="another-secret-of-at-least-32-bytes", now=NOW)
    exp = int(time.time()) + 60
    unsigned = jwt.encode({"sub": "7", "iat": 1, "exp": exp}, None, algorithm="none")
    with pytest.raises(DomainError, match="invalid_token"):
        verify_token(unsigned, secret=SECRET)
    for subject in ("0", "-1", "abc", "1e3", 7):
        forged = jwt.encode({"sub": subject, "iat": 1, "exp": exp}, SECRET, algorithm="HS256")
        with pytest.raises(DomainError, match="invalid_token"):
            verify_token(forged, secret=SECRET)
    no_expiry = jwt.encode({"sub": "7", "iat": 1}, SECRET, algorithm="HS256")
    with pytest.raises(DomainError, match="invalid_token"):
        verify_token(no_expiry, secret=SECRET)


def test_token_audience_and_issuer_are_checked_when_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOP_TOKEN_AUDIENCE", "xiaoer")
    monkeypatch.setenv("SHOP_TOKEN_ISSUER", "https://shop.example")
    assert verify_token(mint_token(7, secret=SECRET), secret=SECRET) == 7
    exp = int(time.time()) + 60
    for claims in ({"aud": "other", "iss": "https://shop.example"}, {"aud": "xiaoer", "iss": "https://evil"}, {}):
        token = jwt.encode({"sub": "7", "iat": 1, "exp": exp, **claims}, SECRET, algorithm="HS256")
        with pytest.raises(DomainError, match="invalid_token"):
            verify_token(token, secret=SECRET)


def test_token_rs256_with_a_public_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_path = tmp_path / "public.pem"
    public_path.write_bytes(key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    monkeypatch.setenv("SHOP_TOKEN_ALGORITHM", "RS256")
    monkeypatch.setenv("SHOP_TOKEN_PUBLIC_KEY", str(public_path))
    exp = int(time.time()) + 60
    shop_minted = jwt.encode({"sub": "7", "iat": 1, "exp": exp}, private_pem, algorithm="RS256")
    assert verify_token(shop_minted) == 7
    # key confusion: an HS256 token signed with the public key's text is refused
    confused = jwt.encode({"sub": "7", "iat": 1, "exp": exp}, "not-the-private-key", algorithm="HS256")
    with pytest.raises(DomainError, match="invalid_token"):
        verify_token(confused)


def test_token_rejects_bad_input() -> None:
    with pytest.raises(DomainError, match="invalid_input"):
        mint_token(0, secret=SECRET)
    with pytest.raises(DomainError, match="invalid_input"):
        mint_token(1, ttl_seconds=0, secret=SECRET)


def test_token_uses_env_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOP_TOKEN_SECRET", "from-env-secret-of-at-least-32-bytes")
    token = mint_token(3, now=NOW)
    assert verify_token(token, secret="from-env-secret-of-at-least-32-bytes", now=NOW) == 3


def test_no_usable_secret_in_the_source(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A demo generates its own random secret once (0600); production refuses to run without one."""
    monkeypatch.delenv("SHOP_TOKEN_SECRET", raising=False)
    monkeypatch.delenv("XIAOER_API_TOKEN", raising=False)
    monkeypatch.setenv("XIAOER_SECRETS_DIR", str(tmp_path / "secrets"))
    first = get_settings().token_secret
    assert len(first) >= 40 and first == get_settings().token_secret
    assert (tmp_path / "secrets" / "token_secret").stat().st_mode & 0o777 == 0o600
    assert get_settings().api_token not in (first, "")
    monkeypatch.setenv("XIAOER_SECRETS_DIR", str(tmp_path / "other"))
    assert get_settings().token_secret != first
    monkeypatch.setenv("SHOP_ENV", "production")
    with pytest.raises(ConfigError, match="SHOP_TOKEN_SECRET"):
        check_serving_config()
    monkeypatch.setenv("SHOP_TOKEN_SECRET", "too-short")
    with pytest.raises(ConfigError, match="SHOP_TOKEN_SECRET must be at least 32"):
        check_serving_config()
    monkeypatch.setenv("SHOP_TOKEN_SECRET", "s" * 40)
    with pytest.raises(ConfigError, match="XIAOER_API_TOKEN"):
        check_serving_config()
    monkeypatch.setenv("XIAOER_API_TOKEN", "t" * 40)
    with pytest.raises(ConfigError, match="SHOP_EVENTS_SECRET"):
        check_serving_config()
    monkeypatch.setenv("SHOP_EVENTS_SECRET", "e" * 40)
    check_serving_config()


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


def test_make_engine_creates_nothing_init_schema_creates_dir_and_file(tmp_path: object) -> None:
    target = tmp_path / "nested" / "var" / "shop.db"  # type: ignore[operator]
    url = f"sqlite:///{target}"
    engine = shop_db.make_engine(url)
    assert not target.parent.exists() and shop_db.make_engine(url) is engine
    shop_db.init_schema(engine)
    assert target.exists()
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    shop_db.drop_schema(engine)


def test_system_clock_is_naive_shanghai() -> None:
    now = system_clock()
    utc = datetime.utcnow()
    assert now.tzinfo is None and abs((now - utc) - timedelta(hours=8)) < timedelta(minutes=1)
