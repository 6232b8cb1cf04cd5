"""Replies of the action server get Rasa's verdict from the compiled validators."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig

from addons.runtime import action_reply_validation


@pytest.fixture(scope="module")
def action() -> RemoteAction:
    return RemoteAction("action_query_order", EndpointConfig("http://127.0.0.1:9/webhook"))


VALID_REPLIES: list[dict[str, Any]] = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "order_id", "value": "8800000100000001", "timestamp": None}],
     "responses": [{"response": "utter_order_status", "order_id": "8800000100000001"}]},
    {"events": [{"event": "active_loop", "name": None}, {"event": "followup", "name": "action_listen"},
                {"event": "pause"}, {"event": "bot", "text": "hi", "data": {}, "metadata": {}}]},
]
INVALID_REPLIES: list[Any] = [
    None,
    {"events": "slot"},
    {"events": [{"name": "no event type"}]},
    {"events": [{"event": "no_such_event"}]},
    {"events": [{"event": "slot", "timestamp": "yesterday"}]},
    {"responses": ["not an object"]},
    {"events": [{"event": "slot", "name": 5, "value": 1}]},
    {"events": [{"event": "user", "text": 7}]},
    {"events": [{"event": "action", "name": "x", "policy": 3}]},
    {"events": [{"event": "active_loop", "name": None}, "not an object"]},
    {"events": [{"event": None}]},
    [],
]


def _event_samples() -> list[dict[str, Any]]:
    """Every Rasa event type as Rasa serialises it, and each again with every field set to a wrong type."""
    from rasa.shared.core import events as ev

    originals = [
        ev.SlotSet("order_id", "8800000100000001"), ev.UserUttered("退货", {"name": "return_goods"}),
        ev.BotUttered("好的", {"buttons": []}), ev.ActionExecuted("action_listen"), ev.ActiveLoop("return_form"),
        ev.FollowupAction("action_listen"), ev.Restarted(), ev.AllSlotsReset(),
        ev.ReminderScheduled("x", datetime(2026, 12, 1, 12)), ev.ReminderCancelled("x"), ev.ActionReverted(),
        ev.UserUtteranceReverted(), ev.ConversationPaused(), ev.ConversationResumed(), ev.StoryExported(),
        ev.LoopInterrupted(True), ev.ActionExecutionRejected("a"), ev.SessionStarted(),
        ev.EntitiesAdded([{"entity": "e", "value": "v"}]), ev.DefinePrevUserUtteredFeaturization(True),
    ]
    samples = []
    for event in originals:
        data = event.as_dict()
        samples.append(data)
        for key in data:
            if key != "event":
                samples.extend({**data, key: wrong} for wrong in (12345, "text", [1], {"a": 1}, True))
    return samples


def test_every_event_type_gets_rasas_verdict(action: RemoteAction) -> None:
    def verdict(check: Any, reply: dict[str, Any]) -> bool:
        try:
            return bool(check(action, reply))
        except ValidationError:
            return False

    samples = _event_samples()
    assert len(samples) > 100
    rasa = [verdict(action_reply_validation._original_validate, {"events": [s]}) for s in samples]
    ours = [verdict(action_reply_validation.validate_quickly, {"events": [s]}) for s in samples]
    assert [s for s, a, b in zip(samples, rasa, ours, strict=True) if a != b] == []
    assert 0 < sum(rasa) < len(samples)  # some samples are valid, some not


@pytest.mark.parametrize("reply", VALID_REPLIES)
def test_valid_replies_pass_both_checks(action: RemoteAction, reply: dict[str, Any]) -> None:
    assert action_reply_validation._original_validate(action, reply) is True
    assert action_reply_validation.validate_quickly(action, reply) is True


@pytest.mark.parametrize("reply", INVALID_REPLIES)
def test_invalid_replies_fail_like_rasa(action: RemoteAction, reply: Any) -> None:
    with pytest.raises(ValidationError):
        action_reply_validation._original_validate(action, reply)
    with pytest.raises(ValidationError):
        action_reply_validation.validate_quickly(action, reply)
