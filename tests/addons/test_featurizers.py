"""The sentence-only featurizer gives Rasa's sentence features and skips the per-token ones."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.nlu.featurizers.sparse_featurizer.regex_featurizer import RegexFeaturizer
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, FEATURE_TYPE_SEQUENCE, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from addons.featurizers import (
    PinyinCountVectorsFeaturizer,
    SentenceCountVectorsFeaturizer,
    SentenceRegexFeaturizer,
    pinyin_syllables,
)

ROOT = Path(__file__).resolve().parents[2]

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


def _jieba_messages(texts: list[str], tmp_path: Path) -> list[Message]:
    """Tokenized as the pipeline does: jieba with the shop's dictionary (the same cuts every time)."""
    from addons.tokenizers import ShopJiebaTokenizer

    messages = [Message(data={TEXT: text}) for text in texts]
    config = {**ShopJiebaTokenizer.get_default_config(), "dictionary_path": str(ROOT / "data" / "dict")}
    storage = LocalModelStorage(tmp_path / "jieba")
    context = ExecutionContext(GraphSchema({}), "test")
    tokenizer = ShopJiebaTokenizer.create(config, storage, Resource("jieba"), context)
    tokenizer.process_training_data(TrainingData(messages))
    return messages


def _regex_featurizer(cls: type[RegexFeaturizer], tmp_path: Path) -> RegexFeaturizer:
    """Trained on the shop's own regexes and lookup tables (order numbers, phones, sizes, colours, products)."""
    from rasa.shared.nlu.training_data.loading import load_data

    (tmp_path / cls.__name__).mkdir()
    storage = LocalModelStorage(tmp_path / cls.__name__)
    config = {**cls.get_default_config(), "case_sensitive": False, "use_lookup_tables": True,
              "use_word_boundaries": False}
    featurizer = cls.create(config, storage, Resource(cls.__name__), ExecutionContext(GraphSchema({}), "test"))
    patterns = load_data(str(ROOT / "data" / "nlu" / "regex.yml"))
    patterns.lookup_tables = load_data(str(ROOT / "data" / "nlu" / "lookups.yml")).lookup_tables
    featurizer.train(patterns)
    return featurizer


def test_regex_sentence_features_and_token_marks_are_rasas(tmp_path: Path) -> None:
    import yaml

    holdout = yaml.safe_load((ROOT / "tests" / "nlu_holdout.yml").read_text(encoding="utf-8"))["nlu"]
    texts = [line[2:].strip() for block in holdout for line in block["examples"].splitlines() if line.startswith("- ")]
    texts = [re.sub(r"\[([^\]]*)\]\([^)]*\)|\[([^\]]*)\]\{[^}]*\}", lambda m: m.group(1) or m.group(2), t)
             for t in texts]
    texts += ["订单8800000100000016退货", "手机13812345678尾号5678", "要XL的 黑色 42码",
              "ORDER 8800000100000016 pls", ""]
    rasas, ours = _regex_featurizer(RegexFeaturizer, tmp_path), _regex_featurizer(SentenceRegexFeaturizer, tmp_path)
    assert len(ours.known_patterns) >= 5
    want, got = _jieba_messages(texts, tmp_path), _jieba_messages(texts, tmp_path)
    rasas.process(want)
    ours.process(got)
    matched = 0
    for expected, actual in zip(want, got, strict=True):
        assert _features(actual, FEATURE_TYPE_SEQUENCE) == []
        wanted_sentence = _features(expected, FEATURE_TYPE_SENTENCE)
        got_sentence = _features(actual, FEATURE_TYPE_SENTENCE)
        assert len(wanted_sentence) == len(got_sentence)
        for w, g in zip(wanted_sentence, got_sentence, strict=True):
            for part in ("row", "col", "data"):
                np.testing.assert_array_equal(getattr(g.features, part), getattr(w.features, part))
            assert g.features.shape == w.features.shape and g.features.dtype == w.features.dtype
            matched += g.features.nnz > 0
        marks = [t.get("pattern") for t in expected.get("text_tokens", [])]
        assert [t.get("pattern") for t in actual.get("text_tokens", [])] == marks
    assert matched > 20  # the shop's patterns do match many of these texts


PINYIN = {"analyzer": "word", "min_ngram": 1, "max_ngram": 2}


def _sentence_row(featurizer: CountVectorsFeaturizer, text: str) -> np.ndarray:
    (message,) = _messages([text])
    featurizer.process([message])
    (sentence,) = _features(message, FEATURE_TYPE_SENTENCE)
    assert _features(message, FEATURE_TYPE_SEQUENCE) == []
    return sentence.features.toarray()


def test_pinyin_features_are_equal_for_homophone_typos(tmp_path: Path) -> None:
    """推款 typed for 退款, 再 for 在: other characters and words, the same syllables."""
    pinyin = _trained(PinyinCountVectorsFeaturizer, tmp_path, PINYIN)
    words = _trained(SentenceCountVectorsFeaturizer, tmp_path, {})
    assert (_sentence_row(pinyin, "我 要 推货") == _sentence_row(pinyin, "我 要 退货")).all()
    assert (_sentence_row(pinyin, "快递 到 那 了") == _sentence_row(pinyin, "快递 到 哪 了")).all()
    # the word counts cannot see it: 推货 is not a word they know
    assert not (_sentence_row(words, "我 要 推货") == _sentence_row(words, "我 要 退货")).all()
    # a different request sounds different
    assert not (_sentence_row(pinyin, "我 要 发货") == _sentence_row(pinyin, "我 要 退货")).all()


def test_pinyin_syllable_pairs_cross_word_boundaries(tmp_path: Path) -> None:
    """A typo can make jieba cut the message differently: the syllable pairs do not depend on the cuts."""
    pinyin = _trained(PinyinCountVectorsFeaturizer, tmp_path, PINYIN)
    assert (_sentence_row(pinyin, "怎么 还 不 发货") == _sentence_row(pinyin, "怎么还 不发 货")).all()
    vocabulary = pinyin.vectorizers[TEXT].vocabulary_
    assert {"tui", "huo", "tui huo", "bu fa"} <= set(vocabulary)


def test_pinyin_syllables_read_words_in_context_and_keep_other_text() -> None:
    assert pinyin_syllables("银行") == ("yin", "hang")
    assert pinyin_syllables("行李") == ("xing", "li")
    assert pinyin_syllables("iphone") == ("iphone",)
    assert pinyin_syllables("__number__") == ("__number__",)


def test_pinyin_featurizer_leaves_intent_labels_alone(tmp_path: Path) -> None:
    pinyin = _trained(PinyinCountVectorsFeaturizer, tmp_path, PINYIN)
    assert pinyin._process_tokens(["query_order"], INTENT) == ["query_order"]
