"""Customer tokens: standard JWTs (RFC 7519) that a shop's back-end mints with any JWT library.

Claims: `sub` (the customer id, as a string), `iat`, `exp` (Unix seconds), and `aud` / `iss` when
the shop configures them (`SHOP_TOKEN_AUDIENCE`, `SHOP_TOKEN_ISSUER`; then they are required).
HS256 with `SHOP_TOKEN_SECRET` by default; RS256 with `SHOP_TOKEN_PUBLIC_KEY` as an option, so
Xiaoer holds only the public key. A small leeway (`SHOP_TOKEN_LEEWAY_SECONDS`, 30 s) absorbs clock skew.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import jwt

from shop.clock import SHOP_TZ
from shop.config import Settings, get_settings
from shop.errors import DomainError

MAX_TOKEN_LENGTH = 4096


def _unix_seconds(now: datetime | None) -> int:
    """Unix time of `now`; a naive datetime is shop time (the shop's convention), not UTC."""
    moment = now or datetime.now(timezone.utc)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=SHOP_TZ)
    return int(moment.timestamp())


def _signing_key(settings: Settings, secret: str | None) -> str:
    if secret is not None or settings.token_algorithm == "HS256":
        return secret or settings.token_secret
    return settings.token_private_key


def _verifying_key(settings: Settings, secret: str | None) -> str:
    if secret is not None or settings.token_algorithm == "HS256":
        return secret or settings.token_secret
    return settings.token_public_key


def mint_token(
    customer_id: int,
    *,
    ttl_seconds: int = 86400,
    secret: str | None = None,
    now: datetime | None = None,
) -> str:
    """A JWT for `customer_id`, valid for `ttl_seconds` (what a shop's back-end does at login)."""
    if isinstance(customer_id, bool) or not isinstance(customer_id, int) or customer_id <= 0:
        raise DomainError("invalid_input", "customer_id must be a positive int", field="customer_id")
    if ttl_seconds <= 0:
        raise DomainError("invalid_input", "ttl_seconds must be positive", field="ttl_seconds")
    settings = get_settings()
    algorithm = "HS256" if secret is not None else settings.token_algorithm
    issued = _unix_seconds(now)
    claims: dict[str, Any] = {"sub": str(customer_id), "iat": issued, "exp": issued + ttl_seconds}
    if settings.token_audience:
        claims["aud"] = settings.token_audience
    if settings.token_issuer:
        claims["iss"] = settings.token_issuer
    return jwt.encode(claims, _signing_key(settings, secret), algorithm=algorithm)


def verify_token(token: str, *, secret: str | None = None, now: datetime | None = None) -> int:
    """The customer id of a valid token, else DomainError `invalid_token` or `token_expired`."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        raise DomainError("invalid_token", "malformed token")
    settings = get_settings()
    algorithm = "HS256" if secret is not None else settings.token_algorithm
    try:
        claims = jwt.decode(
            token,
            _verifying_key(settings, secret),
            algorithms=[algorithm],  # never taken from the token's header (no "none", no key confusion)
            audience=settings.token_audience,
            issuer=settings.token_issuer,
            leeway=0 if now is not None else settings.token_leeway_seconds,
            options={"require": ["sub", "exp", "iat"], "verify_exp": now is None},
        )
    except jwt.ExpiredSignatureError as exc:
        raise DomainError("token_expired", "token expired") from exc
    except jwt.PyJWTError as exc:
        raise DomainError("invalid_token", str(exc)) from exc
    if now is not None and _unix_seconds(now) >= int(claims["exp"]):
        raise DomainError("token_expired", "token expired")
    return _customer_id(claims.get("sub"))


def _customer_id(subject: object) -> int:
    if not isinstance(subject, str) or not subject.isascii() or not subject.isdigit() or len(subject) > 18:
        raise DomainError("invalid_token", "sub is not a customer id")
    customer_id = int(subject)
    if customer_id <= 0:
        raise DomainError("invalid_token", "sub is not a customer id")
    return customer_id

