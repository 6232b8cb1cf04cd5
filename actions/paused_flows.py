"""Picking an interrupted flow up again (issue 30): one mechanism over every order form.

When a form is left for another request before it finished ("插一句 我另一单 8800… 现在到哪了" during an
exchange), the form that starts next remembers the one it interrupted: which form, and the values
already given (order, item, reason, size, ...), as they were before the interrupting message. After
the other request is answered, rules (data/rules/resume_flows.yml) offer to go back; 继续 / 接着办 / the
button resumes the newest one, 不用了 forgets it. Several interruptions stack, newest first.

Resuming re-enters the form with its values. Rasa validates every value a form finds filled when it
starts, so the identity check and the shop's eligibility rules (shop.services, through the form's
own validation) decide again: a verification that was not passed is never skipped, and an order
whose state changed meanwhile is judged as it is now.
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.identity import token_customer
from actions.order_forms import FLOW_SLOTS, FORM_INTENTS
from actions.wording import label

SLOT = "paused_flows"
# At most this many interrupted flows are remembered; older ones are dropped.
MAX_PAUSED = 3
# Never resumed as given: a confirmation is asked again, a block is decided again.
NOT_KEPT = frozenset({"confirmed", "flow_blocked", "interrupted_form"})
# The phone digits are kept, never the customer they proved: the form checks the pair again as it starts.
KEPT_SLOTS = ("order_id", "phone_last4", *(slot for slot in FLOW_SLOTS if slot not in NOT_KEPT))
# Words that name a flow in "继续换货" / "continue the return": which paused flow to take up.
FLOW_WORDS: dict[str, re.Pattern[str]] = {
    form: re.compile(words, re.IGNORECASE) for form, words in {
        "exchange_form": r"换货|换码|换尺码|换颜色|换个|exchange",
        "return_form": r"退货|退掉|return",
        "cancel_form": r"取消|cancel",
        "address_form": r"地址|address",
        "invoice_form": r"发票|invoice",
        "logistics_form": r"物流|快递|破损|少件|丢件|赔付|delivery|parcel",
        "urge_form": r"催|urge",
        "refund_form": r"退款|refund",
        "payment_form": r"支付|付款|扣款|payment",
        "order_form": r"查订单|查询订单|order status",
    }.items()
}


def slots_before_latest_message(tracker: Tracker) -> dict[str, Any]:
    """The slots as they were before the latest user message (its mappings may have overwritten them)."""
    events = list(tracker.events)
    values: dict[str, Any] = {}
    latest_user = _latest_user_index(events)
    for event in events[:latest_user] if latest_user >= 0 else events:
        kind = event.get("event")
        if kind == "slot":
            values[str(event.get("name"))] = event.get("value")
        elif kind == "restart":
            values = {}
    return values


def resumed_now(tracker: Tracker) -> bool:
    """Whether the paused flow was taken up again since the latest user message (its order is its own)."""
    events = list(tracker.events)
    return any(event.get("event") == "action" and event.get("name") == "action_resume_paused_flow"
               for event in events[_latest_user_index(events) + 1:])


def paused(tracker: Tracker) -> list[dict[str, Any]]:
    value = tracker.get_slot(SLOT)
    return [entry for entry in value if isinstance(entry, dict)] if isinstance(value, list) else []


def _latest_user_index(events: list[dict[str, Any]]) -> int:
    return max((i for i, event in enumerate(events) if event.get("event") == "user"), default=-1)


def replaced_form(tracker: Tracker, form: str) -> str | None:
    """The form that was active when `form` started in this turn (Rasa sends the activation with the
    tracker), if `form` is starting now in place of another one; else None."""
    events = list(tracker.events)
    since = _latest_user_index(events)
    starts = [i for i, event in enumerate(events) if i > since and event.get("event") == "active_loop"
              and event.get("name") == form]
    if not starts:
        return None
    before = next((event for event in reversed(events[:starts[-1]]) if event.get("event") == "active_loop"), None)
    previous = (before or {}).get("name")
    return str(previous) if previous and previous != form else None


def interrupted_by(tracker: Tracker, form: str, validated: list[EventType]) -> list[EventType]:
    """Called by a form as it starts: the unfinished order form it replaces, remembered (or nothing).

    Only a flow with an order is kept: one left at its first question holds nothing to go back to. Its
    values leave the new flow (a return's reason would make a lookup offer after-sales choices), except
    those this message gave again or the new form's validation set (`validated`)."""
    previous = replaced_form(tracker, form)
    if previous not in FORM_INTENTS:
        return []
    before = slots_before_latest_message(tracker)
    if not before.get("order_id"):
        return []
    kept = {slot: before[slot] for slot in KEPT_SLOTS if before.get(slot) is not None}
    stack = [entry for entry in paused(tracker) if entry.get("form") != previous]
    set_now = {event.get("name") for event in validated if event.get("event") == "slot"}
    left = [SlotSet(slot, None) for slot, value in kept.items()
            if slot in FLOW_SLOTS and slot not in set_now and tracker.get_slot(slot) == value]
    return [SlotSet(SLOT, [*stack, {"form": previous, "slots": kept}][-MAX_PAUSED:]), *left]


def chosen(stack: list[dict[str, Any]], text: str) -> int | None:
    """Index of the paused flow the words name ("继续换货"), else of the newest; None if none is paused."""
    if not stack:
        return None
    for index in range(len(stack) - 1, -1, -1):
        words = FLOW_WORDS.get(str(stack[index].get("form")))
        if words is not None and words.search(text):
            return index
    return len(stack) - 1


def offer(dispatcher: CollectingDispatcher, entry: dict[str, Any], domain: DomainDict) -> None:
    dispatcher.utter_message(response="utter_offer_resume_flow", flow_name=label(domain, "flow", entry["form"]),
                             order_no=entry["slots"].get("order_id", ""))


def rest_of(stack: list[dict[str, Any]], index: int) -> list[dict[str, Any]] | None:
    rest = stack[:index] + stack[index + 1:]
    return rest or None


def restoring(tracker: Tracker, kept: dict[str, Any]) -> list[EventType]:
    """The slots set back to the paused flow's values (unset where it had none), changed ones only.

    Only changed ones: rasa_sdk drops from a form's validation result every slot set since the message
    that is not one of the form's questions, even when a validator sets it again (flow_blocked,
    verified_customer_id), so those are left for the form's validation to set."""
    wanted = {slot: kept.get(slot) for slot in KEPT_SLOTS} | {slot: None for slot in NOT_KEPT}
    return [SlotSet(slot, value) for slot, value in wanted.items() if tracker.get_slot(slot) != value]


class ActionOfferResumeFlow(Action):
    """After another request was answered: "刚才为您办理换货（订单 …）还没办完，要继续吗？"."""

    def name(self) -> str:
        return "action_offer_resume_flow"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        stack = paused(tracker)
        if stack:
            offer(dispatcher, stack[-1], domain)
        return []


class ActionResumePausedFlow(Action):
    """继续 / 接着办 / the offer's button: the paused form again, with the values it had.

    Its slots are set as they were (those it had not been given, unset: a phone check passed since for
    another order does not count for this one); the form then starts, validates them all (the phone
    check of its order too) as it would have, and asks its next missing question."""

    def name(self) -> str:
        return "action_resume_paused_flow"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        stack = paused(tracker)
        index = chosen(stack, str((tracker.latest_message or {}).get("text") or ""))
        if index is None and tracker.active_loop_name:  # "好的 继续" inside a form: its question again
            dispatcher.utter_message(response="utter_resume_flow")
            return [FollowupAction(tracker.active_loop_name)]
        if index is None:
            dispatcher.utter_message(response="utter_no_paused_flow")
            return []
        entry = stack[index]
        form, kept = str(entry["form"]), dict(entry.get("slots") or {})
        if token_customer(tracker) is None and not kept.get("phone_last4"):
            # Left before its phone check: only the order comes back (the rest waits for the check).
            kept = {"order_id": kept.get("order_id")}
        dispatcher.utter_message(response="utter_resuming_flow", flow_name=label(domain, "flow", form),
                                 order_no=kept.get("order_id", ""))
        return [SlotSet(SLOT, rest_of(stack, index)), *restoring(tracker, kept), SlotSet("requested_slot", None),
                FollowupAction(form)]


class ActionForgetPausedFlow(Action):
    """不用了 to the offer: the newest paused flow is forgotten; an older one, if any, is offered next."""

    def name(self) -> str:
        return "action_forget_paused_flow"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        stack = paused(tracker)
        dispatcher.utter_message(response="utter_paused_flow_forgotten")
        if not stack:
            return []
        rest = rest_of(stack, len(stack) - 1)
        if rest:
            return [SlotSet(SLOT, rest), FollowupAction("action_offer_resume_flow")]
        return [SlotSet(SLOT, None)]
