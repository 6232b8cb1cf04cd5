"""A long conversation starts a new Rasa session every so many events (a behaviour, issue 28 point 8).

Reason: every message re-reads, re-serialises and sends to the action server the whole current
session, so a message's cost grew with the conversation's length (27 ms after 100 messages, 348 ms
after 600), and one client flooding its own conversation was a cheap denial of service. Rasa's own
session mechanism bounds it: when the current session holds `XIAOER_SESSION_MAX_EVENTS` events (400
by default, about 50 to 80 messages), the next message starts a new session, as an expired one would
(`action_session_start`, slots carried over by `session_config`), and the SQL tracker store reads
only the latest session. The old events stay stored (transcripts, analytics).
It waits for a quiet moment: not while a form runs, nor right after a question offered buttons, so
an answer is never read without its question. Past twice the limit it starts one anyway.
Test: tests/addons/runtime/test_session_window.py; tests/integration/test_security.py measures it.
"""

from __future__ import annotations

import os

from rasa.core.processor import MessageProcessor
from rasa.shared.core.events import BotUttered, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker

DEFAULT_MAX_EVENTS = 400

_original_has_session_expired = MessageProcessor._has_session_expired


def max_events() -> int:
    return int(os.environ.get("XIAOER_SESSION_MAX_EVENTS") or DEFAULT_MAX_EVENTS)


def events_in_session(tracker: DialogueStateTracker) -> int:
    count = 0
    for event in reversed(tracker.events):
        if isinstance(event, SessionStarted):
            break
        count += 1
    return count


def waits_for_an_answer(tracker: DialogueStateTracker) -> bool:
    """A form runs, or the last thing said offered buttons: the next message answers it."""
    if tracker.active_loop_name:
        return True
    last_bot = tracker.get_last_event_for(BotUttered)
    return bool(last_bot and (last_bot.data or {}).get("buttons"))


def is_too_long(tracker: DialogueStateTracker, limit: int | None = None) -> bool:
    limit = limit or max_events()
    count = events_in_session(tracker)
    return count >= 2 * limit or (count >= limit and not waits_for_an_answer(tracker))


def _has_session_expired(self: MessageProcessor, tracker: DialogueStateTracker) -> bool:
    if _original_has_session_expired(self, tracker):
        return True
    return self.domain.session_config.are_sessions_enabled() and is_too_long(tracker)


def install() -> None:
    MessageProcessor._has_session_expired = _has_session_expired  # type: ignore[method-assign]


def uninstall() -> None:
    MessageProcessor._has_session_expired = _original_has_session_expired  # type: ignore[method-assign]
