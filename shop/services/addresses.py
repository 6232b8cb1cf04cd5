"""Shipping-address changes (only before shipment), with an audit trail."""

from __future__ import annotations

import re
from dataclasses import asdict

from sqlalchemy.orm import Session

from shop.clock import Clock
from shop.errors import DomainError
from shop.models import AddressChange, Order
from shop.services._common import POST_SHIPMENT, address_view, get_owned_order
from shop.services.views import AddressChangeView, AddressInput
from shop.text import ADDRESS_PUNCTUATION, NAME_PUNCTUATION, clean_text

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
_MAX_LEN = {"province": 30, "city": 30, "district": 30, "street": 200, "recipient": 50}


def validate_address(address: AddressInput) -> AddressInput:
    """Return a stripped copy or raise ``invalid_input`` naming the field."""
    values = {k: (v.strip() if isinstance(v, str) else v) for k, v in asdict(address).items()}
    for name, limit in _MAX_LEN.items():
        punctuation = NAME_PUNCTUATION if name == "recipient" else ADDRESS_PUNCTUATION
        values[name] = clean_text(values[name], field=name, max_len=limit, punctuation=punctuation)
    phone = values["phone"]
    if not isinstance(phone, str) or not MOBILE_RE.match(phone):
        raise DomainError("invalid_input", "phone must be a mainland mobile number", field="phone")
    return AddressInput(**values)


def _current(order: Order) -> AddressInput:
    return AddressInput(
        order.province, order.city, order.district, order.street, order.recipient, order.phone
    )


def change_address(
    session: Session, customer_id: int, order_no: str, *, new_address: AddressInput, clock: Clock
) -> AddressChangeView:
    """Change where an unshipped order goes; the same address again is a no-op (created=False)."""
    address = validate_address(new_address)
    order = get_owned_order(session, customer_id, order_no, lock=True)
    if order.status in POST_SHIPMENT or order.shipment is not None:
        raise DomainError("already_shipped", "address can no longer be changed", status=order.status)
    if order.status == "cancelled":
        raise DomainError("not_eligible", "order is cancelled", reason="cancelled")
    old = _current(order)
    if old == address:
        return AddressChangeView(order.order_no, address_view(order), None, created=False)
    now = clock()
    session.add(AddressChange(order_id=order.id, old_address=asdict(old), new_address=asdict(address),
                              changed_at=now))
    for name, value in asdict(address).items():
        setattr(order, name, value)
    session.flush()
    return AddressChangeView(order.order_no, address_view(order), now, created=True)
