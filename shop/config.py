"""Settings read from the environment (no side effects at import time).

Secrets never live in the source. In production (`SHOP_ENV=production`) they must come from the
environment; a demo generates each one once into `var/secrets/` (mode 0600) at first use.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from shop.rules import STUCK_AFTER_HOURS

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB_URL = f"sqlite:///{PROJECT_ROOT / 'var' / 'shop.db'}"
DEFAULT_SECRETS_DIR = PROJECT_ROOT / "var" / "secrets"


class ConfigError(RuntimeError):
    """The configuration cannot be served safely (e.g. a production secret is missing)."""


def is_production() -> bool:
    return os.environ.get("SHOP_ENV", "").strip().lower() == "production"


def secrets_dir() -> Path:
    return Path(os.environ.get("XIAOER_SECRETS_DIR") or DEFAULT_SECRETS_DIR)


def demo_secret(name: str) -> str:
    """The demo's secret `name`, generated once (random, 256 bits) into the secrets folder, mode 0600."""
    folder = secrets_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / name
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secrets.token_urlsafe(32))
    return path.read_text(encoding="ascii").strip()


def secret_from_env(variable: str, demo_name: str) -> str:
    """`variable` from the environment; in production its absence is an error, in a demo a generated one."""
    value = os.environ.get(variable, "").strip()
    if value:
        return value
    if is_production():
        raise ConfigError(
            f"{variable} is not set. With SHOP_ENV=production every secret must come from the environment "
            f"(generate one with: python -c 'import secrets; print(secrets.token_urlsafe(32))')."
        )
    return demo_secret(demo_name)


def _read_key(value: str) -> str:
    """A PEM key given inline or as a path to a file."""
    if value.lstrip().startswith("-----BEGIN"):
        return value
    return Path(value).read_text(encoding="ascii")


@dataclass(frozen=True)
class Settings:
    """Runtime configuration of the shop backend. Secrets are read when asked for, not before."""

    db_url: str = DEFAULT_DB_URL
    stuck_after_hours: int = STUCK_AFTER_HOURS
    service_hours: str = "09:00-22:00"
    token_algorithm: str = "HS256"
    token_audience: str | None = None
    token_issuer: str | None = None
    token_leeway_seconds: int = 30
    # After which jobs the satisfaction survey is offered (SHOP_RATING_AFTER, comma-separated):
    # "write" (a job that changed something), "handoff" (a conversation handed back), "lookup" (an order shown).
    rating_after: frozenset[str] = frozenset({"write", "handoff"})
    # Proactive notices (shop.services.notices): none in these shop-time hours ("" = no quiet hours), and
    # event-driven ones (after-sale steps, refunds, invoices, exceptions) only for what happened this recently.
    quiet_hours: str = "22:00-08:00"
    notice_lookback_hours: int = 72

    @property
    def token_secret(self) -> str:
        """HMAC secret of customer JWTs (HS256)."""
        return secret_from_env("SHOP_TOKEN_SECRET", "token_secret")

    @property
    def token_public_key(self) -> str:
        """PEM public key that verifies RS256 customer JWTs (`SHOP_TOKEN_PUBLIC_KEY`: PEM or a path)."""
        value = os.environ.get("SHOP_TOKEN_PUBLIC_KEY", "").strip()
        if not value:
            raise ConfigError("SHOP_TOKEN_ALGORITHM=RS256 needs SHOP_TOKEN_PUBLIC_KEY (a PEM key or its path).")
        return _read_key(value)

    @property
    def token_private_key(self) -> str:
        """PEM private key for minting RS256 tokens from the CLI (a shop's back-end keeps its own)."""
        value = os.environ.get("SHOP_TOKEN_PRIVATE_KEY", "").strip()
        if not value:
            raise ConfigError("Minting RS256 tokens needs SHOP_TOKEN_PRIVATE_KEY (a PEM key or its path).")
        return _read_key(value)

    @property
    def api_token(self) -> str:
        """Token of Rasa's HTTP API (`rasa run --auth-token`), for the desk and agents' tools."""
        return secret_from_env("XIAOER_API_TOKEN", "api_token")

    @property
    def events_secret(self) -> str:
        """HMAC secret a shop signs the events it pushes with (`X-Xiaoer-Signature`, docs/shop.md)."""
        return secret_from_env("SHOP_EVENTS_SECRET", "events_secret")


def _algorithm() -> str:
    algorithm = (os.environ.get("SHOP_TOKEN_ALGORITHM") or "HS256").strip().upper()
    if algorithm not in {"HS256", "RS256"}:
        raise ConfigError(f"SHOP_TOKEN_ALGORITHM must be HS256 or RS256, not {algorithm!r}")
    return algorithm


def get_settings() -> Settings:
    """Read settings from env each call, so tests and CLIs can change env freely."""
    return Settings(
        db_url=os.environ.get("SHOP_DB_URL") or DEFAULT_DB_URL,
        stuck_after_hours=int(os.environ.get("SHOP_STUCK_AFTER_HOURS") or STUCK_AFTER_HOURS),
        service_hours=os.environ.get("SHOP_SERVICE_HOURS") or "09:00-22:00",
        token_algorithm=_algorithm(),
        token_audience=os.environ.get("SHOP_TOKEN_AUDIENCE") or None,
        token_issuer=os.environ.get("SHOP_TOKEN_ISSUER") or None,
        token_leeway_seconds=int(os.environ.get("SHOP_TOKEN_LEEWAY_SECONDS") or 30),
        rating_after=_rating_occasions(os.environ.get("SHOP_RATING_AFTER")),
        quiet_hours=os.environ.get("SHOP_QUIET_HOURS", "22:00-08:00").strip(),
        notice_lookback_hours=int(os.environ.get("SHOP_NOTICE_LOOKBACK_HOURS") or 72),
    )


RATING_OCCASIONS = frozenset({"write", "handoff", "lookup"})


def _rating_occasions(value: str | None) -> frozenset[str]:
    """SHOP_RATING_AFTER: "write,handoff" by default; "none" (or empty words) for never."""
    if value is None or not value.strip():
        return frozenset({"write", "handoff"})
    occasions = frozenset(word.strip().lower() for word in value.split(",") if word.strip()) - {"none"}
    unknown = occasions - RATING_OCCASIONS
    if unknown:
        raise ConfigError(f"SHOP_RATING_AFTER takes {sorted(RATING_OCCASIONS)} or none, not {sorted(unknown)}")
    return occasions


def check_serving_config() -> None:
    """Fail before serving when a secret a production server needs is missing (called by `make serve`)."""
    settings = get_settings()
    if settings.token_algorithm == "RS256":
        settings.token_public_key  # noqa: B018 - raises ConfigError when missing
    else:
        _long_enough("SHOP_TOKEN_SECRET", settings.token_secret)
    _long_enough("XIAOER_API_TOKEN", settings.api_token)
    _long_enough("SHOP_EVENTS_SECRET", settings.events_secret)


MIN_SECRET_LENGTH = 32


def _long_enough(variable: str, value: str) -> None:
    """A short secret can be guessed offline from one signed token: refuse it in production."""
    if is_production() and len(value) < MIN_SECRET_LENGTH:
        raise ConfigError(f"{variable} must be at least {MIN_SECRET_LENGTH} characters long.")
