"""JSON import: a good file loads; every kind of bad file is refused and writes nothing."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from shop_builders import catalogue, customer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shop.importer import ImportError_, import_file
from shop.models import Base, Order, Product

GOOD: dict[str, Any] = {
    "customers": [
        {
            "name": "赵六",
            "phone": "13700001111",
            "province": "江苏省",
            "city": "南京市",
            "district": "鼓楼区",
            "street": "中山北路30号",
        }
    ],
    "products": [
        {
            "title": "帆布包",
            "category": "箱包",
            "returnable": True,
            "return_window_days": 7,
            "skus": [{"sku_code": "BAG-1", "color": "米色", "price": "49.90", "stock": 3}],
            "facts": [{"name": "材质", "value": "加厚帆布"}, {"name": "尺寸", "value": "38×32×10cm"}],
        }
    ],
    "orders": [
        {
            "order_no": "231100000001",
            "customer_phone": "13700001111",
            "status": "delivered",
            "created_at": "2024-06-01T10:00:00",
            "delivered_at": "2024-06-03T12:00:00",
            "items": [{"sku_code": "BAG-1", "quantity": 2, "unit_price": "49.90", "paid_amount": "89.80"}],
            "payments": [{"method": "alipay", "amount": "89.80", "status": "succeeded"}],
            "shipment": {
                "courier": "中通快递",
                "tracking_no": "ZT1",
                "events": [
                    {"time": "2024-06-01T18:00:00", "place": "义乌", "description": "已揽收"},
                    {"time": "2024-06-03T12:00:00", "place": "南京", "description": "已签收"},
                ],
            },
        },
        {
            "order_no": "231100000002",
            "customer_phone": "13700001111",
            "status": "pending_payment",
            "created_at": "2024-06-05T10:00:00+08:00",
            "items": [{"sku_code": "BAG-1", "quantity": 1, "unit_price": 49.9}],
            "payments": [
                {"method": "card", "amount": "49.90", "status": "failed", "failure_reason": "card_limit"}
            ],
        },
    ],
}


def _write(tmp_path: Path, data: Any, raw: str | None = None) -> Path:
    path = tmp_path / "import.json"
    path.write_text(raw if raw is not None else json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def _rows(s: Session) -> int:
    return sum(
        s.execute(select(func.count()).select_from(t)).scalar_one() for t in Base.metadata.sorted_tables
    )


def test_good_file_imports(db_session: Session, tmp_path: Path) -> None:
    summary = import_file(db_session, _write(tmp_path, GOOD))
    assert (summary.customers, summary.products, summary.skus, summary.orders) == (1, 1, 1, 2)
    first = db_session.execute(select(Order).where(Order.order_no == "231100000001")).scalar_one()
    assert first.total_amount == first.paid_amount + 10 and first.shipment.events[-1].description == "已签收"
    assert first.recipient == "赵六" and first.ship_by is not None
    second = db_session.execute(select(Order).where(Order.order_no == "231100000002")).scalar_one()
    assert second.paid_amount == second.total_amount == Decimal("49.90") and second.created_at.hour == 10
    bag = db_session.execute(select(Product).where(Product.title == "帆布包")).scalar_one()
    assert [(fact.name, fact.value) for fact in bag.facts] == [("材质", "加厚帆布"), ("尺寸", "38×32×10cm")]


def _mutate(path: str, value: Any) -> dict[str, Any]:
    data = copy.deepcopy(GOOD)
    *parents, last = path.split(".")
    node: Any = data
    for key in parents:
        node = node[int(key)] if key.isdigit() else node[key]
    if value is KeyError:
        del node[int(last) if last.isdigit() else last]
    else:
        node[int(last) if last.isdigit() else last] = value
    return data


BAD = [
    ("orders.1.items.0.quantity", "2", "orders[1] (order_no 231100000002).items[0]", "quantity"),
    ("orders.1.items.0.quantity", 0, "orders[1] (order_no 231100000002).items[0]", "quantity"),
    ("orders.0.status", "shipping", "orders[0] (order_no 231100000001)", "status"),
    ("orders.0.items.0.sku_code", "NOPE", "orders[0] (order_no 231100000001).items[0]", "sku_code"),
    ("orders.1.order_no", "231100000001", "orders[1] (order_no 231100000001)", "order_no"),
    ("orders.1.order_no", "12AB", "orders[1] (order_no 12AB)", "order_no"),
    ("orders.0.created_at", KeyError, "orders[0] (order_no 231100000001)", "created_at"),
    ("orders.0.created_at", "yesterday", "orders[0] (order_no 231100000001)", "created_at"),
    ("orders.0.delivered_at", KeyError, "orders[0] (order_no 231100000001)", "delivered_at"),
    ("orders.0.shipment", KeyError, "orders[0] (order_no 231100000001)", "shipment"),
    ("orders.0.customer_phone", "13999999999", "orders[0] (order_no 231100000001)", "customer_phone"),
    ("orders.0.payments.0.amount", "-1", "orders[0] (order_no 231100000001).payments[0]", "amount"),
    ("orders.0.payments.0.amount", "1.234", "orders[0] (order_no 231100000001).payments[0]", "amount"),
    ("customers.0.phone", "12345", "customers[0] (phone 12345)", "phone"),
    ("products.0.skus.0.price", True, "products[0] (帆布包).skus[0] (sku_code BAG-1)", "price"),
    ("products.0.returnable", "yes", "products[0] (帆布包)", "returnable"),
    ("orders.0.items", [], "orders[0] (order_no 231100000001)", "items"),
    ("products.0.facts.0.name", "", "products[0] (帆布包).facts[0]", "name"),
    ("products.0.facts.1.value", "长" * 201, "products[0] (帆布包).facts[1]", "value"),
    ("products.0.facts", {"材质": "帆布"}, "products[0] (帆布包)", "facts"),
]


@pytest.mark.parametrize(("path", "value", "where", "field"), BAD, ids=[f"{b[0]}={b[1]!r}" for b in BAD])
def test_bad_records_are_named_and_nothing_written(
    db_session: Session, tmp_path: Path, path: str, value: Any, where: str, field: str
) -> None:
    with pytest.raises(ImportError_) as err:
        import_file(db_session, _write(tmp_path, _mutate(path, value)))
    assert err.value.code == "invalid_import" and err.value.where == where and err.value.field == field
    assert str(err.value.message).startswith(where)
    db_session.rollback()
    assert _rows(db_session) == 0


@pytest.mark.parametrize("raw", ['{"orders": [', "[1, 2]", '{"ordres": []}', '{"orders": {}}', ""])
def test_malformed_files(db_session: Session, tmp_path: Path, raw: str) -> None:
    with pytest.raises(ImportError_):
        import_file(db_session, _write(tmp_path, None, raw))
    assert _rows(db_session) == 0


def test_missing_file(db_session: Session, tmp_path: Path) -> None:
    with pytest.raises(ImportError_, match="cannot read"):
        import_file(db_session, tmp_path / "nope.json")


def test_duplicates_against_database(db_session: Session, tmp_path: Path) -> None:
    import_file(db_session, _write(tmp_path, GOOD))
    db_session.commit()
    before = _rows(db_session)
    again = _mutate("customers", [])
    with pytest.raises(ImportError_) as err:
        import_file(db_session, _write(tmp_path, again))
    assert err.value.field == "sku_code"  # products come first: BAG-1 exists
    db_session.rollback()
    only_orders = {"orders": GOOD["orders"]}
    with pytest.raises(ImportError_) as err:
        import_file(db_session, _write(tmp_path, only_orders))
    assert err.value.where == "orders[0] (order_no 231100000001)" and err.value.field == "order_no"
    db_session.rollback()
    assert _rows(db_session) == before


def test_orders_for_existing_customer_and_skus(db_session: Session, tmp_path: Path) -> None:
    catalogue(db_session)
    me = customer(db_session)
    data = {
        "orders": [
            {
                "order_no": "231100000009",
                "customer_id": me.id,
                "status": "paid",
                "created_at": "2024-06-10T08:00:00",
                "items": [{"sku_code": "CUP", "quantity": 1, "unit_price": "89.00"}],
                "payments": [{"method": "wechat", "amount": "89.00", "status": "succeeded"}],
            }
        ]
    }
    assert import_file(db_session, _write(tmp_path, data)).orders == 1
    data["orders"][0]["customer_id"] = 999
    data["orders"][0]["order_no"] = "231100000010"
    with pytest.raises(ImportError_) as err:
        import_file(db_session, _write(tmp_path, data))
    assert err.value.field == "customer_id"
