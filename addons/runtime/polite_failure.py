"""A custom action that fails is answered politely (a behaviour, not a speed-up).

Reason: when the action server is down, times out or crashes, Rasa logs the error and the shopper
gets silence. Here the failed call is answered with `utter_system_busy`, which offers a human; a
form's normal "not for me" (ActionExecutionRejection) still goes through as Rasa means it.
Test: tests/addons/runtime/test_polite_failure.py, tests/integration/test_action_server_down.py.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.core.actions.action import ActionExecutionRejection, RemoteAction, create_bot_utterance

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
        response = await nlg.generate(BUSY_RESPONSE, tracker, output_channel.name())
        return [create_bot_utterance(response)] if response else []


def install() -> None:
    RemoteAction.run = _run_or_apologise  # type: ignore[method-assign]


def uninstall() -> None:
    RemoteAction.run = _original_run  # type: ignore[method-assign]
