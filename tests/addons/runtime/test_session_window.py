"""A long conversation starts a new session at a quiet moment (addons/runtime/session_window.py)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from rasa.core.processor import MessageProcessor
from rasa.shared.core.domain import SessionConfig
from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from addons.runtime import session_window


def chat_of(messages: int, last_bot: BotUttered | None = None, form: str | None = None) -> DialogueStateTracker:
    """`messages` exchanges of 3 events each after a session start, optionally in a form."""
    events = [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")]
    for n in range(messages):
        events += [UserUttered(f"你好{n}", {"name": "greet"}), BotUttered("您好"), ActionExecuted("action_listen")]
    if last_bot is not None:
        events += [UserUttered("查订单", {"name": "query_order"}), last_bot, ActionExecuted("action_listen")]
    if form:
        events.append(ActiveLoop(form))
    return DialogueStateTracker.from_events("shopper", events)


def test_counts_only_the_current_session() -> None:
    tracker = chat_of(10)
    assert session_window.events_in_session(tracker) == 31
    tracker.update(SessionStarted())
    assert session_window.events_in_session(tracker) == 0


def test_starts_a_new_session_past_the_limit_at_a_quiet_moment() -> None:
    assert not session_window.is_too_long(chat_of(10), limit=40)
    assert session_window.is_too_long(chat_of(14), limit=40)
    question = BotUttered("请选择订单", data={"buttons": [{"title": "A", "payload": "/inform"}]})
    assert not session_window.is_too_long(chat_of(14, last_bot=question), limit=40)
    assert not session_window.is_too_long(chat_of(14, form="return_form"), limit=40)
    assert session_window.is_too_long(chat_of(27, form="return_form"), limit=40)  # twice the limit: anyway


@pytest.fixture
def processor() -> MessageProcessor:
    session_window.install()
    yield SimpleNamespace(domain=SimpleNamespace(session_config=SessionConfig(60, True)))  # type: ignore[misc]
    session_window.uninstall()


def test_the_processor_sees_a_long_session_as_expired(processor: MessageProcessor,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XIAOER_SESSION_MAX_EVENTS", "40")
    assert MessageProcessor._has_session_expired(processor, chat_of(14))
    assert not MessageProcessor._has_session_expired(processor, chat_of(5))
    processor.domain.session_config = SessionConfig(0, True)  # sessions disabled: never
    assert not MessageProcessor._has_session_expired(processor, chat_of(14))
