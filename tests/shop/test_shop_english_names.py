"""Products' English names (issue 35): imported as products[].name_en, seeded for the demo shop, carried
by every view that names a product, so English replies can use them."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from shop_builders import clock
from sqlalchemy import select
from sqlalchemy.orm import Session

from shop.importer import ImportError_, import_data
from shop.models import Product
from shop.seed import DEMO_CUSTOMER_ID, DEMO_ORDERS
from shop.services.catalogue import find_skus, product_facts
from shop.services.orders import get_order_detail, list_orders

BAG: dict[str, Any] = {
    "products": [{"title": "帆布包", "name_en": "Canvas tote bag", "category": "箱包",
                  "skus": [{"sku_code": "BAG-EN-1", "color": "米色", "price": "49.90", "stock": 3}]}],
}


def test_an_imported_english_name_is_kept_and_is_optional(db_session: Session) -> None:
    plain = copy.deepcopy(BAG)
    plain["products"][0].update(title="草帽", sku_code="HAT")
    del plain["products"][0]["name_en"]
    plain["products"][0]["skus"][0]["sku_code"] = "HAT-EN-1"
    import_data(db_session, BAG)
    import_data(db_session, plain)
    names = dict(db_session.execute(select(Product.title, Product.name_en)).all())
    assert names == {"帆布包": "Canvas tote bag", "草帽": None}


@pytest.mark.parametrize("name_en", ["<b>bag</b>", "x" * 101, 42])
def test_a_bad_english_name_is_refused(db_session: Session, name_en: Any) -> None:
    bad = copy.deepcopy(BAG)
    bad["products"][0]["name_en"] = name_en
    with pytest.raises(ImportError_):
        import_data(db_session, bad)


def test_the_demo_shop_names_its_products_in_english_and_the_views_carry_them(seeded: Session) -> None:
    assert all(seeded.execute(select(Product.name_en)).scalars())
    summary = next(s for s in list_orders(seeded, DEMO_CUSTOMER_ID, limit=20)
                   if s.order_no == DEMO_ORDERS["in_transit"])
    assert summary.item_titles_en == ["Smart fitness band"] and summary.item_titles == ["智能手环"]
    detail = get_order_detail(seeded, DEMO_CUSTOMER_ID, DEMO_ORDERS["in_transit"], clock=clock)
    assert [item.title_en for item in detail.items] == ["Smart fitness band"]
    assert find_skus(seeded, product="T恤", size="L")[0].title_en == "Cotton crew-neck T-shirt"
    facts = product_facts(seeded, product="T恤")
    assert facts is not None and facts.title_en == "Cotton crew-neck T-shirt"
