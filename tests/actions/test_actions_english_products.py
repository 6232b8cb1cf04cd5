"""A product named in English chooses its orders as its Chinese word does (issue 35)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from actions_testkit import make_tracker, message, names, run_action, token_for, user_event
from rasa_sdk.executor import CollectingDispatcher

from actions.returns import ValidateReturnForm
from actions.wording import speaking
from shop.seed import DEMO_ORDERS

pytestmark = pytest.mark.usefixtures("shop_db")


def starting_with(text: str, intent: str, product: str) -> Any:
    entities = [{"entity": "product", "value": product}]
    return make_tracker(events=[user_event(text, intent, entities=entities, token=token_for(1))],
                        active_loop="return_form")


@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_t_shirt_named_in_english_offers_both_t_shirt_orders(language: str, domain: dict[str, Any]) -> None:
    """"I want to return the T-shirt" (T恤 to the NLU): two delivered orders hold one, both are offered;
    never "you can't return an item for that order yet" (orders were matched by their English names)."""
    dispatcher = CollectingDispatcher()
    with speaking(language, domain):
        extracted = asyncio.run(ValidateReturnForm().extract_order_id(
            dispatcher, starting_with("I want to return the T-shirt", "return_goods", "T恤"), domain))
    assert extracted == {"order_product": "T恤"}
    assert "utter_product_order_not_for_flow" not in names(dispatcher)


def test_a_product_not_returnable_yet_is_named_in_english(domain: dict[str, Any]) -> None:
    """"can I return the fitness band" while it is on its way: the English name, not 「手环」."""
    dispatcher = CollectingDispatcher()
    with speaking("en", domain):
        asyncio.run(ValidateReturnForm().extract_order_id(
            dispatcher, starting_with("can I return the fitness band", "return_goods", "手环"), domain))
    said = message(dispatcher, "utter_product_order_not_for_flow")
    assert (said["product"], said["order_no"]) == ("Smart fitness band", DEMO_ORDERS["in_transit"])


def test_the_order_question_names_the_product_in_english(domain: dict[str, Any]) -> None:
    """'2 orders include "Cotton crew-neck T-shirt"', never 「T恤」, in English (issue 35)."""
    from actions.orders import ActionAskOrderId

    tracker = make_tracker({"order_product": "T恤", "language": "en"}, token=token_for(1), active_loop="return_form")
    with speaking("en", domain):
        dispatcher, _ = run_action(ActionAskOrderId(), tracker, domain)
    assert message(dispatcher, "utter_choose_order_with_product")["product"] == "Cotton crew-neck T-shirt"
    tracker = make_tracker({"order_product": "T恤"}, token=token_for(1), active_loop="return_form")
    dispatcher, _ = run_action(ActionAskOrderId(), tracker, domain)
    assert message(dispatcher, "utter_choose_order_with_product")["product"] == "T恤"
