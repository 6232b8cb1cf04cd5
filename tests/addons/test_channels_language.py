"""Replies given before the NLU (a message too long) in the shopper's language (issue 35)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from rasa.shared.core.domain import Domain

from addons.channels import guarded_reply_language, response_text

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def app() -> SimpleNamespace:
    domain = Domain.load(str(ROOT / "domain"))
    return SimpleNamespace(ctx=SimpleNamespace(agent=SimpleNamespace(domain=domain)))


@pytest.mark.parametrize(("text", "metadata", "language"), [
    ("I ordered a jacket last week and " + "it still has not arrived, " * 50, {}, "en"),
    ("我上周买的羽绒服一直没到" * 100, {"language": "en"}, "zh"),
    ("8800000100000015 " * 80, {"language": "en"}, "en"),  # no words of its own: the page's
    ("8800000100000015 " * 80, {}, "zh"),
])
def test_a_long_message_is_answered_in_its_language(text: str, metadata: dict[str, str], language: str) -> None:
    assert guarded_reply_language(text, metadata) == language


def test_the_reply_is_the_responses_variant_for_that_language(app: SimpleNamespace) -> None:
    chinese, english = response_text(app, "utter_message_too_long"), response_text(app, "utter_message_too_long", "en")
    assert "长" in chinese and english.startswith("Your message is a bit long")
    assert response_text(app, "utter_message_too_long", "fr") == chinese
