"""Never leave a shopper in silence when the action server fails.

Rasa 3.6 logs a failed custom action (server down, timeout, crash) and then just waits for
the next message: the shopper sees nothing. It has no hook for this, so `ActionFailureGuard`
(listed under `policies` in config.yml, so every process that loads the model installs it:
`rasa run`, `rasa shell`, `rasa test`) wraps remote actions: a failure is logged and
answered with `utter_system_busy`, which offers a human. The guard itself never predicts.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.core.actions.action import ActionExecutionRejection, RemoteAction, create_bot_utterance
from rasa.core.policies.policy import Policy, PolicyPrediction, SupportedData
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.domain import Domain
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

logger = logging.getLogger(__name__)

BUSY_RESPONSE = "utter_system_busy"
_original_run = RemoteAction.run


async def _run_or_apologise(self: RemoteAction, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> list:
    try:
        return await _original_run(self, output_channel, nlg, tracker, domain)
    except ActionExecutionRejection:
        raise  # a form's normal "not for me", not a failure
    except Exception:
        logger.exception("custom action '%s' failed; answering with %s", self.name(), BUSY_RESPONSE)
        response = await nlg.generate(BUSY_RESPONSE, tracker, output_channel.name())
        return [create_bot_utterance(response)] if response else []


def install() -> None:
    """Idempotent: wrap RemoteAction.run once per process."""
    if RemoteAction.run is not _run_or_apologise:
        RemoteAction.run = _run_or_apologise  # type: ignore[method-assign]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=False)
class ActionFailureGuard(Policy):
    """Carrier of the guard: installing it is its whole job; it predicts nothing."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"priority": 1}  # irrelevant: it never predicts

    @staticmethod
    def supported_data() -> SupportedData:
        return SupportedData.ML_AND_RULE_DATA

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        featurizer: Any | None = None,
    ) -> None:
        super().__init__(config, model_storage, resource, execution_context, featurizer)
        install()

    def train(self, training_trackers: list[TrackerWithCachedStates], domain: Domain, **kwargs: Any) -> Resource:
        return self._resource

    def predict_action_probabilities(
        self, tracker: DialogueStateTracker, domain: Domain, rule_only_data: dict | None = None, **kwargs: Any
    ) -> PolicyPrediction:
        return self._prediction(self._default_predictions(domain))
