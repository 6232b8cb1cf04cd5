"""The most specific matching response variant is the one rendered (addons/nlg.py, issue 35)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import yaml
from rasa.core.nlg.generator import NaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from addons.nlg import MostSpecificResponseGenerator, most_specific
from tests.integration.conftest import ROOT

EN = {"type": "slot", "name": "language", "value": "en"}
MISSING = {"type": "slot", "name": "logistics_problem", "value": "missing_items"}
# A response as the translator writes them: Chinese variants without a language condition.
DOMAIN = Domain.from_dict({
    "slots": {
        "language": {"type": "categorical", "values": ["zh", "en"], "initial_value": "zh",
                     "influence_conversation": False, "mappings": [{"type": "custom"}]},
        "logistics_problem": {"type": "text", "influence_conversation": False, "mappings": [{"type": "custom"}]},
    },
    "responses": {
        "utter_ask_item_id": [
            {"condition": [MISSING], "text": "请选择少发的是哪件商品："},
            {"text": "请选择要办理的商品："},
            {"condition": [MISSING, EN], "text": "Which item is missing?"},
            {"condition": [EN], "text": "Which item is it about?"},
        ],
        "utter_only_chinese": [{"text": "好的"}],
    },
})


def rendered(response: str, **slots: Any) -> set[str]:
    """Every text the generator renders for `response` with these slots (many draws: it is random)."""
    nlg = NaturalLanguageGenerator.create(EndpointConfig(type="addons.nlg.MostSpecificResponseGenerator"), DOMAIN)
    tracker = DialogueStateTracker.from_events("s", [SlotSet(k, v) for k, v in slots.items()], DOMAIN.slots)
    return {asyncio.run(nlg.generate(response, tracker, "rest"))["text"] for _ in range(40)}


@pytest.mark.parametrize(("slots", "expected"), [
    ({}, {"请选择要办理的商品："}),
    ({"logistics_problem": "missing_items"}, {"请选择少发的是哪件商品："}),
    ({"language": "en"}, {"Which item is it about?"}),
    ({"language": "en", "logistics_problem": "missing_items"}, {"Which item is missing?"}),
    ({"language": "en", "logistics_problem": "damaged"}, {"Which item is it about?"}),
])
def test_the_most_specific_matching_variant_is_rendered(slots: dict[str, str], expected: set[str]) -> None:
    assert rendered("utter_ask_item_id", **slots) == expected


def test_rasa_builds_it_from_endpoints_yml() -> None:
    config = yaml.safe_load((ROOT / "endpoints.yml").read_text(encoding="utf-8"))["nlg"]
    nlg = NaturalLanguageGenerator.create(EndpointConfig(type=config["type"]), DOMAIN)
    assert isinstance(nlg, MostSpecificResponseGenerator)


def test_a_response_without_english_stays_as_it_is_and_unknown_ones_are_none() -> None:
    assert rendered("utter_only_chinese", language="en") == {"好的"}
    nlg = MostSpecificResponseGenerator(domain=DOMAIN)
    tracker = DialogueStateTracker.from_events("s", [], DOMAIN.slots)
    assert asyncio.run(nlg.generate("utter_nothing", tracker, "rest")) is None


def test_variants_without_conditions_are_all_kept() -> None:
    plain = [{"text": "a"}, {"text": "b"}]
    assert most_specific(plain) == plain
    assert most_specific([]) == []


@pytest.mark.parametrize(("slots", "english"), [
    ({"language": "en", "logistics_problem": "missing_items"}, "missing"),
    ({"language": "en"}, "about"),
    ({"language": "en", "requested_slot": None}, None),
])
def test_the_real_domain_answers_in_english_with_and_without_other_conditions(
    slots: dict[str, Any], english: str | None
) -> None:
    """Every conditional response of the domain, with language=en: only English comes out."""
    import re
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        domain = Domain.load(str(ROOT / "domain"))
    nlg = MostSpecificResponseGenerator(domain=domain)
    tracker = DialogueStateTracker.from_events("s", [SlotSet(k, v) for k, v in slots.items()], domain.slots)
    conditional = [name for name, variants in domain.responses.items()
                   if any(len(v.get("condition") or []) > 1 for v in variants)]
    assert "utter_ask_item_id" in conditional
    for name in conditional:
        for _ in range(10):
            text = asyncio.run(nlg.generate(name, tracker, "rest"))["text"]
            assert not re.search(r"[\u4e00-\u9fff]", text), (name, text)
    if english:
        assert english in asyncio.run(nlg.generate("utter_ask_item_id", tracker, "rest"))["text"]
