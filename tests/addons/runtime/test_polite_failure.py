"""A failed custom action is answered with utter_system_busy; a form's rejection is not a failure."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.utils.endpoints import EndpointConfig

from addons.runtime import polite_failure


class _Nlg:
    async def generate(self, name: str, tracker: Any, channel: str) -> dict[str, Any]:
        return {"text": f"<{name}>"}


class _Channel:
    @staticmethod
    def name() -> str:
        return "rest"


def _run(monkeypatch: pytest.MonkeyPatch, error: Exception) -> list[Any]:
    async def failing(*args: Any) -> list[Any]:
        raise error

    monkeypatch.setattr(polite_failure, "_original_run", failing)
    action = RemoteAction("action_submit_return", EndpointConfig("http://127.0.0.1:9/webhook"))
    return asyncio.run(polite_failure._run_or_apologise(action, _Channel(), _Nlg(), None, None))


def test_a_failed_action_is_answered_with_the_busy_response(monkeypatch: pytest.MonkeyPatch) -> None:
    events = _run(monkeypatch, ConnectionError("action server down"))
    assert [event.text for event in events] == ["<utter_system_busy>"]


def test_a_forms_rejection_is_passed_on(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ActionExecutionRejection):
        _run(monkeypatch, ActionExecutionRejection("return_form"))
