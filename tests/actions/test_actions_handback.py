"""Handing a conversation back to the bot: the desk's resume, and /restart as the way out of a hand-off."""

from __future__ import annotations

from typing import Any

import pytest
from actions_testkit import db_session, make_tracker, names, run_action, user_event
from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecuted, ActiveLoop, ConversationPaused, ConversationResumed, Restarted, SlotSet
from sqlalchemy import select

from actions.handoff import ActionHandoff, ActionHandoffResume, ActionRestart
from shop.models import Ticket

pytestmark = pytest.mark.usefixtures("shop_db")


def ticket_states() -> list[tuple[str, str | None]]:
    with db_session() as session:
        return [(t.status, t.closed_by) for t in session.execute(select(Ticket).order_by(Ticket.id)).scalars()]


def paused(tracker: Tracker) -> Tracker:
    return Tracker(tracker.sender_id, tracker.slots, tracker.latest_message, tracker.events, True, None,
                   tracker.active_loop, tracker.latest_action_name)


def test_resume_closes_the_ticket_says_the_bot_is_back_and_listens(domain: dict[str, Any]) -> None:
    tracker = make_tracker(events=[user_event("转人工", "human_handoff")])
    run_action(ActionHandoff(), tracker, domain)
    assert ticket_states() == [("open", None)]
    dispatcher, events = run_action(ActionHandoffResume(), paused(tracker), domain)
    assert names(dispatcher)[0] == "utter_handoff_resumed"
    # action_listen after the resume: the next message is a fresh turn, not the paused one's.
    assert events[0] == ConversationResumed() and events[-1] == ActionExecuted("action_listen")
    assert ticket_states() == [("closed", "api")]
    done = make_tracker(events=[*tracker.events, *events])
    dispatcher, _ = run_action(ActionHandoffResume(), done, domain)  # again (the desk closed it first)
    assert names(dispatcher) == ["utter_handoff_resumed"] and ticket_states() == [("closed", "api")]


def test_the_hand_back_asks_once_for_a_rating_of_the_human_service(domain: dict[str, Any]) -> None:
    """The survey of kind "handoff": asked by the hand-back itself (nothing is predicted after an
    ``execute``), the rating form left waiting for the answer; once a session."""
    tracker = make_tracker(events=[user_event("转人工", "human_handoff")])
    _, handoff_events = run_action(ActionHandoff(), tracker, domain)
    back = paused(make_tracker(events=[*tracker.events, *handoff_events]))
    dispatcher, events = run_action(ActionHandoffResume(), back, domain)
    assert names(dispatcher) == ["utter_handoff_resumed", "utter_ask_rating_handoff"]
    assert events == [ConversationResumed(), SlotSet("satisfaction_pending", True),
                      SlotSet("rating_occasion", "handoff"), ActiveLoop("satisfaction_form"),
                      SlotSet("requested_slot", "rating"), ActionExecuted("action_listen")]
    # Handed off and back again in the same session: no second survey.
    again = paused(make_tracker(events=[*back.events, *events, user_event("转人工", "human_handoff")]))
    dispatcher, events = run_action(ActionHandoffResume(), again, domain)
    assert names(dispatcher) == ["utter_handoff_resumed"]
    assert events == [ConversationResumed(), ActionExecuted("action_listen")]


def test_no_survey_after_a_hand_back_when_the_shop_does_not_ask_after_one(
    domain: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOP_RATING_AFTER", "write")
    tracker = paused(make_tracker(events=[user_event("转人工", "human_handoff")]))
    dispatcher, events = run_action(ActionHandoffResume(), tracker, domain)
    assert names(dispatcher) == ["utter_handoff_resumed"] and ActiveLoop("satisfaction_form") not in events


def test_a_form_under_way_keeps_its_question_at_a_hand_back(domain: dict[str, Any]) -> None:
    """A ticket closed without a hand-off (a complaint whose person was declined): the return the shopper
    is doing goes on; the survey would take its next answer."""
    tracker = make_tracker(events=[user_event("订单8800000100000007我要退货", "return_goods")],
                           active_loop="return_form")
    dispatcher, events = run_action(ActionHandoffResume(), tracker, domain)
    assert "utter_ask_rating_handoff" not in names(dispatcher) and ActiveLoop("satisfaction_form") not in events


def test_restart_leaves_a_hand_off_and_closes_its_ticket(domain: dict[str, Any]) -> None:
    tracker = make_tracker(events=[user_event("转人工", "human_handoff")])
    run_action(ActionHandoff(), tracker, domain)
    dispatcher, events = run_action(ActionRestart(), paused(tracker), domain)
    assert names(dispatcher) == ["utter_handoff_resumed"] and events == [Restarted()]
    assert ticket_states() == [("closed", "api")]


def test_restart_without_a_hand_off_just_restarts(domain: dict[str, Any]) -> None:
    dispatcher, events = run_action(ActionRestart(), make_tracker(), domain)
    assert names(dispatcher) == [] and events == [Restarted()]


def test_a_hand_off_leaves_the_form_that_was_waiting(domain: dict[str, Any]) -> None:
    """The rating's comment question took the first message after the resume ("好的，这个我先记下了")."""
    tracker = make_tracker(events=[user_event("转人工", "human_handoff")], active_loop="satisfaction_form")
    _, events = run_action(ActionHandoff(), tracker, domain)
    assert ActiveLoop(None) in events and SlotSet("requested_slot", None) in events
    assert events[-2:] == [ConversationPaused(), ActionExecuted("action_listen")]


def test_the_summary_shows_a_tapped_button_by_its_title(domain: dict[str, Any]) -> None:
    payload = '/inform{"order_id": "8800000100000003"}'
    events = [user_event("我的快递到哪了", "query_order"),
              {"event": "bot", "text": "请选择订单：",
               "data": {"buttons": [{"title": "8800000100000003 真丝连衣裙 待发货", "payload": payload}]}},
              user_event(payload, "inform"), user_event("转人工", "human_handoff")]
    run_action(ActionHandoff(), make_tracker(events=events), domain)
    with db_session() as session:
        summary = session.execute(select(Ticket.summary)).scalar_one()
    assert "- 8800000100000003 真丝连衣裙 待发货" in summary and "/inform" not in summary


def test_a_hand_off_takes_the_flows_left_unfinished_with_it(domain: dict[str, Any]) -> None:
    """The person handles what was left (the ticket's summary lists it); the bot does not offer it again."""
    left = [{"form": "exchange_form", "slots": {"order_id": "8800000100000007"}}]
    tracker = make_tracker({"paused_flows": left}, events=[user_event("转人工", "human_handoff")])
    run_action(ActionHandoff(), tracker, domain)
    with db_session() as session:
        summary = session.execute(select(Ticket.summary)).scalar_one()
    _, events = run_action(ActionHandoff(), tracker, domain)
    assert "exchange_form" in summary and SlotSet("paused_flows", None) in events
