"""开发票: one invoice per paid order; an existing one is shown (with its status) instead of asking again,
unless the shopper asked to correct it (换开: the invoice_change entity), which asks for the new details."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.orm import Session

from actions.backend import BackendUnavailable, say_refusal, shop_session
from actions.free_text import say_why_refused
from actions.order_forms import (
    OFFERED_ORDERS,
    OrderFormValidation,
    confirmed_customer,
    load_order,
    offered_orders,
    reset_flow_events,
)
from actions.orders import ActionAskOrderId
from actions.satisfaction import offer_rating
from actions.wording import label, when
from shop.clock import system_clock
from shop.errors import DomainError
from shop.services.eligibility import why_flow_cannot_take
from shop.services.invoices import (
    change_invoice,
    check_email,
    check_tax_no,
    check_title,
    invoice_status,
    request_invoice,
)
from shop.services.views import InvoiceChangeView, InvoiceView, OrderSummary

# Typed answers to "个人还是企业?" (the buttons send the codes themselves).
KIND_WORDS = {"company": ("企业", "公司", "单位", "专票", "company"), "personal": ("个人", "自己", "personal")}
TITLE_PREFIX = re.compile(r"^\s*(发票)?(抬头)?(名称)?\s*(写|是|为|开|填)?\s*[:：]?\s*")
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
TAX_NO = re.compile(r"(?<![0-9A-Za-z])[0-9A-Za-z]{15,20}(?![0-9A-Za-z])")
SPACES = re.compile(r"\s+")
# "发票开好了吗", "发票怎么还没收到", "has my invoice been issued": a question about an invoice already asked
# for, not a new request.
STATUS_QUESTION = re.compile(
    r"开好|开出来|开了[吗没么]|好了[吗没么]|发了[吗没么]|怎么还没|还没(收到|开|发)|没收到|什么时候(能)?[开发到]|进度|到哪|"
    r"\b(?:been|was|is it|got)\s+(?:issued|sent|ready)|\bnot\s+(?:got|received|issued)|\bstill\s+(?:no|waiting)|"
    r"\bstatus\b|\bwhere(?:'s| is)\s+(?:my|the)\s+invoice|\bwhen\s+will\b",
    re.IGNORECASE,
)


def kind_of(value: Any) -> str | None:
    text = str(value or "").strip().lower()
    if text in KIND_WORDS:
        return text
    for kind, words in KIND_WORDS.items():
        if any(word in text for word in words):
            return kind
    return None


def kind_said(text: str) -> dict[str, Any]:
    """The title kind the request itself names ("抬头要改成公司", "开个人发票"), as the slot to set; nothing
    when it names neither, or both ("我自己公司的"): then it is asked."""
    kinds = [kind for kind, words in KIND_WORDS.items() if any(word in text.lower() for word in words)]
    return {"invoice_kind": kinds[0]} if len(kinds) == 1 else {}


def flow_start_text(tracker: Tracker, form: str) -> str:
    """The shopper's message that started `form` (the last user message before the form's activation)."""
    started = False
    for event in reversed(tracker.events):
        if event.get("event") == "active_loop" and event.get("name") == form:
            started = True
        elif started and event.get("event") == "user":
            return str(event.get("text") or "")
    return str((tracker.latest_message or {}).get("text") or "")


def mask_email(email: str) -> str:
    """"zhangsan@example.com" -> "zh***@example.com" (shown when the status is looked up later)."""
    name, _, host = email.partition("@")
    return f"{name[:2]}***@{host}" if host else "***"


def invoice_params(invoice: InvoiceView, domain: DomainDict) -> dict[str, Any]:
    return {
        "order_no": invoice.order_no,
        "kind": label(domain, "invoice_kind", invoice.kind),
        "title": invoice.title,
        "status": label(domain, "invoice_status", invoice.status),
        "email": mask_email(invoice.email),
    }


def wants_change(tracker: Tracker) -> bool:
    return bool(tracker.get_slot("invoice_change"))


def asks_status(tracker: Tracker) -> bool:
    """The flow was started by a question about an invoice's progress."""
    return bool(STATUS_QUESTION.search(flow_start_text(tracker, "invoice_form")))


def show_status(invoice: InvoiceView, dispatcher: CollectingDispatcher, domain: DomainDict) -> None:
    issued = ""
    if invoice.issued_at:
        issued = label(domain, "invoice", "issued").replace("{issued_at}", when(invoice.issued_at))
    change = label(domain, "invoice_change", "pending") if invoice.change_pending else ""
    dispatcher.utter_message(response="utter_invoice_status", requested_at=when(invoice.requested_at),
                             issued=issued, change=change, **invoice_params(invoice, domain))


def confirm_invoice(tracker: Tracker, dispatcher: CollectingDispatcher, domain: DomainDict) -> None:
    """The confirmation question (asked by action_ask_confirmed): the slots as they will be sent."""
    kind = tracker.get_slot("invoice_kind") or "personal"
    tax_part = ""
    if kind == "company":
        tax_part = label(domain, "invoice", "tax_no").replace("{tax_no}", str(tracker.get_slot("tax_no")))
    response = "utter_confirm_invoice_change" if wants_change(tracker) else "utter_confirm_invoice"
    dispatcher.utter_message(
        response=response, order_no=tracker.get_slot("order_id"),
        kind=label(domain, "invoice_kind", kind), title=tracker.get_slot("invoice_title"),
        tax_part=tax_part, email=tracker.get_slot("email"),
    )


def invoice_form_orders(
    session: Session, customer_id: int, tracker: Tracker, limit: int = OFFERED_ORDERS
) -> list[OrderSummary]:
    """The orders offered: to correct an invoice or ask about one, those that have one (if any); else
    the paid ones."""
    if wants_change(tracker) or asks_status(tracker):
        invoiced = offered_orders(session, customer_id, "invoice_form", invoiced=True, tracker=tracker, limit=limit)
        if invoiced:
            return invoiced
    return offered_orders(session, customer_id, "invoice_form", tracker=tracker, limit=limit)


class ActionAskInvoiceFormOrderId(ActionAskOrderId):
    """Which order to invoice. A shopper who just asked "能开发票吗" first hears that invoices are issued
    (personal or company title), then is asked for the order as every other form asks (buttons with a token).
    One who asked to correct an invoice is offered the orders that have one."""

    def name(self) -> str:
        return "action_ask_invoice_form_order_id"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if intent == "request_invoice" and not wants_change(tracker) and not asks_status(tracker):
            dispatcher.utter_message(response="utter_invoice_intro")
        return await super().run(dispatcher, tracker, domain)

    def offered(self, session: Session, customer_id: int, tracker: Tracker) -> list[OrderSummary]:
        return invoice_form_orders(session, customer_id, tracker)


class ValidateInvoiceForm(OrderFormValidation):
    def name(self) -> str:
        return "validate_invoice_form"

    def offered(
        self, session: Session, customer_id: int, tracker: Tracker, limit: int = OFFERED_ORDERS
    ) -> list[OrderSummary]:
        return invoice_form_orders(session, customer_id, tracker, limit)

    def flow_required_slots(self, tracker: Tracker) -> list[str]:
        tax_no = ["tax_no"] if tracker.get_slot("invoice_kind") == "company" else []
        return ["invoice_kind", "invoice_title", *tax_no, "email", "confirmed"]

    def after_order(
        self, order_no: str, customer_id: int, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """An existing invoice is shown rather than asked for again; unpaid orders get none."""
        try:
            with shop_session(dispatcher) as session:
                invoice = invoice_status(session, customer_id, order_no)
        except DomainError:
            dispatcher.utter_message(response="utter_order_not_found")
            return {"flow_blocked": True}
        except BackendUnavailable:
            return {"flow_blocked": True}
        if invoice is not None and wants_change(tracker):
            issued = invoice.status != "requested"
            response = "utter_invoice_change_reissue" if issued else "utter_invoice_change_before_issue"
            dispatcher.utter_message(response=response, order_no=order_no)
            return self._kind_from_request(tracker)
        if invoice is not None:
            show_status(invoice, dispatcher, domain)
            return {"flow_blocked": True}
        order = load_order(tracker, dispatcher, order_no=order_no)
        if order is None:
            return {"flow_blocked": True}
        if why_flow_cannot_take("invoice", order) == "not_paid":
            dispatcher.utter_message(response="utter_invoice_not_paid", order_no=order_no)
            return {"flow_blocked": True}
        kind = self._kind_from_request(tracker)
        if not wants_change(tracker):
            if asks_status(tracker):  # "发票开好了吗" with none asked for: say so before asking
                dispatcher.utter_message(response="utter_invoice_none_yet", order_no=order_no)
            return kind
        # No invoice yet: a first request, whatever the words were.
        dispatcher.utter_message(response="utter_invoice_change_none", order_no=order_no)
        return {"invoice_change": None, **kind}

    def _kind_from_request(self, tracker: Tracker) -> dict[str, Any]:
        if tracker.get_slot("invoice_kind"):
            return {}
        return kind_said(flow_start_text(tracker, self.form_name()))

    def validate_invoice_kind(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        kind = kind_of(value)
        if kind is None:
            dispatcher.utter_message(response="utter_invoice_kind_invalid")
        return {"invoice_kind": kind}

    def validate_invoice_title(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        try:
            return {"invoice_title": check_title(TITLE_PREFIX.sub("", str(value or "")))}
        except DomainError as error:  # asked again after saying what is wrong
            say_why_refused(error, dispatcher, domain, otherwise="utter_invoice_title_invalid")
            return {"invoice_title": None}

    def validate_tax_no(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        try:
            return {"tax_no": check_tax_no(typed_tax_no(str(value or "")))}
        except DomainError as error:
            say_why_refused(error, dispatcher, domain, otherwise="utter_tax_no_invalid")
            return {"tax_no": None}

    def validate_email(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        found = EMAIL.search(str(value or ""))
        try:
            return {"email": check_email(found.group(0) if found else "")}
        except DomainError as error:
            say_why_refused(error, dispatcher, domain, otherwise="utter_email_invalid")
            return {"email": None}


def typed_tax_no(text: str) -> str:
    """The tax number in the words: a run of 15-20 letters and digits as typed ("our tax id is 9111…"), else
    once spaces are removed (typed in groups: 9111 0108 MA01 ABCD 2X); the words around it never join it."""
    for candidate in (text, SPACES.sub("", text)):
        found = [run for run in TAX_NO.findall(candidate) if re.search(r"\d", run)]
        if found:
            return found[0]
    return ""


class ActionSubmitInvoice(Action):
    def name(self) -> str:
        return "action_submit_invoice"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        customer_id = confirmed_customer(tracker)
        order_no = tracker.get_slot("order_id")
        if customer_id is None:
            return reset_flow_events()
        kind = tracker.get_slot("invoice_kind")
        details = {"kind": kind, "title": tracker.get_slot("invoice_title"),
                   "tax_no": tracker.get_slot("tax_no") if kind == "company" else None,
                   "email": tracker.get_slot("email")}
        submit = change_invoice if wants_change(tracker) else request_invoice
        try:
            with shop_session(dispatcher) as session:
                result = submit(session, customer_id, order_no, **details, clock=system_clock)
        except DomainError as error:
            if error.code == "invalid_input" and error.details.get("field") in ("title", "tax_no", "email"):
                field = str(error.details["field"])
                invalid = "utter_invoice_title_invalid" if field == "title" else f"utter_{field}_invalid"
                say_why_refused(error, dispatcher, domain, otherwise=invalid)
            else:
                say_refusal(error, dispatcher, {"not_paid": "utter_invoice_not_paid"}, order_no=order_no)
            return reset_flow_events()
        except BackendUnavailable:
            return reset_flow_events()
        if isinstance(result, InvoiceChangeView):
            return self._changed(result, dispatcher, tracker, domain)
        params = invoice_params(result, domain)
        if result.created:
            dispatcher.utter_message(response="utter_invoice_created", **{**params, "email": result.email})
        else:
            dispatcher.utter_message(response="utter_invoice_exists", **params)
        return reset_flow_events() + (offer_rating(tracker) if result.created else [])

    @staticmethod
    def _changed(
        change: InvoiceChangeView, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        response = "utter_invoice_change_same" if change.outcome == "unchanged" else f"utter_invoice_{change.outcome}"
        dispatcher.utter_message(response=response, order_no=change.order_no, title=change.title,
                                 kind=label(domain, "invoice_kind", change.kind), email=change.email)
        return reset_flow_events() + ([] if change.outcome == "unchanged" else offer_rating(tracker))
