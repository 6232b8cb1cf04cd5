"""Each message's language (addons/language.py, issue 35)."""

from __future__ import annotations

from typing import Any

import pytest
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from addons.language import LanguageDetector, message_language


@pytest.mark.parametrize(("text", "expected"), [
    ("where is my order 8800000100000005", "en"),
    ("I want to return the T-shirt", "en"),
    ("yes", "en"),
    ("我的订单到哪了", "zh"),
    ("hello 我要退货", "zh"),
    ("我的iPhone壳到哪了", "zh"),
    ("T恤黑色L码还有货吗", "zh"),
    # requests for a language, in either language
    ("please reply in English", "en"),
    ("english please", "en"),
    ("can you speak english", "en"),
    ("请用英文回复", "en"),
    ("说中文", "zh"),
    ("请用中文", "zh"),
    ("reply in chinese", "zh"),
    ("chinese please", "zh"),
    # no language of their own: order numbers, phones, codes, sizes, links, e-mails, emoji, "ok"
    ("8800000100000005", None),
    ("8800 0001 0000 0005", None),
    ("138 0000 1234", None),
    ("SF 1234 5678 90", None),
    ("SF1234567890", None),
    ("91330100MA2B3C4D5E", None),
    ("XL", None),
    ("👍", None),
    ("https://img.example.com/a.jpg", None),
    ("img.example.com/a.jpg", None),
    ("zhangsan@qq.com", None),
    ("ok", None),
    ("hi", None),
    ("", None),
    # code typed as a message (also in the full-width brackets the channels make): nobody's language
    ('<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2">', None),
    ("＜script＞alert(1)＜/script＞", None),
    ("' or 1=1 --", None),
])
def test_a_message_has_the_language_of_its_words(text: str, expected: str | None) -> None:
    assert message_language(text, {}) == expected


@pytest.mark.parametrize(("text", "metadata", "expected"), [
    ("8800000100000005", {"language": "en"}, "en"),  # no language of its own: the page's
    ("XL", {"language": "zh"}, "zh"),
    ("我的订单到哪了", {"language": "en"}, "zh"),  # its own language wins over the page's
    ("where is my parcel", {"language": "zh"}, "en"),
    ("8800000100000005", {"language": "fr"}, None),  # anything else is ignored
    ("8800000100000005", {"language": ["en"]}, None),
    ("8800000100000005", "en", None),
    ("8800000100000005", None, None),
])
def test_the_front_ends_language_counts_only_for_messages_without_one(
    text: str, metadata: Any, expected: str | None
) -> None:
    assert message_language(text, metadata) == expected


@pytest.fixture
def detector(tmp_path: Any) -> LanguageDetector:
    storage = LocalModelStorage(tmp_path)
    resource = Resource("language")
    context = ExecutionContext(graph_schema=None, model_id="m")  # type: ignore[arg-type]
    component = LanguageDetector.create({}, storage, resource, context)
    component.train(TrainingData([Message(data={"text": "where is my parcel", "intent": "query_order"}),
                                  Message(data={"text": "订单到哪了", "intent": "query_order"})]))
    return LanguageDetector.load({}, storage, resource, context)


def parsed(detector: LanguageDetector, text: str, **data: Any) -> list[dict[str, Any]]:
    message = Message(data={"text": text, "entities": [{"entity": "order_id", "value": "1"}], **data})
    detector.process([message])
    return message.get("entities")


def test_the_component_adds_the_entity_and_keeps_the_others(detector: LanguageDetector) -> None:
    assert parsed(detector, "where is it") == [{"entity": "order_id", "value": "1"},
                                                {"entity": "language", "value": "en", "extractor": "LanguageDetector"}]
    assert parsed(detector, "到哪了")[-1]["value"] == "zh"
    assert parsed(detector, "8800000100000005", metadata={"language": "en"})[-1]["value"] == "en"


def test_mashes_payloads_and_neutral_messages_keep_the_language(detector: LanguageDetector) -> None:
    for text in ("asdfgh", "qwerty zxcvb", "/affirm", "8800000100000005"):
        assert parsed(detector, text) == [{"entity": "order_id", "value": "1"}], text


def test_the_language_survives_a_new_session(project_domain: Any) -> None:
    """Rasa's action_session_start carries the slots over (session_config), the language among them:
    a session expired or started by addons/runtime/session_window keeps answering in English."""
    import asyncio

    from rasa.core.actions.action import ActionSessionStart
    from rasa.core.channels.channel import CollectingOutputChannel
    from rasa.core.nlg import TemplatedNaturalLanguageGenerator
    from rasa.shared.core.events import SessionStarted, SlotSet
    from rasa.shared.core.trackers import DialogueStateTracker

    domain = project_domain
    assert domain.session_config.carry_over_slots
    tracker = DialogueStateTracker.from_events("s", [SlotSet("language", "en")], domain.slots)
    events = asyncio.run(ActionSessionStart().run(
        CollectingOutputChannel(), TemplatedNaturalLanguageGenerator(domain.responses), tracker, domain))
    tracker.update_with_events(events, domain)
    assert isinstance(events[0], SessionStarted)
    assert tracker.get_slot("language") == "en"


def test_the_entity_is_said_only_when_the_language_changes() -> None:
    from addons.language import without_unchanged_language

    order = {"entity": "order_id", "value": "1"}
    parse = {"intent": {"name": "query_order"}, "entities": [order, {"entity": "language", "value": "zh"}]}
    assert without_unchanged_language(parse, None)["entities"] == [order]  # a new conversation is zh
    assert without_unchanged_language(parse, "zh")["entities"] == [order]
    assert without_unchanged_language(parse, "en") is parse
    english = {"entities": [{"entity": "language", "value": "en"}]}
    assert without_unchanged_language(english, "en")["entities"] == []
    assert without_unchanged_language(english, None) is english


def test_an_answer_to_a_data_question_keeps_the_language() -> None:
    from addons.language import language_of_the_answer

    chinese = {"entities": [{"entity": "language", "value": "zh"}]}
    address = "浙江省杭州市西湖区文三路100号 王小明 13912345678"
    assert language_of_the_answer(chinese, address, "new_address")["entities"] == []
    assert language_of_the_answer(chinese, "杭州小二科技有限公司", "invoice_title")["entities"] == []
    assert language_of_the_answer(chinese, "不想要了", "reason") is chinese  # a reason is the shopper's words
    assert language_of_the_answer(chinese, "说中文", "new_address") is chinese  # asked for in words


def test_the_page_language_counts_until_the_shopper_has_written_in_a_language() -> None:
    from rasa.shared.core.events import UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from addons.language import page_language_dropped

    english = {"entities": [{"entity": "language", "value": "en"}]}
    fresh = DialogueStateTracker.from_events("s", [UserUttered("/greet"), UserUttered("8800000100000005")])
    assert page_language_dropped(english, "8800000100000005", fresh) is english
    spoken = DialogueStateTracker.from_events("s", [UserUttered("我的订单到哪了")])
    assert page_language_dropped(english, "8800000100000005", spoken)["entities"] == []
    assert page_language_dropped(english, "where is it", spoken) is english  # its own words count


def test_a_language_asked_for_in_words_holds_until_asked_again() -> None:
    """"please reply in English", then a message in Chinese: still English; 说中文 switches back, and then
    an English message stays in Chinese (issue 35). Without a request, each message's language counts."""
    from addons.language import language_as_requested

    chinese = {"entities": [{"entity": "language", "value": "zh"}]}
    english = {"entities": [{"entity": "language", "value": "en"}]}
    asked = language_as_requested(english, "please reply in English", None)["entities"]
    assert {"entity": "language_request", "value": "en"} in [{k: e[k] for k in ("entity", "value")} for e in asked]
    assert language_as_requested(chinese, "我的订单到哪了", "en")["entities"] == []  # the slot keeps en
    switched = language_as_requested(chinese, "说中文", "en")["entities"]
    assert [e["value"] for e in switched] == ["zh", "zh"]
    assert language_as_requested(english, "where is my order", "zh")["entities"] == []
    assert language_as_requested(chinese, "我的订单到哪了", None) is chinese
    assert language_as_requested(english, "english please", "en") is english  # the same request again
