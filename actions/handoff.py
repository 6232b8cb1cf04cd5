"""转人工, complaints and the fallback: a ticket with a summary, then the bot pauses."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import (
    ActionExecuted,
    ActiveLoop,
    ConversationPaused,
    ConversationResumed,
    EventType,
    FollowupAction,
    Restarted,
    SlotSet,
)
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend import BackendUnavailable, shop_session
from actions.identity import current_customer
from actions.order_forms import product_of_the_problem, reset_flow_events
from actions.orders import names_a_reason
from actions.satisfaction import FORM as SATISFACTION_FORM
from actions.satisfaction import ask_about_the_handoff, reset_rating_events
from actions.wording import translated, when
from shop.clock import system_clock
from shop.config import get_settings
from shop.errors import DomainError
from shop.services.desk import close_for_conversation
from shop.services.service_hours import is_within_service_hours, next_opening
from shop.services.tickets import open_ticket
from shop.services.views import TicketView

LAST_MESSAGES = 5
FALLBACKS_BEFORE_HANDOFF = 2
#: closed_by of a ticket closed when the bot was resumed without the desk (nobody held it).
RESUMED_BY_API = "api"
# Intents that say nothing about the shopper's problem, skipped when naming the topic.
NON_TOPIC_INTENTS = {"human_handoff", "nlu_fallback", "greet", "goodbye", "thank", "affirm", "deny", "inform"}


def user_events(tracker: Tracker) -> list[dict[str, Any]]:
    return [e for e in tracker.events if e.get("event") == "user"]


def conversation_topic(tracker: Tracker) -> str:
    """The latest intent that names a problem (the ticket's skill group follows it)."""
    for event in reversed(user_events(tracker)):
        intent = (event.get("parse_data") or {}).get("intent", {}).get("name")
        if intent and intent not in NON_TOPIC_INTENTS:
            return str(intent)
    return "human_handoff"


def summary(tracker: Tracker) -> str:
    """What an agent needs first: topic, order, filled slots, the last messages."""
    slots = {
        key: value
        for key, value in tracker.slots.items()
        if value not in (None, [], False) and key not in {"verified_customer_id", "phone_last4", "verify_failures",
                                                            "session_started_metadata"}
    }
    lines = [
        f"topic: {conversation_topic(tracker)}",
        f"order: {tracker.get_slot('order_id') or '-'}",
        f"slots: {slots}",
        "last messages:",
        *(f"- {text}" for text in shopper_messages(tracker)[-LAST_MESSAGES:]),
    ]
    return "\n".join(lines)


def shopper_messages(tracker: Tracker) -> list[str]:
    """What the shopper said, a tapped button as its title (the agent reads 8800… 真丝连衣裙, not /inform{…})."""
    said: list[str] = []
    offered: dict[str, str] = {}
    for event in tracker.events:
        if event.get("event") == "bot":
            buttons = (event.get("data") or {}).get("buttons") or []
            offered = {str(b.get("payload")): str(b.get("title", "")) for b in buttons} or offered
        elif event.get("event") == "user":
            text = event.get("text") or ""
            said.append(offered.get(text, text))
    return said


def create_ticket(tracker: Tracker, dispatcher: CollectingDispatcher, topic: str | None = None) -> TicketView | None:
    fields: dict[str, Any] = {
        "customer_id": current_customer(tracker),
        "topic": topic or conversation_topic(tracker),
        "summary": summary(tracker),
        "conversation_id": tracker.sender_id,
        "clock": system_clock,
    }
    try:
        # No ticket, no human: the usual "busy, ask for a human" reply would send the shopper in circles.
        with shop_session(dispatcher, busy_response="utter_handoff_unavailable") as session:
            try:
                return open_ticket(session, order_no=tracker.get_slot("order_id"), **fields)
            except DomainError as error:
                if error.code != "not_found":
                    raise
                # The order is not provably the shopper's (e.g. locked out of the phone check):
                # file the ticket without it; the summary still names it for the agent.
                return open_ticket(session, order_no=None, **fields)
    except BackendUnavailable:
        return None


def hand_off(tracker: Tracker, dispatcher: CollectingDispatcher) -> list[EventType]:
    """Open (or reuse) the conversation's ticket, tell the shopper, pause the bot."""
    ticket = create_ticket(tracker, dispatcher)
    if ticket is None:
        return []
    hours = get_settings().service_hours
    now = system_clock()
    if is_within_service_hours(now, hours):
        dispatcher.utter_message(response="utter_handoff", skill_group=translated("skill_group", ticket.skill_group),
                                 ticket_no=ticket.ticket_no)
    else:
        dispatcher.utter_message(
            response="utter_handoff_after_hours",
            skill_group=translated("skill_group", ticket.skill_group),
            ticket_no=ticket.ticket_no,
            service_hours=hours,
            next_opening=when(next_opening(now, hours)),
        )
    # Listening after the pause: Rasa stops predicting at the pause without logging action_listen, so a
    # message while paused, and the first one after the resume, would follow the hand-off itself and
    # match no rule ("这句我没能处理", even for /restart).
    # A form still waiting (e.g. the rating's comment) would take the first message after the resume.
    leave_form = [ActiveLoop(None), SlotSet("requested_slot", None)] if tracker.active_loop_name else []
    # Flows left unfinished earlier go to the person too (the ticket's summary lists them): not offered again.
    forget_paused = [SlotSet("paused_flows", None)] if tracker.get_slot("paused_flows") else []
    return [*reset_flow_events(), *leave_form, *forget_paused, ConversationPaused(), ActionExecuted("action_listen")]


class ActionHandoff(Action):
    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        return hand_off(tracker, dispatcher)


def hand_back(tracker: Tracker, dispatcher: CollectingDispatcher, *, always_say: bool) -> None:
    """Close the conversation's ticket if an agent has not already (the desk closes it first); tell the
    shopper the assistant is back (``always_say``, or when the conversation was handed off)."""
    try:
        with shop_session(dispatcher) as session:
            closed = close_for_conversation(session, tracker.sender_id, closed_by=RESUMED_BY_API,
                                            clock=system_clock)
    except BackendUnavailable:
        return  # the shopper heard that the system is busy; the bot is back all the same
    if always_say or closed or tracker.is_paused():
        dispatcher.utter_message(response="utter_handoff_resumed")


class ActionHandoffResume(Action):
    """The agent is done: the bot takes the conversation back (Rasa's HTTP API ``execute`` of this action).

    Returns ``action_listen`` after the resume, so the shopper's next message is read as a fresh
    turn: the paused turn (handoff, messages while paused) no longer decides what the rules predict.
    The shopper is then asked to rate the human service (once a session, SHOP_RATING_AFTER).
    """

    def name(self) -> str:
        return "action_handoff_resume"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        hand_back(tracker, dispatcher, always_say=True)
        return [ConversationResumed(), *ask_about_the_handoff(tracker, dispatcher), ActionExecuted("action_listen")]


class ActionRestart(Action):
    """``/restart`` (Rasa lets it through even while the conversation waits for a person): the way out of
    a hand-off where no agent comes, e.g. in ``rasa shell``. Closes the open ticket, says the assistant is
    back, then restarts as Rasa's own action_restart does."""

    def name(self) -> str:
        return "action_restart"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        hand_back(tracker, dispatcher, always_say=False)
        return [Restarted()]


class ActionComplain(Action):
    """Comfort first; the complaint is filed at high priority before the offer of a human.

    A form in progress is paused (its slots kept): the shopper's next "yes" must answer the offer
    of a human, never a question of the form (a "yes" to "确认提交吗？" would write). Declining the
    human resumes the form (action_resume_flow).
    """

    def name(self) -> str:
        return "action_complain"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_complain")
        create_ticket(tracker, dispatcher, topic="complain")
        form = tracker.active_loop_name
        if not form:
            return [SlotSet("interrupted_form", None)]
        if form == SATISFACTION_FORM:
            return [ActiveLoop(None), *reset_rating_events(), SlotSet("interrupted_form", None)]
        return [ActiveLoop(None), SlotSet("interrupted_form", form)]


class ActionResumeFlow(Action):
    """After a complaint, the shopper declined a human: back to the paused form, if any."""

    def name(self) -> str:
        return "action_resume_flow"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        form = tracker.get_slot("interrupted_form")
        # The complaint is acknowledged (its ticket is already filed), never offered a human again.
        dispatcher.utter_message(response="utter_complaint_acknowledged")
        if not form:
            return []
        dispatcher.utter_message(response="utter_resume_flow")
        return [SlotSet("interrupted_form", None), FollowupAction(form)]


class ActionFallback(Action):
    """Clarify once; a second misunderstanding in a row goes to a person."""

    def name(self) -> str:
        return "action_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if names_a_reason(tracker.latest_message):  # "我买的杯子漏水": the problem is clear enough
            dispatcher.utter_message(response="utter_reason_without_flow")
            return product_of_the_problem(tracker)
        if consecutive_fallbacks(tracker) >= FALLBACKS_BEFORE_HANDOFF:
            return hand_off(tracker, dispatcher)
        dispatcher.utter_message(response="utter_clarify")
        return []


def consecutive_fallbacks(tracker: Tracker) -> int:
    """Misunderstood messages in a row, this one included.

    An unclassified message that something else answered (e.g. a form took it as a free-text
    answer, like a rating comment), or that named a problem with the goods (answered with the
    after-sales choices), was understood after all and ends the run.
    """
    count = 0
    answered_by: str | None = None  # the first action after the user message being looked at
    latest = True
    for event in reversed(tracker.events):
        if event.get("event") == "action" and event.get("name") != "action_listen":
            answered_by = event.get("name")
        if event.get("event") != "user":
            continue
        parse_data = event.get("parse_data") or {}
        intent = parse_data.get("intent", {}).get("name")
        understood = names_a_reason(parse_data) or not (latest or answered_by in (None, "action_fallback"))
        if intent != "nlu_fallback" or understood:
            break
        count += 1
        latest, answered_by = False, None
    return count


class ActionResetFlow(Action):
    def name(self) -> str:
        return "action_reset_flow"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        return reset_flow_events()
