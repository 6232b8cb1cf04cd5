"""满意度: after a resolved flow, a 1-5 rating and an optional comment -- once per session, never a trap.

A flow that resolved something (a request created, an order shown) adds `offer_rating(tracker)`
to its events; rules then start `satisfaction_form` (data/rules/satisfaction.yml). 跳过 (a deny)
ends it; a different request switches flow; thanks, greetings, small questions are answered and
the form ends (keeping a rating already given).
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions.backend import BackendUnavailable, shop_session
from actions.free_text import say_why_refused
from shop.clock import system_clock
from shop.config import get_settings
from shop.errors import DomainError
from shop.services.satisfaction import check_comment, record_rating

FORM = "satisfaction_form"
SLOTS = ("satisfaction_pending", "rating", "rating_comment", "rating_occasion")
# The occasion of a rating about the human service, after an agent handed the conversation back.
HANDOFF = "handoff"
SKIP = "skip"
NO_COMMENT = "none"
SKIP_WORDS = re.compile(r"跳过|不用|不评|不想评|算了|下次|没空|不打分|skip", re.IGNORECASE)
NO_COMMENT_WORDS = re.compile(r"^(没有|没了|无|没|不用了?|没什么|没啥|暂时没有|no)[。.!！～~]*$", re.IGNORECASE)
CHINESE_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
RATING = re.compile(r"(?<!\d)([1-5])(?!\d)|([一二两三四五])\s*(?:星|分|颗星)")


def parse_rating(value: Any) -> int | str | None:
    """1-5 from "5" / "4分" / "五星"; SKIP for 跳过-like words; None if neither."""
    text = str(value or "").strip()
    if SKIP_WORDS.search(text):
        return SKIP
    found = RATING.search(text)
    if found is None:
        return None
    return int(found.group(1)) if found.group(1) else CHINESE_DIGITS[found.group(2)]


def asked_this_session(tracker: Tracker) -> bool:
    """Was the rating already offered since the conversation session started?"""
    for event in reversed(tracker.events):
        if event.get("event") == "session_started":
            return False
        if event.get("event") == "active_loop" and event.get("name") == FORM:
            return True
        if event.get("event") == "slot" and event.get("name") == "satisfaction_pending" and event.get("value"):
            return True
    return False


def offer_rating(tracker: Tracker, occasion: str = "write") -> list[EventType]:
    """Events that make the rules ask for a rating next: after a job of an `occasion` the shop asks after
    (SHOP_RATING_AFTER: a write or a handoff by default, not a lookup), once a session."""
    if occasion not in get_settings().rating_after or asked_this_session(tracker):
        return []
    # The occasion picks the question's wording (utter_ask_rating: about the agent after a hand-back).
    return [SlotSet("satisfaction_pending", True), SlotSet("rating_occasion", occasion)]


def ask_about_the_handoff(tracker: Tracker, dispatcher: CollectingDispatcher) -> list[EventType]:
    """After an agent handed the conversation back: the rating form, asking about the human service (the
    occasion "handoff" of SHOP_RATING_AFTER, once a session), else nothing.

    The hand-back runs alone (Rasa's HTTP API ``execute``: nothing is predicted after it), so it asks the
    first question itself and leaves the form waiting for the answer, as the form would have."""
    offered = [] if tracker.active_loop_name else offer_rating(tracker, HANDOFF)
    if not offered:
        return []  # not asked after a hand-off, or already this session; a form under way keeps its question
    dispatcher.utter_message(response="utter_ask_rating_handoff")
    return [*offered, ActiveLoop(FORM), SlotSet("requested_slot", "rating")]


def reset_rating_events() -> list[EventType]:
    return [SlotSet(slot, None) for slot in SLOTS]


class ValidateSatisfactionForm(FormValidationAction):
    def name(self) -> str:
        return "validate_satisfaction_form"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        if tracker.get_slot("rating") == SKIP:
            return []
        return ["rating", "rating_comment"]

    def validate_rating(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        rating = parse_rating(value)
        if rating is None:
            dispatcher.utter_message(response="utter_rating_invalid")
            return {"rating": None}
        return {"rating": str(rating)}

    def validate_rating_comment(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = str(value or "").strip()
        if not text or SKIP_WORDS.search(text) or NO_COMMENT_WORDS.match(text):
            return {"rating_comment": NO_COMMENT}
        try:
            return {"rating_comment": check_comment(text)}
        except DomainError as error:  # asked again after saying what is wrong
            say_why_refused(error, dispatcher, domain, otherwise="utter_rating_invalid")
            return {"rating_comment": None}


class ActionSubmitRating(Action):
    """Stores the rating (and comment) with the conversation id; a skip stores nothing."""

    def name(self) -> str:
        return "action_submit_rating"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        rating = parse_rating(tracker.get_slot("rating"))
        if rating == SKIP or (rating is None and tracker.latest_message.get("intent", {}).get("name") == "deny"):
            dispatcher.utter_message(response="utter_rating_skipped")
            return reset_rating_events()
        if not isinstance(rating, int):
            return reset_rating_events()  # the shopper moved on before rating: say nothing
        comment = tracker.get_slot("rating_comment")
        try:
            with shop_session(dispatcher) as session:
                record_rating(session, conversation_id=tracker.sender_id, rating=rating,
                              comment=None if comment in (None, NO_COMMENT) else comment, clock=system_clock)
        except DomainError:
            dispatcher.utter_message(response="utter_rating_invalid")
            return reset_rating_events()
        except BackendUnavailable:
            return reset_rating_events()
        dispatcher.utter_message(response="utter_rating_thanks" if rating >= 4 else "utter_rating_thanks_low")
        return reset_rating_events()
