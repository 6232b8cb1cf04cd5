"""A shopper writing while the conversation waits for an agent hears that it does (a behaviour).

Reason: after 转人工 the bot pauses (ConversationPaused) and Rasa answers nothing at all until the
agent hands back; "hello? anyone there?" met silence (mystery-shopper test, fixer B point 4). The
messages still reach the desk (they are logged on the paused tracker as before); here the first one
after the pause, and then at most one every NOTICE_INTERVAL_SECONDS, gets `utter_handoff_waiting`
(`utter_handoff_waiting_after_hours` when the hand-off left a ticket out of service hours). Once an
agent has written in the conversation (a bot event with metadata.agent, web/rasa_api.py), nothing is
added: the person is there.
Test: tests/addons/runtime/test_paused_reply.py, tests/integration/test_handback.py.
"""

from __future__ import annotations

import time
from typing import Any

from rasa.core.actions.action import create_bot_utterance
from rasa.core.processor import MessageProcessor
from rasa.shared.core.events import BotUttered, ConversationPaused, UserUttered

WAITING = "utter_handoff_waiting"
WAITING_AFTER_HOURS = "utter_handoff_waiting_after_hours"
AFTER_HOURS_HANDOFF = "utter_handoff_after_hours"
NOTICE_INTERVAL_SECONDS = 180.0

_original_loop = MessageProcessor._run_prediction_loop


def waiting_notice(tracker: Any, now: float) -> str | None:
    """The response to add to the latest message of a paused conversation, or None (not paused, already
    answered, an agent has written, or a notice was given less than NOTICE_INTERVAL_SECONDS ago)."""
    if not tracker.is_paused():
        return None
    events = list(tracker.events)
    paused_at = max((i for i, event in enumerate(events) if isinstance(event, ConversationPaused)), default=-1)
    latest_user = max((i for i, event in enumerate(events) if isinstance(event, UserUttered)), default=-1)
    if paused_at < 0 or latest_user < paused_at:
        return None
    said_since_pause = [event for event in events[paused_at:] if isinstance(event, BotUttered)]
    if any((event.metadata or {}).get("agent") for event in said_since_pause):
        return None
    if any(isinstance(event, BotUttered) for event in events[latest_user:]):
        return None
    notices = [event for event in said_since_pause if (event.metadata or {}).get("utter_action") in
               (WAITING, WAITING_AFTER_HOURS)]
    if notices and now - notices[-1].timestamp < NOTICE_INTERVAL_SECONDS:
        return None
    handoff = next((event for event in reversed(events[:paused_at]) if isinstance(event, BotUttered)), None)
    after_hours = handoff is not None and (handoff.metadata or {}).get("utter_action") == AFTER_HOURS_HANDOFF
    return WAITING_AFTER_HOURS if after_hours else WAITING


async def _loop_then_notice(self: MessageProcessor, output_channel: Any, tracker: Any) -> None:
    await _original_loop(self, output_channel, tracker)
    name = waiting_notice(tracker, time.time())
    if name is None:
        return
    response = await self.nlg.generate(name, tracker, output_channel.name())
    if not response:
        return
    utterance = create_bot_utterance({**response, "utter_action": name})
    tracker.update(utterance)
    await output_channel.send_response(tracker.sender_id, utterance.message())


def install() -> None:
    MessageProcessor._run_prediction_loop = _loop_then_notice  # type: ignore[method-assign]


def uninstall() -> None:
    MessageProcessor._run_prediction_loop = _original_loop  # type: ignore[method-assign]
