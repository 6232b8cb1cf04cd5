"""Answers read as answers (addons/answers.py): measured per question kind on tests/addons/answers.yml,
our own shoppers' answers (>= 300 pairs), and on tests/addons/answers_english.yml, the same in English
(>= 150 pairs), and checked on the parse a message gets at a question."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest
import yaml

from addons.answers import QUESTION_KINDS, READERS, Reading, as_answer, read_answer

PAIRS_FILE = Path(__file__).with_name("answers.yml")
ENGLISH_PAIRS_FILE = Path(__file__).with_name("answers_english.yml")
MIN_PAIRS = {PAIRS_FILE: 300, ENGLISH_PAIRS_FILE: 150}
MIN_ACCURACY = 0.97
OUTCOMES = ("yes", "no", "invalid", "other")


def pairs(path: Path = PAIRS_FILE) -> list[tuple[str, str, str]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [(kind, str(text), str(expected)) for kind, rows in data.items() for text, expected in rows]


def is_read_as(reading: Reading, expected: str) -> bool:
    """`expected` is an outcome, "value" (any value), or the value itself."""
    if expected in OUTCOMES:
        return reading.outcome == expected
    if expected == "value":
        return reading.outcome == "value"
    return reading.outcome == "value" and reading.value == expected


def accuracy_by_kind(path: Path = PAIRS_FILE) -> tuple[dict[str, float], dict[str, list[str]]]:
    right: dict[str, int] = defaultdict(int)
    seen: dict[str, int] = defaultdict(int)
    wrong: dict[str, list[str]] = defaultdict(list)
    for kind, text, expected in pairs(path):
        reading = read_answer(kind, text)
        seen[kind] += 1
        if is_read_as(reading, expected):
            right[kind] += 1
        else:
            wrong[kind].append(f"{text!r}: {reading} (expected {expected})")
    return {kind: right[kind] / seen[kind] for kind in seen}, wrong


@pytest.mark.parametrize("path", list(MIN_PAIRS), ids=lambda path: path.name)
def test_the_answers_file_has_enough_pairs_of_every_kind(path: Path) -> None:
    found = pairs(path)
    assert len(found) >= MIN_PAIRS[path]
    kinds = {kind for kind, _, _ in found}
    assert kinds == set(READERS) == set(QUESTION_KINDS.values())
    for kind in kinds:  # each kind has answers, wrong values (where a value can be wrong) and other requests
        expected = {e if e in OUTCOMES else "value" for k, _, e in found if k == kind}
        assert "other" in expected and ({"yes", "no"} <= expected or "value" in expected), kind


@pytest.mark.parametrize("path", list(MIN_PAIRS), ids=lambda path: path.name)
def test_accuracy_per_question_kind(path: Path) -> None:
    accuracy, wrong = accuracy_by_kind(path)
    low = {kind: round(value, 3) for kind, value in accuracy.items() if value < MIN_ACCURACY}
    assert not low, f"below {MIN_ACCURACY}: {low}; misread: {dict(wrong)}"


@pytest.mark.parametrize(("kind", "text", "intent"), [
    ("yes_no", "嗯 可以的 就这样吧", "affirm"),
    ("yes_no", "不必了 尽快给我解决就好", "deny"),
    ("tax_no", "9133010012345", "inform"),
])
def test_an_answer_becomes_the_answers_intent_and_drops_entities_that_would_move_the_flow(
    kind: str, text: str, intent: str
) -> None:
    parse = {"text": text, "intent": {"name": "goodbye", "confidence": 0.9},
             "entities": [{"entity": "order_id", "value": "9133010012345"}]}
    answered = as_answer(parse, kind, read_answer(kind, text))
    assert answered["intent"]["name"] == intent and answered["text"] == text
    assert answered["entities"] == []


def test_a_value_of_an_entity_slot_is_given_as_its_entity() -> None:
    answered = as_answer({"text": "打个五星吧", "intent": {"name": "complain"}, "entities": []}, "rating",
                         read_answer("rating", "打个五星吧"))
    assert answered["intent"]["name"] == "inform"
    assert answered["entities"][0]["entity"] == "rating" and answered["entities"][0]["value"] == "5"


def test_a_size_keeps_the_nlus_colour_and_adds_the_size_it_missed() -> None:
    parse = {"text": "那换白色的43码", "intent": {"name": "exchange_goods"},
             "entities": [{"entity": "color", "value": "白色", "start": 2, "end": 4}]}
    answered = as_answer(parse, "size", read_answer("size", "那换白色的43码"))
    assert {(e["entity"], e["value"]) for e in answered["entities"]} == {("color", "白色"), ("size", "43")}


@pytest.mark.parametrize(("kind", "text", "intent"), [
    ("yes_no", "yeah sure go ahead", "affirm"),
    ("yes_no", "nah leave it", "deny"),
    ("yes_no", "no problem", "affirm"),
    ("yes_no", "no need for a human", "deny"),
])
def test_an_english_yes_or_no_becomes_affirm_or_deny(kind: str, text: str, intent: str) -> None:
    answered = as_answer({"text": text, "intent": {"name": "human_handoff"}, "entities": []}, kind,
                         read_answer(kind, text))
    assert answered["intent"]["name"] == intent


def test_english_words_are_whole_words() -> None:
    # "no" is not in "know", the s of "it's" is no size, "none" holds no "one"
    assert read_answer("yes_no", "i know").outcome == "other"
    assert read_answer("size", "it's 42") == Reading("value", "42")
    assert read_answer("quantity", "none of them").outcome == "invalid"
