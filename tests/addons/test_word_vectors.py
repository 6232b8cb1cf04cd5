"""Pretrained word vectors as a dense sentence feature: what a message gets, and that a stored model
gives the same features without the package."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, FEATURE_TYPE_SEQUENCE, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from addons.word_vectors import WordVectorFeaturizer, _word_probability, package_vectors

CONTEXT = ExecutionContext(GraphSchema({}), "test")


def _messages(*texts: str) -> list[Message]:
    messages = [Message(data={TEXT: text, INTENT: "query_order"}) for text in texts]
    WhitespaceTokenizer(WhitespaceTokenizer.get_default_config()).process_training_data(TrainingData(messages))
    return messages


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[WordVectorFeaturizer, LocalModelStorage]:
    storage = LocalModelStorage(tmp_path_factory.mktemp("storage"))
    config = {**WordVectorFeaturizer.get_default_config(), "scale": 2.0}
    featurizer = WordVectorFeaturizer.create(config, storage, Resource("vectors"), CONTEXT)
    featurizer.train(TrainingData(_messages("我 要 退货")))
    return featurizer, storage


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


def test_package_vectors_are_unit_rows_of_one_width() -> None:
    words, vectors = package_vectors()
    assert len(words) == vectors.shape[0] > 50_000
    assert vectors.shape[1] == 200
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert {"退货", "快递", "发票"} <= set(words)


def test_a_message_gets_one_sentence_feature_and_no_sequence_feature(trained: tuple) -> None:
    featurizer, _ = trained
    [message] = featurizer.process(_messages("快递 到 哪 了"))
    sentence = [f for f in message.features if f.attribute == TEXT and f.type == FEATURE_TYPE_SENTENCE]
    sequence = [f for f in message.features if f.attribute == TEXT and f.type == FEATURE_TYPE_SEQUENCE]
    assert len(sentence) == 1 and not sequence
    assert sentence[0].features.shape == (1, 200)
    assert not any(f.is_sparse() for f in sentence)


def test_the_feature_is_the_mean_of_the_token_vectors_times_scale(trained: tuple) -> None:
    featurizer, _ = trained
    express, parcel = (featurizer.vectors[featurizer.index[w]].astype(np.float32) for w in ("快递", "包裹"))
    assert np.allclose(featurizer.sentence_vector(["快递", "包裹"]), (express + parcel) / 2 * 2.0, atol=1e-6)


def test_frequent_words_weigh_less_when_frequency_weighted(trained: tuple) -> None:
    featurizer, storage = trained
    config = {**WordVectorFeaturizer.get_default_config(), "scale": 2.0, "frequency_weight": 1e-3}
    weighted = WordVectorFeaturizer.load(config, storage, Resource("vectors"), CONTEXT)
    of, express = (featurizer.vectors[featurizer.index[w]].astype(np.float32) for w in ("的", "快递"))
    w_of, w_express = (1e-3 / (1e-3 + _word_probability(w)) for w in ("的", "快递"))
    assert w_of < 0.3 < 0.95 < w_express
    expected = (w_of * of + w_express * express) / 2 * 2.0
    assert np.allclose(weighted.sentence_vector(["的", "快递"]), expected, atol=1e-6)
    assert np.allclose(weighted.sentence_vector(["的", "快递"]), expected, atol=1e-6)  # again, from the cache


def test_a_word_without_a_vector_takes_its_characters_and_nothing_known_gives_zeros(trained: tuple) -> None:
    featurizer, _ = trained
    unknown = "退货货货"
    assert unknown not in featurizer.index
    rows = [featurizer.index["退"], featurizer.index["货"]] + [featurizer.index["货"]] * 2
    characters = featurizer.vectors[rows].astype(np.float32)
    assert np.allclose(featurizer.sentence_vector([unknown]), characters.mean(axis=0) * 2.0, atol=1e-6)
    assert not featurizer.sentence_vector(["@@@", "###"]).any()


def test_words_the_training_data_never_saw_land_near_their_synonyms(trained: tuple) -> None:
    """Why the feature is there: 邮包 (not in data/nlu) is close to 快递, far from 发票."""
    featurizer, _ = trained
    mail = featurizer.sentence_vector(["邮包"])
    express, invoice = featurizer.sentence_vector(["快递"]), featurizer.sentence_vector(["发票"])
    assert _cosine(mail, express) > 0.5
    assert _cosine(mail, express) > _cosine(mail, invoice) + 0.2


def test_a_loaded_model_gives_the_same_features_from_storage_alone(trained: tuple) -> None:
    featurizer, storage = trained
    config = {**WordVectorFeaturizer.get_default_config(), "scale": 2.0}
    loaded = WordVectorFeaturizer.load(config, storage, Resource("vectors"), CONTEXT)
    for text in ["快递 到 哪 了", "我 要 退货 退款", "邮包 没 收到"]:
        [fresh] = featurizer.process(_messages(text))
        [again] = loaded.process(_messages(text))
        assert np.allclose(fresh.features[-1].features, again.features[-1].features, atol=0)


def test_an_untrained_featurizer_adds_nothing(tmp_path: Path) -> None:
    storage = LocalModelStorage(tmp_path)
    config = WordVectorFeaturizer.get_default_config()
    featurizer = WordVectorFeaturizer.load(config, storage, Resource("none"), CONTEXT)
    [message] = featurizer.process(_messages("快递 到 哪 了"))
    assert not [f for f in message.features if f.attribute == TEXT and f.type == FEATURE_TYPE_SENTENCE]


@pytest.mark.parametrize("bad", [{"scale": 0}, {"frequency_weight": -1}])
def test_scale_must_be_positive_and_weights_not_negative(bad: dict) -> None:
    with pytest.raises(ValueError):
        WordVectorFeaturizer.validate_config({**WordVectorFeaturizer.get_default_config(), **bad})
