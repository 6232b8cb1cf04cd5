"""Stock, price and product facts for pre-sales questions; the everyday words (aliases) products go by."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from shop.models import Product, ProductAlias, Sku
from shop.services.views import ProductFactsView, SizeAdviceView, SkuView

MAX_RESULTS = 20


def find_skus(
    session: Session, *, product: str | None, size: str | None = None, color: str | None = None
) -> list[SkuView]:
    """SKUs whose product title contains ``product`` (or whose code equals it)."""
    stmt = select(Sku, Product).join(Product, Product.id == Sku.product_id)
    if product:
        term = product.strip()
        stmt = stmt.where(or_(Product.title.contains(term, autoescape=True), Sku.sku_code == term,
                              Product.id.in_(_aliased(term))))
    if size:
        wanted = size.strip().upper() if size.strip().isalpha() else size.strip()
        stmt = stmt.where(Sku.size == wanted)
    if color:
        stmt = stmt.where(Sku.color == color.strip())
    stmt = stmt.order_by(Product.id, Sku.id).limit(MAX_RESULTS)
    return [
        SkuView(sku.sku_code, prod.title, sku.size, sku.color, sku.price, max(0, sku.stock - sku.reserved),
                prod.name_en)
        for sku, prod in session.execute(stmt)
    ]


def product_facts(session: Session, *, product: str) -> ProductFactsView | None:
    """The 商品参数 of the first product whose title contains ``product``; None when none does."""
    term = product.strip()
    if not term:
        return None
    stmt = (select(Product).where(or_(Product.title.contains(term, autoescape=True), Product.id.in_(_aliased(term))))
            .order_by(Product.id).limit(1))
    found = session.execute(stmt).scalar_one_or_none()
    if found is None:
        return None
    facts = sorted(found.facts, key=lambda fact: fact.position)  # order_by applies only when loaded
    return ProductFactsView(found.title, tuple((fact.name, fact.value) for fact in facts), found.name_en)


def _aliased(term: str) -> Any:
    """The ids of products that `term` is an alias of."""
    return select(ProductAlias.product_id).where(ProductAlias.alias == term)


def products_named(session: Session, words: str) -> list[str]:
    """The titles of the products whose aliases the words hold ("螃蟹那单" → 阳澄湖大闸蟹礼盒), longest alias
    first; a title the words hold itself needs no alias and is not listed."""
    text = (words or "").lower()
    if not text.strip():
        return []
    rows = session.execute(select(ProductAlias.alias, Product.title).join(Product)).all()
    found: list[str] = []
    for alias, title in sorted(rows, key=lambda row: -len(row[0])):
        if alias.lower() in text and title not in found and title.lower() not in text:
            found.append(title)
    return found


def advise_size(session: Session, *, product: str, height_cm: int, weight_kg: int) -> SizeAdviceView | None:
    """The product's smallest size that fits both the height and the weight, from its size chart (by
    title or alias); None when no such product has a chart. A shopper beyond the largest size gets
    size None (the chart is still given)."""
    term = product.strip()
    if not term or not 0 < height_cm < 260 or not 0 < weight_kg < 300:
        return None
    stmt = (select(Product).where(or_(Product.title.contains(term, autoescape=True), Product.id.in_(_aliased(term))))
            .where(Product.size_chart.any()).order_by(Product.id).limit(1))
    found = session.execute(stmt).scalar_one_or_none()
    if found is None:
        return None
    rows = sorted(found.size_chart, key=lambda row: row.position)
    fitting = next((row.size for row in rows if height_cm <= row.max_height_cm and weight_kg <= row.max_weight_kg),
                   None)
    chart = tuple((row.size, row.max_height_cm, row.max_weight_kg) for row in rows)
    return SizeAdviceView(found.title, fitting, chart, found.name_en)
