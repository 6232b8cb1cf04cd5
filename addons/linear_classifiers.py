"""Intent classifier and FAQ response selector without TensorFlow or skops.

`LinearIntentClassifier` is Rasa's LogisticRegressionClassifier (same features, same
scikit-learn training, class_weight balanced), stored as arrays so it loads in milliseconds.
`LinearResponseSelector` replaces Rasa's ResponseSelector (a DIET network: 12 s to load,
TensorFlow on every message) for one retrieval intent: a linear model over the same features
picks the topic (e.g. product_inquiry/size_advice) and writes the message property that
Rasa's `utter_product_inquiry` action reads. Figures: docs/benchmarks.md.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.featurizers.featurizer import Featurizer
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import INTENT, INTENT_RESPONSE_KEY, TEXT
from rasa.shared.nlu.training_data import util
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.shared.utils.io import raise_warning

from addons.linear_model import SOLVER, SoftmaxModel, sentence_features, sentence_rows

logger = logging.getLogger(__name__)

MODEL_FILE = "model"
RESPONSES_FILE = "responses.json"


class _LinearComponent(GraphComponent):
    """Shared plumbing: config, persistence and scikit-learn options."""

    @classmethod
    def required_components(cls) -> list[type]:
        return [Featurizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"max_iter": 200, "solver": SOLVER, "tol": 1e-4, "C": 1.0, "random_state": 42, "ranking_length": 10}

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource) -> None:
        self.config = {**self.get_default_config(), **config}
        if self.config["solver"] != SOLVER:  # the model's softmax is lbfgs's (addons/linear_model.py)
            raise InvalidConfigException(
                f"{type(self).__name__}: solver must be {SOLVER!r}, not {self.config['solver']!r}")
        self._model_storage = model_storage
        self._resource = resource
        self.model: SoftmaxModel | None = None

    @classmethod
    def create(
        cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
        execution_context: ExecutionContext,
    ) -> _LinearComponent:
        return cls(config, model_storage, resource)

    def _fit(self, examples: list[Message], labels: list[str]) -> None:
        options = {key: self.config[key] for key in ("max_iter", "solver", "tol", "C", "random_state")}
        self.model = SoftmaxModel.fit(sentence_features(examples), labels, **options)

    def _ranking(self, messages: list[Message]) -> list[list[dict[str, Any]]]:
        assert self.model is not None
        return self.model.ranking(sentence_rows(messages), self.config["ranking_length"])

    def persist(self, extra: dict[str, Any] | None = None) -> None:
        if self.model is None:
            return
        with self._model_storage.write_to(self._resource) as directory:
            self.model.save(directory, MODEL_FILE)
            if extra is not None:
                (directory / RESPONSES_FILE).write_text(json.dumps(extra, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def _load_parts(cls, model_storage: ModelStorage, resource: Resource) -> tuple[SoftmaxModel, dict[str, Any]] | None:
        try:
            with model_storage.read_from(resource) as directory:
                extra_path = directory / RESPONSES_FILE
                extra = json.loads(extra_path.read_text(encoding="utf-8")) if extra_path.exists() else {}
                return SoftmaxModel.load(directory, MODEL_FILE), extra
        except (ValueError, FileNotFoundError):
            logger.debug("%s: no trained model in resource '%s'", cls.__name__, resource.name)
            return None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearIntentClassifier(_LinearComponent, IntentClassifier):
    """Logistic regression over the sentence features; sets `intent` and `intent_ranking`."""

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        if examples:
            self._fit(examples, [e.get(INTENT) for e in examples])
            self.persist()
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        if self.model is None or not messages:
            return messages
        for message, ranking in zip(messages, self._ranking(messages), strict=True):
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set("intent_ranking", ranking, add_to_output=True)
        return messages

    @classmethod
    def load(
        cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
        execution_context: ExecutionContext, **kwargs: Any,
    ) -> LinearIntentClassifier:
        component = cls(config, model_storage, resource)
        parts = cls._load_parts(model_storage, resource)
        if parts:
            component.model = parts[0]
        return component


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearResponseSelector(_LinearComponent):
    """Picks the sub-intent of one retrieval intent (config `retrieval_intent`) and its responses."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**_LinearComponent.get_default_config(), "retrieval_intent": None}

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource) -> None:
        super().__init__(config, model_storage, resource)
        self.retrieval_intent: str = self.config["retrieval_intent"]
        if not self.retrieval_intent:
            raise ValueError("LinearResponseSelector needs `retrieval_intent` in config.yml")
        self.responses: dict[str, list[dict[str, Any]]] = {}
        self.all_retrieval_intents: list[str] = []

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples
                    if e.get(INTENT) == self.retrieval_intent and e.get(INTENT_RESPONSE_KEY) and e.get(TEXT)]
        answered = {util.template_key_to_intent_response_key(key) for key in training_data.responses}
        unanswered = sorted({e.get(INTENT_RESPONSE_KEY) for e in examples} - answered)
        if unanswered:  # a topic without an answer must never be picked
            raise_warning(f"{self.retrieval_intent}: no response for {', '.join(unanswered)}; "
                          f"these topics are left out until the domain has utter_<topic> responses.")
            examples = [e for e in examples if e.get(INTENT_RESPONSE_KEY) in answered]
        if examples:
            self._fit(examples, [e.get(INTENT_RESPONSE_KEY) for e in examples])
            self.all_retrieval_intents = sorted(training_data.retrieval_intents)
            self.responses = {key: value for key, value in training_data.responses.items()
                              if util.template_key_to_intent_response_key(key) in self.model.labels}
            self.persist({"responses": self.responses, "all_retrieval_intents": self.all_retrieval_intents})
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        # Only messages classified as the retrieval intent need a topic (saves a feature pass a message).
        asking = [m for m in messages if (m.get(INTENT) or {}).get("name") == self.retrieval_intent]
        if self.model is None or not asking:
            return messages
        for message, ranking in zip(asking, self._ranking(asking), strict=True):
            self._set_prediction(message, ranking)
        return messages

    def _set_prediction(self, message: Message, ranking: list[dict[str, Any]]) -> None:
        """The same message property Rasa's ResponseSelector writes (rasa.nlu.selectors.response_selector)."""
        top = ranking[0]["name"]
        utter_action = util.intent_response_key_to_template_key(top)
        prediction = {
            "response": {
                "responses": self.responses.get(utter_action, []),
                "confidence": ranking[0]["confidence"],
                INTENT_RESPONSE_KEY: top,
                "utter_action": utter_action,
            },
            "ranking": [{"confidence": r["confidence"], INTENT_RESPONSE_KEY: r["name"]} for r in ranking],
        }
        properties = message.get("response_selector", {})
        properties["all_retrieval_intents"] = self.all_retrieval_intents
        properties[self.retrieval_intent] = prediction
        message.set("response_selector", properties, add_to_output=True)

    @classmethod
    def load(
        cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
        execution_context: ExecutionContext, **kwargs: Any,
    ) -> LinearResponseSelector:
        component = cls(config, model_storage, resource)
        parts = cls._load_parts(model_storage, resource)
        if parts:
            component.model, extra = parts
            component.responses = extra.get("responses", {})
            component.all_retrieval_intents = extra.get("all_retrieval_intents", [])
        return component
