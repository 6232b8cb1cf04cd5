"""What a shop's product page lists: each product with its lowest price and whether any is in stock."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shop.models import Product, Sku

MAX_PRODUCTS = 100


@dataclass(frozen=True)
class ProductCard:
    title: str
    category: str
    lowest_price: Decimal
    in_stock: bool


def product_cards(session: Session, *, limit: int = 24) -> list[ProductCard]:
    statement = (
        select(Product.title, Product.category, func.min(Sku.price), func.max(Sku.stock - Sku.reserved))
        .join(Sku, Sku.product_id == Product.id)
        .group_by(Product.id, Product.title, Product.category)
        .order_by(Product.id)
        .limit(max(1, min(limit, MAX_PRODUCTS)))
    )
    return [ProductCard(title, category, Decimal(price), (available or 0) > 0)
            for title, category, price, available in session.execute(statement).all()]
