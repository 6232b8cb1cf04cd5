"""What every order-related form shares: which order, and proof that it is the shopper's."""

from __future__ import annotations

import re
from abc import abstractmethod
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, TypeVar

from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecutionRejected, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict
from sqlalchemy.orm import Session

from actions.backend import BackendUnavailable, shop_session
from actions.choices import ORDINAL, holds_any, named, pick, tied, words_of
from actions.identity import client_address, current_customer, token_customer
from actions.product_words import with_product_titles
from actions.wording import english, label, listed, product_name
from shop.clock import system_clock
from shop.errors import DomainError
from shop.services.eligibility import PROBLEMS_AFTER_DELIVERY as PROBLEMS_AFTER_DELIVERY  # logistics.py reads it
from shop.services.eligibility import why_flow_cannot_take
from shop.services.orders import check_order_owner, get_order_detail, list_orders, list_orders_for_flow
from shop.services.verification import check_phone_last4
from shop.services.views import OrderDetail, OrderSummary

ORDER_NO = re.compile(r"^\d{12,19}$")
Result = TypeVar("Result")

# Slots of one flow, cleared when it ends; the order and the identity carry over.
FLOW_SLOTS = (
    "item_id", "reason", "evidence_url", "size", "color", "confirmed", "flow_blocked",
    "new_address", "payment_case", "invoice_kind", "invoice_change", "invoice_title", "tax_no", "email",
    "logistics_problem", "missing_quantity", "remedy", "interrupted_form", "return_parcel", "waybill_no",
    "order_product",
)


OFFERED_ORDERS = 5
# A product named in the request that no offered order holds is looked for among this many of the
# flow's orders: "上周买的保温杯还没发货" names an order older than the five buttons.
ORDERS_SEARCHED_BY_PRODUCT = 50
# The request each form serves. With another flow's request, typed words never choose this form's order
# (the other flow starts instead), nor do a refusal, a complaint, a product question or small talk.
FORM_INTENTS = {
    "order_form": "query_order", "urge_form": "urge_shipment", "return_form": "return_goods",
    "exchange_form": "exchange_goods", "cancel_form": "cancel_order", "address_form": "change_address",
    "payment_form": "payment_issue", "invoice_form": "request_invoice", "logistics_form": "logistics_issue",
    "refund_form": "query_refund",
}
NOT_A_CHOICE = frozenset({"deny", "human_handoff", "complain", "product_inquiry", "greet", "goodbye", "thank",
                          "out_of_scope"})
# What NLU may take a bare place in the list for ("the second one" as a greeting): a refusal, a
# complaint or a call for a human is never a choice, whatever place it names.
MISREAD_PLACES = frozenset({"out_of_scope", "greet", "goodbye", "thank", "product_inquiry"})


# What an English choice may name: the options are described in Chinese (纯棉圆领T恤 白色/L), and the NLU
# maps "jeans", "white" and "L" to those words (synonyms.yml).
SPEC_ENTITIES = ("product", "color", "size")
CJK = re.compile(r"[\u4e00-\u9fff]")
# "is the t-shirt cotton?" names a product but asks about it: the question is answered, not taken as a choice.
ENGLISH_QUESTION = re.compile(r"\?|^\s*(?:is|are|does|do|can|could|what|how|which|will|would)\b", re.IGNORECASE)

# Words that point at an order ("那单", "上次那个订单"): typed at the order question, they are a choice.
ORDER_REFERENCE = re.compile(r"[那这哪]\s*[一1个]?\s*(?:订单|单)")


def offered_orders(
    session: Session, customer_id: int, form: str | None, *, invoiced: bool = False, tracker: Tracker | None = None,
    limit: int = OFFERED_ORDERS,
) -> list[OrderSummary]:
    """The recent orders a flow offers as buttons when it asks which order (`limit` of them); only those
    that hold the product the request named, when it named one that several orders hold."""
    # which orders this flow can take, and which first, is the shop's rule (shop.services.eligibility)
    def listed(count: int) -> list[OrderSummary]:
        return list_orders_for_flow(
            session, customer_id, flow_of(form), problem=tracker.get_slot("logistics_problem") if tracker else None,
            reason=tracker.get_slot("reason") if tracker else None, limit=count, invoiced=invoiced)

    product = tracker.get_slot("order_product") if tracker is not None else None
    if product:
        holding = [order for order in listed(ORDERS_SEARCHED_BY_PRODUCT) if holds_product(order, product)][:limit]
        if holding:  # none of this flow's orders holds it (牛仔裤 on its way, then 我要退货): all of them
            return holding
    return listed(limit)


def holds_product(order: OrderSummary, product: str) -> bool:
    """Whether the product's words name something in the order (its item titles, not its status)."""
    return holds_any([order], product, lambda listed: "、".join(listed.item_titles))


def describe_order(order: OrderSummary, domain: DomainDict) -> str:
    names = [product_name(title, english_name)
             for title, english_name in zip(order.item_titles, order.item_titles_en, strict=True)]
    return f"{listed(names)} {label(domain, 'status', order.status)}"


def _is_a_typed_choice(tracker: Tracker, form: str) -> bool:
    """Words typed at the order question that may name one of the offered orders."""
    message = tracker.latest_message or {}
    intent = (message.get("intent") or {}).get("name")
    if tracker.get_slot("requested_slot") != "order_id":
        return False
    if intent in NOT_A_CHOICE and not (intent in MISREAD_PLACES and is_a_misread_choice(message)):
        return False
    if str(message.get("text") or "").startswith("/"):
        return False  # a button's payload ("/logistics_issue{...}"), not words naming an order
    if intent in FORM_INTENTS.values() and intent != FORM_INTENTS.get(form):
        return False
    return entity_value(message, "order_id") is None


def is_a_misread_choice(message: dict[str, Any]) -> bool:
    """"the second one" or "the jeans", read as a greeting or off-topic: its place or the product,
    colour or size it names in English still chooses. A refusal, a complaint or a call for a human
    never does (MISREAD_PLACES)."""
    text = str(message.get("text") or "")
    names_a_spec = any(e.get("entity") in SPEC_ENTITIES for e in message.get("entities") or [])
    in_english = not CJK.search(text) and not ENGLISH_QUESTION.search(text)
    return bool(ORDINAL.search(text)) or (names_a_spec and in_english)


def words_for_choosing(message: dict[str, Any]) -> str:
    """The typed words of a choice; for an English message also the Chinese values of the products,
    colours and sizes it names ("the white one" → "the white one 白色"), which options are described in."""
    text = str(message.get("text") or "")
    if CJK.search(text):
        return text
    values = [str(e["value"]) for e in message.get("entities") or []
              if e.get("entity") in SPEC_ENTITIES and e.get("value")]
    return " ".join([text, *dict.fromkeys(values)])


def _say_why_its_order_is_not_offered(
    session: Session, customer_id: int, product: str, form: str, dispatcher: CollectingDispatcher, domain: DomainDict
) -> None:
    """"手环能退吗" while the 手环 is still on its way: the flow offers none of the orders holding it, and
    says which one it is and that this flow cannot take it, before the orders it can take."""
    holding = [order for order in list_orders(session, customer_id, limit=ORDERS_SEARCHED_BY_PRODUCT)
               if holds_product(order, product)]
    if holding:
        dispatcher.utter_message(response="utter_product_order_not_for_flow",
                                 product=product_as_named(holding[0], product), order_no=holding[0].order_no,
                                 order=describe_order(holding[0], domain), flow=label(domain, "flow", form))


def product_as_named(order: OrderSummary, product: str) -> str:
    """The product word in the reply's language: in English, the English name of the order's item it names
    ("T恤" → "Cotton crew-neck T-shirt"), else the word as said."""
    named = [product_name(title, english_name) for title, english_name in
             zip(order.item_titles, order.item_titles_en, strict=True) if holds_any([title], product, str)]
    return named[0] if len(named) == 1 and english() else product


def _no_single_order(
    orders: list[OrderSummary], said: str, describe: Callable[[OrderSummary], str], dispatcher: CollectingDispatcher,
    typed: str,
) -> dict[str, Any]:
    """Typed words at the order question that choose no offered order. Meant as a choice, they are told
    why, and the order slot is unset so that the form asks again (with nothing extracted, the message
    would be read as chit-chat): "T恤那单" fits two orders, "上周买的那单" none. Else nothing."""
    fitting = tied(orders, said, describe)
    if fitting:
        dispatcher.utter_message(response="utter_order_choice_tied", count=len(fitting), words=words_of(typed))
        return {"order_id": None}
    if orders and ORDER_REFERENCE.search(said):
        dispatcher.utter_message(response="utter_order_choice_unmatched")
        return {"order_id": None}
    return {}


def _extracted_from_latest_message(tracker: Tracker, slot: str) -> bool:
    """Whether the latest message's own words filled `slot`: the slot events right after it. A form
    starting validates every slot already filled too (a phone given for an earlier order), after them."""
    events = list(tracker.events)
    latest_user = max((i for i, event in enumerate(events) if event.get("event") == "user"), default=-1)
    for event in events[latest_user + 1:] if latest_user >= 0 else []:
        if event.get("event") != "slot":
            return False
        if event.get("name") == slot:
            return True
    return False


def _fills_a_slot(events: list[EventType]) -> bool:
    """Some event sets a slot other than `requested_slot` (Rasa then does not reject the form)."""
    return any(event.get("event") == "slot" and event.get("name") != "requested_slot" for event in events)


def _answers_only_later_questions(events: list[EventType], requested: str) -> bool:
    """The message gave something (a size, a reason) but not what the form asked for."""
    given = {event.get("name"): event.get("value") for event in events if event.get("event") == "slot"}
    given.pop("requested_slot", None)
    given.pop("order_product", None)  # "牛仔裤" at the order question narrows that question: no later answer
    return given.get(requested) is None and any(value is not None for value in given.values())


def entity_value(message: dict[str, Any], name: str) -> Any:
    """The value of the message's first `name` entity, or None (a message: latest_message or parse_data)."""
    return next((e.get("value") for e in message.get("entities") or [] if e.get("entity") == name), None)


def sole_entity_value(message: dict[str, Any], name: str) -> Any:
    """The value of the message's `name` entities when they name one thing, else None: "T恤和保温杯"
    names no single product. Extractors may repeat it, or find part of it (鞋 and 鞋子): the longest."""
    values = {str(e.get("value")) for e in message.get("entities") or [] if e.get("entity") == name and e.get("value")}
    longest = max(values, key=len, default=None)
    return longest if longest is not None and all(value in longest for value in values) else None


def _sole_product(tracker: Tracker) -> str | None:
    """The one product the latest message names, unless it gives an order number."""
    message = tracker.latest_message or {}
    return None if entity_value(message, "order_id") is not None else sole_entity_value(message, "product")


def _product_starting_the_flow(tracker: Tracker, form: str) -> str | None:
    """The product named in the message that starts the flow ("我昨天买的裤子啥时候发货"), or in the
    problem that led to it ("耳机坏了" before [退货]), which may choose one of the orders the flow
    would offer; None when an order number was given."""
    message = tracker.latest_message or {}
    intent = (message.get("intent") or {}).get("name")
    if tracker.get_slot("requested_slot") is not None or intent != FORM_INTENTS.get(form):
        return None
    if entity_value(message, "order_id") is not None:
        return None
    return _sole_product(tracker) or tracker.get_slot("order_product")


def product_of_the_problem(tracker: Tracker) -> list[EventType]:
    """"耳机坏了 没声音": the product is kept for the flow the shopper picks from the after-sales choices
    (like the reason), so that flow can choose its order."""
    product = _sole_product(tracker)
    return [SlotSet("order_product", product)] if product else []


# What the validation of the message being handled has already checked, by key: one check, one reply,
# one counted try, when a form starting with several slots known validates each of them
# ("订单X想换大一码": order and size). A context variable is private to the request's task (the
# action objects are shared by every request); outside a form's validation nothing is kept.
_CHECKED: ContextVar[dict[str, tuple[tuple, Any]] | None] = ContextVar("checked_this_message", default=None)


def earlier_verdict(key: str, asked: tuple) -> tuple[bool, Any]:
    """(True, the verdict) when this message's validation already checked `asked` under `key`."""
    found = (_CHECKED.get() or {}).get(key)
    return (True, found[1]) if found is not None and found[0] == asked else (False, None)


def remember(key: str, asked: tuple, verdict: Any) -> None:
    memo = _CHECKED.get()
    if memo is not None:
        memo[key] = (asked, verdict)


def checked_once(key: str, asked: tuple, check: Callable[[], Result]) -> Result:
    """The verdict of `check` for `asked`, run once per message and `key`."""
    known, verdict = earlier_verdict(key, asked)
    if not known:
        verdict = check()
        remember(key, asked, verdict)
    return verdict


def with_slots(tracker: Tracker, **slots: Any) -> Tracker:
    """The same message seen with these slot values: how a helper is told what this validation has just
    decided (and returns to Rasa as slots), without writing into the tracker every validator shares."""
    return Tracker(tracker.sender_id, {**tracker.slots, **slots}, tracker.latest_message, tracker.events,
                   tracker.is_paused(), tracker.followup_action, tracker.active_loop, tracker.latest_action_name)


# The key of the phone digits checked while handling this message, and the outcome. A form that starts
# with both order and phone known validates both; one check (and one counted try) is enough.
PAIR_CHECKED = "phone_pair"


def confirmed_customer(tracker: Tracker) -> int | None:
    """Whom a confirmed, unblocked write is for; None means: write nothing."""
    if tracker.get_slot("flow_blocked") or not tracker.get_slot("confirmed"):
        return None
    return current_customer(tracker)


def reset_flow_events() -> list[EventType]:
    # No rating due unless the action adds offer_rating() after these events (data/rules/satisfaction.yml).
    return [*(SlotSet(slot, None) for slot in FLOW_SLOTS), SlotSet("satisfaction_pending", None)]


def flow_of(form: str | None) -> str:
    """The shop's name of a form's flow: return_form → return."""
    return (form or "").removesuffix("_form")


def load_order(
    tracker: Tracker, dispatcher: CollectingDispatcher, clock: Any = None, order_no: str | None = None,
) -> OrderDetail | None:
    """The order (given, else the slot's) if it is the identified shopper's; otherwise says so and returns None."""
    customer_id = current_customer(tracker)
    order_no = order_no or tracker.get_slot("order_id")
    if customer_id is None or not order_no:
        dispatcher.utter_message(response="utter_order_not_found")
        return None
    try:
        with shop_session(dispatcher) as session:
            return get_order_detail(session, customer_id, order_no, clock=clock or system_clock)
    except DomainError:
        dispatcher.utter_message(response="utter_order_not_found")
    except BackendUnavailable:
        pass
    return None


class OrderFormValidation(FormValidationAction):
    """Base for forms that start with an order: validates `order_id` and `phone_last4`.

    With a token the order must be the token's customer's. Without one the shopper proves
    it with the last 4 digits of the order's phone; wrong tries are limited by the shop per order
    number and client address (shop.services.verification), not per conversation.
    A refusal never says whether the order exists.
    """

    flow_slots: tuple[str, ...] = ()

    @abstractmethod
    def name(self) -> str:
        """Each form's validation action names itself (this base is never registered)."""

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        if tracker.get_slot("flow_blocked"):
            return []
        slots = ["order_id"]
        if token_customer(tracker) is None:
            slots.append("phone_last4")
        return slots + self.flow_required_slots(tracker)

    async def extract_order_id(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """"第一个", "大闸蟹那单": one of the orders offered as buttons, typed instead of tapped; or, in
        the message that starts the flow, the one such order that holds the product it names ("裤子"
        of "我昨天买的裤子啥时候发货"). A product no offered order holds is looked for among older orders
        of the flow ("手环什么时候到" said at another flow's order question, too). Nothing when the
        words choose none or several (the order question is asked, or the message goes where it
        would have gone)."""
        if _is_a_typed_choice(tracker, self.form_name()):
            said, choose = with_product_titles(words_for_choosing(tracker.latest_message), dispatcher), pick
            product = _sole_product(tracker)
        else:
            product = _product_starting_the_flow(tracker, self.form_name())
            if product is None:
                return {}
            said, choose = product, named
        customer_id = token_customer(tracker)
        if customer_id is None:
            return {}

        def describe(order: OrderSummary) -> str:
            """What the words are matched against: the order as listed, with its Chinese titles too (the
            product words are Chinese in either language: "the T-shirt" is T恤)."""
            return f"{describe_order(order, domain)} {'、'.join(order.item_titles)}"

        narrowed_to = tracker.get_slot("order_product")
        forget = {}
        if product and narrowed_to not in (None, product):
            # a product named now replaces one an earlier request narrowed the orders to
            forget = {"order_product": None}
            tracker = with_slots(tracker, **forget)
        try:
            with shop_session(dispatcher) as session:
                orders = self.offered(session, customer_id, tracker)
                if product and not holds_any(orders, product, describe):
                    older = self.offered(session, customer_id, tracker, limit=ORDERS_SEARCHED_BY_PRODUCT)
                    if choose is named or holds_any(older, product, describe):
                        orders, said, choose = older, product, named
                if choose is named and not holds_any(orders, said, describe):
                    _say_why_its_order_is_not_offered(session, customer_id, said, self.form_name(), dispatcher, domain)
        except BackendUnavailable:
            return {}
        chosen = choose(orders, said, describe)
        if chosen is None and choose is named and len(tied(orders, said, describe)) > 1:
            return {"order_product": said}  # several orders hold it: the order question offers those
        if chosen is None and product and product != narrowed_to and len(tied(orders, product, describe)) > 1:
            return {**forget, "order_product": product}  # "T恤" typed at the question: offer just those
        if chosen is None:
            typed = words_for_choosing(tracker.latest_message)  # the shopper's words, not their product titles
            return {**forget, **(_no_single_order(orders, said, describe, dispatcher, typed) if choose is pick else {})}
        if choose is named:  # nobody asked which order: say which one this is
            dispatcher.utter_message(response="utter_order_chosen", order_no=chosen.order_no,
                                     order=describe_order(chosen, domain))
        return {**forget, "order_id": chosen.order_no}

    async def extract_item_id(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """"the white one" at the item question (returns, exchanges, missing items), read as a greeting:
        the slot's mappings skip greetings and thanks, but an English place, product, colour or size
        still chooses the item (validate_item_id)."""
        message = tracker.latest_message or {}
        intent = (message.get("intent") or {}).get("name")
        text = str(message.get("text") or "")
        if tracker.get_slot("requested_slot") != "item_id" or intent not in MISREAD_PLACES or text.startswith("/"):
            return {}
        return {"item_id": text} if is_a_misread_choice(message) else {}

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """The flow's own request said again at one of its questions ("我要退货" at the order question):
        the shopper is told the flow is under way and the question comes again. Rasa would otherwise
        reject the form (nothing filled) and find no rule for a request of the flow already running.
        A product that several orders hold (extract_order_id) is kept too: rasa_sdk keeps only the
        form's required slots.

        Another flow's request naming its own order, past this form's order question ("插一句 我另一单
        8800… 现在到哪了" during an exchange), is not this form's: the form rejects it (nothing of it is
        validated or kept) and the rules start that flow with that order.

        What the slots' validations check is remembered for this message only (checked_once)."""
        remembered = _CHECKED.set({})
        try:
            return await self._validation_events(dispatcher, tracker, domain)
        finally:
            _CHECKED.reset(remembered)

    async def _validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if self._switches_flow(tracker):
            return [ActionExecutionRejected(self.form_name())]
        extracted = tracker.slots_to_validate()
        events = await super().get_validation_events(dispatcher, tracker, domain)
        # Started in place of an unfinished form: that one is remembered, to be offered again later.
        from actions.paused_flows import interrupted_by, replaced_form  # they import this module

        events = [*events, *interrupted_by(tracker, self.form_name(), events)]
        if "order_product" in extracted:
            events = [*events, SlotSet("order_product", extracted["order_product"])]
        # A form starting in place of another has asked nothing yet: the requested slot is the other's.
        requested = None if replaced_form(tracker, self.form_name()) else tracker.get_slot("requested_slot")
        if requested and self._repeats_its_request(tracker) and not _fills_a_slot(events):
            dispatcher.utter_message(response="utter_flow_in_progress",
                                     flow=label(domain, "flow", self.form_name()))
            return [*events, SlotSet(requested, tracker.get_slot(requested))]
        if (requested and not dispatcher.messages and _answers_only_later_questions(events, requested)
                and await self._next_question(tracker, events, domain) == requested):
            # "XL" while the order is asked: kept for later, and the question comes again. Not when the
            # message answered the question another way (a colour at the size question): what comes next
            # (a confirmation) is no question again.
            dispatcher.utter_message(response="utter_noted_question_again")
        return events

    async def _next_question(self, tracker: Tracker, events: list[EventType], domain: DomainDict) -> str | None:
        """The slot the form asks for after these events: its first required slot still empty."""
        given = {event["name"]: event.get("value") for event in events if event.get("event") == "slot"}
        after = with_slots(tracker, **given)
        required = await self.required_slots(self.domain_slots(domain), CollectingDispatcher(), after, domain)
        return next((slot for slot in required if after.get_slot(slot) is None), None)

    def _switches_flow(self, tracker: Tracker) -> bool:
        from actions.paused_flows import slots_before_latest_message  # it imports this module

        message = tracker.latest_message or {}
        intent = (message.get("intent") or {}).get("name")
        requested = tracker.get_slot("requested_slot")
        if requested in (None, "order_id"):
            return False
        if intent not in FORM_INTENTS.values() or intent == FORM_INTENTS.get(self.form_name()):
            return False
        named = entity_value(message, "order_id")
        if named is None:
            return False
        # At the phone question, another order than the one being checked ("先帮我查下另一单 8800…") is
        # another request's too; the same one is this form's.
        return requested != "phone_last4" or str(named) != str(slots_before_latest_message(tracker).get("order_id"))

    def _repeats_its_request(self, tracker: Tracker) -> bool:
        message = tracker.latest_message or {}
        return (message.get("intent") or {}).get("name") == FORM_INTENTS.get(self.form_name())

    def offered(
        self, session: Session, customer_id: int, tracker: Tracker, limit: int = OFFERED_ORDERS
    ) -> list[OrderSummary]:
        """The orders this form offered as buttons (action_ask_order_id), in the same order; with a larger
        `limit`, older ones of the same kind after them."""
        return offered_orders(session, customer_id, self.form_name(), tracker=tracker, limit=limit)

    def validate_order_id(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:  # typed words fitted several offered orders, or none (extract_order_id said so)
            return {"order_id": None}
        order_no = re.sub(r"\D", "", str(value or ""))
        if not ORDER_NO.match(order_no):
            dispatcher.utter_message(response="utter_order_id_invalid")
            return {"order_id": None}
        customer_id = token_customer(tracker)
        if customer_id is None:
            return self._anonymous_order(order_no, dispatcher, tracker, domain)
        if not self._owns(customer_id, order_no, dispatcher):
            return {"order_id": None}
        if self._carried_in_and_unfit(order_no, customer_id, tracker, dispatcher):
            return {"order_id": None}  # the order question offers the orders this flow can take
        extra = self.after_order(order_no, customer_id, dispatcher, with_slots(tracker, order_id=order_no), domain)
        return {"order_id": order_no, **extra}

    def _anonymous_order(
        self, order_no: str, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Anonymous: the pair is checked only with digits typed for this order (in this message, or before
        any order was proved). Digits that proved an earlier order are never tried on a new one: its own
        digits are asked, and no failure is counted (shop.services.verification counts typed tries)."""
        from actions.paused_flows import slots_before_latest_message  # it imports this module

        last4 = tracker.get_slot("phone_last4")
        typed_now = _extracted_from_latest_message(tracker, "phone_last4")
        ask_digits = {"order_id": order_no, "phone_last4": None, "verified_customer_id": None}
        if typed_now and re.sub(r"\D", "", str(last4 or "")) == order_no:
            return ask_digits  # the order number typed (again) at the phone question: it replaces the order
        if not last4:
            return {"order_id": order_no, "verified_customer_id": None}
        if not typed_now and tracker.get_slot("verified_customer_id") is not None:
            # validated again as the form starts, these digits are not compared either (validate_phone_last4)
            if str(slots_before_latest_message(tracker).get("order_id")) == order_no:
                # the order these digits proved, named again: the flow's own checks of it still run
                remember(PAIR_CHECKED, (str(last4),), str(last4))
                customer_id = int(tracker.get_slot("verified_customer_id"))
                if self._carried_in_and_unfit(order_no, customer_id, tracker, dispatcher):
                    return {"order_id": None}
                return {"order_id": order_no, **self.after_order(order_no, customer_id, dispatcher, tracker, domain)}
            remember(PAIR_CHECKED, (str(last4),), None)
            return ask_digits
        return self._check_pair(order_no, str(last4), dispatcher, tracker, domain, keep_order=True)

    def validate_phone_last4(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        digits = re.sub(r"\D", "", str(value or ""))
        if ORDER_NO.match(digits) and digits == re.sub(r"\D", "", str(tracker.get_slot("order_id") or "")):
            return {"phone_last4": None}  # an order number, not a phone: validate_order_id took it
        if len(digits) < 4:
            dispatcher.utter_message(response="utter_phone_last4_invalid")  # the form asks again after it
            return {"phone_last4": None}
        order_no = tracker.get_slot("order_id")
        if not order_no:
            return {"phone_last4": digits[-4:]}
        known, last4 = earlier_verdict(PAIR_CHECKED, (digits[-4:],))
        if known and "order_id" in tracker.slots_to_validate():
            return {"phone_last4": last4}  # validate_order_id just checked this pair
        return self._check_pair(order_no, digits[-4:], dispatcher, tracker, domain, keep_order=False)

    def _check_pair(
        self, order_no: str, last4: str, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict,
        keep_order: bool,
    ) -> dict[str, Any]:
        result = self._verify_pair(order_no, last4, dispatcher, tracker, domain, keep_order)
        remember(PAIR_CHECKED, (last4,), result.get("phone_last4"))
        return result

    def _verify_pair(
        self, order_no: str, last4: str, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict,
        keep_order: bool,
    ) -> dict[str, Any]:
        try:
            with shop_session(dispatcher) as session:
                check = check_phone_last4(session, order_no, last4, client=client_address(tracker), clock=system_clock)
        except BackendUnavailable:
            return {"flow_blocked": True}
        except DomainError:  # not 4 digits
            dispatcher.utter_message(response="utter_phone_last4_invalid")
            return {"order_id": order_no, "phone_last4": None, "verified_customer_id": None}
        if check.locked and not check.matched:
            dispatcher.utter_message(response="utter_verify_locked")
            return {"flow_blocked": True, "phone_last4": None, "verified_customer_id": None}
        if not check.matched:
            dispatcher.utter_message(response="utter_verify_failed", remaining=check.remaining)
            # The order number is kept: "不好意思输错了 应该是1234" completes the check; another
            # order number said instead replaces it (validate_order_id).
            return {"order_id": order_no, "phone_last4": None, "verified_customer_id": None}
        customer_id = check.customer_id
        # the flow's own checks of the order read the shopper (and the order) this message has just proved
        verified = with_slots(tracker, order_id=order_no, verified_customer_id=customer_id)
        extra = self.after_order(order_no, customer_id, dispatcher, verified, domain)
        result = {"phone_last4": last4, "verified_customer_id": customer_id, **extra}
        if keep_order:
            result["order_id"] = order_no
        return result

    def _carried_in_and_unfit(
        self, order_no: str, customer_id: int, tracker: Tracker, dispatcher: CollectingDispatcher
    ) -> bool:
        """A flow started without naming an order has the last flow's order: when this flow cannot take
        it ("我要退货" after looking up a parcel on its way), it is not meant; which order is asked."""
        from actions.paused_flows import resumed_now, slots_before_latest_message  # it imports this module

        if entity_value(tracker.latest_message or {}, "order_id") is not None or resumed_now(tracker):
            return False  # named, or the resumed flow's own order: judged by the flow (已经取消了…)
        if str(slots_before_latest_message(tracker).get("order_id")) != order_no:
            return False
        try:
            with shop_session(dispatcher) as session:
                order = get_order_detail(session, customer_id, order_no, clock=system_clock)
        except (BackendUnavailable, DomainError):
            return False  # the flow's own checks say what is wrong
        return why_flow_cannot_take(flow_of(self.form_name()), order) is not None

    @staticmethod
    def _owns(customer_id: int, order_no: str, dispatcher: CollectingDispatcher) -> bool:
        try:
            with shop_session(dispatcher) as session:
                check_order_owner(session, customer_id, order_no)
        except BackendUnavailable:
            return False
        except DomainError:
            dispatcher.utter_message(response="utter_order_not_found")
            return False
        return True

    def flow_required_slots(self, tracker: Tracker) -> list[str]:
        """The flow's own questions once order and identity are settled; forms override it."""
        return list(self.flow_slots)

    def after_order(
        self, order_no: str, customer_id: int, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Hook for flows that check the order as soon as it is known (slots to set)."""
        return {}
