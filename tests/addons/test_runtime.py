"""Xiaoer's runtime fixes to Rasa 3.6 (addons/runtime.py) keep Rasa's behaviour, only faster."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import EventVerbosity
from rasa.utils.endpoints import EndpointConfig

from addons import runtime

ROOT = Path(__file__).resolve().parents[2]
ORIGINAL_VALIDATE = runtime._original_validate


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
    rasa = [verdict(ORIGINAL_VALIDATE, {"events": [s]}) for s in samples]
    ours = [verdict(runtime._validate_quickly, {"events": [s]}) for s in samples]
    assert [s for s, a, b in zip(samples, rasa, ours, strict=True) if a != b] == []
    assert 0 < sum(rasa) < len(samples)  # some samples are valid, some not


@pytest.mark.parametrize("reply", VALID_REPLIES)
def test_valid_replies_pass_both_checks(action: RemoteAction, reply: dict[str, Any]) -> None:
    assert ORIGINAL_VALIDATE(action, reply) is True
    assert runtime._validate_quickly(action, reply) is True


@pytest.mark.parametrize("reply", INVALID_REPLIES)
def test_invalid_replies_fail_like_rasa(action: RemoteAction, reply: Any) -> None:
    with pytest.raises(ValidationError):
        ORIGINAL_VALIDATE(action, reply)
    with pytest.raises(ValidationError):
        runtime._validate_quickly(action, reply)


def test_slim_domain_keeps_labels_and_structure_only() -> None:
    domain = Domain.load(str(ROOT / "domain.yml"))
    full, slim = domain.as_dict(), runtime._slim_domain(domain)
    assert slim["responses"], "label responses must reach the action server (actions/wording.py)"
    assert all(name.startswith(runtime.LABEL_PREFIX) for name in slim["responses"])
    assert {k: v for k, v in full["responses"].items() if k.startswith(runtime.LABEL_PREFIX)} == slim["responses"]
    assert {k: v for k, v in slim.items() if k != "responses"} == {k: v for k, v in full.items() if k != "responses"}
    assert runtime._slim_domain(domain) is slim  # computed once per domain


def test_action_endpoint_connections_are_pooled_per_loop() -> None:
    endpoint = EndpointConfig("http://127.0.0.1:9/webhook")

    async def sessions() -> tuple[Any, Any]:
        async with runtime._pooled_session(endpoint) as first, runtime._pooled_session(endpoint) as second:
            return first, second

    first, second = asyncio.run(sessions())
    assert first is second and not first.closed  # borrowing does not close the pool
    other_loop, _ = asyncio.run(sessions())
    assert other_loop is not first  # a session belongs to one event loop


def test_install_is_idempotent() -> None:
    runtime.install()
    runtime.install()
    assert RemoteAction.run is runtime._run_or_apologise
    assert RemoteAction._validate_action_result is runtime._validate_quickly


def test_event_types_resolve_like_rasa() -> None:
    from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered

    for cls in (SlotSet, UserUttered, ActionExecuted):
        assert runtime._resolve_event_type(cls.type_name) is cls
        assert runtime._resolve_event_type(cls.type_name) is runtime._original_resolve_event(cls.type_name)
    with pytest.raises(ValueError):
        runtime._resolve_event_type("no_such_event")
    assert runtime._resolve_event_type("no_such_event", default=SlotSet) is SlotSet


def test_slot_copies_are_shallow_and_independent_like_copy_copy(monkeypatch: pytest.MonkeyPatch) -> None:
    import copy

    from rasa.shared.core.slots import Slot

    monkeypatch.delattr(Slot, "__copy__", raising=False)  # copy.copy's generic route, for reference
    for slot in Domain.load(str(ROOT / "domain.yml")).slots:
        slot.value = ["a list value"] if slot.value is None else slot.value
        duplicate, reference = runtime._copy_slot(slot), copy.copy(slot)
        assert type(duplicate) is type(reference) is type(slot) and duplicate is not slot
        assert duplicate.__dict__ == reference.__dict__ == slot.__dict__
        assert duplicate.value is slot.value  # shallow, as copy.copy
        duplicate.value = "changed"
        assert slot.value != "changed"


def test_tracker_store_round_trip_equals_rasas() -> None:
    """Written and read with ujson, a conversation comes back as Rasa's json module brings it back."""
    from rasa.core.tracker_store import InMemoryTrackerStore, SerializedTrackerAsText, TrackerStore
    from rasa.shared.core import events as ev
    from rasa.shared.core.trackers import DialogueStateTracker

    runtime.install()
    domain = Domain.load(str(ROOT / "domain.yml"))
    events = [
        ev.ActionExecuted("action_session_start"), ev.SessionStarted(), ev.ActionExecuted("action_listen"),
        ev.UserUttered("8800000100000001 我要退货 😂 /x", {"name": "return_goods", "confidence": 0.9731234567891234},
                       entities=[{"entity": "order_id", "value": "8800000100000001", "start": 0, "end": 16}]),
        ev.SlotSet("order_id", "8800000100000001"), ev.ActiveLoop("return_form"),
        ev.BotUttered("请问退货原因是什么？", {"buttons": [{"title": "尺码不合适", "payload": "/inform"}]}),
    ]
    tracker = DialogueStateTracker.from_events("shopper", events, domain.slots)
    store = InMemoryTrackerStore(domain)
    ours = store.deserialise_tracker("shopper", SerializedTrackerAsText.serialise_tracker(tracker))
    rasas = runtime._original_deserialise(store, "shopper", json.dumps(tracker.as_dialogue().as_dict()))
    assert ours.current_state(EventVerbosity.ALL) == rasas.current_state(EventVerbosity.ALL)
    assert ours.current_state(EventVerbosity.ALL)["events"] == tracker.current_state(EventVerbosity.ALL)["events"]
    assert TrackerStore.deserialise_tracker is runtime._deserialise_tracker_quickly
    # what ujson refuses (here: a number beyond 64 bits) is read by Rasa's own code
    big = json.dumps({"events": [{"event": "slot", "name": "order_id", "value": 10**30, "timestamp": 1.0}],
                      "name": "shopper"})
    assert store.deserialise_tracker("shopper", big).get_slot("order_id") == 10**30


def test_redis_tracker_store_round_trip_with_ujson() -> None:
    """The multi-worker setup's store (docs: Deploying beyond one machine) reads what it wrote."""
    import redis
    from rasa.core.tracker_store import RedisTrackerStore
    from rasa.shared.core import events as ev
    from rasa.shared.core.trackers import DialogueStateTracker

    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis server at 127.0.0.1:6379")
    runtime.install()
    domain = Domain.load(str(ROOT / "domain.yml"))
    store = RedisTrackerStore(domain, host="127.0.0.1", port=6379, db=14, key_prefix="xiaoertest", record_exp=60)
    events = [ev.ActionExecuted("action_listen"), ev.SlotSet("order_id", "8800000100000001"),
              ev.UserUttered("订单 8800000100000001 退货 😂", {"name": "return_goods"})]
    tracker = DialogueStateTracker.from_events("redis-shopper", events, domain.slots)
    key = f"{store.key_prefix}redis-shopper"
    store.red.delete(key)  # the store merges with what an earlier run left
    asyncio.run(store.save(tracker))
    loaded = asyncio.run(store.retrieve("redis-shopper"))
    assert loaded is not None
    assert loaded.current_state(EventVerbosity.ALL) == tracker.current_state(EventVerbosity.ALL)
    stored = store.red.get(key)
    assert "退货" in (stored.decode() if isinstance(stored, bytes) else stored)  # ujson wrote it (json escapes it)
    store.red.delete(key)
