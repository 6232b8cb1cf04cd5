"""Xiaoer's runtime fixes to Rasa 3.6 (addons/runtime.py) keep Rasa's behaviour, only faster."""

from __future__ import annotations

import asyncio
import itertools
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
    domain = Domain.load(str(ROOT / "domain"))
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
    for slot in Domain.load(str(ROOT / "domain")).slots:
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
    domain = Domain.load(str(ROOT / "domain"))
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


def _redis_store(domain: Domain, key_prefix: str) -> Any:
    """A Redis tracker store on the local server (db 14), with the runtime installed; skips without Redis."""
    import redis
    from rasa.core.tracker_store import RedisTrackerStore

    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis server at 127.0.0.1:6379")
    runtime.install()
    return RedisTrackerStore(domain, host="127.0.0.1", port=6379, db=14, key_prefix=key_prefix, record_exp=60)


def test_redis_tracker_store_round_trip_with_ujson() -> None:
    """The multi-worker setup's store (docs: Deploying beyond one machine) reads what it wrote."""
    from rasa.shared.core import events as ev
    from rasa.shared.core.trackers import DialogueStateTracker

    domain = Domain.load(str(ROOT / "domain"))
    store = _redis_store(domain, "xiaoertest")
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


def _form_tracker(domain: Domain) -> Any:
    from rasa.shared.core import events as ev
    from rasa.shared.core.trackers import DialogueStateTracker

    parse = {"intent": {"name": "return_goods", "confidence": 0.97},
             "intent_ranking": [{"name": "return_goods", "confidence": 0.97},
                                {"name": "query_order", "confidence": 0.02}],
             "entities": [{"entity": "order_id", "value": "8800000100000016", "start": 2, "end": 18}],
             "response_selector": {"product_inquiry": {"ranking": [{"intent_response_key": "x", "confidence": 1.0}]}}}
    events = [ev.ActionExecuted("action_listen"), ev.UserUttered("订单8800000100000016要退货", parse),
              ev.SlotSet("order_id", "8800000100000016"), ev.ActionExecuted("return_form"),
              ev.ActiveLoop("return_form"), ev.SlotSet("requested_slot", "item_id")]
    return DialogueStateTracker.from_events("shopper", events, domain.slots)


def test_action_call_body_is_rasas_with_the_slim_domain() -> None:
    domain = Domain.load(str(ROOT / "domain"))
    action = RemoteAction("action_ask_item_id", EndpointConfig("http://127.0.0.1:9/webhook"))
    tracker = _form_tracker(domain)
    assert tracker.active_loop is not None and tracker.active_loop.trigger_message
    ours, rasas = runtime._call_format_with_slim_domain(action, tracker, domain), runtime._original_call_format(
        action, tracker, domain)
    assert ours["domain"] is runtime._slim_domain(domain)
    assert {k: v for k, v in ours.items() if k != "domain"} == {k: v for k, v in rasas.items() if k != "domain"}
    assert tracker.active_loop is not None  # put back after building the state
    # encoded with the domain spliced in: the same document as json.dumps gives
    assert json.loads(runtime._dumps(ours)) == json.loads(json.dumps(ours))
    assert json.loads(runtime._dumps({"domain": ours["domain"]})) == {"domain": ours["domain"]}


def _untimed(tracker: Any) -> list[dict[str, Any]]:
    events = tracker.current_state(EventVerbosity.ALL)["events"]
    return [{k: v for k, v in event.items() if k != "timestamp"} for event in events]


def test_logging_an_action_changes_the_tracker_as_rasa_does() -> None:
    from types import SimpleNamespace

    from rasa.core.actions.action import ActionListen
    from rasa.core.policies.policy import PolicyPrediction
    from rasa.shared.core import events as ev

    domain = Domain.load(str(ROOT / "domain"))
    processor = SimpleNamespace(domain=domain)
    prediction = PolicyPrediction([1.0], "RulePolicy", events=[ev.SlotSet("reason", "quality")])
    for events in (None, [ev.SlotSet("item_id", "16")], [ev.ActionExecutionRejected("return_form")]):
        ours, rasas = _form_tracker(domain), _form_tracker(domain)
        runtime._log_action_on_tracker(processor, ours, ActionListen(), events, prediction)  # type: ignore[arg-type]
        runtime._original_log_action(processor, rasas, ActionListen(), events, prediction)  # type: ignore[arg-type]
        assert _untimed(ours) == _untimed(rasas)
        assert len(ours.events) > 6  # something was logged


def test_domain_emptiness_is_rasas() -> None:
    domain = Domain.load(str(ROOT / "domain"))
    assert runtime._is_empty_remembered(domain) is runtime._original_is_empty(domain) is False
    assert runtime._is_empty_remembered(domain) is False  # remembered
    assert runtime._is_empty_remembered(Domain.empty()) is True


SHARED_ENTITY_DOMAIN = """
version: "3.1"
entities: [city, note]
slots:
  from_city: {type: text, mappings: [{type: from_entity, entity: city}]}
  to_city: {type: text, mappings: [{type: from_entity, entity: city}]}
  remark: {type: text, mappings: [{type: from_entity, entity: note}]}
forms:
  trip_form: {required_slots: [from_city, to_city, remark]}
"""


@pytest.mark.parametrize("which", ["domain", "shared entity"])
def test_unique_entity_mapping_answers_are_rasas(which: str) -> None:
    """Every slot mapping, with each form active and each slot requested (or none)."""
    from rasa.core.actions.action import ActionExtractSlots
    from rasa.shared.core import events as ev
    from rasa.shared.core.trackers import DialogueStateTracker

    domain = Domain.load(str(ROOT / which)) if which == "domain" else Domain.from_yaml(SHARED_ENTITY_DOMAIN)
    action = ActionExtractSlots(None)
    answers = []
    for form in [None, *domain.form_names]:
        for requested in [None, *(slot.name for slot in domain.slots)]:
            events = [ev.ActiveLoop(form), ev.SlotSet("requested_slot", requested)] if form else []
            tracker = DialogueStateTracker.from_events("shopper", events, domain.slots)
            for slot in domain.slots:
                for mapping in slot.mappings:
                    ours = runtime._fails_unique_entity_mapping_check(action, slot.name, mapping, tracker, domain)
                    again = runtime._fails_unique_entity_mapping_check(action, slot.name, mapping, tracker, domain)
                    assert ours == again == runtime._original_unique_check(action, slot.name, mapping, tracker, domain)
                    answers.append(ours)
    assert len(answers) > 20
    if which == "shared entity":  # from_city and to_city share `city`: not unique while the other is asked
        assert any(answers) and not all(answers)


IGNORING_FORM_DOMAIN = """
version: "3.1"
intents: [inform, chitchat, stop, book]
entities: [city]
slots:
  city:
    type: text
    mappings:
      - {type: from_entity, entity: city, not_intent: [stop]}
      - {type: from_text, intent: [inform, book], conditions: [{active_loop: trip_form, requested_slot: city}]}
      - {type: from_entity, entity: city, intent: book, conditions: [{active_loop: other_form}]}
forms:
  trip_form: {ignored_intents: [chitchat], required_slots: [city]}
  other_form: {required_slots: [city]}
"""


@pytest.mark.parametrize("which", ["domain", "ignored intents"])
def test_mapping_intent_answers_are_rasas(which: str) -> None:
    """Every slot mapping, with each form active (or none) and each intent (or none, or one not in the domain)."""
    from rasa.shared.core import events as ev
    from rasa.shared.core.trackers import DialogueStateTracker

    domain = Domain.load(str(ROOT / which)) if which == "domain" else Domain.from_yaml(IGNORING_FORM_DOMAIN)
    answers = []
    for form in [None, *domain.form_names]:
        for intent in [None, "not_an_intent", *domain.intents]:
            events = [ev.ActiveLoop(form)] if form else []
            if intent:
                events.append(ev.UserUttered("…", {"name": intent, "confidence": 1.0}))
            tracker = DialogueStateTracker.from_events("shopper", events, domain.slots)
            for slot in domain.slots:
                for mapping in slot.mappings:
                    ours = runtime._intent_is_desired_remembered(mapping, tracker, domain)
                    again = runtime._intent_is_desired_remembered(mapping, tracker, domain)
                    assert ours == again == runtime._original_intent_is_desired(mapping, tracker, domain)
                    answers.append(ours)
    assert any(answers) and not all(answers)
    if which == "ignored intents":  # chitchat is ignored by trip_form's mappings only
        chitchat = ev.UserUttered("…", {"name": "chitchat", "confidence": 1.0})
        for form, wanted in (("trip_form", False), ("other_form", True)):
            tracker = DialogueStateTracker.from_events("shopper", [ev.ActiveLoop(form), chitchat], domain.slots)
            first = domain.slots[0].mappings[0]
            assert runtime._intent_is_desired_remembered(first, tracker, domain) is wanted

def test_past_states_are_rasas_and_each_caller_gets_its_own_copy() -> None:
    from rasa.shared.core import events as ev

    domain = Domain.load(str(ROOT / "domain"))
    tracker = _form_tracker(domain)
    options = [{}, {"omit_unset_slots": True},
               {"ignore_rule_only_turns": True, "rule_only_data": {"slots": ["reason"]}}]
    for kwargs in options:
        want = runtime._original_past_states(tracker, domain, **kwargs)
        first = runtime._past_states_remembered(tracker, domain, **kwargs)
        assert first == want
        first[-1].setdefault("user", {}).clear()  # what a featurizer may do to its copy
        first.pop()
        assert runtime._past_states_remembered(tracker, domain, **kwargs) == want
    tracker.update(ev.SlotSet("item_id", "16"))
    tracker.update(ev.ActionExecuted("action_listen"))
    assert runtime._past_states_remembered(tracker, domain) == runtime._original_past_states(tracker, domain)
    assert len(runtime._past_states_remembered(tracker, domain)) == len(want) + 1


def _form_turns() -> list[Any]:
    """A return form over three turns: from its second run on, its earlier runs stop applying."""
    from rasa.shared.core import events as ev

    def said(intent: str, text: str) -> Any:
        return ev.UserUttered(text, {"intent": {"name": intent, "confidence": 0.9}, "entities": [], "text": text})

    return [
        ev.ActionExecuted("action_session_start"), ev.SessionStarted(), ev.ActionExecuted("action_listen"),
        said("return_goods", "我要退货"), ev.ActionExecuted("return_form"), ev.ActiveLoop("return_form"),
        ev.SlotSet("requested_slot", "order_id"), ev.BotUttered("哪个订单？"), ev.ActionExecuted("action_listen"),
        said("inform", "8800000100000016"), ev.SlotSet("order_id", "8800000100000016"),
        ev.ActionExecuted("return_form"), ev.SlotSet("requested_slot", "reason"), ev.ActionExecuted("action_listen"),
        said("inform", "不想要了"), ev.SlotSet("reason", "no_reason"), ev.ActionExecuted("return_form"),
        ev.ActiveLoop(None), ev.SlotSet("requested_slot", None), ev.ActionExecuted("action_submit_return"),
        ev.BotUttered("确认退货吗？"), ev.ActionExecuted("action_listen"), said("deny", "算了"),
    ]


def test_past_states_carried_forward_are_rasas_after_every_event() -> None:
    """One tracker grows event by event, as a serving tracker does within a message: its states must be
    Rasa's after each event, whether carried on or started over (undos, a form running again, restarts)."""
    from rasa.shared.core.trackers import DialogueStateTracker

    domain = Domain.load(str(ROOT / "domain"))
    carried_on = 0
    for events, omit in itertools.product((_form_turns(), _varied_events()), (False, True)):
        tracker = DialogueStateTracker("shopper", domain.slots)
        for event in events:
            tracker.update(event)
            before = tracker.__dict__.get("_xiaoer_states")
            got = runtime._past_states_remembered(tracker, domain, omit_unset_slots=omit)
            assert got == runtime._original_past_states(tracker, domain, omit_unset_slots=omit), event
            carried_on += before is not None and tracker._xiaoer_states is before
    assert carried_on > 40  # the replay was carried on, not only started over


def _varied_events() -> list[Any]:
    """Events of every kind that changes a tracker's state, in the order a conversation may bring them."""
    from rasa.shared.core import events as ev

    said = {"intent": {"name": "return_goods", "confidence": 0.9}, "entities": [], "text": "我要退货"}
    return [
        ev.ActionExecuted("action_session_start"), ev.SessionStarted(), ev.ActionExecuted("action_listen"),
        ev.UserUttered("我要退货", said), ev.SlotSet("order_id", "8800000100000016"),
        ev.ActionExecuted("return_form"), ev.ActiveLoop("return_form"), ev.SlotSet("requested_slot", "item_id"),
        ev.BotUttered("哪一件？", {"buttons": []}), ev.ActionExecuted("action_listen"),
        ev.UserUttered("查一下快递", {"intent": {"name": "query_order", "confidence": 0.8}, "entities": []}),
        ev.ActionExecutionRejected("return_form"), ev.ActionExecuted("utter_ask_continue"),
        ev.FollowupAction("action_listen"), ev.ActionExecuted("action_listen"), ev.UserUtteranceReverted(),
        ev.SlotSet("items", ["16", "17"]), ev.ConversationPaused(), ev.ConversationResumed(),
        ev.ActionReverted(), ev.LoopInterrupted(True), ev.ActiveLoop(None), ev.SlotSet("requested_slot", None),
        ev.Restarted(), ev.ActionExecuted("action_listen"),
        ev.UserUttered("你好", {"intent": {"name": "greet", "confidence": 1.0}, "entities": []}),
    ]


def _snapshot(tracker: Any) -> dict[str, Any]:
    return {
        "state": tracker.current_state(EventVerbosity.ALL), "events": [id(e) for e in tracker.events],
        "slots": {name: (type(slot), vars(slot)) for name, slot in tracker.slots.items()},
        "scalars": (tracker.sender_id, tracker.sender_source, tracker.is_rule_tracker, tracker._paused,
                    tracker.followup_action, tracker.latest_action, tracker.active_loop, tracker.model_id,
                    tracker.assistant_id, tracker._max_event_history),
        # the latest events themselves where events set them, else equal (empty) ones
        "latest": ([i for i, e in enumerate(tracker.events) if e is tracker.latest_message],
                   [i for i, e in enumerate(tracker.events) if e is tracker.latest_bot_utterance],
                   tracker.latest_message, tracker.latest_bot_utterance),
    }


def test_tracker_copies_equal_rasas_replayed_copies() -> None:
    from rasa.shared.core import events as ev
    from rasa.shared.core.trackers import DialogueStateTracker

    domain = Domain.load(str(ROOT / "domain"))
    events = _varied_events()
    for end in range(len(events) + 1):
        tracker = DialogueStateTracker.from_events("shopper", events[:end], domain.slots)
        tracker.model_id, tracker.assistant_id = "model-1", "xiaoer"  # as the processor sets them
        ours, rasas = runtime._copy_without_replay(tracker), runtime._original_copy(tracker)
        assert _snapshot(ours) == _snapshot(rasas), f"after {end} events"
        assert ours.slots["order_id"] is not tracker.slots["order_id"]
        changed = ev.SlotSet("order_id", "changed")
        ours.update(changed)  # the copy is independent of the original
        assert tracker.slots["order_id"].value != "changed" and changed not in tracker.events
        if ours.active_loop is not None:
            assert ours.active_loop is not tracker.active_loop


def test_trackers_with_a_cut_history_are_still_replayed() -> None:
    from rasa.shared.core.trackers import DialogueStateTracker

    domain = Domain.load(str(ROOT / "domain"))
    tracker = DialogueStateTracker.from_events("shopper", _varied_events()[:8], domain.slots)
    tracker._max_event_history = 3
    assert _snapshot(runtime._copy_without_replay(tracker)) == _snapshot(runtime._original_copy(tracker))


def _sessions(count: int) -> list[Any]:
    """A conversation of `count` sessions (0: events before any session start), each with a slot and a form."""
    from rasa.shared.core import events as ev

    events: list[Any] = [ev.ActionExecuted("action_listen"), ev.SlotSet("reason", "quality")]
    for n in range(count):
        events += [ev.ActionExecuted("action_session_start"), ev.SessionStarted(), ev.ActionExecuted("action_listen"),
                   ev.UserUttered(f"第{n}次 我要退货", {"intent": {"name": "return_goods", "confidence": 0.9}}),
                   ev.SlotSet("order_id", f"88000001000000{n:02d}"), ev.ActionExecuted("return_form"),
                   ev.ActiveLoop("return_form"), ev.BotUttered(f"第{n}次", {})]
    return events


def _without_event_ids(tracker: Any) -> dict[str, Any]:
    return {key: value for key, value in _snapshot(tracker).items() if key != "events"}


@pytest.mark.parametrize("sessions", [0, 1, 2, 3])
def test_the_last_session_read_from_memory_is_rasas(sessions: int) -> None:
    from rasa.core.tracker_store import InMemoryTrackerStore
    from rasa.shared.core.trackers import DialogueStateTracker

    runtime.install()
    domain = Domain.load(str(ROOT / "domain"))
    store = InMemoryTrackerStore(domain)
    asyncio.run(store.save(DialogueStateTracker.from_events("shopper", _sessions(sessions), domain.slots)))
    for all_sessions in (False, True):
        ours = asyncio.run(runtime._retrieve_from_memory(store, "shopper", all_sessions))
        rasas = asyncio.run(runtime._original_memory_retrieve(store, "shopper", all_sessions))
        assert _without_event_ids(ours) == _without_event_ids(rasas)
    if sessions > 1:  # only the last session's events come back
        assert len(asyncio.run(store.retrieve("shopper")).events) == 8
    assert asyncio.run(runtime._retrieve_from_memory(store, "nobody", False)) is None


def test_the_last_session_read_from_redis_is_rasas() -> None:
    from rasa.shared.core.trackers import DialogueStateTracker

    domain = Domain.load(str(ROOT / "domain"))
    store = _redis_store(domain, "xiaoersessions")
    store.red.delete(f"{store.key_prefix}shopper")
    asyncio.run(store.save(DialogueStateTracker.from_events("shopper", _sessions(2), domain.slots)))
    ours = asyncio.run(runtime._retrieve_from_redis(store, "shopper", False))
    rasas = asyncio.run(runtime._original_redis_retrieve(store, "shopper", False))
    assert _without_event_ids(ours) == _without_event_ids(rasas) and len(ours.events) == 8
    assert asyncio.run(runtime._retrieve_from_redis(store, "nobody", False)) is None
    store.red.delete(f"{store.key_prefix}shopper")


def _comparable(tracker: Any, new_events: int) -> dict[str, Any]:
    """A snapshot in which the events added last are compared by value (each side made its own)."""
    snapshot = _snapshot(tracker)
    snapshot["events"] = snapshot["events"][:-new_events] + list(tracker.events)[-new_events:]
    snapshot["state"]["events"] = _untimed(tracker)  # the rest is compared by identity above
    return snapshot


@pytest.mark.parametrize("events", ["form turns", "varied"])
def test_forms_temporary_trackers_are_rasas(events: str) -> None:
    from rasa.core.actions.forms import FormAction
    from rasa.shared.core import events as ev
    from rasa.shared.core.trackers import DialogueStateTracker

    domain = Domain.load(str(ROOT / "domain"))
    form = FormAction("return_form", None)
    history = _form_turns() if events == "form turns" else _varied_events()
    added = [ev.SlotSet("reason", "quality"), ev.BotUttered("好的")]
    for end in range(len(history) + 1):
        tracker = DialogueStateTracker.from_events("shopper", history[:end], domain.slots)
        tracker.model_id = "model-1"  # as the processor sets it; a temporary tracker has none
        ours = runtime._temporary_tracker_by_copy(form, tracker, added, domain)
        rasas = runtime._original_temporary_tracker(form, tracker, added, domain)
        assert _comparable(ours, 2 + len(added)) == _comparable(rasas, 2 + len(added)), f"after {end} events"
        assert ours.slots["reason"] is not tracker.slots["reason"] and tracker.slots["reason"].value != "quality"


def test_loaded_objects_are_frozen_once_and_the_young_generation_collected_less_often(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import gc

    thresholds = gc.get_threshold()
    monkeypatch.setattr(runtime, "_frozen", [])
    try:
        runtime._freeze_loaded_objects()
        assert gc.get_threshold() == (runtime.YOUNG_GENERATION_THRESHOLD, *thresholds[1:])
        assert gc.get_freeze_count() > 0
        gc.set_threshold(*thresholds)
        runtime._freeze_loaded_objects()  # once only
        assert gc.get_threshold() == thresholds
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()
