"""Answers Rasa recomputes for every message, remembered, and copies it makes for nothing, skipped:
the same results as Rasa's own code."""

from __future__ import annotations

from typing import Any

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import EventVerbosity

from addons.runtime import domain_is_empty, event_types, quiet_action_log, slot_copy, slot_mapping_answers


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



def _untimed(tracker: Any) -> list[dict[str, Any]]:
    events = tracker.current_state(EventVerbosity.ALL)["events"]
    return [{k: v for k, v in event.items() if k != "timestamp"} for event in events]



def test_event_types_resolve_like_rasa() -> None:
    from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered

    for cls in (SlotSet, UserUttered, ActionExecuted):
        assert event_types.resolve_event_type(cls.type_name) is cls
        assert event_types.resolve_event_type(cls.type_name) is event_types._original_resolve_event(cls.type_name)
    with pytest.raises(ValueError):
        event_types.resolve_event_type("no_such_event")
    assert event_types.resolve_event_type("no_such_event", default=SlotSet) is SlotSet


def test_slot_copies_are_shallow_and_independent_like_copy_copy(
    monkeypatch: pytest.MonkeyPatch, project_domain: Domain,
) -> None:
    import copy

    from rasa.shared.core.slots import Slot

    monkeypatch.delattr(Slot, "__copy__", raising=False)  # copy.copy's generic route, for reference
    for slot in project_domain.slots:
        slot.value = ["a list value"] if slot.value is None else slot.value
        duplicate, reference = slot_copy.copy_slot(slot), copy.copy(slot)
        assert type(duplicate) is type(reference) is type(slot) and duplicate is not slot
        assert duplicate.__dict__ == reference.__dict__ == slot.__dict__
        assert duplicate.value is slot.value  # shallow, as copy.copy
        duplicate.value = "changed"
        assert slot.value != "changed"


def test_logging_an_action_changes_the_tracker_as_rasa_does(project_domain: Domain) -> None:
    from types import SimpleNamespace

    from rasa.core.actions.action import ActionListen
    from rasa.core.policies.policy import PolicyPrediction
    from rasa.shared.core import events as ev

    domain = project_domain
    processor = SimpleNamespace(domain=domain)
    prediction = PolicyPrediction([1.0], "RulePolicy", events=[ev.SlotSet("reason", "quality")])
    for events in (None, [ev.SlotSet("item_id", "16")], [ev.ActionExecutionRejected("return_form")]):
        ours, rasas = _form_tracker(domain), _form_tracker(domain)
        quiet_action_log.log_action_on_tracker(processor, ours, ActionListen(), events, prediction)  # type: ignore[arg-type]
        quiet_action_log._original_log_action(processor, rasas, ActionListen(), events, prediction)  # type: ignore[arg-type]
        assert _untimed(ours) == _untimed(rasas)
        assert len(ours.events) > 6  # something was logged


def test_domain_emptiness_is_rasas(project_domain: Domain) -> None:
    domain = project_domain
    assert domain_is_empty.is_empty_remembered(domain) is domain_is_empty._original_is_empty(domain) is False
    assert domain_is_empty.is_empty_remembered(domain) is False  # remembered
    assert domain_is_empty.is_empty_remembered(Domain.empty()) is True


SHARED_ENTITY_DOMAIN = """
version: "3.1"
entities: [city, note]
slots:
  from_city: {type: text, mappings: [{type: from_entity, entity: city}]}
  to_city: {type: text, mappings: [{type: from_entity, entity: city}]}
  remark: {type: text, mappings: [{type: from_entity, entity: note}]}
forms:
  trip_form: {required_slots: [from_city, to_city, remark]}
"""


@pytest.mark.parametrize("which", ["domain", "shared entity"])
def test_unique_entity_mapping_answers_are_rasas(which: str, project_domain: Domain) -> None:
    """Every slot mapping, with each form active and each slot requested (or none)."""
    from rasa.core.actions.action import ActionExtractSlots
    from rasa.shared.core import events as ev
    from rasa.shared.core.trackers import DialogueStateTracker

    domain = project_domain if which == "domain" else Domain.from_yaml(SHARED_ENTITY_DOMAIN)
    action = ActionExtractSlots(None)
    answers = []
    for form in [None, *domain.form_names]:
        for requested in [None, *(slot.name for slot in domain.slots)]:
            events = [ev.ActiveLoop(form), ev.SlotSet("requested_slot", requested)] if form else []
            tracker = DialogueStateTracker.from_events("shopper", events, domain.slots)
            for slot in domain.slots:
                for mapping in slot.mappings:
                    args = (action, slot.name, mapping, tracker, domain)
                    ours = slot_mapping_answers.fails_unique_entity_mapping_check(*args)
                    again = slot_mapping_answers.fails_unique_entity_mapping_check(*args)
                    assert ours == again == slot_mapping_answers._original_unique_check(*args)
                    answers.append(ours)
    assert len(answers) > 20
    if which == "shared entity":  # from_city and to_city share `city`: not unique while the other is asked
        assert any(answers) and not all(answers)


IGNORING_FORM_DOMAIN = """
version: "3.1"
intents: [inform, chitchat, stop, book]
entities: [city]
slots:
  city:
    type: text
    mappings:
      - {type: from_entity, entity: city, not_intent: [stop]}
      - {type: from_text, intent: [inform, book], conditions: [{active_loop: trip_form, requested_slot: city}]}
      - {type: from_entity, entity: city, intent: book, conditions: [{active_loop: other_form}]}
forms:
  trip_form: {ignored_intents: [chitchat], required_slots: [city]}
  other_form: {required_slots: [city]}
"""


@pytest.mark.parametrize("which", ["domain", "ignored intents"])
def test_mapping_intent_answers_are_rasas(which: str, project_domain: Domain) -> None:
    """Every slot mapping, with each form active (or none) and each intent (or none, or one not in the domain)."""
    from rasa.shared.core import events as ev
    from rasa.shared.core.trackers import DialogueStateTracker

    domain = project_domain if which == "domain" else Domain.from_yaml(IGNORING_FORM_DOMAIN)
    answers = []
    for form in [None, *domain.form_names]:
        for intent in [None, "not_an_intent", *domain.intents]:
            events = [ev.ActiveLoop(form)] if form else []
            if intent:
                events.append(ev.UserUttered("…", {"name": intent, "confidence": 1.0}))
            tracker = DialogueStateTracker.from_events("shopper", events, domain.slots)
            for slot in domain.slots:
                for mapping in slot.mappings:
                    ours = slot_mapping_answers.intent_is_desired_remembered(mapping, tracker, domain)
                    again = slot_mapping_answers.intent_is_desired_remembered(mapping, tracker, domain)
                    assert ours == again == slot_mapping_answers._original_intent_is_desired(mapping, tracker, domain)
                    answers.append(ours)
    assert any(answers) and not all(answers)
    if which == "ignored intents":  # chitchat is ignored by trip_form's mappings only
        chitchat = ev.UserUttered("…", {"name": "chitchat", "confidence": 1.0})
        for form, wanted in (("trip_form", False), ("other_form", True)):
            tracker = DialogueStateTracker.from_events("shopper", [ev.ActiveLoop(form), chitchat], domain.slots)
            first = domain.slots[0].mappings[0]
            assert slot_mapping_answers.intent_is_desired_remembered(first, tracker, domain) is wanted

