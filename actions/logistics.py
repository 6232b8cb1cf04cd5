"""物流问题: the tracking decides the path.

* not delivered, no update for >= 72 h: apology, a courier check is opened, a 先行赔付 claim is
  offered and filed on consent (once);
* not delivered, on time: the tracking and "it is on its way";
* delivered: "signed for but not received" or "damaged" -> photo link -> reship or refund ->
  confirmation -> one report per order.
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend import BackendUnavailable, ask_for_shopper, shop_session
from actions.cancel import refund_words
from actions.identity import current_customer
from actions.order_forms import OrderFormValidation, confirmed_customer, reset_flow_events
from actions.orders import show_tracking
from actions.returns import URL
from actions.satisfaction import offer_rating
from actions.wording import label, money, when
from shop.clock import system_clock
from shop.errors import DomainError
from shop.services.delivery_issues import quote_delivery_issue, report_delivery_issue
from shop.services.orders import get_order_detail
from shop.services.tracking import file_delivery_claim, get_tracking
from shop.services.views import DeliveryIssueQuote, DeliveryIssueView, TrackingInfo

DELIVERED_PROBLEMS = ("not_received", "damaged")
REMEDIES = ("reship", "refund")
# Words that name the problem when the NLU gave no entity (buttons are the robust way).
NOT_RECEIVED_WORDS = re.compile(r"没收到|没有收到|未收到|收不到|没拿到|冒领|被别人签收|私自签收|代签|没签收")
DAMAGED_WORDS = re.compile(r"破损|破了|压坏|摔坏|碎了|坏了|压扁|压烂|磕坏|撞坏|漏了")
REMEDY_WORDS = {"reship": re.compile(r"补发|重发|再发|重新发"), "refund": re.compile(r"退款|退钱|退货")}


def problem_from_text(text: str, reason: str | None = None) -> str | None:
    """not_received / damaged from the shopper's own words, else None (then we ask)."""
    if NOT_RECEIVED_WORDS.search(text or ""):
        return "not_received"
    if reason == "damaged" or DAMAGED_WORDS.search(text or ""):
        return "damaged"
    return None


def remedy_from_text(value: Any) -> str | None:
    text = str(value or "").strip()
    if text in REMEDIES:
        return text
    found = [remedy for remedy, words in REMEDY_WORDS.items() if words.search(text)]
    return found[0] if len(found) == 1 else None


def tracking(tracker: Tracker, dispatcher: CollectingDispatcher) -> TrackingInfo | None:
    """The parcel's tracking; says why when there is none (not shipped, not found)."""
    customer_id = current_customer(tracker)
    order_no = tracker.get_slot("order_id")
    if customer_id is None or not order_no:
        return None
    try:
        with shop_session(dispatcher) as session:
            return get_tracking(session, customer_id, order_no, clock=system_clock)
    except DomainError as error:
        if error.code == "not_shipped":
            dispatcher.utter_message(response="utter_logistics_not_shipped", order_no=order_no)
        else:
            dispatcher.utter_message(response="utter_order_not_found")
    except BackendUnavailable:
        pass
    return None


def quote(tracker: Tracker, dispatcher: CollectingDispatcher) -> DeliveryIssueQuote | None:
    return ask_for_shopper(
        tracker,
        dispatcher,
        lambda session, customer_id: quote_delivery_issue(
            session, customer_id, tracker.get_slot("order_id"), clock=system_clock
        ),
    )


def say_issue_exists(issue: DeliveryIssueView, dispatcher: CollectingDispatcher, domain: DomainDict) -> None:
    dispatcher.utter_message(
        response="utter_delivery_issue_exists", order_no=issue.order_no, issue_no=issue.issue_no,
        problem=label(domain, "logistics_problem", issue.problem), remedy=label(domain, "remedy", issue.remedy),
    )


def explain_quote(quote_: DeliveryIssueQuote, dispatcher: CollectingDispatcher, domain: DomainDict,
                  order_no: str) -> None:
    if quote_.existing is not None:
        say_issue_exists(quote_.existing, dispatcher, domain)
    elif quote_.code == "window_expired":
        dispatcher.utter_message(response="utter_delivery_issue_window_expired", order_no=order_no,
                                 deadline=when(quote_.deadline) if quote_.deadline else "")
    elif quote_.code == "already_requested":
        dispatcher.utter_message(response="utter_delivery_issue_already_requested", order_no=order_no)
    else:
        dispatcher.utter_message(response="utter_request_failed", code=quote_.code)


class ValidateLogisticsForm(OrderFormValidation):
    def name(self) -> str:
        return "validate_logistics_form"

    def flow_required_slots(self, tracker: Tracker) -> list[str]:
        if tracker.get_slot("logistics_problem") == "stuck":
            return ["confirmed"]
        return ["logistics_problem", "evidence_url", "remedy", "confirmed"]

    def after_order(
        self, order_no: str, customer_id: int, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """The tracking picks the path: stuck, on its way, or a delivered parcel's problem."""
        tracker.slots["order_id"] = order_no
        info = tracking(tracker, dispatcher)
        if info is None:
            return {"flow_blocked": True}
        if not info.delivered:
            show_tracking(info, dispatcher, stuck_hint=False)
            if info.claim_eligible:
                return {"logistics_problem": "stuck"}
            dispatcher.utter_message(response="utter_logistics_on_the_way")
            return {"flow_blocked": True}
        quote_ = quote(tracker, dispatcher)
        if quote_ is None:
            return {"flow_blocked": True}
        if not quote_.eligible:
            explain_quote(quote_, dispatcher, domain, order_no)
            return {"flow_blocked": True}
        known = tracker.get_slot("logistics_problem")
        if known in DELIVERED_PROBLEMS:
            return {}
        reason = next((e.get("value") for e in tracker.latest_message.get("entities", [])
                       if e.get("entity") == "reason"), None)
        problem = self._problem_in_conversation(tracker, reason)
        return {"logistics_problem": problem} if problem else {"logistics_problem": None}

    @staticmethod
    def _problem_in_conversation(tracker: Tracker, reason: str | None) -> str | None:
        """The problem named in the message that started the flow (or this one)."""
        for event in reversed(tracker.events):
            if event.get("event") != "user":
                continue
            intent = (event.get("parse_data") or {}).get("intent", {}).get("name")
            entities = (event.get("parse_data") or {}).get("entities", [])
            event_reason = next((e.get("value") for e in entities if e.get("entity") == "reason"), None)
            found = problem_from_text(event.get("text") or "", event_reason or reason)
            if found or intent == "logistics_issue":
                return found
        return problem_from_text(tracker.latest_message.get("text") or "", reason)

    def validate_logistics_problem(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        problem = value if value in DELIVERED_PROBLEMS else problem_from_text(str(value or ""))
        if problem is None:
            dispatcher.utter_message(response="utter_logistics_problem_invalid")
            return {"logistics_problem": None}
        return {"logistics_problem": problem}

    def validate_evidence_url(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        link = URL.search(str(value or ""))
        if link is None:
            dispatcher.utter_message(response="utter_evidence_url_invalid")
            return {"evidence_url": None}
        return {"evidence_url": link.group(0)}

    def validate_remedy(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        remedy = remedy_from_text(value)
        if remedy is None:
            dispatcher.utter_message(response="utter_remedy_invalid")
            return {"remedy": None}
        return {"remedy": remedy}


def confirm_logistics(tracker: Tracker, dispatcher: CollectingDispatcher, domain: DomainDict) -> None:
    """The confirmation question (asked by action_ask_confirmed)."""
    if tracker.get_slot("logistics_problem") == "stuck":
        confirm_claim(tracker, dispatcher)
    else:
        confirm_delivery_issue(tracker, dispatcher, domain)


def confirm_claim(tracker: Tracker, dispatcher: CollectingDispatcher) -> None:
    """A stuck parcel: the courier check starts at once (no money involved); the claim needs a yes."""
    customer_id = current_customer(tracker)
    order_no = tracker.get_slot("order_id")
    if customer_id is None:
        return
    try:
        with shop_session(dispatcher) as session:
            check = file_delivery_claim(session, customer_id, order_no, kind="courier_check", clock=system_clock)
            order = get_order_detail(session, customer_id, order_no, clock=system_clock)
    except DomainError as error:
        if error.code == "not_eligible":
            dispatcher.utter_message(response="utter_claim_not_eligible", order_no=order_no)
        else:
            dispatcher.utter_message(response="utter_order_not_found")
        return
    except BackendUnavailable:
        return
    dispatcher.utter_message(response="utter_courier_check_opened", claim_no=check.claim_no,
                             hours=int(order.tracking.hours_since_update if order.tracking else 0))
    dispatcher.utter_message(response="utter_confirm_claim", order_no=order_no, amount=money(order.paid_amount))


def confirm_delivery_issue(tracker: Tracker, dispatcher: CollectingDispatcher, domain: DomainDict) -> None:
    quote_ = quote(tracker, dispatcher)
    if quote_ is None:
        return
    order_no = tracker.get_slot("order_id")
    problem = label(domain, "logistics_problem", tracker.get_slot("logistics_problem") or "")
    if tracker.get_slot("remedy") == "refund":
        dispatcher.utter_message(
            response="utter_confirm_delivery_refund", order_no=order_no, problem=problem,
            amount=money(quote_.refund_amount), **refund_words(domain, quote_.refund_method,
                                                               quote_.expected_arrival_days),
        )
    else:
        dispatcher.utter_message(response="utter_confirm_delivery_reship", order_no=order_no, problem=problem)


class ActionSubmitLogistics(Action):
    """Files the confirmed claim or delivery-problem report (each at most once per order)."""

    def name(self) -> str:
        return "action_submit_logistics"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        customer_id = confirmed_customer(tracker)
        order_no = tracker.get_slot("order_id")
        if customer_id is None:
            return reset_flow_events()
        problem = tracker.get_slot("logistics_problem")
        try:
            with shop_session(dispatcher) as session:
                if problem == "stuck":
                    result: Any = file_delivery_claim(session, customer_id, order_no, kind="claim",
                                                      clock=system_clock)
                else:
                    evidence = tracker.get_slot("evidence_url")
                    result = report_delivery_issue(
                        session, customer_id, order_no, problem=problem, remedy=tracker.get_slot("remedy"),
                        evidence_urls=[evidence] if evidence else [], clock=system_clock,
                    )
        except DomainError as error:
            if error.code == "not_found":
                dispatcher.utter_message(response="utter_order_not_found")
            elif problem == "stuck" and error.code == "not_eligible":
                dispatcher.utter_message(response="utter_claim_not_eligible", order_no=order_no)
            else:
                dispatcher.utter_message(response="utter_request_failed", code=error.code)
            return reset_flow_events()
        except BackendUnavailable:
            return reset_flow_events()
        if problem == "stuck":
            response = "utter_claim_filed" if result.created else "utter_claim_exists"
            dispatcher.utter_message(response=response, order_no=order_no, claim_no=result.claim_no,
                                     amount=money(result.amount or 0))
        elif not result.created:
            say_issue_exists(result, dispatcher, domain)
        elif result.remedy == "refund":
            dispatcher.utter_message(
                response="utter_delivery_refund_created", order_no=order_no, issue_no=result.issue_no,
                request_no=result.request_no, amount=money(result.refund_amount or 0),
                **refund_words(domain, result.refund_method, result.expected_arrival_days),
            )
        else:
            dispatcher.utter_message(response="utter_delivery_reship_created", order_no=order_no,
                                     issue_no=result.issue_no)
        return reset_flow_events() + (offer_rating(tracker) if result.created else [])
