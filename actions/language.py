"""Every action call words its replies in the conversation's language (issue 35).

Reason: labels, dates and product names are built deep inside actions (actions/wording.py), far from
the tracker. rasa_sdk has no per-call hook, so its executor's `run` is wrapped once: it reads the
`language` slot of the call's tracker and sets the reply language (and the call's labels) for that
call only (a context
variable: concurrent calls of other conversations keep theirs). Nothing else of the call changes.
Test: tests/actions/test_wording.py (through rasa_sdk's executor).
"""

from __future__ import annotations

from typing import Any

from rasa_sdk.executor import ActionExecutor

from actions.wording import set_reply_language

_original_run = ActionExecutor.run


async def _run_in_language(self: ActionExecutor, action_call: Any) -> Any:
    tracker = action_call.get("tracker") if isinstance(action_call, dict) else None
    slots = tracker.get("slots") if isinstance(tracker, dict) else None
    set_reply_language(slots.get("language") if isinstance(slots, dict) else None,
                       action_call.get("domain") if isinstance(action_call, dict) else None)
    return await _original_run(self, action_call)


def install() -> None:
    """Idempotent."""
    ActionExecutor.run = _run_in_language  # type: ignore[method-assign]
