"""A failed form validation stops the form; the busy reply is said once a message (issue 28, point 9).

With the action server down, Rasa's FormAction went on asking the questions of the domain's list,
which the validation action shortens: a logged-in shopper was asked for the phone's last 4 digits.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.constants import REQUESTED_SLOT
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActiveLoop, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from addons.runtime import polite_failure


class _Nlg:
    async def generate(self, name: str, tracker: Any, channel: str) -> dict[str, Any]:
        return {"text": f"<{name}>"}


class _Channel:
    @staticmethod
    def name() -> str:
        return "rest"


@pytest.fixture(scope="module")
def domain(project_domain: Domain) -> Domain:
    return project_domain


def _fail(monkeypatch: pytest.MonkeyPatch, action_name: str, tracker: DialogueStateTracker, domain: Domain) -> list:
    async def failing(*args: Any) -> list[Any]:
        raise ConnectionError("action server down")

    monkeypatch.setattr(polite_failure, "_original_run", failing)
    action = RemoteAction(action_name, EndpointConfig("http://127.0.0.1:9/webhook"))
    return asyncio.run(polite_failure._run_or_apologise(action, _Channel(), _Nlg(), tracker, domain))


def _tracker(domain: Domain, *events: Any) -> DialogueStateTracker:
    return DialogueStateTracker.from_events("shopper", [UserUttered("查一下订单"), *events], domain.slots)


def test_a_failed_form_validation_stops_the_form(monkeypatch: pytest.MonkeyPatch, domain: Domain) -> None:
    events = _fail(monkeypatch, "validate_order_form", _tracker(domain, ActiveLoop("order_form")), domain)
    assert [event.text for event in events if isinstance(event, BotUttered)] == ["<utter_system_busy>"]
    assert events[-2:] == [ActiveLoop(None), SlotSet(REQUESTED_SLOT, None)]


def test_another_failed_action_leaves_the_dialogue_alone(monkeypatch: pytest.MonkeyPatch, domain: Domain) -> None:
    events = _fail(monkeypatch, "action_show_order", _tracker(domain), domain)
    assert [type(event) for event in events] == [BotUttered]


def test_the_busy_reply_is_said_once_a_message(monkeypatch: pytest.MonkeyPatch, domain: Domain) -> None:
    first = _fail(monkeypatch, "validate_order_form", _tracker(domain), domain)
    tracker = _tracker(domain, *first)
    assert _fail(monkeypatch, "action_show_order", tracker, domain) == []
    tracker.update(UserUttered("1234"))
    assert len(_fail(monkeypatch, "action_route_inform", tracker, domain)) == 1
