"""Keyboard mashes in Latin letters fall back; known English, pinyin of the data and Chinese do not."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from addons.fallbacks import UnknownLatinWordsFallback

TRAIN = ["thanks a lot", "bye", "invoice please", "kai fapiao", "查一下我的订单", "XXL 换成 L"]


def _trained(tmp_path: Path) -> UnknownLatinWordsFallback:
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), "test")
    resource = Resource("mash")
    component = UnknownLatinWordsFallback.create({}, storage, resource, context)
    component.train(TrainingData([Message(data={TEXT: text, INTENT: "any"}) for text in TRAIN]))
    return UnknownLatinWordsFallback.load({}, storage, resource, context)


def _classified(text: str, intent: str = "thank") -> Message:
    return Message(data={TEXT: text, INTENT: {"name": intent, "confidence": 0.4},
                         "intent_ranking": [{"name": intent, "confidence": 0.4}]})


@pytest.mark.parametrize(("text", "falls_back"), [
    ("qwerty", True), ("zxcv asdf", True), ("qwer！", True), ("QWERTY", True),
    ("thanks", False), ("Thanks!", False), ("byebye", False),  # holds "bye"
    ("fapiao", False), ("invoice pls", False),  # one known word is enough
    ("qwerty 退货", False), ("谢谢", False), ("xl2", False), ("123456", False), ("😀", False), ("", False),
])
def test_only_messages_of_unknown_latin_words_fall_back(tmp_path: Path, text: str, falls_back: bool) -> None:
    message = _classified(text)
    _trained(tmp_path).process([message])
    assert (message.get(INTENT)["name"] == "nlu_fallback") is falls_back
    if falls_back:  # the classifier's ranking is kept under the fallback, as FallbackClassifier keeps it
        assert [r["name"] for r in message.get("intent_ranking")] == ["nlu_fallback", "thank"]


@pytest.mark.parametrize(("text", "falls_back"), [
    ("<script>alert(1)</script>", True), ("＜script＞alert(1)＜/script＞", True),
    ('"><img src=x onerror=alert(1)>', True), ("'; DROP TABLE orders;--", True),
    ("SELECT * FROM users", True), ("${jndi:ldap://x.y/a}", True), ("' OR 1=1 --", True),
    # English that reads like the words of code is no code
    ("invoice please select the black one from the list", False), ("thanks <3", False), ("bye -- thanks", False),
    ("delete from my cart please", False),
])
def test_code_falls_back_whatever_its_words(tmp_path: Path, text: str, falls_back: bool) -> None:
    # "alert", "select", "from" may all be words of English training lines; code is still no message
    message = _classified(text)
    _trained(tmp_path).process([message])
    assert (message.get(INTENT)["name"] == "nlu_fallback") is falls_back


def test_a_message_already_fallen_back_is_left_as_it_is(tmp_path: Path) -> None:
    message = _classified("qwerty", intent="nlu_fallback")
    _trained(tmp_path).process([message])
    assert [r["name"] for r in message.get("intent_ranking")] == ["nlu_fallback"]


def test_without_a_word_list_nothing_falls_back(tmp_path: Path) -> None:
    context = ExecutionContext(GraphSchema({}), "test")
    component = UnknownLatinWordsFallback.load({}, LocalModelStorage(tmp_path), Resource("none"), context)
    message = _classified("qwerty")
    component.process([message])
    assert message.get(INTENT)["name"] == "thank"
