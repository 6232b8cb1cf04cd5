"""Junk does not open urgent tickets (issue 28, point 7): a complain prediction without the confidence or
the words a complaint has falls back (addons.fallbacks.DoubtfulIntentFallback)."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from addons.fallbacks import DoubtfulIntentFallback

# Space-separated words stand for the tokenizer's segmentation.
TRAIN = [("你们 服务 太 差 了 我 要 投诉", "complain"), ("什么 垃圾 客服 敷衍", "complain"),
         ("service is terrible", "complain"), ("我 要 查 订单", "query_order"), ("我 要 退货", "return_goods"),
         ("订单 到 哪 了", "query_order"), ("这 是 我 的 订单", "inform"), ("打发 我", "complain")]
CONFIG = {"intents": ["complain"], "threshold": 0.7, "max_intents": 2, "min_known_share": 0.4}


def _message(text: str, intent: str | None = None, confidence: float = 0.95) -> Message:
    data = {TEXT: text, TOKENS_NAMES[TEXT]: [Token(word, 0) for word in text.split()]}
    if intent is not None:
        data[INTENT] = {"name": intent, "confidence": confidence}
        data["intent_ranking"] = [{"name": intent, "confidence": confidence}]
    return Message(data=data)


@pytest.fixture
def component(tmp_path: Path) -> DoubtfulIntentFallback:
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), "test")
    resource = Resource("doubtful")
    trainee = DoubtfulIntentFallback.create(CONFIG, storage, resource, context)
    trainee.train(TrainingData([Message(data={**_message(text).data, INTENT: intent}) for text, intent in TRAIN]))
    return DoubtfulIntentFallback.load(CONFIG, storage, resource, context)


@pytest.mark.parametrize(("text", "confidence", "falls_back"), [
    ("服务 太 差 了", 0.95, False), ("垃圾 客服", 0.9, False), ("service is terrible", 0.8, False),
    ("服务 太 差 了", 0.6, True),  # below the floor
    ("😡😡😡", 1.0, True), ("!!!!!!", 0.81, True), ("？？？", 0.9, True),  # no word at all
    ("士大夫", 0.99, True), ("<script>alert(1)</script>", 0.73, True), ("select * from users", 0.77, True),
    ("我 的 订单", 0.95, True),  # words, but none a complaint holds more than other requests do
    ("撒旦 法师 打发", 0.87, True),  # a complaint word among unknown ones
])
def test_a_complain_without_confidence_or_complaint_words_falls_back(
    component: DoubtfulIntentFallback, text: str, confidence: float, falls_back: bool
) -> None:
    [message] = component.process([_message(text, "complain", confidence)])
    intent = message.get(INTENT)
    assert (intent["name"] == "nlu_fallback") is falls_back
    if falls_back:
        assert message.get("intent_ranking")[0]["name"] == "nlu_fallback"
        assert message.get("intent_ranking")[1] == {"name": "complain", "confidence": confidence}


def test_other_intents_are_left_alone(component: DoubtfulIntentFallback) -> None:
    [message] = component.process([_message("士大夫", "greet", 0.3)])
    assert message.get(INTENT) == {"name": "greet", "confidence": 0.3}


@pytest.mark.parametrize(("text", "falls_back"), [("!!!!!!", True), ("？？ ！", True), ("🙂🙂", False), ("好!", False)])
def test_punctuation_alone_falls_back_whatever_the_intent(
    component: DoubtfulIntentFallback, text: str, falls_back: bool
) -> None:
    """"!!!!!!" was read as thank at 0.8: marks alone say nothing (an emoji may: it is left to the model)."""
    [message] = component.process([_message(text, "thank", 0.8)])
    assert (message.get(INTENT)["name"] == "nlu_fallback") is falls_back


def test_an_untrained_component_is_strict_for_its_intents(tmp_path: Path) -> None:
    """A model without the vocabulary (never trained) lets no complaint through rather than every junk."""
    context = ExecutionContext(GraphSchema({}), "test")
    loaded = DoubtfulIntentFallback.load(CONFIG, LocalModelStorage(tmp_path), Resource("missing"), context)
    [message] = loaded.process([_message("服务 太 差 了", "complain", 0.95)])
    assert message.get(INTENT)["name"] == "nlu_fallback"
