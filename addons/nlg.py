"""Responses rendered by their most specific matching variant (issue 35, bilingual replies).

Reason: a response's English variant is the Chinese variant's conditions plus `language: en`. Rasa
3.6's TemplatedNaturalLanguageGenerator picks at random among *all* conditional variants whose
conditions hold, so with language=en a response that already has a condition (utter_ask_item_id on
logistics_problem) would answer in Chinese half the time. Here only the matching variants with the
most conditions are candidates; everything else (channel-specific variants first, unconditional
variants when no condition holds, slot filling) is Rasa's own. Named in endpoints.yml (`nlg: type:
addons.nlg.MostSpecificResponseGenerator`); Rasa loads it by module path and hands it the domain's
responses when the model loads.
Test: tests/addons/test_nlg.py (real trackers and the real domain).
"""

from __future__ import annotations

import logging
import random
from typing import Any

from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.core.nlg.generator import ResponseVariationFilter
from rasa.shared.constants import RESPONSE_CONDITION
from rasa.shared.core.domain import Domain
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)


def most_specific(variants: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The variants with the most conditions (all of them if none has a condition)."""
    most = max((len(v.get(RESPONSE_CONDITION) or []) for v in variants), default=0)
    return [v for v in variants if len(v.get(RESPONSE_CONDITION) or []) == most]


class MostSpecificResponseGenerator(TemplatedNaturalLanguageGenerator):
    """Rasa's templated generator, choosing among the most specific matching variants only."""

    def __init__(self, endpoint_config: EndpointConfig | None = None, domain: Domain | None = None) -> None:
        super().__init__(domain.responses if domain else {})

    def _random_response_for(
        self, utter_action: str, output_channel: str, filled_slots: dict[str, Any]
    ) -> dict[str, Any] | None:
        if utter_action not in self.responses:
            return None
        suitable = ResponseVariationFilter(self.responses).responses_for_utter_action(
            utter_action, output_channel, filled_slots
        )
        candidates = most_specific(suitable)
        return random.choice(candidates) if candidates else None  # noqa: S311 - wording, not security
