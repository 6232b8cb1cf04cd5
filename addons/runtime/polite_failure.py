"""A custom action that fails is answered politely (a behaviour, not a speed-up).

Reason: when the action server is down, times out or crashes, Rasa logs the error and the shopper
gets silence. Here the failed call is answered with `utter_system_busy`, which offers a human; a
form's normal "not for me" (ActionExecutionRejection) still goes through as Rasa means it. The busy
reply is said once per message, however many actions fail. When a form's validation action fails, the
form stops: Rasa would go on asking the questions of the domain's list, which the validation action
shortens (a logged-in shopper is never asked for the phone's last 4 digits, and a failure must not
make the bot ask for them; issue 28, point 9).
Test: tests/addons/runtime/test_polite_failure.py, tests/integration/test_action_server_down.py.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.core.actions.action import ActionExecutionRejection, RemoteAction, create_bot_utterance
from rasa.shared.core.constants import REQUESTED_SLOT
from rasa.shared.core.events import ActiveLoop, BotUttered, Event, SlotSet, UserUttered

logger = logging.getLogger(__name__)

BUSY_RESPONSE = "utter_system_busy"

_original_run = RemoteAction.run


async def _run_or_apologise(self: RemoteAction, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> list:
    try:
        return await _original_run(self, output_channel, nlg, tracker, domain)
    except ActionExecutionRejection:
        raise  # a form's normal "not for me", not a failure
    except Exception:
        logger.exception("custom action '%s' failed; answering with %s", self.name(), BUSY_RESPONSE)
        events: list[Event] = []
        if not _busy_said_since_user(tracker):
            response = await nlg.generate(BUSY_RESPONSE, tracker, output_channel.name())
            events = [create_bot_utterance({**response, "utter_action": BUSY_RESPONSE})] if response else []
        if _validates_a_form(self.name(), domain):
            events += [ActiveLoop(None), SlotSet(REQUESTED_SLOT, None)]
        return events


def _busy_said_since_user(tracker: Any) -> bool:
    """Whether this message already got the busy reply (a failed form, then its failed submit action)."""
    for event in reversed(getattr(tracker, "events", None) or []):
        if isinstance(event, UserUttered):
            return False
        if isinstance(event, BotUttered) and (event.metadata or {}).get("utter_action") == BUSY_RESPONSE:
            return True
    return False


def _validates_a_form(action_name: str, domain: Any) -> bool:
    """`validate_<form>`: the action Rasa's FormAction calls to validate the form's slots."""
    prefix = "validate_"
    return action_name.startswith(prefix) and action_name[len(prefix):] in (domain.form_names if domain else ())


def install() -> None:
    RemoteAction.run = _run_or_apologise  # type: ignore[method-assign]


def uninstall() -> None:
    RemoteAction.run = _original_run  # type: ignore[method-assign]
