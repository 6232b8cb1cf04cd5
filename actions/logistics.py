"""物流问题: the tracking decides the path.

* not delivered, no update for >= 72 h: apology, a courier check is opened, a 先行赔付 claim is
  offered and filed on consent (once);
* not delivered, on time: the tracking and "it is on its way";
* delivered: "signed for but not received" or "damaged" -> photo link -> reship or refund ->
  confirmation -> one report per order;
* delivered with items missing (少件): which item and how many -> photo link -> reship of those
  or a refund of their share -> confirmation -> one report per order.
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend import BackendUnavailable, ask_for_shopper, say_refusal, shop_session
from actions.cancel import refund_words
from actions.choices import CHINESE_ORDINALS
from actions.identity import current_customer
from actions.items import find_item, item_choice, item_named_in_message, item_shown, single_item_id
from actions.order_forms import (
    PROBLEMS_AFTER_DELIVERY,
    OrderFormValidation,
    confirmed_customer,
    entity_value,
    load_order,
    reset_flow_events,
)
from actions.orders import show_tracking
from actions.returns import photo_url
from actions.satisfaction import offer_rating
from actions.wording import label, money, when
from shop.clock import system_clock
from shop.errors import DomainError
from shop.services.delivery_issues import quote_delivery_issue, report_delivery_issue
from shop.services.orders import get_order_detail
from shop.services.tracking import file_delivery_claim, get_tracking
from shop.services.views import DeliveryIssueQuote, DeliveryIssueView, ItemView, TrackingInfo

DELIVERED_PROBLEMS = PROBLEMS_AFTER_DELIVERY
REMEDIES = ("reship", "refund")
# A claim's refusals with a reply of their own (say_refusal words the rest).
CLAIM_REFUSALS = {"not_eligible": "utter_claim_not_eligible"}
# Words that name the problem when the NLU gave no entity (buttons are the robust way). Missing items
# first: "有一件没收到" is an item missing from the parcel, not a parcel that never came.
MISSING_WORDS = re.compile(
    r"少件|少发|漏发|少寄|漏寄|缺件|没发全|发少了|寄少了|少了\s*[一两二三四五六七八九十\d]*\s*[件个样盒瓶包双条只本支套袋罐]|"
    r"东西少了|数量不对|数量少了|(?:有|其中|另外)[一两]?[件个样]没(?:有)?收到|只收到(?:了)?\s*[一两二三四五六七八九\d]"
)
# How many are missing, typed: "2", "两件", "少了一个".
COUNT = r"([1-9]\d?|[一两二三四五六七八九])\s*"
MEASURE_WORDS = "[件个样盒瓶包双条只本支套袋罐]"
QUANTITY = re.compile(COUNT + MEASURE_WORDS + "?")
# A count said with the problem ("T恤少了两件", "漏发2个"); "只收到一件" counts what came, so it is asked.
MISSING_COUNT = re.compile(r"(?:少|漏|缺)(?:发|寄|送)?了?\s*" + COUNT + MEASURE_WORDS)
MAX_QUANTITY_BUTTONS = 5
NOT_RECEIVED_WORDS = re.compile(r"没收到|没有收到|未收到|收不到|没拿到|冒领|被别人签收|私自签收|代签|没签收")
DAMAGED_WORDS = re.compile(r"破损|破了|压坏|摔坏|碎了|坏了|压扁|压烂|磕坏|撞坏|漏了")
REMEDY_WORDS = {"reship": re.compile(r"补发|重发|再发|重新发"), "refund": re.compile(r"退款|退钱|退货")}


def problem_from_text(text: str, reason: str | None = None) -> str | None:
    """not_received / damaged / missing_items from the shopper's own words, else None (then we ask)."""
    if reason == "missing_items" or MISSING_WORDS.search(text or ""):
        return "missing_items"
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


def quantity_from_text(value: Any) -> int | None:
    said = QUANTITY.search(str(value or ""))
    if said is None:
        return None
    token = said.group(1)
    return int(token) if token.isdigit() else CHINESE_ORDINALS[token]


def said_missing_count(tracker: Tracker) -> int | None:
    """The count of missing pieces said in this report's messages (back to the flow before it), if any."""
    loops_seen = 0
    for event in reversed(tracker.events):
        if event.get("event") == "active_loop":
            loops_seen += 1
            if loops_seen > 1:  # past this form's start: an earlier flow's messages are not this report's
                return None
        elif event.get("event") == "user" and (said := MISSING_COUNT.search(event.get("text") or "")):
            return quantity_from_text(said.group(1))
    return None


def missing_quantity_known(item: ItemView, tracker: Tracker) -> dict[str, Any]:
    """The count when it need not be asked: one was bought, or the shopper said how many (and it fits)."""
    if item.quantity == 1:
        return {"missing_quantity": "1"}
    said = said_missing_count(tracker)
    return {"missing_quantity": str(said)} if said is not None and 1 <= said <= item.quantity else {}


def missing_item(tracker: Tracker, dispatcher: CollectingDispatcher) -> ItemView | None:
    """The order line chosen as missing (None, after saying why, when the order cannot be read)."""
    order = load_order(tracker, dispatcher)
    return find_item(order, tracker.get_slot("item_id")) if order is not None else None


def order_settled(tracker: Tracker) -> bool:
    """The order was checked as the shopper's in an earlier message (not one still being validated)."""
    pending = tracker.slots_to_validate()
    return (bool(tracker.get_slot("order_id")) and current_customer(tracker) is not None
            and "order_id" not in pending and "phone_last4" not in pending)


def missing_slots(tracker: Tracker, dispatcher: CollectingDispatcher) -> dict[str, Any]:
    """What need not be asked about a missing item: the only line of an order or the one this message
    names ("少了个保温杯"), and the count when one was bought or the shopper said it ("少了两件")."""
    order = load_order(tracker, dispatcher)
    if order is None:
        return {"flow_blocked": True}
    item_id = single_item_id(order) or item_named_in_message(order, tracker)
    item = find_item(order, item_id) if item_id else None
    if item is None:
        return {}
    return {"item_id": item_id, **missing_quantity_known(item, tracker)}


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
        say_refusal(error, dispatcher, {"not_shipped": "utter_logistics_not_shipped"}, order_no=order_no)
    except BackendUnavailable:
        pass
    return None


def missing_lines(tracker: Tracker) -> dict[int, int] | None:
    """{order item id: quantity} of a missing-items report once both are known, else None."""
    if tracker.get_slot("logistics_problem") != "missing_items":
        return None
    item_id, quantity = tracker.get_slot("item_id"), tracker.get_slot("missing_quantity")
    return {int(item_id): int(quantity)} if item_id and quantity else None


def quote(tracker: Tracker, dispatcher: CollectingDispatcher) -> DeliveryIssueQuote | None:
    return ask_for_shopper(
        tracker,
        dispatcher,
        lambda session, customer_id: quote_delivery_issue(
            session, customer_id, tracker.get_slot("order_id"), missing=missing_lines(tracker), clock=system_clock
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


def delivery_issue_refusal(tracker: Tracker, dispatcher: CollectingDispatcher, domain: DomainDict) -> bool:
    """Whether the slot's order cannot take a delivery-problem report; True after saying why."""
    quote_ = quote(tracker, dispatcher)
    if quote_ is None:
        return True
    if not quote_.eligible:
        explain_quote(quote_, dispatcher, domain, tracker.get_slot("order_id"))
        return True
    return False


class ValidateLogisticsForm(OrderFormValidation):
    def name(self) -> str:
        return "validate_logistics_form"

    def flow_required_slots(self, tracker: Tracker) -> list[str]:
        problem = tracker.get_slot("logistics_problem")
        if problem == "stuck":
            return ["confirmed"]
        if problem == "missing_items":
            return ["logistics_problem", "item_id", "missing_quantity", "evidence_url", "remedy", "confirmed"]
        return ["logistics_problem", "evidence_url", "remedy", "confirmed"]

    def after_order(
        self, order_no: str, customer_id: int, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """The tracking picks the path: stuck, on its way, or a delivered parcel's problem (the tracker
        holds `order_no` as its order: OrderFormValidation passes it so)."""
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
        if known == "missing_items":
            return missing_slots(tracker, dispatcher)
        if known in DELIVERED_PROBLEMS:
            return {}
        problem = self._problem_in_conversation(tracker, entity_value(tracker.latest_message, "reason"))
        if problem == "missing_items":
            return {"logistics_problem": problem, **missing_slots(tracker, dispatcher)}
        return {"logistics_problem": problem} if problem else {"logistics_problem": None}

    @staticmethod
    def _problem_in_conversation(tracker: Tracker, reason: str | None) -> str | None:
        """The problem named in the message that started the flow (or this one)."""
        for event in reversed(tracker.events):
            if event.get("event") != "user":
                continue
            intent = (event.get("parse_data") or {}).get("intent", {}).get("name")
            event_reason = entity_value(event.get("parse_data") or {}, "reason")
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
        if problem == "missing_items" and order_settled(tracker):
            return {"logistics_problem": problem, **missing_slots(tracker, dispatcher)}
        return {"logistics_problem": problem}  # with the order still to come, after_order looks at it

    def validate_item_id(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """The missing item; one of a kind, or a count already said, needs no count question."""
        item, refusal = item_choice(value, tracker, dispatcher)
        if item is None:
            return refusal
        return {"item_id": str(item.item_id), **missing_quantity_known(item, tracker)}

    def validate_missing_quantity(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        item = missing_item(tracker, dispatcher)
        if item is None:
            return {"missing_quantity": None, "flow_blocked": True}
        quantity = quantity_from_text(value)
        if quantity is None or not 1 <= quantity <= item.quantity:
            dispatcher.utter_message(response="utter_missing_quantity_invalid", max=item.quantity)
            return {"missing_quantity": None}
        return {"missing_quantity": str(quantity)}

    def validate_evidence_url(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        link = photo_url(value, tracker)
        if link is None:
            dispatcher.utter_message(response="utter_evidence_url_invalid")
            return {"evidence_url": None}
        return {"evidence_url": link}

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
        say_refusal(error, dispatcher, CLAIM_REFUSALS, order_no=order_no)
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
    if tracker.get_slot("logistics_problem") == "missing_items":
        confirm_missing_items(tracker, dispatcher, domain, quote_)
        return
    problem = label(domain, "logistics_problem", tracker.get_slot("logistics_problem") or "")
    if tracker.get_slot("remedy") == "refund":
        dispatcher.utter_message(
            response="utter_confirm_delivery_refund", order_no=order_no, problem=problem,
            amount=money(quote_.refund_amount), **refund_words(domain, quote_.refund_method,
                                                               quote_.expected_arrival_days),
        )
    else:
        dispatcher.utter_message(response="utter_confirm_delivery_reship", order_no=order_no, problem=problem)


def confirm_missing_items(
    tracker: Tracker, dispatcher: CollectingDispatcher, domain: DomainDict, quote_: DeliveryIssueQuote
) -> None:
    item = missing_item(tracker, dispatcher)
    if item is None:
        return
    said = {"order_no": tracker.get_slot("order_id"), "item": item_shown(item),
            "quantity": int(tracker.get_slot("missing_quantity"))}
    if tracker.get_slot("remedy") == "refund":
        dispatcher.utter_message(
            response="utter_confirm_missing_refund", amount=money(quote_.refund_amount), **said,
            **refund_words(domain, quote_.refund_method, quote_.expected_arrival_days),
        )
    else:
        dispatcher.utter_message(response="utter_confirm_missing_reship", **said)


class ActionAskMissingQuantity(Action):
    """How many of the chosen item are missing: buttons 1..n (typed for larger counts)."""

    def name(self) -> str:
        return "action_ask_missing_quantity"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        item = missing_item(tracker, dispatcher)
        if item is None:
            return []
        buttons = [{"title": str(n), "payload": f'/inform{{"missing_quantity": "{n}"}}'}
                   for n in range(1, min(item.quantity, MAX_QUANTITY_BUTTONS) + 1)]
        dispatcher.utter_message(response="utter_ask_missing_quantity", item=item_shown(item),
                                 buttons=buttons)
        return []


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
                        evidence_urls=[evidence] if evidence else [], missing=missing_lines(tracker),
                        clock=system_clock,
                    )
        except DomainError as error:
            say_refusal(error, dispatcher, CLAIM_REFUSALS if problem == "stuck" else {}, order_no=order_no)
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
        elif result.missing:
            say_missing_reship(result, tracker, dispatcher)
        else:
            dispatcher.utter_message(response="utter_delivery_reship_created", order_no=order_no,
                                     issue_no=result.issue_no)
        return reset_flow_events() + (offer_rating(tracker) if result.created else [])


def say_missing_reship(issue: DeliveryIssueView, tracker: Tracker, dispatcher: CollectingDispatcher) -> None:
    item = missing_item(tracker, dispatcher)
    dispatcher.utter_message(response="utter_missing_reship_created", order_no=issue.order_no,
                             issue_no=issue.issue_no, item=item_shown(item) if item else "",
                             quantity=int(tracker.get_slot("missing_quantity")))
