"""A tracker is copied by taking over its state instead of replaying all its events.

Reason: `tracker.copy()` replays every event of the conversation into a fresh tracker; Rasa does it
before each action it runs (4.1 % of its time under load). A tracker's state is, by Rasa's own rule,
what its events make of it, so the copy takes that state over directly.
Figure: see docs/benchmarks.md, decision 18, and the A/B of issue 29 there.
Test: tests/addons/runtime/test_trackers.py (copies equal to Rasa's replayed copies after every prefix
of a conversation with every state-changing event kind; a cut history is still replayed).
"""

from __future__ import annotations

import copy
from collections import deque
from typing import Any

from rasa.shared.constants import DEFAULT_SENDER_ID
from rasa.shared.core.events import BotUttered, Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

_original_copy = DialogueStateTracker.copy


def copy_without_replay(self: DialogueStateTracker) -> DialogueStateTracker:
    """`tracker.copy()` replays every event of the conversation into a fresh tracker; Rasa does it before
    each action it runs (4 % of its time under load). A tracker's state is, by Rasa's own rule, what
    its events make of it, so the copy takes that state over directly: the same event objects, slot
    copies with their values, and what a replayed tracker leaves unset (model and assistant ids, the
    sender source) unset. A tracker whose history is cut (`max_event_history`) is replayed as before:
    there the events no longer make the whole state."""
    if type(self) is not DialogueStateTracker or self._max_event_history is not None or type(self.slots) is not dict:
        return _original_copy(self)
    copied = DialogueStateTracker.__new__(DialogueStateTracker)
    copied._max_event_history = None
    copied.events = deque(self.events)
    copied.sender_id = self.sender_id or DEFAULT_SENDER_ID
    copied.slots = {name: copy.copy(slot) for name, slot in self.slots.items()}
    copied.sender_source = None
    copied.is_rule_tracker = self.is_rule_tracker
    copied._paused = self._paused
    copied.followup_action = self.followup_action
    copied.latest_action = dict(self.latest_action) if self.latest_action is not None else None
    # the latest user and bot events, or fresh empty ones where no event set them (as a replay makes)
    copied.latest_message = _logged_or(self.latest_message, self.events, UserUttered.empty)
    copied.latest_bot_utterance = _logged_or(self.latest_bot_utterance, self.events, BotUttered.empty)
    copied.active_loop = copy.copy(self.active_loop)
    copied.model_id = None
    copied.assistant_id = None
    return copied


def _logged_or(event: Event | None, events: deque, empty: Any) -> Any:
    return event if any(logged is event for logged in reversed(events)) else empty()


def install() -> None:
    DialogueStateTracker.copy = copy_without_replay  # type: ignore[method-assign]


def uninstall() -> None:
    DialogueStateTracker.copy = _original_copy  # type: ignore[method-assign]
