"""The language of each message (issue 35): a `language` entity (zh/en) that the `language` slot maps from.

Decided per message, in this order:
1. an explicit request: "please reply in English" / 用英文回复 → en; 说中文 / "reply in Chinese" → zh. It
   holds until the shopper asks again (the `language_request` slot, from the entity of that name added
   at runtime): after "please reply in English", a message in Chinese is still answered in English;
2. else the message's own language, counted without what belongs to no language (order numbers, phone
   digits, waybill and SKU codes, sizes, URLs, e-mails, emoji): Chinese characters against English
   words. A Latin-only message counts as English when the training data knows one of its words (a
   keyboard mash such as "asdfgh" has no language, nor has "ok" alone, which Chinese shoppers type too);
3. else, until the shopper has written in a language, the front-end's `metadata.language` ("en" or
   "zh"; anything else is ignored), e.g. the widget's data-lang: a first message with no language of
   its own (an order number, "XL", 👍) follows the page;
4. else nothing: the slot keeps the conversation's language.
So the shopper's own words win over the page's language: one on the English page who types Chinese is
answered in Chinese, order numbers sent afterwards too, as a shop assistant would.

An NLU component: Rasa fills the slot from the entity as from any other (domain `language` slot,
from_entity; the entity does not influence the conversation). Messages sent as button payloads
("/affirm") have no words of the shopper's, so a tapped button keeps the language. At runtime
(installed by addons.runtime, like addons.answers) the entity is left out when it says the language
the conversation already has: the parse then holds only the shopper's own values, as before (the
end-to-end test stories compare every entity), and the slot changes only on a change. Nor does the
answer to a question asking for data in the data's own script count (a new address, an invoice title): an
English-speaking shopper types the delivery address in Chinese, as the parcel label needs it.
Test: tests/addons/test_language.py.
"""

from __future__ import annotations

import re
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.processor import MessageProcessor
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from addons.fallbacks import CODE, UnknownLatinWordsFallback

ENTITY = "language"
LANGUAGES = ("zh", "en")
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# What belongs to no language: URLs, e-mails, any token holding a digit (order numbers, phones,
# waybills SF1234567890, SKU codes, 42码), sizes.
NEUTRAL = re.compile(
    r"https?://\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?:/\S*)?|[A-Za-z-]*\d[\w-]*|"
    r"(?<![A-Za-z])(?:x{0,3}s|m|x{0,3}l|[2-5]xl)(?![A-Za-z])",
    re.IGNORECASE,
)
LATIN_WORD = re.compile(r"[A-Za-z]+(?:'[a-z]+)?")
# Latin words Chinese shoppers type too (and couriers' codes: SF 1234 5678 90): alone they say nothing
# about the language.
SHARED_WORDS = frozenset({"ok", "okk", "okay", "hi", "hello", "hh", "hhh", "haha", "hahaha", "emm", "emmm", "en",
                          "enen", "vip", "app", "id", "sku", "wifi", "pdf", "logo", "diy",
                          "sf", "jd", "zto", "yto", "sto", "ems", "yd", "jt", "dhl", "ups"})
CJK_CHARS_PER_WORD = 2  # Chinese words are about two characters long
_TO_EN = r"(?:英文|英语|english)"
_TO_ZH = r"(?:中文|汉语|普通话|国语|chinese|mandarin)"
REQUESTS = {
    "en": re.compile(
        rf"(?:说|讲|用|换成|切换[到成]?|改[成用])\s*{_TO_EN}|{_TO_EN}\s*(?:回复|回答|交流|沟通|服务)|"
        rf"\b(?:in|speak|speaking|use|to)\s+english\b|\benglish\s+(?:please|pls|plz)\b|^\s*english\W*$",
        re.IGNORECASE,
    ),
    "zh": re.compile(
        rf"(?:说|讲|用|换成|切换[到成]?|改[成用])\s*{_TO_ZH}|{_TO_ZH}\s*(?:回复|回答|交流|沟通|服务)|"
        rf"\b(?:in|speak|speaking|use|to)\s+(?:chinese|mandarin)\b|\b(?:chinese|mandarin)\s+(?:please|pls|plz)\b|"
        rf"^\s*(?:chinese|mandarin|中文)\W*$",
        re.IGNORECASE,
    ),
}


def requested_language(text: str) -> str | None:
    """The language the shopper asks for in words, if exactly one."""
    asked = [language for language, pattern in REQUESTS.items() if pattern.search(text)]
    return asked[0] if len(asked) == 1 else None


def own_language(text: str, is_english_word: Any = lambda word: True) -> str | None:
    """The message's own language (None when it has none), counted without neutral tokens. Code typed
    as a message (a tag, an event handler, SQL) is nobody's language: a Chinese shopper pasting
    <script>… must not be answered in English."""
    if CODE.search(text):
        return None
    rest = NEUTRAL.sub(" ", text)
    chinese_words = len(CJK.findall(rest)) / CJK_CHARS_PER_WORD
    english_words = [word for word in LATIN_WORD.findall(rest)
                     if (len(word) > 1 or word.lower() in ("i", "a")) and word.lower() not in SHARED_WORDS]
    if not chinese_words and not english_words:
        return None
    if not chinese_words:
        return "en" if any(is_english_word(word.lower()) for word in english_words) else None
    return "en" if len(english_words) > chinese_words else "zh"


def front_end_language(metadata: Any) -> str | None:
    """metadata.language when it is one of ours; anything else is ignored."""
    value = metadata.get("language") if isinstance(metadata, dict) else None
    return value if value in LANGUAGES else None


def message_language(text: str, metadata: Any, is_english_word: Any = lambda word: True) -> str | None:
    return requested_language(text) or own_language(text, is_english_word) or front_end_language(metadata)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class LanguageDetector(UnknownLatinWordsFallback):
    """Adds the `language` entity (see module doc). Trained like UnknownLatinWordsFallback: the Latin
    words of the training data tell English words from keyboard mashes."""

    def _is_english_word(self, word: str) -> bool:
        return not self.words or self._known(word)

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            if str(message.get(TEXT) or "").startswith("/"):  # a button's payload: no words of the shopper's
                continue
            language = message_language(str(message.get(TEXT) or ""), message.get("metadata"), self._is_english_word)
            if language is None:
                continue
            entities = [e for e in message.get(ENTITIES) or [] if e.get("entity") != ENTITY]
            entities.append({"entity": ENTITY, "value": language, "extractor": type(self).__name__})
            message.set(ENTITIES, entities, add_to_output=True)
        return messages


# Questions whose answer is data written in whatever script the data has (a Chinese address, a company's
# Chinese name): its words say nothing about the shopper's language. (Answers of digits, codes, links and
# e-mails have no language of their own anyway; the words around them do: "my email is ...".)
DATA_QUESTIONS = frozenset({"new_address", "invoice_title"})


def without_unchanged_language(parse_data: dict[str, Any], current: str | None) -> dict[str, Any]:
    """The parse without a language entity saying the conversation's language (`current`, zh at first)."""
    return _without_language(parse_data, lambda value: value == (current or "zh"))


def _without_language(parse_data: dict[str, Any], dropped: Any) -> dict[str, Any]:
    entities = parse_data.get(ENTITIES) or []
    kept = [e for e in entities if not (e.get("entity") == ENTITY and dropped(e.get("value")))]
    return parse_data if len(kept) == len(entities) else {**parse_data, ENTITIES: kept}


def written_before(tracker: DialogueStateTracker) -> bool:
    """Whether an earlier message of the conversation had words of a language."""
    return any(isinstance(event, UserUttered) and not str(event.text or "").startswith("/")
               and (requested_language(str(event.text or "")) or own_language(str(event.text or "")))
               for event in reversed(tracker.events))  # parsed before the message itself is logged


def page_language_dropped(parse_data: dict[str, Any], text: str, tracker: DialogueStateTracker) -> dict[str, Any]:
    """A message without words of a language takes the page's language only if no earlier one had any."""
    if requested_language(text) or own_language(text) or not written_before(tracker):
        return parse_data
    return _without_language(parse_data, lambda value: True)


def language_of_the_answer(parse_data: dict[str, Any], text: str, requested_slot: Any) -> dict[str, Any]:
    """An answer to a data question keeps the conversation's language, unless it asks for one."""
    if requested_slot not in DATA_QUESTIONS or requested_language(text):
        return parse_data
    return _without_language(parse_data, lambda value: True)


REQUEST_ENTITY = "language_request"


def language_as_requested(parse_data: dict[str, Any], text: str, requested_before: str | None) -> dict[str, Any]:
    """A request in words pins the language (the `language_request` entity, said only when it changes);
    while one holds, a message's own language or the page's does not switch: only a new request does."""
    asked = requested_language(text)
    if asked is None:
        return parse_data if requested_before is None else _without_language(parse_data, lambda value: True)
    if asked == requested_before:
        return parse_data
    entity = {"entity": REQUEST_ENTITY, "value": asked, "extractor": LanguageDetector.__name__}
    return {**parse_data, ENTITIES: [*(parse_data.get(ENTITIES) or []), entity]}


_previous_parse_message: Any = None


async def _parse_with_language(
    self: MessageProcessor, message: UserMessage, tracker: DialogueStateTracker | None = None,
    only_output_properties: bool = True,
) -> dict[str, Any]:
    parse_data = await _previous_parse_message(self, message, tracker, only_output_properties)
    if tracker is None:
        return without_unchanged_language(parse_data, None)
    parse_data = language_of_the_answer(parse_data, str(message.text or ""), tracker.get_slot("requested_slot"))
    parse_data = page_language_dropped(parse_data, str(message.text or ""), tracker)
    if not str(message.text or "").startswith("/"):  # a button's payload asks for nothing
        parse_data = language_as_requested(parse_data, str(message.text or ""), tracker.get_slot(REQUEST_ENTITY))
    return without_unchanged_language(parse_data, tracker.get_slot(ENTITY))


def install() -> None:
    """Idempotent; wraps whatever parses messages now (addons.answers installs first)."""
    global _previous_parse_message
    if MessageProcessor.parse_message is not _parse_with_language:
        _previous_parse_message = MessageProcessor.parse_message
        MessageProcessor.parse_message = _parse_with_language  # type: ignore[method-assign]


def uninstall() -> None:
    if MessageProcessor.parse_message is _parse_with_language and _previous_parse_message is not None:
        MessageProcessor.parse_message = _previous_parse_message  # type: ignore[method-assign]
