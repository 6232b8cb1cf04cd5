"""Everyday product words (the catalogue's aliases) in a typed choice: "螃蟹那单" names the 大闸蟹 order."""

from __future__ import annotations

from rasa_sdk.executor import CollectingDispatcher

from actions.backend import BackendUnavailable, shop_session
from shop.services.catalogue import products_named


def with_product_titles(words: str, dispatcher: CollectingDispatcher) -> str:
    """The words, followed by the titles of the products their everyday words name, so that choosing
    among orders or items by their titles finds them ("螃蟹那单" → "螃蟹那单 阳澄湖大闸蟹礼盒")."""
    try:
        with shop_session(dispatcher) as session:
            titles = products_named(session, words)
    except BackendUnavailable:
        return words
    return " ".join([words, *titles]) if titles else words
