"""Words actions put inside replies, in the shopper's language (zh / en, issue 35).

Short labels (status names, reason names, couriers, colours) live in domain/labels.yml as `utter_label_*`
responses, a Chinese variant and an English one (`condition` language: en); actions receive the domain
with every run, so trainers can change a label without Python. Dates read as shoppers read them in
their language (11-20 14:03 / Nov 20, 14:03); money is ¥69.00 in both.

The language of the reply is the conversation's `language` slot, read once per action call by
actions.language (rasa_sdk has no per-call hook), so helpers deep in an action need no tracker.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from rasa_sdk.types import DomainDict

LANGUAGES = ("zh", "en")
_reply_language: ContextVar[str] = ContextVar("reply_language", default="zh")
# The call's domain, for words of the shop's data translated by labels (couriers, colours) in helpers
# that are not handed the domain.
_call_domain: ContextVar[DomainDict | None] = ContextVar("call_domain", default=None)
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def reply_language() -> str:
    return _reply_language.get()


def english() -> bool:
    return _reply_language.get() == "en"


def set_reply_language(language: Any, domain: Any = None) -> None:
    """The reply's language (anything but en/zh: Chinese) and labels for the rest of this action call."""
    _reply_language.set(language if language in LANGUAGES else "zh")
    _call_domain.set(domain if isinstance(domain, dict) else None)


@contextmanager
def speaking(language: str, domain: DomainDict | None = None) -> Iterator[None]:
    """Words in `language` (labels from `domain`) inside the block (tests, code outside an action call)."""
    tokens = _reply_language.set(language), _call_domain.set(domain)
    try:
        yield
    finally:
        _reply_language.reset(tokens[0])
        _call_domain.reset(tokens[1])


def _in_language(variation: dict[str, Any], language: str) -> bool:
    said = [c.get("value") for c in variation.get("condition") or [] if c.get("name") == "language"]
    return (said[0] if said else "zh") == language


def _text(variations: list[dict[str, Any]], language: str) -> str | None:
    for variation in variations:
        if _in_language(variation, language) and "text" in variation:
            return str(variation["text"])
    return None


def label(domain: DomainDict | None, kind: str, code: str) -> str:
    """Text of response `utter_label_<kind>_<code>` in the reply's language (its Chinese text where it
    has no English one), or the code itself if none is defined. Domain None: the action call's."""
    domain = domain if domain is not None else _call_domain.get() or {}
    variations: list[dict[str, Any]] = domain.get("responses", {}).get(f"utter_label_{kind}_{code}", [])
    return _text(variations, reply_language()) or _text(variations, "zh") or code


def translated(kind: str, chinese: str | None) -> str:
    """A word the shop's data holds in Chinese (a courier's name 中通快递, a colour 黑色), in the reply's
    language: the English text of the call's `utter_label_<kind>_*` label whose Chinese text it is, else
    as it is."""
    domain = _call_domain.get()
    if not chinese or not english() or domain is None:
        return chinese or ""
    prefix = f"utter_label_{kind}_"
    for name, variations in domain.get("responses", {}).items():
        if name.startswith(prefix) and _text(variations, "zh") == chinese:
            return _text(variations, "en") or chinese
    return chinese


def label_pairs(kind: str) -> list[tuple[str, str]]:
    """(Chinese text, English text) of every `utter_label_<kind>_*` label of the action call's domain."""
    domain = _call_domain.get() or {}
    prefix = f"utter_label_{kind}_"
    return [(_text(variations, "zh") or "", _text(variations, "en") or "")
            for name, variations in domain.get("responses", {}).items() if name.startswith(prefix)]


def product_name(title: str, title_en: str | None) -> str:
    """The product's name in the reply's language: its English name where the shop has one."""
    return title_en if english() and title_en else title


def listed(parts: list[str]) -> str:
    """Items of a list in a sentence: 、 in Chinese, a comma in English."""
    return (", " if english() else "、").join(parts)


def by_language(chinese: str, english_text: str) -> str:
    """Punctuation by the reply's language (；/ ; ), never words: words live in the domain."""
    return english_text if english() else chinese


def money(amount: Any) -> str:
    return f"{amount:.2f}"


def when(value: Any) -> str:
    """Dates and times the way shoppers read them: 11-20 14:03, in English Nov 20, 14:03."""
    if english():
        day = f"{MONTHS[value.month - 1]} {value.day}"
        return f"{day}, {value.strftime('%H:%M')}" if hasattr(value, "hour") else day
    return value.strftime("%m-%d %H:%M") if hasattr(value, "hour") else value.strftime("%m-%d")


PICKUP_SLOT = re.compile(r"(\d{4})-(\d{2})-(\d{2}) (\d{2}:\d{2})-(\d{2}:\d{2})")


def pickup_time(slot: str | None) -> str:
    """A courier pickup slot of the shop's data ("2026-12-09 09:00-12:00") as shoppers read it: as it is in
    Chinese, "Dec 9, 09:00–12:00" in English; anything else as it is."""
    found = PICKUP_SLOT.fullmatch(str(slot or "").strip())
    if not english() or found is None:
        return str(slot or "")
    _, month, day, start, end = found.groups()
    return f"{MONTHS[int(month) - 1]} {int(day)}, {start}–{end}"


def place(province: str, city: str, district: str) -> str:
    """Province, city and district as one writes them: a municipality (北京市 北京市) is named once.
    Addresses stay as written in both languages: the courier reads them in Chinese."""
    return f"{province}{city if city != province else ''}{district}"
