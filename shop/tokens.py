"""Signed customer tokens (HMAC-SHA256).

The web shop mints a token for a logged-in shopper; the chatbot passes it back so
actions know the customer id without trusting anything the user typed.
Format: ``base64url(payload) "." base64url(hmac)`` with payload ``"v1:<customer_id>:<expiry>"``;
expiry is seconds since 1970-01-01 in naive shop-local time (the shop's time convention).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from datetime import datetime, timedelta

from shop.clock import system_clock
from shop.config import get_settings
from shop.errors import DomainError

_EPOCH = datetime(1970, 1, 1)
_VERSION = "v1"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(payload_b64: str, secret: str) -> str:
    return _b64(hmac.new(secret.encode(), payload_b64.encode("ascii"), hashlib.sha256).digest())


def _epoch_seconds(moment: datetime) -> int:
    return int((moment - _EPOCH).total_seconds())


def mint_token(
    customer_id: int,
    *,
    ttl_seconds: int = 86400,
    secret: str | None = None,
    now: datetime | None = None,
) -> str:
    """Return a url-safe token for ``customer_id`` valid for ``ttl_seconds``."""
    if isinstance(customer_id, bool) or not isinstance(customer_id, int) or customer_id <= 0:
        raise DomainError("invalid_input", "customer_id must be a positive int", field="customer_id")
    if ttl_seconds <= 0:
        raise DomainError("invalid_input", "ttl_seconds must be positive", field="ttl_seconds")
    expiry = _epoch_seconds(now or system_clock()) + ttl_seconds
    payload_b64 = _b64(f"{_VERSION}:{customer_id}:{expiry}".encode("ascii"))
    return f"{payload_b64}.{_sign(payload_b64, secret or get_settings().token_secret)}"


def verify_token(token: str, *, secret: str | None = None, now: datetime | None = None) -> int:
    """Return the customer id, or raise ``invalid_token`` / ``token_expired``."""
    payload_b64, signature = _split(token)
    expected = _sign(payload_b64, secret or get_settings().token_secret)
    if not hmac.compare_digest(expected.encode("ascii"), signature.encode("ascii")):
        raise DomainError("invalid_token", "signature mismatch")
    customer_id, expiry = _parse_payload(payload_b64)
    if _epoch_seconds(now or system_clock()) >= expiry:
        raise DomainError("token_expired", "token expired", expired_at=_EPOCH + timedelta(seconds=expiry))
    return customer_id


def _split(token: object) -> tuple[str, str]:
    if not isinstance(token, str) or token.count(".") != 1 or not token.isascii():
        raise DomainError("invalid_token", "malformed token")
    payload_b64, signature = token.split(".")
    if not payload_b64 or not signature:
        raise DomainError("invalid_token", "malformed token")
    return payload_b64, signature


def _parse_payload(payload_b64: str) -> tuple[int, int]:
    try:
        version, customer, expiry = _unb64(payload_b64).decode("ascii").split(":")
        if version != _VERSION:
            raise ValueError(version)
        return int(customer), int(expiry)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise DomainError("invalid_token", "malformed payload") from exc
