"""Every response of the domain has an English variant (issue 35), and the two say the same thing's shape.

The convention (domain/slots_and_forms.yml, slot `language`): the Chinese variant is the default and has no
language condition; its English twin has the Chinese variant's own conditions plus `language: en`. The twin
fills the same placeholders, offers the same buttons (count, order and payloads) and holds no Chinese.
Labels (`utter_label_*`) and the FAQ answers (`utter_product_inquiry/<topic>`) are responses like any other.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
from rasa.shared.core.domain import Domain

Variant = dict[str, Any]
Responses = dict[str, list[Variant]]

# CJK ideographs, CJK punctuation (。「」【】), kana, and full-width forms (，：（）～＜＞).
CJK = re.compile(r"[\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
# {slot} filled by Rasa or by an action; {{ }} is an escaped brace (button payloads' JSON).
PLACEHOLDER = re.compile(r"(?<!\{)\{(\w+)\}(?!\})")


def _language(variant: Variant) -> Any:
    return next((c.get("value") for c in variant.get("condition") or [] if c.get("name") == "language"), None)


def _own_conditions(variant: Variant) -> tuple[tuple[str, Any], ...]:
    """The variant's conditions other than the language, in a comparable form."""
    return tuple(sorted((str(c.get("name")), str(c.get("value"))) for c in variant.get("condition") or []
                        if c.get("name") != "language"))


def _placeholders(variant: Variant) -> set[str]:
    return set(PLACEHOLDER.findall(str(variant.get("text") or "")))


def _button_problems(name: str, zh: Variant, en: Variant) -> list[str]:
    zh_buttons, en_buttons = zh.get("buttons") or [], en.get("buttons") or []
    if len(zh_buttons) != len(en_buttons):
        return [f"{name}: {len(en_buttons)} English buttons, {len(zh_buttons)} Chinese"]
    problems = []
    for zh_button, en_button in zip(zh_buttons, en_buttons, strict=True):
        if zh_button.get("payload") != en_button.get("payload"):
            problems.append(f"{name}: button payload {en_button.get('payload')!r} != {zh_button.get('payload')!r}")
        title = str(en_button.get("title") or "")
        if not title.strip() or CJK.search(title):
            problems.append(f"{name}: English button title {title!r} is empty or holds Chinese")
    return problems


def _twin_problems(name: str, zh: Variant, en: Variant) -> list[str]:
    problems = _button_problems(name, zh, en)
    if _placeholders(en) != _placeholders(zh):
        problems.append(f"{name}: English placeholders {sorted(_placeholders(en))} != {sorted(_placeholders(zh))}")
    return problems


def response_problems(name: str, variants: list[Variant]) -> list[str]:
    """What is wrong with one response's English variants (empty when it follows the convention)."""
    chinese = [v for v in variants if _language(v) is None]
    english = [v for v in variants if _language(v) == "en"]
    others = [v for v in variants if _language(v) not in (None, "en")]
    problems = [f"{name}: a variant with language {_language(v)!r} (Chinese has no language condition)"
                for v in others]
    if not chinese or _language(variants[0]) is not None:
        problems.append(f"{name}: the first variant must be the Chinese default (no language condition)")
    if not english:
        return [*problems, f"{name}: no English variant (condition language: en)"]
    for en in english:
        text = str(en.get("text") or "")
        if not text.strip() or CJK.search(text):
            problems.append(f"{name}: English text is empty or holds Chinese: {text!r}")
        twins = [zh for zh in chinese if _own_conditions(zh) == _own_conditions(en)]
        if not twins:
            problems.append(f"{name}: English variant with conditions {_own_conditions(en)} has no Chinese twin")
        for zh in twins:
            problems += _twin_problems(name, zh, en)
    for zh in chinese:
        if not any(_own_conditions(en) == _own_conditions(zh) for en in english):
            problems.append(f"{name}: Chinese variant with conditions {_own_conditions(zh)} has no English twin")
    return problems


def all_problems(responses: Responses) -> list[str]:
    return [problem for name, variants in sorted(responses.items()) for problem in response_problems(name, variants)]


@pytest.fixture(scope="module")
def responses(project_domain: Domain) -> Responses:
    return project_domain.as_dict()["responses"]


def test_the_domain_is_read_whole(responses: Responses) -> None:
    """Labels, FAQ answers and flow replies are all in what the checks below read."""
    assert len(responses) > 300
    assert "utter_label_status_paid" in responses
    assert "utter_product_inquiry/return_policy" in responses
    assert "utter_confirm_cancel" in responses


def test_every_response_has_a_matching_english_variant(responses: Responses) -> None:
    assert all_problems(responses) == []


def _planted(responses: Responses, name: str, change: Any) -> list[str]:
    planted = copy.deepcopy(responses)
    change(planted[name])
    return response_problems(name, planted[name])


def _english(variants: list[Variant]) -> Variant:
    return next(v for v in variants if _language(v) == "en")


def _drop_english(variants: list[Variant]) -> None:
    variants[:] = [v for v in variants if _language(v) is None]


def _drop_english_twin_of_conditional(variants: list[Variant]) -> None:
    variants[:] = [v for v in variants if not (_language(v) == "en" and _own_conditions(v))]


@pytest.mark.parametrize(
    ("name", "change", "expected"),
    [
        ("utter_label_status_paid", _drop_english, "no English variant"),
        ("utter_product_inquiry/return_policy", _drop_english, "no English variant"),
        ("utter_confirm_cancel", lambda vs: _english(vs).update(text="Cancel order {order_no}?"), "placeholders"),
        ("utter_confirm_cancel", lambda vs: _english(vs)["buttons"].pop(), "English buttons"),
        ("utter_confirm_cancel", lambda vs: _english(vs)["buttons"][0].update(payload="/deny"), "payload"),
        ("utter_confirm_cancel", lambda vs: _english(vs)["buttons"][0].update(title="确认"), "button title"),
        ("utter_greet", lambda vs: _english(vs).update(text="Hi, 我是店小二"), "holds Chinese"),
        ("utter_greet", lambda vs: _english(vs).update(text="Hi（there）"), "holds Chinese"),
        ("utter_reason_without_flow", _drop_english_twin_of_conditional, "has no English twin"),
        ("utter_greet", lambda vs: vs.insert(0, vs.pop()), "Chinese default"),
    ],
)
def test_a_planted_omission_is_found(responses: Responses, name: str, change: Any, expected: str) -> None:
    assert response_problems(name, responses[name]) == []
    problems = _planted(responses, name, change)
    assert any(expected in problem for problem in problems), problems
