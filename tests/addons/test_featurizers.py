"""The sentence-only featurizer gives Rasa's sentence features and skips the per-token ones."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, FEATURE_TYPE_SEQUENCE, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from addons.featurizers import SentenceCountVectorsFeaturizer

TRAIN = [("查 一下 我 的 订单", "query_order"), ("我 要 退货", "return_goods"), ("快递 到 哪 了", "query_order"),
         ("怎么 还 不 发货", "urge_shipment"), ("转 人工", "human_handoff")]
UNSEEN = ["订单 到 哪 了 啊", "退货 退款", "xyz 没见过 的 词", "😀", "退货 退货 我 要 退货 Order 订单"]


def _messages(texts: list[str], intents: list[str] | None = None) -> list[Message]:
    labels = intents or [None] * len(texts)
    messages = [Message(data={TEXT: t, INTENT: i} if i else {TEXT: t}) for t, i in zip(texts, labels, strict=True)]
    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    tokenizer.process_training_data(TrainingData(messages))
    return messages


def _trained(cls: type[CountVectorsFeaturizer], tmp_path: Path, config: dict) -> CountVectorsFeaturizer:
    (tmp_path / cls.__name__).mkdir()
    storage = LocalModelStorage(tmp_path / cls.__name__)
    context = ExecutionContext(GraphSchema({}), "test")
    featurizer = cls.create({**cls.get_default_config(), **config}, storage, Resource(cls.__name__), context)
    training = TrainingData(_messages([t for t, _ in TRAIN], [i for _, i in TRAIN]))
    featurizer.train(training)
    featurizer.process_training_data(training)
    return featurizer


def _features(message: Message, kind: str) -> list:
    return [f for f in message.features if f.attribute == TEXT and f.type == kind]


@pytest.mark.parametrize("config", [{}, {"analyzer": "char_wb", "min_ngram": 1, "max_ngram": 3},
                                    {"analyzer": "char", "min_ngram": 2, "max_ngram": 4, "lowercase": False}])
def test_same_sentence_features_as_rasa_and_no_sequence_features(tmp_path: Path, config: dict) -> None:
    rasa_cvf = _trained(CountVectorsFeaturizer, tmp_path, config)
    ours = _trained(SentenceCountVectorsFeaturizer, tmp_path, config)
    expected, actual = _messages(UNSEEN), _messages(UNSEEN)
    rasa_cvf.process(expected)
    ours.process(actual)
    for want, got in zip(expected, actual, strict=True):
        assert _features(got, FEATURE_TYPE_SEQUENCE) == []
        assert len(_features(want, FEATURE_TYPE_SEQUENCE)) == 1  # Rasa's class does compute them
        (want_sentence,) = _features(want, FEATURE_TYPE_SENTENCE)
        (got_sentence,) = _features(got, FEATURE_TYPE_SENTENCE)
        np.testing.assert_array_equal(got_sentence.features.toarray(), want_sentence.features.toarray())
        assert got_sentence.features.dtype == want_sentence.features.dtype
        # the same stored layout too: sorted columns, one row, same width
        for part in ("row", "col", "data"):
            np.testing.assert_array_equal(getattr(got_sentence.features, part), getattr(want_sentence.features, part))
        assert got_sentence.features.shape == want_sentence.features.shape


def test_labels_still_get_rasa_features(tmp_path: Path) -> None:
    """Only text-like attributes are slimmed; intent label features stay as Rasa makes them."""
    ours = _trained(SentenceCountVectorsFeaturizer, tmp_path, {})
    sequence, sentence = ours._create_features(INTENT, [["query_order"]])
    reference_sequence, reference_sentence = CountVectorsFeaturizer._create_features(ours, INTENT, [["query_order"]])
    assert sequence[0] is not None
    np.testing.assert_array_equal(sequence[0].toarray(), reference_sequence[0].toarray())
    assert (sentence[0] is None) == (reference_sentence[0] is None)
