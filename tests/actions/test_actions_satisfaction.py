"""满意度 (1-5 + optional comment, once per session, never a trap) and complaints inside a form."""

from __future__ import annotations

from typing import Any

import pytest
from actions_testkit import (
    SENDER_ID,
    db_session,
    make_tracker,
    names,
    required_slots,
    run_action,
    slot_sets,
    token_for,
    user_event,
    validate,
)
from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, ConversationPaused, FollowupAction, SlotSet
from sqlalchemy import select

from actions.handoff import ActionComplain, ActionFallback, ActionHandoff, ActionResumeFlow
from actions.orders import ActionShowOrder
from actions.satisfaction import (
    ActionSubmitRating,
    ValidateSatisfactionForm,
    asked_this_session,
    offer_rating,
    parse_rating,
)
from shop.models import SatisfactionRating, Ticket
from shop.seed import DEMO_ORDERS

pytestmark = pytest.mark.usefixtures("shop_db")


def ratings() -> list[SatisfactionRating]:
    with db_session() as session:
        return list(session.execute(select(SatisfactionRating)).scalars())


def rating_tracker(text: str = "5", intent: str = "inform", **slots: Any) -> Tracker:
    events = [user_event(text, intent)]
    return make_tracker({"requested_slot": "rating", **slots}, events=events, active_loop="satisfaction_form")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("5", 5), ("4分", 4), ("五星", 5), ("给你三颗星", 3), ("1", 1), ("跳过", "skip"), ("不想评", "skip"),
     ("6", None), ("12345", None), ("还行吧", None)],
)
def test_parse_rating(text: str, expected: Any) -> None:
    assert parse_rating(text) == expected


def test_offered_once_per_session() -> None:
    fresh = make_tracker()
    assert offer_rating(fresh) == [SlotSet("satisfaction_pending", True), SlotSet("rating_occasion", "write")]
    asked = make_tracker(events=[{"event": "session_started"}, user_event("查订单", "query_order"),
                                 {"event": "active_loop", "name": "satisfaction_form"},
                                 user_event("再查一个", "query_order")])
    assert asked_this_session(asked) and offer_rating(asked) == []
    new_session = make_tracker(events=[{"event": "active_loop", "name": "satisfaction_form"},
                                       {"event": "session_started"}, user_event("查订单", "query_order")])
    assert offer_rating(new_session) == [SlotSet("satisfaction_pending", True), SlotSet("rating_occasion", "write")]


def test_an_order_shown_offers_no_rating_unless_lookups_are_configured(
    domain: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    tracker = make_tracker({"order_id": DEMO_ORDERS["in_transit"]}, token=token_for(1))
    _, events = run_action(ActionShowOrder(), tracker, domain)
    assert slot_sets(events)["satisfaction_pending"] is None  # a lookup changed nothing: no survey
    monkeypatch.setenv("SHOP_RATING_AFTER", "write,handoff,lookup")
    _, events = run_action(ActionShowOrder(), tracker, domain)
    assert slot_sets(events)["satisfaction_pending"] is True
    tracker = make_tracker({"order_id": DEMO_ORDERS["in_transit"]}, token=token_for(2))
    _, events = run_action(ActionShowOrder(), tracker, domain)
    assert slot_sets(events)["satisfaction_pending"] is None  # not found: nothing resolved


def test_rating_occasions_are_configurable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOP_RATING_AFTER", "none")
    assert offer_rating(make_tracker()) == []
    monkeypatch.setenv("SHOP_RATING_AFTER", "handoff")
    assert offer_rating(make_tracker(), "handoff") == [SlotSet("satisfaction_pending", True),
                                                       SlotSet("rating_occasion", "handoff")]
    assert offer_rating(make_tracker()) == []


def test_rating_and_comment_are_stored_with_the_conversation(domain: dict[str, Any]) -> None:
    form = ValidateSatisfactionForm()
    tracker = rating_tracker()
    assert required_slots(form, tracker, domain) == ["rating", "rating_comment"]
    validate(form, "rating", "5", tracker, domain)
    _, result = validate(form, "rating_comment", "  客服很耐心 ", tracker, domain)
    assert result == {"rating_comment": "客服很耐心"}
    dispatcher, events = run_action(ActionSubmitRating(), tracker, domain)
    assert names(dispatcher) == ["utter_rating_thanks"]
    assert slot_sets(events) == {"satisfaction_pending": None, "rating": None, "rating_comment": None,
                                 "rating_occasion": None}
    [row] = ratings()
    assert (row.conversation_id, row.rating, row.comment) == (SENDER_ID, 5, "客服很耐心")
    # Rating again in the same conversation updates the one row.
    tracker = rating_tracker(rating="2", rating_comment="none")
    dispatcher, _ = run_action(ActionSubmitRating(), tracker, domain)
    assert names(dispatcher) == ["utter_rating_thanks_low"]
    [row] = ratings()
    assert (row.rating, row.comment) == (2, None)


def test_skip_and_invalid_answers(domain: dict[str, Any]) -> None:
    form = ValidateSatisfactionForm()
    tracker = rating_tracker("算了跳过吧")
    dispatcher, result = validate(form, "rating", "算了跳过吧", tracker, domain)
    assert dispatcher.messages == [] and result == {"rating": "skip"}
    assert required_slots(form, tracker, domain) == []
    dispatcher, _ = run_action(ActionSubmitRating(), tracker, domain)
    assert names(dispatcher) == ["utter_rating_skipped"] and ratings() == []
    dispatcher, result = validate(form, "rating", "还行吧", rating_tracker("还行吧"), domain)
    assert names(dispatcher) == ["utter_rating_invalid"] and result == {"rating": None}
    # The 跳过 button is a deny: the form is deactivated and nothing is stored.
    dispatcher, _ = run_action(ActionSubmitRating(), rating_tracker("/deny", "deny"), domain)
    assert names(dispatcher) == ["utter_rating_skipped"] and ratings() == []


def test_comment_skipped_keeps_the_rating(domain: dict[str, Any]) -> None:
    form = ValidateSatisfactionForm()
    tracker = rating_tracker("没有", rating="4")
    _, result = validate(form, "rating_comment", "没有", tracker, domain)
    assert result == {"rating_comment": "none"}
    dispatcher, _ = run_action(ActionSubmitRating(), rating_tracker("/deny", "deny", rating="4"), domain)
    assert names(dispatcher) == ["utter_rating_thanks"]
    assert [(r.rating, r.comment) for r in ratings()] == [(4, None)]


def test_moving_on_ends_the_form_quietly_keeping_a_given_rating(domain: dict[str, Any]) -> None:
    # Rules answer e.g. "谢谢", deactivate the form, then run action_submit_rating.
    dispatcher, events = run_action(ActionSubmitRating(), rating_tracker("谢谢", "thank"), domain)
    assert dispatcher.messages == [] and ratings() == []
    assert slot_sets(events)["satisfaction_pending"] is None
    dispatcher, _ = run_action(ActionSubmitRating(), rating_tracker("谢谢", "thank", rating="3"), domain)
    assert names(dispatcher) == ["utter_rating_thanks_low"] and [r.rating for r in ratings()] == [3]


def test_complaint_inside_a_form_pauses_it_and_declining_resumes_it(domain: dict[str, Any]) -> None:
    slots = {"order_id": DEMO_ORDERS["delivered_in_window"], "item_id": "7", "reason": "quality",
             "requested_slot": "evidence_url"}
    token = token_for(1)
    tracker = make_tracker(slots, events=[user_event("你们什么破质量，我要投诉", "complain", token=token)],
                           token=token, active_loop="return_form")
    dispatcher, events = run_action(ActionComplain(), tracker, domain)
    assert names(dispatcher) == ["utter_complain"]
    assert events == [ActiveLoop(None), SlotSet("interrupted_form", "return_form")]  # no slot is cleared
    tracker.slots["interrupted_form"] = "return_form"
    dispatcher, events = run_action(ActionResumeFlow(), tracker, domain)
    assert names(dispatcher) == ["utter_complaint_acknowledged", "utter_resume_flow"]
    assert events == [SlotSet("interrupted_form", None), FollowupAction("return_form")]
    dispatcher, events = run_action(ActionResumeFlow(), make_tracker(), domain)
    assert names(dispatcher) == ["utter_complaint_acknowledged"] and events == []


def test_accepting_the_human_after_a_complaint_keeps_the_high_priority(domain: dict[str, Any]) -> None:
    token = token_for(1)
    tracker = make_tracker({"order_id": DEMO_ORDERS["stuck"]}, token=token, active_loop="logistics_form",
                           events=[user_event("物流太慢了 我要投诉", "complain", token=token)])
    run_action(ActionComplain(), tracker, domain)
    tracker.events.append(user_event("好的", "affirm", token=token))
    dispatcher, events = run_action(ActionHandoff(), tracker, domain)
    assert names(dispatcher) == ["utter_handoff"] or names(dispatcher) == ["utter_handoff_after_hours"]
    with db_session() as session:
        [ticket] = session.execute(select(Ticket)).scalars()
    assert (ticket.topic, ticket.priority) == ("complain", "high")
    assert ConversationPaused() in events


def test_complaint_during_the_rating_ends_the_rating(domain: dict[str, Any]) -> None:
    tracker = rating_tracker("什么垃圾服务", "complain")
    _, events = run_action(ActionComplain(), tracker, domain)
    assert ActiveLoop(None) in events and SlotSet("interrupted_form", None) in events


def test_a_comment_the_nlu_did_not_classify_is_no_misunderstanding(domain: dict[str, Any]) -> None:
    events = [user_event("回复挺快的", "nlu_fallback"), {"event": "action", "name": "satisfaction_form"},
              {"event": "action", "name": "action_submit_rating"}, {"event": "action", "name": "action_listen"},
              user_event("阿巴阿巴", "nlu_fallback")]
    dispatcher, _ = run_action(ActionFallback(), make_tracker(events=events), domain)
    assert names(dispatcher) == ["utter_clarify"]
    events += [{"event": "action", "name": "action_fallback"}, {"event": "action", "name": "action_listen"},
               user_event("巴拉巴拉", "nlu_fallback")]
    dispatcher, _ = run_action(ActionFallback(), make_tracker(events=events, sender_id="conv-fallback"), domain)
    assert names(dispatcher) == ["utter_handoff"] or names(dispatcher) == ["utter_handoff_after_hours"]
