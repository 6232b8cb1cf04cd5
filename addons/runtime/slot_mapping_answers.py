"""Two questions Rasa asks for every slot mapping of every message, answered once per key.

Reason: whether an entity mapping is unique to its form (Rasa builds a FormAction and every form's
unique mappings afresh for each mapping) and whether a mapping takes the message's intent (Rasa
rebuilds the active form's ignored intents each time) depend only on the domain, the mapping, the
active form and the slot or intent, so the answers are remembered.
Figure: 2.7 % of Rasa's time under load; the 12 entity-mapping checks of a message 193 → 45 µs;
ActionExtractSlots.run with a form active 776 → 256 µs (docs/benchmarks.md, decisions 15 and 23).
Test: tests/addons/runtime/test_caches.py (Rasa's answers for every mapping of the domain, each form
active or none, each intent or none).
"""

from __future__ import annotations

from typing import Any

from rasa.core.actions.action import ActionExtractSlots
from rasa.shared.core.domain import Domain
from rasa.shared.core.slot_mappings import SlotMapping
from rasa.shared.core.trackers import DialogueStateTracker

_original_unique_check = ActionExtractSlots._fails_unique_entity_mapping_check
_original_intent_is_desired = SlotMapping.intent_is_desired


_unique_mapping_answers: dict[tuple, tuple[Domain, dict, bool]] = {}


def fails_unique_entity_mapping_check(
    self: ActionExtractSlots, slot_name: str, mapping: dict[str, Any], tracker: DialogueStateTracker,
    domain: Domain,
) -> bool:
    """Rasa builds a FormAction and every form's unique entity mappings afresh for each slot mapping of
    each message (2.7 % of Rasa's time under load). Past the checks on the tracker, which stay here,
    the answer depends only on the domain, the form, the slot and the mapping, so it is remembered."""
    if mapping.get("type") != "from_entity" or not tracker.active_loop_name:
        return False
    if tracker.get_slot("requested_slot") == slot_name:
        return False
    key = (id(domain), id(mapping), tracker.active_loop_name, slot_name)
    known = _unique_mapping_answers.get(key)
    if known is None or known[0] is not domain or known[1] is not mapping:  # ids of objects gone can recur
        answer = _original_unique_check(self, slot_name, mapping, tracker, domain)
        known = _unique_mapping_answers[key] = (domain, mapping, answer)
    return known[2]


_intent_answers: dict[tuple, tuple[Domain, dict, bool]] = {}


def intent_is_desired_remembered(mapping: dict[str, Any], tracker: DialogueStateTracker, domain: Domain) -> bool:
    """Rasa asks this for every mapping of every slot on every message (41 mappings here), rebuilding
    the form's ignored intents each time: 0.1-0.2 ms a message with a form active. The answer depends
    only on the mapping, the domain's forms, the active form and the message's intent."""
    intent = tracker.latest_message.intent.get("name") if tracker.latest_message else None
    key = (id(domain), id(mapping), tracker.active_loop_name, intent)
    known = _intent_answers.get(key)
    if known is None or known[0] is not domain or known[1] is not mapping:  # ids of objects gone can recur
        known = _intent_answers[key] = (domain, mapping, _original_intent_is_desired(mapping, tracker, domain))
    return known[2]


def install() -> None:
    ActionExtractSlots._fails_unique_entity_mapping_check = fails_unique_entity_mapping_check  # type: ignore[method-assign]
    SlotMapping.intent_is_desired = staticmethod(intent_is_desired_remembered)  # type: ignore[method-assign,assignment]


def uninstall() -> None:
    ActionExtractSlots._fails_unique_entity_mapping_check = _original_unique_check  # type: ignore[method-assign]
    SlotMapping.intent_is_desired = _original_intent_is_desired  # type: ignore[method-assign]
