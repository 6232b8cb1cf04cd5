"""Products' everyday words (aliases): imported with products[].aliases, seeded for the demo shop, and
naming the product in lookups and in typed choices (螃蟹 for 阳澄湖大闸蟹礼盒, 耳机 for 无线蓝牙耳机)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from test_shop_import import GOOD
from test_shop_import import _write as write

from shop.importer import ImportError_, import_file
from shop.models import Product
from shop.services.catalogue import advise_size, find_skus, product_facts, products_named


def test_the_demo_shop_knows_everyday_words(seeded: Session) -> None:
    assert products_named(seeded, "螃蟹那单") == ["阳澄湖大闸蟹礼盒"]
    assert products_named(seeded, "我的耳机坏了") == ["无线蓝牙耳机"]
    assert products_named(seeded, "无线蓝牙耳机") == []  # the title itself needs no alias
    assert products_named(seeded, "多扣了一笔") == []
    assert product_facts(seeded, product="螃蟹").title == "阳澄湖大闸蟹礼盒"
    assert {sku.title for sku in find_skus(seeded, product="耳机")} == {"无线蓝牙耳机"}


@pytest.mark.parametrize(("words", "title"), [
    ("the flask one", "不锈钢保温杯"), ("does the stainless steel vacuum flask keep water hot?", "不锈钢保温杯"),
    ("my water bottle leaks", "不锈钢保温杯"), ("the T-shirt", "纯棉圆领T恤"), ("the earbuds", "无线蓝牙耳机"),
    ("my shoes are too small", "轻量跑步鞋"), ("the crab order", "阳澄湖大闸蟹礼盒"),
])
def test_the_demo_shop_knows_english_everyday_words(seeded: Session, words: str, title: str) -> None:
    """English words name the demo products as Chinese ones do (issue 35); "steel" holds no "tee"."""
    assert products_named(seeded, words) == [title]


def test_english_aliases_find_the_product(seeded: Session) -> None:
    assert product_facts(seeded, product="vacuum flask").title == "不锈钢保温杯"
    assert {sku.title for sku in find_skus(seeded, product="earbuds")} == {"无线蓝牙耳机"}
    assert products_named(seeded, "that shirt of my husband at the address") == []


def test_aliases_are_imported(db_session: Session, tmp_path: Path) -> None:
    data = copy.deepcopy(GOOD)
    data["products"][0]["aliases"] = ["包包", "帆布袋", "包包"]
    import_file(db_session, write(tmp_path, data))
    product = db_session.execute(select(Product).where(Product.title == data["products"][0]["title"])).scalar_one()
    assert [a.alias for a in product.aliases] == ["包包", "帆布袋"]
    assert products_named(db_session, "包包那单") == [product.title]


@pytest.mark.parametrize("aliases", [["长" * 21], [""], ["<b>"], ["x"] * 21, "包包"])
def test_bad_aliases_are_refused_and_nothing_written(db_session: Session, tmp_path: Path, aliases: object) -> None:
    data = copy.deepcopy(GOOD)
    data["products"][0]["aliases"] = aliases
    with pytest.raises(ImportError_):
        import_file(db_session, write(tmp_path, data))
    assert db_session.execute(select(Product)).first() is None


@pytest.mark.parametrize(("product", "height", "weight", "size"), [
    ("T恤", 170, 65, "M"), ("短袖", 170, 66, "L"), ("T恤", 160, 50, "S"), ("牛仔裤", 180, 70, "XL"),
    ("T恤", 195, 90, None),
])
def test_size_advice_from_the_size_chart(seeded: Session, product: str, height: int, weight: int,
                                         size: str | None) -> None:
    advice = advise_size(seeded, product=product, height_cm=height, weight_kg=weight)
    assert advice is not None and advice.size == size and advice.chart[0][0] == "S"


def test_no_size_advice_without_a_chart(seeded: Session) -> None:
    assert advise_size(seeded, product="保温杯", height_cm=170, weight_kg=65) is None
    assert advise_size(seeded, product="T恤", height_cm=0, weight_kg=65) is None


def test_size_charts_are_imported(db_session: Session, tmp_path: Path) -> None:
    data = copy.deepcopy(GOOD)
    data["products"][0]["size_chart"] = [{"size": "均码", "max_height_cm": 185, "max_weight_kg": 90}]
    import_file(db_session, write(tmp_path, data))
    advice = advise_size(db_session, product=data["products"][0]["title"], height_cm=170, weight_kg=60)
    assert advice is not None and advice.size == "均码"
    bad = copy.deepcopy(GOOD)
    bad["products"][0]["size_chart"] = [{"size": "M", "max_height_cm": "tall", "max_weight_kg": 90}]
    with pytest.raises(ImportError_):
        import_file(db_session, write(tmp_path, bad))
