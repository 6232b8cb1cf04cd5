"""Action calls are Rasa's, but for the domain's response texts (labels kept)."""

from __future__ import annotations

from typing import Any

from rasa.core.actions.action import RemoteAction
from rasa.shared.core.domain import Domain
from rasa.utils.endpoints import EndpointConfig

from addons.runtime import slim_action_domain


def test_slim_domain_keeps_labels_and_structure_only(project_domain: Domain) -> None:
    domain = project_domain
    responses_before = len(domain.as_dict()["responses"])
    full, slim = domain.as_dict(), slim_action_domain.slim_domain(domain)
    assert len(domain.as_dict()["responses"]) == responses_before > len(slim["responses"])  # domain left whole
    assert slim["responses"], "label responses must reach the action server (actions/wording.py)"
    assert all(name.startswith(slim_action_domain.LABEL_PREFIX) for name in slim["responses"])
    labels = {k: v for k, v in full["responses"].items() if k.startswith(slim_action_domain.LABEL_PREFIX)}
    assert labels == slim["responses"]
    assert {k: v for k, v in slim.items() if k != "responses"} == {k: v for k, v in full.items() if k != "responses"}
    assert slim_action_domain.slim_domain(domain) is slim  # computed once per domain


def _form_tracker(domain: Domain) -> Any:
    from rasa.shared.core import events as ev
    from rasa.shared.core.trackers import DialogueStateTracker

    parse = {"intent": {"name": "return_goods", "confidence": 0.97},
             "intent_ranking": [{"name": "return_goods", "confidence": 0.97},
                                {"name": "query_order", "confidence": 0.02}],
             "entities": [{"entity": "order_id", "value": "8800000100000016", "start": 2, "end": 18}],
             "response_selector": {"product_inquiry": {"ranking": [{"intent_response_key": "x", "confidence": 1.0}]}}}
    events = [ev.ActionExecuted("action_listen"), ev.UserUttered("订单8800000100000016要退货", parse),
              ev.SlotSet("order_id", "8800000100000016"), ev.ActionExecuted("return_form"),
              ev.ActiveLoop("return_form"), ev.SlotSet("requested_slot", "item_id")]
    return DialogueStateTracker.from_events("shopper", events, domain.slots)


def test_action_call_body_is_rasas_with_the_slim_domain(project_domain: Domain) -> None:
    domain = project_domain
    action = RemoteAction("action_ask_item_id", EndpointConfig("http://127.0.0.1:9/webhook"))
    tracker = _form_tracker(domain)
    assert tracker.active_loop is not None and tracker.active_loop.trigger_message
    ours = slim_action_domain.call_format_with_slim_domain(action, tracker, domain)
    rasas = slim_action_domain._original_call_format(action, tracker, domain)
    assert ours["domain"] is slim_action_domain.slim_domain(domain)
    assert {k: v for k, v in ours.items() if k != "domain"} == {k: v for k, v in rasas.items() if k != "domain"}
