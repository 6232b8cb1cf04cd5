"""Trackers copied, and their dialogue states carried forward, exactly as Rasa's replays make them."""

from __future__ import annotations

import itertools
from typing import Any

from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import EventVerbosity

from addons.runtime import past_states, tracker_copy


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


def _untimed(tracker: Any) -> list[dict[str, Any]]:
    events = tracker.current_state(EventVerbosity.ALL)["events"]
    return [{k: v for k, v in event.items() if k != "timestamp"} for event in events]


def test_past_states_are_rasas_and_each_caller_gets_its_own_copy(project_domain: Domain) -> None:
    from rasa.shared.core import events as ev

    domain = project_domain
    tracker = _form_tracker(domain)
    options = [{}, {"omit_unset_slots": True},
               {"ignore_rule_only_turns": True, "rule_only_data": {"slots": ["reason"]}}]
    for kwargs in options:
        want = past_states._original_past_states(tracker, domain, **kwargs)
        first = past_states.past_states_remembered(tracker, domain, **kwargs)
        assert first == want
        first[-1].setdefault("user", {}).clear()  # what a featurizer may do to its copy
        first.pop()
        assert past_states.past_states_remembered(tracker, domain, **kwargs) == want
    tracker.update(ev.SlotSet("item_id", "16"))
    tracker.update(ev.ActionExecuted("action_listen"))
    assert past_states.past_states_remembered(tracker, domain) == past_states._original_past_states(tracker, domain)
    assert len(past_states.past_states_remembered(tracker, domain)) == len(want) + 1


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


def test_past_states_carried_forward_are_rasas_after_every_event(project_domain: Domain) -> None:
    """One tracker grows event by event, as a serving tracker does within a message: its states must be
    Rasa's after each event, whether carried on or started over (undos, a form running again, restarts)."""
    from rasa.shared.core.trackers import DialogueStateTracker

    domain = project_domain
    carried_on = 0
    for events, omit in itertools.product((_form_turns(), _varied_events()), (False, True)):
        tracker = DialogueStateTracker("shopper", domain.slots)
        for event in events:
            tracker.update(event)
            before = tracker.__dict__.get("_xiaoer_states")
            got = past_states.past_states_remembered(tracker, domain, omit_unset_slots=omit)
            assert got == past_states._original_past_states(tracker, domain, omit_unset_slots=omit), event
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


def test_tracker_copies_equal_rasas_replayed_copies(project_domain: Domain) -> None:
    from rasa.shared.core import events as ev
    from rasa.shared.core.trackers import DialogueStateTracker

    domain = project_domain
    events = _varied_events()
    for end in range(len(events) + 1):
        tracker = DialogueStateTracker.from_events("shopper", events[:end], domain.slots)
        tracker.model_id, tracker.assistant_id = "model-1", "xiaoer"  # as the processor sets them
        ours, rasas = tracker_copy.copy_without_replay(tracker), tracker_copy._original_copy(tracker)
        assert _snapshot(ours) == _snapshot(rasas), f"after {end} events"
        assert ours.slots["order_id"] is not tracker.slots["order_id"]
        changed = ev.SlotSet("order_id", "changed")
        ours.update(changed)  # the copy is independent of the original
        assert tracker.slots["order_id"].value != "changed" and changed not in tracker.events
        if ours.active_loop is not None:
            assert ours.active_loop is not tracker.active_loop


def test_trackers_with_a_cut_history_are_still_replayed(project_domain: Domain) -> None:
    from rasa.shared.core.trackers import DialogueStateTracker

    domain = project_domain
    tracker = DialogueStateTracker.from_events("shopper", _varied_events()[:8], domain.slots)
    tracker._max_event_history = 3
    assert _snapshot(tracker_copy.copy_without_replay(tracker)) == _snapshot(tracker_copy._original_copy(tracker))
