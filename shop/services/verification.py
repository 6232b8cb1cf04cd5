"""Anonymous shoppers prove an order is theirs with the last 4 digits of its phone; tries are limited.

Failures are rows (VerificationFailure), counted per order number and per client address within
a window, so neither a new conversation nor a new sender id brings new tries. A locked order is
refused before its digits are compared: the answer never tells whether they were right, and an
order number that does not exist fails exactly like a wrong pair.
"""

from __future__ import annotations

import hmac
import os
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shop import rules
from shop.clock import Clock
from shop.errors import DomainError
from shop.models import Customer, Order, VerificationFailure

MAX_CLIENT_LENGTH = 64


@dataclass(frozen=True)
class VerificationLimits:
    per_order: int = rules.VERIFY_MAX_FAILURES_PER_ORDER
    per_client: int = rules.VERIFY_MAX_FAILURES_PER_CLIENT
    window: timedelta = rules.VERIFY_WINDOW

    @classmethod
    def from_env(cls) -> VerificationLimits:
        """SHOP_VERIFY_MAX_FAILURES, SHOP_VERIFY_MAX_CLIENT_FAILURES, SHOP_VERIFY_WINDOW_MINUTES override the rules."""
        return cls(
            per_order=int(os.environ.get("SHOP_VERIFY_MAX_FAILURES") or cls.per_order),
            per_client=int(os.environ.get("SHOP_VERIFY_MAX_CLIENT_FAILURES") or cls.per_client),
            window=timedelta(minutes=int(os.environ.get("SHOP_VERIFY_WINDOW_MINUTES") or 0)) or cls.window,
        )


@dataclass(frozen=True)
class PhoneCheck:
    """The outcome: the customer when the pair matched; locked when nothing was compared."""

    customer_id: int | None
    locked: bool
    remaining: int

    @property
    def matched(self) -> bool:
        return self.customer_id is not None


def check_phone_last4(
    session: Session,
    order_no: str,
    last4: str,
    *,
    clock: Clock,
    client: str | None = None,
    limits: VerificationLimits | None = None,
) -> PhoneCheck:
    """Check an anonymous shopper's order number + last 4 digits, counting failures in the database."""
    limits = limits or VerificationLimits.from_env()
    order_no = str(order_no or "").strip()[:32]
    digits = str(last4 or "").strip()
    if len(digits) != 4 or not digits.isdigit():
        raise DomainError("invalid_input", "phone_last4 must be 4 digits", field="phone_last4")
    client = (client or "")[:MAX_CLIENT_LENGTH] or None
    now = clock()
    since = now - limits.window
    remaining = _remaining(session, order_no, client, since, limits)
    if remaining <= 0:
        return PhoneCheck(customer_id=None, locked=True, remaining=0)
    customer_id = _owner_by_phone(session, order_no, digits)
    if customer_id is not None:
        return PhoneCheck(customer_id=customer_id, locked=False, remaining=remaining)
    session.add(VerificationFailure(order_no=order_no, client=client, at=now))
    session.flush()
    remaining -= 1
    return PhoneCheck(customer_id=None, locked=remaining <= 0, remaining=remaining)


def _remaining(session: Session, order_no: str, client: str | None, since: object, limits: VerificationLimits) -> int:
    def failures(*conditions: object) -> int:
        query = select(func.count()).select_from(VerificationFailure)
        return int(session.execute(query.where(VerificationFailure.at >= since, *conditions)).scalar_one())

    left = limits.per_order - failures(VerificationFailure.order_no == order_no)
    if client:
        left = min(left, limits.per_client - failures(VerificationFailure.client == client))
    return left


def _owner_by_phone(session: Session, order_no: str, digits: str) -> int | None:
    row = session.execute(
        select(Order.customer_id, Order.phone, Customer.phone)
        .join(Customer, Customer.id == Order.customer_id)
        .where(Order.order_no == order_no)
    ).first()
    # Compare with both phones always, in constant time: no early exit tells which one matched.
    phones = (row[1], row[2]) if row is not None else ("", "")
    matches = [hmac.compare_digest(str(phone or "")[-4:].encode(), digits.encode()) for phone in phones]
    return int(row[0]) if row is not None and any(matches) else None
