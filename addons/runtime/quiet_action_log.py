"""Without debug logging, the events of each action are not deep-copied for two debug lines.

Reason: Rasa's `_log_action_on_tracker` deep-copies the events for two structlog debug lines even
when debug logging is off. With debug logging on, Rasa's own runs.
Figure: 2.3 % of Rasa's time under load (docs/benchmarks.md, decision 15).
Test: tests/addons/runtime/test_caches.py (the tracker changes as Rasa's does).
"""

from __future__ import annotations

import logging

from rasa.core.actions.action import Action
from rasa.core.policies.policy import PolicyPrediction
from rasa.core.processor import MessageProcessor
from rasa.shared.core.events import ActionExecutionRejected, Event
from rasa.shared.core.trackers import DialogueStateTracker

_original_log_action = MessageProcessor._log_action_on_tracker


_processor_logger = logging.getLogger(MessageProcessor.__module__)


def log_action_on_tracker(
    self: MessageProcessor, tracker: DialogueStateTracker, action: Action, events: list[Event] | None,
    prediction: PolicyPrediction,
) -> None:
    """Rasa's `_log_action_on_tracker` deep-copies the events for two debug log lines even when debug
    logging is off (2.3 % of Rasa's time under load). With debug logging on, Rasa's own runs."""
    if _processor_logger.isEnabledFor(logging.DEBUG):
        return _original_log_action(self, tracker, action, events, prediction)
    events = events or []
    if not any(isinstance(event, ActionExecutionRejected) for event in events):
        tracker.update_with_events(prediction.events, self.domain)
        tracker.update(action.event_for_successful_execution(prediction))
    tracker.update_with_events(events, self.domain)
    return None


def install() -> None:
    MessageProcessor._log_action_on_tracker = log_action_on_tracker  # type: ignore[method-assign]


def uninstall() -> None:
    MessageProcessor._log_action_on_tracker = _original_log_action  # type: ignore[method-assign]
