"""Every response an action can utter exists in the domain (domain/) (static names and generated ones)."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from actions_testkit import item_ids, make_tracker, names, run_action, token_for, user_event
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from rasa_sdk import Action

import actions.address
import actions.cancel
import actions.confirm
import actions.exchanges
import actions.handoff
import actions.invoices
import actions.items
import actions.logistics
import actions.notices
import actions.orders
import actions.paused_flows
import actions.payments
import actions.products
import actions.refunds
import actions.returns
import actions.satisfaction
import actions.shipping
from actions.confirm import ActionAskConfirmed
from actions.handoff import ActionComplain, ActionFallback, ActionHandoff
from actions.items import ActionAskItemId
from actions.orders import ActionAskOrderId, ActionRouteInform, ActionShowOrder
from actions.shipping import ActionUrgeShipment
from shop.config import PROJECT_ROOT
from shop.models import AFTER_SALE_STATUSES, ORDER_STATUSES
from shop.rules import REASON_KINDS
from shop.seed import DEMO_ORDERS

ACTION_SOURCES = sorted((PROJECT_ROOT / "actions").glob("*.py"))
PROGRESS_CODES = ("awaiting_payment", "packing_today", "packing", "ship_overdue", "in_transit", "in_transit_late",
                  "delivered", "completed", "cancelled")
URGE_CODES = ("not_paid", "already_shipped", "cancelled", "on_time", "overdue")


def test_every_literal_response_exists(domain: dict[str, Any]) -> None:
    literal = re.compile(r'response="(utter_\w+)"')
    used = {(path.name, name) for path in ACTION_SOURCES for name in literal.findall(path.read_text("utf-8"))}
    assert len(used) > 30
    missing = sorted(f"{file}: {name}" for file, name in used if name not in domain["responses"])
    assert not missing


@pytest.mark.parametrize(
    ("pattern", "codes"),
    [
        ("utter_order_status_{}", ORDER_STATUSES),
        ("utter_progress_{}", PROGRESS_CODES),
        ("utter_urge_{}", URGE_CODES),
        ("utter_return_{}", ("not_delivered", "window_expired", "category_not_returnable", "already_requested")),
        ("utter_exchange_{}", ("out_of_stock", "sku_not_found", "same_sku", "not_delivered", "window_expired",
                               "category_not_returnable", "already_requested")),
        ("utter_label_status_{}", ORDER_STATUSES),
        ("utter_label_aftersale_{}", AFTER_SALE_STATUSES),
        ("utter_label_reason_{}", (*REASON_KINDS, "size_mismatch")),
        ("utter_label_exchange_diff_{}", ("none", "pay", "refund")),
        ("utter_label_{}", ("compensation_shipping_fee", "delay_unknown")),
    ],
)
def test_generated_response_names_exist(pattern: str, codes: tuple[str, ...], domain: dict[str, Any]) -> None:
    missing = [pattern.format(code) for code in codes if pattern.format(code) not in domain["responses"]]
    assert not missing


def test_reason_buttons_use_labelled_reasons(domain: dict[str, Any]) -> None:
    payloads = [b["payload"] for b in domain["responses"]["utter_ask_reason"][0]["buttons"]]
    for reason in (re.search(r'"reason": "(\w+)"', p).group(1) for p in payloads):  # type: ignore[union-attr]
        assert f"utter_label_reason_{reason}" in domain["responses"]


def test_every_action_class_is_in_the_domain(domain: dict[str, Any]) -> None:
    modules = (actions.confirm, actions.exchanges, actions.handoff, actions.items, actions.orders,
               actions.returns, actions.shipping, actions.cancel, actions.address, actions.payments,
               actions.invoices, actions.logistics, actions.refunds, actions.satisfaction, actions.products,
               actions.notices, actions.paused_flows)
    found = {
        obj().name()
        for module in modules
        for obj in vars(module).values()
        if isinstance(obj, type) and issubclass(obj, Action) and obj.__module__ == module.__name__
        and not getattr(obj, "__abstractmethods__", None)
    }
    assert found == set(domain["actions"])
    forms = {name for name in found if name.startswith("validate_")}
    assert {f"validate_{form}" for form in domain["forms"]} == forms


@pytest.mark.usefixtures("shop_db")
def test_representative_actions_utter_only_domain_responses(domain: dict[str, Any]) -> None:
    """Every demo order through the order, urge, item and confirm actions, plus the dialogue actions.

    run_action() checks each uttered response (name and parameters) against the domain.
    """
    token = token_for(1)
    seen: set[str] = set()
    for order_no in DEMO_ORDERS.values():
        slots = {"order_id": order_no}
        for action in (ActionShowOrder(), ActionUrgeShipment(), ActionAskItemId()):
            dispatcher, _ = run_action(action, make_tracker(slots, token=token), domain)
            seen.update(names(dispatcher))
    dispatcher, _ = run_action(ActionAskOrderId(), make_tracker(token=token), domain)
    seen.update(names(dispatcher))
    multi_item = DEMO_ORDERS["multi_item"]
    for reason in ("quality", "no_reason"):
        slots = {"order_id": multi_item, "item_id": item_ids(multi_item)[0], "reason": reason}
        tracker = make_tracker(slots, token=token, active_loop="return_form")
        seen.update(names(run_action(ActionAskConfirmed(), tracker, domain)[0]))
    for action, intent in ((ActionRouteInform(), "inform"), (ActionComplain(), "complain"),
                           (ActionFallback(), "nlu_fallback"), (ActionHandoff(), "human_handoff")):
        tracker = make_tracker(events=[user_event("…", intent, token=token)], sender_id=f"conv-{intent}")
        seen.update(names(run_action(action, tracker, domain)[0]))
    problem = user_event("发错货了", "inform", [{"entity": "reason", "value": "wrong_item"}], token=token)
    seen.update(names(run_action(ActionRouteInform(), make_tracker(events=[problem]), domain)[0]))
    assert {f"utter_order_status_{status}" for status in ORDER_STATUSES} <= seen
    assert {f"utter_progress_{code}" for code in PROGRESS_CODES} <= seen
    assert {f"utter_urge_{code}" for code in URGE_CODES} <= seen
    assert {"utter_choose_order", "utter_ask_item_id", "utter_confirm_return", "utter_tracking_stuck",
            "utter_inform_without_context", "utter_reason_without_flow", "utter_complain", "utter_clarify"} <= seen
    assert seen <= set(domain["responses"])



def render(domain: Domain, response: str, slot: str, value: str | None) -> dict[str, Any]:
    """One reply as Rasa renders it for a tracker with `slot` set (conditional variations included)."""
    tracker = DialogueStateTracker.from_events("shopper", [SlotSet(slot, value)], domain.slots)
    reply = asyncio.run(TemplatedNaturalLanguageGenerator(domain.responses).generate(response, tracker, "rest"))
    assert reply is not None
    return reply


@pytest.mark.parametrize(("reason", "expected", "choices"), [
    ("size_mismatch", "换一个尺码", ["/exchange_goods", "/return_goods", "/human_handoff"]),
    ("damaged", "破损", ["/logistics_issue", "/return_goods", "/human_handoff"]),
    ("no_reason", "无理由退货", ["/return_goods", "/cancel_order", "/human_handoff"]),
    ("missing_items", "少件", ['/logistics_issue{"logistics_problem": "missing_items"}', "/human_handoff"]),
    ("quality", "商品有问题", ["/return_goods", "/exchange_goods", "/logistics_issue", "/human_handoff"]),
    ("wrong_item", "商品有问题", ["/return_goods", "/exchange_goods", "/logistics_issue", "/human_handoff"]),
])
def test_after_sales_choices_fit_the_reason(project_domain: Domain, reason: str, expected: str,
                                           choices: list[str]) -> None:
    """utter_reason_without_flow's variation is picked by Rasa from the reason slot (conditions in domain/responses)."""
    for _ in range(5):  # variations are drawn at random among those whose condition holds
        reply = render(project_domain, "utter_reason_without_flow", "reason", reason)
        assert expected in reply["text"]
        assert [button["payload"] for button in reply["buttons"]] == choices


@pytest.mark.parametrize(("requested", "expected"), [(None, "还有其他可以帮您的吗？"), ("order_id", "好的～")])
def test_a_yes_without_a_question_inside_a_form_only_acknowledges(project_domain: Domain, requested: str | None,
                                                                  expected: str) -> None:
    assert render(project_domain, "utter_affirm_without_question", "requested_slot", requested)["text"] == expected
