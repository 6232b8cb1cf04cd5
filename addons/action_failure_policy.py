"""Never leave a shopper in silence when the action server fails.

When a custom action or a form's validation cannot reach the action server (or it
crashes), Rasa logs the error, records the action with no events, and would simply wait
for the next message. Every Xiaoer action returns at least one event, so "a custom action
just ran and produced nothing" means it failed: this policy then answers with
`utter_system_busy` (which offers a human), outranking the rules.
"""

from __future__ import annotations

from typing import Any, Optional

from rasa.core.policies.policy import Policy, PolicyPrediction, SupportedData
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

BUSY_RESPONSE = "utter_system_busy"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=False)
class ActionFailurePolicy(Policy):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        # Above RulePolicy (6): a failure must be answered before any rule continues.
        return {"priority": 7}

    @staticmethod
    def supported_data() -> SupportedData:
        return SupportedData.ML_AND_RULE_DATA

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        featurizer: Optional[Any] = None,
    ) -> None:
        super().__init__(config, model_storage, resource, execution_context, featurizer)

    def train(self, training_trackers: list[TrackerWithCachedStates], domain: Domain, **kwargs: Any) -> Resource:
        return self._resource

    def predict_action_probabilities(
        self, tracker: DialogueStateTracker, domain: Domain, rule_only_data: Optional[dict] = None, **kwargs: Any
    ) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        if self._last_custom_action_failed(tracker, domain) and BUSY_RESPONSE in domain.action_names_or_texts:
            probabilities[domain.index_for_action(BUSY_RESPONSE)] = 1.0
        return self._prediction(probabilities)

    @staticmethod
    def _last_custom_action_failed(tracker: DialogueStateTracker, domain: Domain) -> bool:
        if not tracker.events:
            return False
        last = tracker.events[-1]
        if not isinstance(last, ActionExecuted) or last.action_name is None:
            return False
        custom = set(domain.user_actions) | set(domain.form_names)
        return last.action_name in custom
