"""Stock, price and product facts for pre-sales questions."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from shop.models import Product, Sku
from shop.services.views import ProductFactsView, SkuView

MAX_RESULTS = 20


def find_skus(
    session: Session, *, product: str | None, size: str | None = None, color: str | None = None
) -> list[SkuView]:
    """SKUs whose product title contains ``product`` (or whose code equals it)."""
    stmt = select(Sku, Product).join(Product, Product.id == Sku.product_id)
    if product:
        term = product.strip()
        stmt = stmt.where(or_(Product.title.contains(term, autoescape=True), Sku.sku_code == term))
    if size:
        wanted = size.strip().upper() if size.strip().isalpha() else size.strip()
        stmt = stmt.where(Sku.size == wanted)
    if color:
        stmt = stmt.where(Sku.color == color.strip())
    stmt = stmt.order_by(Product.id, Sku.id).limit(MAX_RESULTS)
    return [
        SkuView(sku.sku_code, prod.title, sku.size, sku.color, sku.price, max(0, sku.stock - sku.reserved))
        for sku, prod in session.execute(stmt)
    ]


def product_facts(session: Session, *, product: str) -> ProductFactsView | None:
    """The 商品参数 of the first product whose title contains ``product``; None when none does."""
    term = product.strip()
    if not term:
        return None
    stmt = select(Product).where(Product.title.contains(term, autoescape=True)).order_by(Product.id).limit(1)
    found = session.execute(stmt).scalar_one_or_none()
    if found is None:
        return None
    facts = sorted(found.facts, key=lambda fact: fact.position)  # order_by applies only when loaded
    return ProductFactsView(found.title, tuple((fact.name, fact.value) for fact in facts))
