"""Keyboard mashes in Latin letters ("qwerty", "zxcv") fall back instead of getting a confident intent.

The intent model scores a message by its character n-grams, so a mash that shares a few letters
with an English training example ("qwerty" with "thanks") can win an intent at a confidence above
the fallback threshold. A message made only of Latin letters (and spaces or punctuation) none of whose
words the training data knows is answered by the fallback instead. A word is known when it is a word
of the training texts or holds one of 3 letters or more ("byebye" holds "bye"). Chinese text,
digits, and any known word leave the message as the classifier had it. Code typed as a message (a
markup tag, an event handler, SQL, a template) falls back too, whatever its words: with English
training lines its words are known ("<script>alert(1)</script>" holds "alert", which reminders use),
and the classifier would give it an intent. Written as ``nlu_fallback`` the way FallbackClassifier
writes it (place this after it), so rules and forms see no difference.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

logger = logging.getLogger(__name__)

WORDS_FILE = "latin_words.json"
LATIN_WORD = re.compile(r"[a-z]+")
# Latin letters with spaces and punctuation only: no digits (order numbers, sizes), no Chinese.
_MARKS = r"\s!-/:-@\[-`{-~，。！？、～…"
ONLY_LATIN = re.compile(rf"[a-z{_MARKS}]*[a-z][a-z{_MARKS}]*")
MIN_HELD_WORD = 3
# Code, not words: a markup tag or event handler, SQL, a template or JNDI lookup. Tags in full-width
# brackets too: the channels read < and > as ＜ ＞ (addons/channels.py).
CODE = re.compile(
    r"[<＜]\s*/?\s*[a-z][a-z0-9]*(?:\s[^<>＜＞]*)?/?\s*[>＞]|\bon[a-z]+\s*=|javascript\s*:|\$\{|\{\{.*\}\}|"
    r"\bselect\s+(?:\*|[a-z_,\s]+\s+from\s+[a-z_]+\s*;?\s*$)|\b(?:drop|truncate)\s+table\b|\bunion\s+(?:all\s+)?select\b|"
    r"\binsert\s+into\b|\bdelete\s+from\s+\w+\s*(?:where\b|;|$)|'\s*(?:or|and)\s+\S+\s*=\s*\S+|;\s*--",
    re.IGNORECASE,
)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class UnknownLatinWordsFallback(GraphComponent):
    """Place after the intent classifier; sets `intent` to nlu_fallback for mashes (see module doc)."""

    def __init__(self, model_storage: ModelStorage, resource: Resource, words: frozenset[str] = frozenset()) -> None:
        self._model_storage = model_storage
        self._resource = resource
        self.words = words
        self._held = sorted(word for word in words if len(word) >= MIN_HELD_WORD)

    @classmethod
    def create(
        cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
        execution_context: ExecutionContext,
    ) -> UnknownLatinWordsFallback:
        return cls(model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        words = {word for example in training_data.training_examples
                 for word in LATIN_WORD.findall(str(example.get(TEXT) or "").lower())}
        with self._model_storage.write_to(self._resource) as directory:
            (directory / WORDS_FILE).write_text(json.dumps(sorted(words)), encoding="utf-8")
        return self._resource

    @classmethod
    def load(
        cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
        execution_context: ExecutionContext, **kwargs: Any,
    ) -> UnknownLatinWordsFallback:
        try:
            with model_storage.read_from(resource) as directory:
                words = json.loads((directory / WORDS_FILE).read_text(encoding="utf-8"))
        except (ValueError, FileNotFoundError):
            logger.debug("%s: no word list in resource '%s'", cls.__name__, resource.name)
            words = []
        return cls(model_storage, resource, frozenset(words))

    def is_unknown(self, text: str) -> bool:
        """Code (see CODE), or Latin letters only and not one word the training data knows."""
        text = text.strip().lower()
        if self.words and CODE.search(text):
            return True
        if not self.words or not ONLY_LATIN.fullmatch(text):
            return False
        return not any(self._known(word) for word in LATIN_WORD.findall(text))

    def _known(self, word: str) -> bool:
        return word in self.words or any(held in word for held in self._held if len(held) <= len(word))

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            intent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
            if intent in (None, DEFAULT_NLU_FALLBACK_INTENT_NAME) or not self.is_unknown(str(message.get(TEXT) or "")):
                continue
            fallback = {INTENT_NAME_KEY: DEFAULT_NLU_FALLBACK_INTENT_NAME, PREDICTED_CONFIDENCE_KEY: 1.0}
            message.set(INTENT, fallback, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [fallback, *(message.get(INTENT_RANKING_KEY) or [])], add_to_output=True)
        return messages


#: A word, for the checks below: a token holding a Chinese character or a Latin letter (not an emoji,
#: a digit run or punctuation).
WORD = re.compile(r"[\u3400-\u9fffa-z]")
VOCABULARY_FILE = "intent_words.json"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class DoubtfulIntentFallback(GraphComponent):
    """Intents that start something costly (``complain`` opens a high-priority ticket) need a real message.

    An emoji, an SQL string, a script tag or a keyboard mash in Chinese (阿斯蒂芬, 士大夫) was read as
    ``complain`` at up to 0.99 confidence: the intent model scores character n-grams, and a message
    without any known word still lands somewhere. For each intent in ``intents``, its prediction is
    turned into ``nlu_fallback`` (so the shopper gets the menu, and no ticket is opened) unless:

    - its confidence is at least ``threshold`` (chosen on tests/nlu_holdout*.yml, docs/benchmarks.md);
    - one word of the message is a word of that intent's training examples that at most
      ``max_intents`` intents' examples hold (这 or 我 say nothing; 投诉, 差评, 敷衍, terrible do);
    - at least ``min_known_share`` of the message's word characters are in words the training data
      knows (撒旦法师打发 holds 打发, but 撒旦 and 法师 are no shop words).

    Written as ``nlu_fallback`` the way FallbackClassifier writes it (place this after it).
    """

    def __init__(
        self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
        intent_words: dict[str, list[str]] | None = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.intents: frozenset[str] = frozenset(self._config["intents"])
        self.threshold = float(self._config["threshold"])
        self.min_known_share = float(self._config["min_known_share"])
        words = intent_words or {}
        self.known_words: frozenset[str] = frozenset(words)
        self.intent_words: dict[str, frozenset[str]] = {
            intent: frozenset(word for word, holders in words.items()
                              if intent in holders and len(holders) <= int(self._config["max_intents"]))
            for intent in self.intents
        }

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"intents": ["complain"], "threshold": 0.7, "max_intents": 8, "min_known_share": 0.4}

    @classmethod
    def create(
        cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
        execution_context: ExecutionContext,
    ) -> DoubtfulIntentFallback:
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        holders: dict[str, set[str]] = {}
        for example in training_data.intent_examples:
            for word in set(message_words(example)):
                holders.setdefault(word, set()).add(str(example.get(INTENT)))
        with self._model_storage.write_to(self._resource) as directory:
            (directory / VOCABULARY_FILE).write_text(
                json.dumps({word: sorted(intents) for word, intents in sorted(holders.items())}, ensure_ascii=False),
                encoding="utf-8")
        return self._resource

    @classmethod
    def load(
        cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
        execution_context: ExecutionContext, **kwargs: Any,
    ) -> DoubtfulIntentFallback:
        try:
            with model_storage.read_from(resource) as directory:
                words = json.loads((directory / VOCABULARY_FILE).read_text(encoding="utf-8"))
        except (ValueError, FileNotFoundError):
            logger.debug("%s: no vocabulary in resource '%s'", cls.__name__, resource.name)
            words = {}
        return cls(config, model_storage, resource, words)

    def is_doubtful(self, message: Message) -> bool:
        """Whether the message's intent (one of `intents`) lacks the confidence or the words it needs;
        a message of punctuation only ("!!!!!!" was read as ``thank``) says nothing, whatever its intent."""
        if punctuation_only(str(message.get(TEXT) or "")):
            return True
        intent = message.get(INTENT) or {}
        name = intent.get(INTENT_NAME_KEY)
        if name not in self.intents:
            return False
        if float(intent.get(PREDICTED_CONFIDENCE_KEY) or 0.0) < self.threshold:
            return True
        words = message_words(message)
        if not any(word in self.intent_words[name] for word in words):
            return True
        characters = sum(len(word) for word in words)
        known = sum(len(word) for word in words if word in self.known_words)
        return known < self.min_known_share * characters

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            if not self.is_doubtful(message):
                continue
            fallback = {INTENT_NAME_KEY: DEFAULT_NLU_FALLBACK_INTENT_NAME, PREDICTED_CONFIDENCE_KEY: 1.0}
            message.set(INTENT, fallback, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [fallback, *(message.get(INTENT_RANKING_KEY) or [])], add_to_output=True)
        return messages


def message_words(message: Message) -> list[str]:
    """The message's tokens that are words (see WORD), lower-cased; a message's text split on spaces when
    no tokenizer ran before."""
    tokens = message.get(TOKENS_NAMES[TEXT])
    texts = [token.text for token in tokens] if tokens else str(message.get(TEXT) or "").split()
    return [text.lower() for text in texts if WORD.search(text.lower())]


def punctuation_only(text: str) -> bool:
    """Whether the text holds punctuation marks (Unicode category P*) and spaces only; emoji are not punctuation."""
    marks = [character for character in text if not character.isspace()]
    return bool(marks) and all(unicodedata.category(character).startswith("P") for character in marks)
