"""Rasa's CountVectorsFeaturizer and RegexFeaturizer without the per-token (sequence) features of the
message text.

Every component of this pipeline that reads the text's sparse features (the linear intent
classifier and FAQ selector) reads only the sentence features; the CRF reads only dense ones.
Rasa's class still computes a per-token matrix for every message: one more scikit-learn
transform per featurizer per message, for nothing. Sentence features are counted exactly as
scikit-learn counts them (the vectorizer's own analyzer and vocabulary), but straight into the
sorted one-row matrix Rasa stores, without `transform`'s CSR building, sorting and conversion:
predictions do not change (tests/addons/test_featurizers.py). The regex featurizer still marks each
token with the patterns it matches (the CRF reads those marks).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

import numpy as np
import scipy.sparse
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.constants import DENSE_FEATURIZABLE_ATTRIBUTES, TOKENS_NAMES
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.nlu.featurizers.sparse_featurizer.regex_featurizer import RegexFeaturizer
from rasa.shared.nlu.constants import ACTION_TEXT, RESPONSE, TEXT
from rasa.shared.nlu.training_data.message import Message
from sklearn.feature_extraction.text import CountVectorizer


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class SentenceCountVectorsFeaturizer(CountVectorsFeaturizer):
    """CountVectorsFeaturizer that sets only sentence features for text-like attributes."""

    def _create_features(
        self, attribute: str, all_tokens: list[list[str]]
    ) -> tuple[list[scipy.sparse.spmatrix | None], list[scipy.sparse.spmatrix | None]]:
        vectorizer = self.vectorizers.get(attribute)
        if not vectorizer or attribute not in DENSE_FEATURIZABLE_ATTRIBUTES:
            return super()._create_features(attribute, all_tokens)
        # no tokens, no features (and no counter: an attribute without training data has no vocabulary)
        sentence_features = [_row_counter(vectorizer)(" ".join(tokens)) if tokens else None for tokens in all_tokens]
        return [None] * len(all_tokens), sentence_features


_counters: dict[int, tuple[CountVectorizer, Callable[[str], scipy.sparse.coo_matrix]]] = {}


def _row_counter(vectorizer: CountVectorizer) -> Callable[[str], scipy.sparse.coo_matrix]:
    """`vectorizer.transform([text])`, sorted and as COO, for one text (built once per vectorizer)."""
    known = _counters.get(id(vectorizer))
    if known is not None and known[0] is vectorizer:
        return known[1]
    vectorizer._check_vocabulary()  # what transform() does first: a loaded vocabulary becomes vocabulary_
    analyze = vectorizer.build_analyzer()
    vocabulary = vectorizer.vocabulary_
    width = len(vocabulary)
    binary = vectorizer.binary
    dtype = vectorizer.dtype

    def count(text: str) -> scipy.sparse.coo_matrix:
        counts: dict[int, int] = {}
        for term in analyze(text):
            column = vocabulary.get(term)
            if column is not None:
                counts[column] = counts.get(column, 0) + 1
        columns = sorted(counts)
        data = np.ones(len(columns), dtype=dtype) if binary else np.array([counts[c] for c in columns], dtype=dtype)
        rows = np.zeros(len(columns), dtype=np.int32)
        return scipy.sparse.coo_matrix((data, (rows, np.array(columns, dtype=np.int32))), shape=(1, width))

    _counters[id(vectorizer)] = (vectorizer, count)
    return count


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class SentenceRegexFeaturizer(RegexFeaturizer):
    """RegexFeaturizer that sets only sentence features: Rasa's class also fills a tokens × patterns
    matrix per message and converts it to a sparse one, which no component here reads."""

    def _features_for_patterns(
        self, message: Message, attribute: str
    ) -> tuple[scipy.sparse.coo_matrix | None, scipy.sparse.coo_matrix | None]:
        text = message.get(attribute)
        tokens = message.get(TOKENS_NAMES[attribute], []) if text else []
        if not tokens:
            return None, None
        flags = 0 if self.case_sensitive else re.IGNORECASE
        columns = []
        for column, pattern in enumerate(self.known_patterns):
            spans = [match.span() for match in re.finditer(pattern["pattern"], text, flags=flags)]
            matched = False
            for token in tokens:  # each token's marks, as Rasa sets them
                marks = token.get("pattern", default={})
                marks[pattern["name"]] = any(token.start < end and token.end > start for start, end in spans)
                matched = matched or marks[pattern["name"]]
                token.set("pattern", marks)
            if matched and attribute in (RESPONSE, TEXT, ACTION_TEXT):
                columns.append(column)
        ones = np.ones(len(columns))
        where = (np.zeros(len(columns), dtype=np.int32), np.array(columns, dtype=np.int32))
        return None, scipy.sparse.coo_matrix((ones, where), shape=(1, len(self.known_patterns)))


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class PinyinCountVectorsFeaturizer(SentenceCountVectorsFeaturizer):
    """Counts of the message's toneless pinyin syllables (and their n-grams) instead of its words.

    Shoppers type with pinyin input methods, so their typos are homophones (推款 for 退款, 再吗 for
    在吗): other characters, the same syllables. Syllables are joined across the tokenizer's word
    boundaries, so a typo that changes how jieba segments the message still shares its n-grams.
    """

    def _process_tokens(self, tokens: list[str], attribute: str = TEXT) -> list[str]:
        tokens = super()._process_tokens(tokens, attribute)
        if attribute not in DENSE_FEATURIZABLE_ATTRIBUTES:
            return tokens
        return [syllable for token in tokens for syllable in pinyin_syllables(token)]


@lru_cache(maxsize=65536)
def pinyin_syllables(token: str) -> tuple[str, ...]:
    """Toneless pinyin of each Chinese character of `token` (words read in context: 银行 is yin hang);
    a run of other characters stays one piece ("iphone", "__number__"). Cached: shoppers' words repeat."""
    from pypinyin import lazy_pinyin  # imported by the pipelines that use pinyin only

    return tuple(lazy_pinyin(token))
