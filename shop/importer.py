"""All-or-nothing JSON import of customers, products/SKUs and orders.

Everything is validated before the first row is written, so a bad file changes nothing;
errors name the record and field, e.g. ``orders[3] (order_no 231100000001): status: ...``.
The function flushes but does not commit (use ``shop.db.session_scope``). Format: docs/shop.md.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shop import rules
from shop.clock import to_shop_time
from shop.errors import DomainError
from shop.models import (
    ORDER_STATUSES,
    PAYMENT_STATUSES,
    Customer,
    Order,
    OrderItem,
    Payment,
    Product,
    ProductAlias,
    ProductFact,
    Shipment,
    SizeChartRow,
    Sku,
    TrackingEvent,
)
from shop.text import MARKUP, unsafe_problem

ORDER_NO_RE = re.compile(r"^\d{12,19}$")
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
SHIPPED_STATES = ("shipped", "delivered", "completed")
ADDRESS_FIELDS = ("province", "city", "district", "street", "recipient", "phone")
_MISSING = object()


class ImportError_(DomainError):  # noqa: N801 - trailing underscore avoids the builtin ImportError
    """The file was refused; ``where`` names the record, ``field`` the offending field."""

    def __init__(self, where: str, field: str | None, problem: str) -> None:
        message = f"{where}: {field}: {problem}" if field else f"{where}: {problem}"
        super().__init__("invalid_import", message, where=where, field=field)
        self.where, self.field = where, field


@dataclass(frozen=True)
class ImportSummary:
    customers: int
    products: int
    skus: int
    orders: int


class _Rec:
    """A JSON object being validated, with typed getters that raise ImportError_."""

    def __init__(self, data: Any, where: str) -> None:
        if not isinstance(data, dict):
            raise ImportError_(where, None, "must be an object")
        self.data, self.where = data, where

    def fail(self, field: str, problem: str) -> ImportError_:
        return ImportError_(self.where, field, problem)

    def get(
        self, field: str, kind: type | tuple[type, ...], *, required: bool = True, default: Any = None
    ) -> Any:
        value = self.data.get(field, _MISSING)
        if value is _MISSING or value is None:
            if required:
                raise self.fail(field, "is required")
            return default
        if isinstance(value, bool) and kind is not bool:
            raise self.fail(field, f"must be {_kind_name(kind)}, got a boolean")
        if not isinstance(value, kind):
            raise self.fail(field, f"must be {_kind_name(kind)}, got {type(value).__name__}")
        return value

    def text(self, field: str, *, required: bool = True, max_len: int = 200) -> str | None:
        value = self.get(field, str, required=required)
        if value is None:
            return None
        value = value.strip()
        if required and not value:
            raise self.fail(field, "must not be empty")
        problem = unsafe_problem(value)
        if problem is not None:
            raise self.fail(field, "holds markup characters < >" if problem == MARKUP else "holds control characters")
        if len(value) > max_len:
            raise self.fail(field, f"longer than {max_len} characters")
        return value

    def integer(
        self, field: str, *, minimum: int, required: bool = True, default: int | None = None
    ) -> int:
        value = self.get(field, int, required=required, default=default)
        if value < minimum:
            raise self.fail(field, f"must be >= {minimum}")
        return value

    def money(self, field: str, *, required: bool = True, default: Decimal | None = None) -> Decimal:
        raw = self.get(field, (str, int, Decimal), required=required, default=default)
        try:
            value = Decimal(str(raw))
        except InvalidOperation as exc:
            raise self.fail(field, f"not a number: {raw!r}") from exc
        if not value.is_finite() or value < 0 or value != value.quantize(Decimal("0.01")):
            raise self.fail(field, "must be a non-negative amount with at most 2 decimals")
        if value >= Decimal("1e10"):
            raise self.fail(field, "amount too large")
        return value.quantize(Decimal("0.01"))

    def moment(
        self, field: str, *, required: bool = True, default: datetime | None = None
    ) -> datetime | None:
        raw = self.get(field, str, required=required)
        if raw is None:
            return default
        try:
            return to_shop_time(datetime.fromisoformat(raw))
        except ValueError as exc:
            raise self.fail(field, f"not an ISO datetime: {raw!r}") from exc

    def items(self, field: str, *, required: bool = True) -> list[Any]:
        value = self.get(field, list, required=required, default=[])
        if required and not value:
            raise self.fail(field, "must not be empty")
        return value


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {str: "a string", int: "an integer", bool: "a boolean", list: "a list", dict: "an object",
             Decimal: "a number"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(names.get(k, k.__name__) for k in kinds)


# --- entry point -----------------------------------------------------------------------

def import_file(session: Session, path: str | Path) -> ImportSummary:
    """Validate the whole file, then insert it. Raises ImportError_ and writes nothing on error."""
    data = load_json(path)
    return import_data(session, data)


def load_json(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportError_(str(path), None, f"cannot read file ({exc})") from exc
    try:
        data = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        problem = f"malformed JSON at line {exc.lineno} column {exc.colno}"
        raise ImportError_(str(path), None, problem) from exc
    if not isinstance(data, dict):
        raise ImportError_(str(path), None, "top level must be an object")
    return data


def import_data(session: Session, data: dict[str, Any]) -> ImportSummary:
    unknown = set(data) - {"customers", "products", "orders"}
    if unknown:
        raise ImportError_("file", None, f"unknown top-level keys {sorted(unknown)}")
    top = _Rec(data, "file")
    customers = [_customer(session, r, i) for i, r in enumerate(top.items("customers", required=False))]
    _no_duplicates([c["phone"] for c in customers], "customers", "phone")
    products = [_product(session, r, i) for i, r in enumerate(top.items("products", required=False))]
    _no_duplicates([s["sku_code"] for p in products for s in p["skus"]], "products", "sku_code")
    ctx = _OrderCtx(session, {c["phone"]: c for c in customers},
                    {s["sku_code"] for p in products for s in p["skus"]})
    orders = [_order(ctx, r, i) for i, r in enumerate(top.items("orders", required=False))]
    _no_duplicates([o["order_no"] for o in orders], "orders", "order_no")
    _write(session, customers, products, orders)
    return ImportSummary(len(customers), len(products), sum(len(p["skus"]) for p in products), len(orders))


def _no_duplicates(values: list[str], section: str, field: str) -> None:
    seen: dict[str, int] = {}
    for index, value in enumerate(values):
        if value in seen:
            raise ImportError_(f"{section}[{index}] ({field} {value})", field, "duplicated in the file")
        seen[value] = index


def _exists(session: Session, column: Any, value: Any) -> bool:
    return session.execute(select(column).where(column == value).limit(1)).first() is not None


# --- customers & products --------------------------------------------------------------

def _customer(session: Session, raw: Any, index: int) -> dict[str, Any]:
    rec = _Rec(raw, f"customers[{index}]")
    phone = rec.text("phone", max_len=11)
    rec.where = f"customers[{index}] (phone {phone})"
    if not MOBILE_RE.match(phone):
        raise rec.fail("phone", "must be a mainland mobile number")
    if _exists(session, Customer.phone, phone):
        raise rec.fail("phone", "a customer with this phone already exists")
    result: dict[str, Any] = {"name": rec.text("name", max_len=50), "phone": phone}
    for field in ("province", "city", "district"):
        result[field] = rec.text(field, required=False, max_len=30) or ""
    result["street"] = rec.text("street", required=False, max_len=200) or ""
    return result


def _product(session: Session, raw: Any, index: int) -> dict[str, Any]:
    rec = _Rec(raw, f"products[{index}]")
    title = rec.text("title", max_len=100)
    rec.where = f"products[{index}] ({title})"
    returnable = rec.get("returnable", bool, required=False, default=True)
    window = rec.integer("return_window_days", minimum=0, required=False,
                         default=rules.DEFAULT_RETURN_WINDOW_DAYS)
    skus = [_sku(session, r, f"{rec.where}.skus[{j}]") for j, r in enumerate(rec.items("skus"))]
    facts = [_fact(r, f"{rec.where}.facts[{j}]") for j, r in enumerate(rec.items("facts", required=False))]
    return {"title": title, "name_en": rec.text("name_en", required=False, max_len=100) or None,
            "category": rec.text("category", max_len=20), "returnable": returnable,
            "return_window_days": window, "skus": skus, "facts": facts, "aliases": _aliases(rec),
            "size_chart": [_chart_row(r, f"{rec.where}.size_chart[{j}]")
                           for j, r in enumerate(rec.items("size_chart", required=False))]}


def _chart_row(raw: Any, where: str) -> tuple[str, int, int]:
    """products[].size_chart[]: {size, max_height_cm, max_weight_kg}, smallest size first."""
    rec = _Rec(raw, where)
    return (rec.text("size", max_len=10) or "", rec.integer("max_height_cm", minimum=50),
            rec.integer("max_weight_kg", minimum=10))


MAX_ALIASES = 20


def _aliases(rec: _Rec) -> list[str]:
    """products[].aliases: everyday words for the product (螃蟹, 耳机), each 1-20 characters, at most 20."""
    raw = rec.items("aliases", required=False)
    if len(raw) > MAX_ALIASES:
        raise rec.fail("aliases", f"at most {MAX_ALIASES} aliases")
    aliases = []
    for j, value in enumerate(raw):
        alias = _Rec({"alias": value}, f"{rec.where}.aliases[{j}]").text("alias", max_len=20) or ""
        if alias not in aliases:
            aliases.append(alias)
    return aliases


def _fact(raw: Any, where: str) -> tuple[str, str]:
    rec = _Rec(raw, where)
    return rec.text("name", max_len=20) or "", rec.text("value", max_len=200) or ""


def _sku(session: Session, raw: Any, where: str) -> dict[str, Any]:
    rec = _Rec(raw, where)
    code = rec.text("sku_code", max_len=40)
    rec.where = f"{where} (sku_code {code})"
    if _exists(session, Sku.sku_code, code):
        raise rec.fail("sku_code", "already exists in the database")
    return {"sku_code": code, "size": rec.text("size", required=False, max_len=10),
            "color": rec.text("color", required=False, max_len=20), "price": rec.money("price"),
            "stock": rec.integer("stock", minimum=0, required=False, default=0)}


# --- orders ------------------------------------------------------------------------------

@dataclass
class _OrderCtx:
    session: Session
    file_customers: dict[str, dict[str, Any]]
    file_skus: set[str]


def _order(ctx: _OrderCtx, raw: Any, index: int) -> dict[str, Any]:
    rec = _Rec(raw, f"orders[{index}]")
    number = rec.text("order_no", max_len=19)
    rec.where = f"orders[{index}] (order_no {number})"
    if not ORDER_NO_RE.match(number):
        raise rec.fail("order_no", "must be 12-19 digits")
    if _exists(ctx.session, Order.order_no, number):
        raise rec.fail("order_no", "already exists in the database")
    status = rec.text("status", max_len=20)
    if status not in ORDER_STATUSES:
        raise rec.fail("status", f"must be one of {list(ORDER_STATUSES)}")
    order: dict[str, Any] = {"order_no": number, "status": status, "customer": _order_customer(ctx, rec)}
    order["items"] = [_item(ctx, r, f"{rec.where}.items[{j}]") for j, r in enumerate(rec.items("items"))]
    order.update(_times(rec, status))
    order["address"] = _address(rec, order["customer"])
    order["delay_reason"] = rec.text("delay_reason", required=False)
    order["payments"] = [_payment(r, f"{rec.where}.payments[{j}]", order["created_at"])
                         for j, r in enumerate(rec.items("payments", required=False))]
    order["shipment"] = _shipment(rec, status, order["created_at"])
    return order


def _order_customer(ctx: _OrderCtx, rec: _Rec) -> dict[str, Any]:
    """Resolve the buyer: file customer by phone, DB customer by phone or id."""
    if rec.data.get("customer_phone") is not None:
        phone = rec.text("customer_phone", max_len=11)
        if phone in ctx.file_customers:
            return {"phone": phone, "data": ctx.file_customers[phone]}
        found = ctx.session.execute(select(Customer).where(Customer.phone == phone)).scalar_one_or_none()
        if found is None:
            raise rec.fail("customer_phone", "no customer with this phone in the file or database")
        return {"phone": phone, "db": found}
    customer_id = rec.get("customer_id", int, required=False)
    if customer_id is None:
        raise rec.fail("customer_phone", "customer_phone or customer_id is required")
    found = ctx.session.get(Customer, customer_id)
    if found is None:
        raise rec.fail("customer_id", "no such customer in the database")
    return {"phone": found.phone, "db": found}


def _item(ctx: _OrderCtx, raw: Any, where: str) -> dict[str, Any]:
    rec = _Rec(raw, where)
    code = rec.text("sku_code", max_len=40)
    if code not in ctx.file_skus and not _exists(ctx.session, Sku.sku_code, code):
        raise rec.fail("sku_code", f"unknown SKU {code!r}")
    quantity = rec.integer("quantity", minimum=1)
    unit_price = rec.money("unit_price")
    paid = rec.money("paid_amount", required=False, default=unit_price * quantity)
    return {"sku_code": code, "quantity": quantity, "unit_price": unit_price, "paid_amount": paid}


def _times(rec: _Rec, status: str) -> dict[str, datetime | None]:
    created = rec.moment("created_at")
    paid_default = created if status not in ("pending_payment", "cancelled") else None
    paid_at = rec.moment("paid_at", required=False, default=paid_default)
    ship_default = paid_at + timedelta(hours=rules.DEFAULT_SHIP_WITHIN_HOURS) if paid_at else None
    delivered = rec.moment("delivered_at", required=status in ("delivered", "completed"))
    completed_default = delivered + timedelta(days=7) if delivered and status == "completed" else None
    return {
        "created_at": created, "paid_at": paid_at,
        "ship_by": rec.moment("ship_by", required=False, default=ship_default),
        "delivered_at": delivered,
        "completed_at": rec.moment("completed_at", required=False, default=completed_default),
        "cancelled_at": rec.moment("cancelled_at", required=False,
                                   default=created if status == "cancelled" else None),
    }


def _address(rec: _Rec, customer: dict[str, Any]) -> dict[str, str]:
    source = customer.get("data") or _customer_address(customer["db"])
    if rec.data.get("address") is None:
        address = {f: source.get(f) or "" for f in ADDRESS_FIELDS[:4]}
        address |= {"recipient": source.get("name", ""), "phone": source["phone"]}
    else:
        sub = _Rec(rec.data["address"], f"{rec.where}.address")
        address = {f: sub.text(f, max_len=200) for f in ADDRESS_FIELDS}
    missing = [f for f in ADDRESS_FIELDS if not address.get(f)]
    if missing:
        raise rec.fail("address", f"missing {missing} (give an address or a customer with one)")
    return address


def _customer_address(customer: Customer) -> dict[str, str]:
    return {"province": customer.province, "city": customer.city, "district": customer.district,
            "street": customer.street, "name": customer.name, "phone": customer.phone}


def _payment(raw: Any, where: str, created: datetime) -> dict[str, Any]:
    rec = _Rec(raw, where)
    status = rec.text("status", max_len=20)
    if status not in PAYMENT_STATUSES:
        raise rec.fail("status", f"must be one of {list(PAYMENT_STATUSES)}")
    return {"method": rec.text("method", max_len=20), "amount": rec.money("amount"), "status": status,
            "failure_reason": rec.text("failure_reason", required=False, max_len=30),
            "created_at": rec.moment("created_at", required=False, default=created)}


def _shipment(rec: _Rec, status: str, created: datetime) -> dict[str, Any] | None:
    raw = rec.data.get("shipment")
    if raw is None:
        if status in SHIPPED_STATES:
            raise rec.fail("shipment", f"is required for status {status}")
        return None
    if status not in SHIPPED_STATES:
        raise rec.fail("shipment", f"not allowed for status {status}")
    sub = _Rec(raw, f"{rec.where}.shipment")
    raw_events = sub.items("events", required=False)
    events = [_event(r, f"{sub.where}.events[{j}]") for j, r in enumerate(raw_events)]
    first = min((e["time"] for e in events), default=created)
    return {"courier": sub.text("courier", max_len=30), "tracking_no": sub.text("tracking_no", max_len=40),
            "shipped_at": sub.moment("shipped_at", required=False, default=first), "events": events}


def _event(raw: Any, where: str) -> dict[str, Any]:
    rec = _Rec(raw, where)
    return {"time": rec.moment("time"), "place": rec.text("place", required=False, max_len=100) or "",
            "description": rec.text("description", max_len=300)}


# --- writing (only reached when everything validated) ---------------------------------

def _write(session: Session, customers: list[dict], products: list[dict], orders: list[dict]) -> None:
    by_phone = {c["phone"]: Customer(**c) for c in customers}
    session.add_all(by_phone.values())
    skus: dict[str, Sku] = {}
    for data in products:
        product = Product(**{k: v for k, v in data.items() if k not in ("skus", "facts", "aliases", "size_chart")},
                          facts=[ProductFact(position=i, name=name, value=value)
                                 for i, (name, value) in enumerate(data["facts"])],
                          aliases=[ProductAlias(alias=alias) for alias in data["aliases"]],
                          size_chart=[SizeChartRow(position=i, size=size, max_height_cm=height, max_weight_kg=weight)
                                      for i, (size, height, weight) in enumerate(data["size_chart"])])
        session.add(product)
        for sku_data in data["skus"]:
            skus[sku_data["sku_code"]] = Sku(product=product, reserved=0, **sku_data)
            session.add(skus[sku_data["sku_code"]])
    session.flush()
    for data in orders:
        session.add(_order_row(session, data, by_phone, skus))
    session.flush()


def _order_row(session: Session, data: dict, by_phone: dict[str, Customer], skus: dict[str, Sku]) -> Order:
    customer = data["customer"].get("db") or by_phone[data["customer"]["phone"]]
    order = Order(
        order_no=data["order_no"], customer_id=customer.id, status=data["status"],
        total_amount=sum((i["unit_price"] * i["quantity"] for i in data["items"]), Decimal("0.00")),
        paid_amount=sum((i["paid_amount"] for i in data["items"]), Decimal("0.00")),
        delay_reason=data["delay_reason"], **data["address"],
        **{k: data[k] for k in ("created_at", "paid_at", "ship_by", "delivered_at", "completed_at",
                                "cancelled_at")},
    )
    for item in data["items"]:
        sku = skus.get(item["sku_code"]) or session.execute(
            select(Sku).where(Sku.sku_code == item["sku_code"])).scalar_one()
        order.items.append(OrderItem(sku_id=sku.id, quantity=item["quantity"],
                                     unit_price=item["unit_price"], paid_amount=item["paid_amount"]))
    order.payments = [Payment(**p) for p in data["payments"]]
    if data["shipment"]:
        ship = data["shipment"]
        order.shipment = Shipment(courier=ship["courier"], tracking_no=ship["tracking_no"],
                                  shipped_at=ship["shipped_at"],
                                  events=[TrackingEvent(**e) for e in ship["events"]])
    return order
