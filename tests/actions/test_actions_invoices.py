"""开发票: personal/company forms, tax number and e-mail checks, one invoice per order, its status, 换开."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from actions_testkit import (
    all_text,
    assert_flow_reset,
    count_rows,
    make_tracker,
    message,
    names,
    required_slots,
    run_action,
    token_for,
    user_event,
    validate,
)
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select, update

from actions.confirm import ActionAskConfirmed
from actions.invoices import ActionAskInvoiceFormOrderId, ActionSubmitInvoice, ValidateInvoiceForm
from shop.clock import system_clock
from shop.db import make_engine, session_scope
from shop.models import Invoice, InvoiceChange, Order
from shop.seed import DEMO_ORDERS, OTHER_CUSTOMER_ORDERS

pytestmark = pytest.mark.usefixtures("shop_db")

COMPLETED = DEMO_ORDERS["completed"]
ISSUED = DEMO_ORDERS["delivered_in_window"]  # seeded with an issued personal invoice
TAX_NO = "91110108MA01ABCD2X"


def form_tracker(**slots: Any) -> Tracker:
    return make_tracker(slots, token=token_for(1), active_loop="invoice_form")


def invoices() -> int:
    """Invoices requested by the tests (the seed's issued one on ISSUED left out)."""
    return count_rows(Invoice, Invoice.order_id != select(Order.id).where(Order.order_no == ISSUED).scalar_subquery())


def filled(kind: str = "personal", **extra: Any) -> Tracker:
    slots = {"order_id": COMPLETED, "invoice_kind": kind, "invoice_title": "张三", "email": "zs@163.com"}
    if kind == "company":
        slots.update(invoice_title="北京小二科技有限公司", tax_no=TAX_NO)
    return form_tracker(**{**slots, **extra})


def test_personal_invoice_happy_path_once(domain: dict[str, Any]) -> None:
    form = ValidateInvoiceForm()
    tracker = form_tracker()
    dispatcher, result = validate(form, "order_id", COMPLETED, tracker, domain)
    assert dispatcher.messages == [] and result == {"order_id": COMPLETED}
    assert required_slots(form, tracker, domain) == ["order_id", "invoice_kind", "invoice_title", "email",
                                                     "confirmed"]
    assert validate(form, "invoice_kind", "个人", tracker, domain)[1] == {"invoice_kind": "personal"}
    assert validate(form, "invoice_title", "抬头：张三", tracker, domain)[1] == {"invoice_title": "张三"}
    assert validate(form, "email", "邮箱 zs@163.com", tracker, domain)[1] == {"email": "zs@163.com"}
    dispatcher, _ = run_action(ActionAskConfirmed(), tracker, domain)
    reply = message(dispatcher, "utter_confirm_invoice")
    assert (reply["kind"], reply["title"], reply["tax_part"], reply["email"]) == ("个人", "张三", "", "zs@163.com")
    tracker.slots["confirmed"] = True
    dispatcher, events = run_action(ActionSubmitInvoice(), tracker, domain)
    assert names(dispatcher) == ["utter_invoice_created"]
    assert message(dispatcher, "utter_invoice_created")["email"] == "zs@163.com"
    assert_flow_reset(events)
    dispatcher, _ = run_action(ActionSubmitInvoice(), tracker, domain)
    assert names(dispatcher) == ["utter_invoice_exists"]
    assert message(dispatcher, "utter_invoice_exists")["status"] == "开具中"
    assert invoices() == 1


def test_company_invoice_needs_a_valid_tax_number(domain: dict[str, Any]) -> None:
    form = ValidateInvoiceForm()
    tracker = form_tracker(order_id=COMPLETED)
    assert validate(form, "invoice_kind", "company", tracker, domain)[1] == {"invoice_kind": "company"}
    assert "tax_no" in required_slots(form, tracker, domain)
    for bad in ("9111010", "税号是123456", "91110108MA01ABCI2X", "911101O8MA01ABCD2X"):
        dispatcher, result = validate(form, "tax_no", bad, tracker, domain)
        assert names(dispatcher) == ["utter_tax_no_invalid"] and result == {"tax_no": None}, bad
    for good in ("税号 91110108ma01abcd2x", "our tax id is 91110108MA01ABCD2X", "tax ID: 9111 0108 MA01 ABCD 2X"):
        dispatcher, result = validate(form, "tax_no", good, tracker, domain)
        assert dispatcher.messages == [] and result == {"tax_no": TAX_NO}, good
    tracker = filled("company")
    dispatcher, _ = run_action(ActionAskConfirmed(), tracker, domain)
    reply = message(dispatcher, "utter_confirm_invoice")
    assert (reply["kind"], reply["tax_part"]) == ("企业", f"，税号 {TAX_NO}")
    tracker.slots["confirmed"] = True
    dispatcher, _ = run_action(ActionSubmitInvoice(), tracker, domain)
    assert names(dispatcher) == ["utter_invoice_created"]
    assert invoices() == 1


def test_company_invoice_with_a_bad_tax_number_is_refused_by_the_backend(domain: dict[str, Any]) -> None:
    dispatcher, _ = run_action(ActionSubmitInvoice(), filled("company", tax_no="123", confirmed=True), domain)
    assert names(dispatcher) == ["utter_tax_no_invalid"]
    assert invoices() == 0


@pytest.mark.parametrize(("slot", "value", "response"), [
    ("invoice_kind", "随便吧", "utter_invoice_kind_invalid"),
    ("invoice_title", "抬头：", "utter_invoice_title_invalid"),
    ("invoice_title", "字" * 101, "utter_text_too_long"),  # says what is wrong (issue 28, point 6)
    ("email", "邮箱是abc", "utter_email_invalid"),
    ("email", "zs@163", "utter_email_invalid"),
])
def test_bad_answers_are_asked_again(slot: str, value: str, response: str, domain: dict[str, Any]) -> None:
    dispatcher, result = validate(ValidateInvoiceForm(), slot, value, form_tracker(order_id=COMPLETED), domain)
    assert names(dispatcher) == [response] and result == {slot: None}


@pytest.mark.parametrize("word", ["企业", "公司抬头", "开公司的"])
def test_typed_company_kind(word: str, domain: dict[str, Any]) -> None:
    assert validate(ValidateInvoiceForm(), "invoice_kind", word, form_tracker(), domain)[1] == {
        "invoice_kind": "company"}


def test_existing_invoice_status_is_shown_instead_of_asking(domain: dict[str, Any]) -> None:
    run_action(ActionSubmitInvoice(), filled(confirmed=True), domain)
    form = ValidateInvoiceForm()
    tracker = form_tracker()
    dispatcher, result = validate(form, "order_id", COMPLETED, tracker, domain)
    assert names(dispatcher) == ["utter_invoice_status"]
    reply = message(dispatcher, "utter_invoice_status")
    assert (reply["kind"], reply["title"], reply["status"], reply["issued"]) == ("个人", "张三", "开具中", "")
    assert reply["email"] == "zs***@163.com" and "zs@163.com" not in all_text(dispatcher)
    assert result == {"order_id": COMPLETED, "flow_blocked": True}
    assert required_slots(form, tracker, domain) == []
    with session_scope(make_engine()) as session:
        session.execute(update(Invoice).values(status="issued", issued_at=system_clock()))
    dispatcher, _ = validate(form, "order_id", COMPLETED, form_tracker(), domain)
    reply = message(dispatcher, "utter_invoice_status")
    assert reply["status"] == "已开具" and reply["issued"].endswith("已开具")


@pytest.mark.parametrize("order_key", ["awaiting_payment", "cancelled", "payment_failed"])
def test_unpaid_orders_get_no_invoice(order_key: str, domain: dict[str, Any]) -> None:
    order_no = DEMO_ORDERS[order_key]
    dispatcher, result = validate(ValidateInvoiceForm(), "order_id", order_no, form_tracker(), domain)
    assert names(dispatcher) == ["utter_invoice_not_paid"]
    assert result == {"order_id": order_no, "flow_blocked": True}
    dispatcher, _ = run_action(ActionSubmitInvoice(), filled(order_id=order_no, confirmed=True), domain)
    assert names(dispatcher) == ["utter_invoice_not_paid"]
    assert invoices() == 0


@pytest.mark.parametrize("extra", [{"confirmed": None}, {"confirmed": False},
                                   {"confirmed": True, "flow_blocked": True}])
def test_invoice_not_confirmed_writes_nothing(extra: dict[str, Any], domain: dict[str, Any]) -> None:
    dispatcher, events = run_action(ActionSubmitInvoice(), filled(**extra), domain)
    assert dispatcher.messages == []
    assert_flow_reset(events)
    assert invoices() == 0


def test_someone_elses_order_is_not_found(domain: dict[str, Any]) -> None:
    order_no = OTHER_CUSTOMER_ORDERS["delivered_in_window"]
    dispatcher, result = validate(ValidateInvoiceForm(), "order_id", order_no, form_tracker(), domain)
    assert names(dispatcher) == ["utter_order_not_found"] and result == {"order_id": None}
    dispatcher, _ = run_action(ActionSubmitInvoice(), filled(order_id=order_no, confirmed=True), domain)
    assert names(dispatcher) == ["utter_order_not_found"]
    assert invoices() == 0


def test_anonymous_shopper_sees_labels_after_the_phone_check(domain: dict[str, Any]) -> None:
    run_action(ActionSubmitInvoice(), filled(confirmed=True), domain)
    form = ValidateInvoiceForm()
    tracker = make_tracker(active_loop="invoice_form")
    validate(form, "order_id", COMPLETED, tracker, domain)
    dispatcher, result = validate(form, "phone_last4", "1234", tracker, domain)
    assert message(dispatcher, "utter_invoice_status")["kind"] == "个人"  # a label, not "personal"
    assert result["flow_blocked"] is True


# --- a bare "能开发票吗": the form asks for the order, after saying that invoices are issued --------

def test_bare_invoice_question_hears_the_policy_then_the_order_question(domain: dict[str, Any]) -> None:
    tracker = make_tracker(events=[user_event("能开发票吗", "request_invoice")], active_loop="invoice_form")
    dispatcher, events = run_action(ActionAskInvoiceFormOrderId(), tracker, domain)
    assert names(dispatcher) == ["utter_invoice_intro", "utter_ask_order_id"]
    assert events == []


def test_order_asked_again_without_the_policy(domain: dict[str, Any]) -> None:
    tracker = make_tracker(events=[user_event("123", "inform")], active_loop="invoice_form")
    dispatcher, _ = run_action(ActionAskInvoiceFormOrderId(), tracker, domain)
    assert names(dispatcher) == ["utter_ask_order_id"]


def test_identified_shopper_gets_order_buttons_after_the_policy(domain: dict[str, Any]) -> None:
    token = token_for(1)
    event = user_event("可以开票吗", "request_invoice", token=token)
    tracker = make_tracker(events=[event], active_loop="invoice_form")
    dispatcher, _ = run_action(ActionAskInvoiceFormOrderId(), tracker, domain)
    assert names(dispatcher) == ["utter_invoice_intro", "utter_choose_order"]


# --- 换开: "发票开错了 要重开" corrects the order's invoice ------------------------------------------

def invoice_changes() -> int:
    return count_rows(InvoiceChange)


def test_issued_invoice_is_reissued_once(domain: dict[str, Any]) -> None:
    form = ValidateInvoiceForm()
    tracker = form_tracker(invoice_change="重开")
    dispatcher, result = validate(form, "order_id", ISSUED, tracker, domain)
    assert names(dispatcher) == ["utter_invoice_change_reissue"] and result == {"order_id": ISSUED}
    assert required_slots(form, tracker, domain)[1:] == ["invoice_kind", "invoice_title", "email", "confirmed"]
    tracker = filled("company", order_id=ISSUED, invoice_change="重开")
    dispatcher, _ = run_action(ActionAskConfirmed(), tracker, domain)
    reply = message(dispatcher, "utter_confirm_invoice_change")
    assert (reply["title"], reply["tax_part"]) == ("北京小二科技有限公司", f"，税号 {TAX_NO}")
    tracker.slots["confirmed"] = True
    dispatcher, events = run_action(ActionSubmitInvoice(), tracker, domain)
    assert names(dispatcher) == ["utter_invoice_reissue_requested"]
    assert message(dispatcher, "utter_invoice_reissue_requested")["kind"] == "企业"
    assert_flow_reset(events)
    dispatcher, _ = run_action(ActionSubmitInvoice(), tracker, domain)
    assert names(dispatcher) == ["utter_invoice_change_same"]
    assert invoice_changes() == 1 and invoices() == 0
    dispatcher, _ = validate(form, "order_id", ISSUED, form_tracker(), domain)
    reply = message(dispatcher, "utter_invoice_status")
    assert (reply["title"], reply["status"], reply["change"]) == ("张三", "已开具", "；换开申请处理中")


def test_invoice_not_issued_yet_is_corrected(domain: dict[str, Any]) -> None:
    run_action(ActionSubmitInvoice(), filled(confirmed=True), domain)
    dispatcher, result = validate(ValidateInvoiceForm(), "order_id", COMPLETED,
                                  form_tracker(invoice_change="开错"), domain)
    assert names(dispatcher) == ["utter_invoice_change_before_issue"] and result == {"order_id": COMPLETED}
    tracker = filled("company", invoice_change="开错", confirmed=True)
    dispatcher, _ = run_action(ActionSubmitInvoice(), tracker, domain)
    assert names(dispatcher) == ["utter_invoice_corrected"]
    with session_scope(make_engine()) as session:
        order_id = select(Order.id).where(Order.order_no == COMPLETED).scalar_subquery()
        invoice = session.execute(select(Invoice).where(Invoice.order_id == order_id)).scalar_one()
        assert (invoice.kind, invoice.tax_no, invoice.status) == ("company", TAX_NO, "requested")
    assert invoices() == 1 and invoice_changes() == 0


def test_change_words_without_an_invoice_make_a_first_request(domain: dict[str, Any]) -> None:
    dispatcher, result = validate(ValidateInvoiceForm(), "order_id", COMPLETED,
                                  form_tracker(invoice_change="换开"), domain)
    assert names(dispatcher) == ["utter_invoice_change_none"]
    assert result == {"order_id": COMPLETED, "invoice_change": None}
    unpaid = DEMO_ORDERS["awaiting_payment"]  # nothing to invoice: only that, no "apply afresh" first
    dispatcher, _ = validate(ValidateInvoiceForm(), "order_id", unpaid, form_tracker(invoice_change="换开"), domain)
    assert names(dispatcher) == ["utter_invoice_not_paid"]


def test_issued_invoice_status_offers_the_change(domain: dict[str, Any]) -> None:
    dispatcher, result = validate(ValidateInvoiceForm(), "order_id", ISSUED, form_tracker(), domain)
    reply = message(dispatcher, "utter_invoice_status")
    assert (reply["status"], reply["change"]) == ("已开具", "") and result["flow_blocked"] is True
    assert invoice_changes() == 0


@pytest.mark.parametrize("extra", [{"confirmed": False}, {"confirmed": True, "tax_no": "123"}])
def test_invoice_change_not_confirmed_or_invalid_writes_nothing(extra: dict[str, Any], domain: dict[str, Any]) -> None:
    tracker = filled("company", order_id=ISSUED, invoice_change="重开", **extra)
    dispatcher, _ = run_action(ActionSubmitInvoice(), tracker, domain)
    assert names(dispatcher) == ([] if not extra["confirmed"] else ["utter_tax_no_invalid"])
    assert invoice_changes() == 0


def test_to_correct_an_invoice_the_invoiced_orders_are_offered(domain: dict[str, Any]) -> None:
    token = token_for(1)
    event = user_event("发票开错了要重开", "request_invoice", token=token)
    tracker = make_tracker({"invoice_change": "开错"}, events=[event], active_loop="invoice_form")
    dispatcher, _ = run_action(ActionAskInvoiceFormOrderId(), tracker, domain)
    assert names(dispatcher) == ["utter_choose_order"]  # no "invoices can be issued" first
    assert [button["payload"] for button in dispatcher.messages[0]["buttons"]] == [
        f'/inform{{"order_id": "{ISSUED}"}}']
    typed = make_tracker({"invoice_change": "开错", "requested_slot": "order_id"},
                         events=[user_event("第一个", "inform", token=token)], active_loop="invoice_form")
    assert asyncio.run(ValidateInvoiceForm().extract_order_id(CollectingDispatcher(), typed, domain)) == {
        "order_id": ISSUED}
    tracker.slots["invoice_change"] = None  # a plain request: the paid orders, after the intro
    dispatcher, _ = run_action(ActionAskInvoiceFormOrderId(), tracker, domain)
    assert names(dispatcher) == ["utter_invoice_intro", "utter_choose_order"]
    assert len(dispatcher.messages[1]["buttons"]) > 1


@pytest.mark.parametrize(("said", "change", "expected"), [
    ("我要开公司发票", None, {"invoice_kind": "company"}),
    ("开个人发票", None, {"invoice_kind": "personal"}),
    ("我自己公司的发票", None, {}),  # both kinds' words: asked
    ("能开发票吗", None, {}),
    ("发票抬头写错了要改成公司", "写错", {"invoice_change": None, "invoice_kind": "company"}),  # none yet
])
def test_the_title_kind_named_in_the_request_is_not_asked(
    said: str, change: str | None, expected: dict[str, Any], domain: dict[str, Any],
) -> None:
    token = token_for(1)
    events = [user_event(said, "request_invoice", token=token), {"event": "active_loop", "name": "invoice_form"},
              user_event(COMPLETED, "inform", [{"entity": "order_id", "value": COMPLETED}], token=token)]
    tracker = make_tracker({"invoice_change": change}, events=events, token=token, active_loop="invoice_form")
    _, result = validate(ValidateInvoiceForm(), "order_id", COMPLETED, tracker, domain)
    assert result == {"order_id": COMPLETED, **expected}


# --- "发票开好了吗": a question about an invoice, not a new request ----------------------------------

def status_question(text: str = "发票开好了吗", **slots: Any) -> Tracker:
    return make_tracker(slots, events=[user_event(text, "request_invoice", token=token_for(1))],
                        active_loop="invoice_form")


@pytest.mark.parametrize("text", ["发票开好了吗", "发票怎么还没收到", "我的发票开了没", "发票什么时候能开出来"])
def test_a_status_question_offers_the_invoiced_orders_without_the_policy(text: str, domain: dict[str, Any]) -> None:
    dispatcher, _ = run_action(ActionAskInvoiceFormOrderId(), status_question(text), domain)
    assert names(dispatcher) == ["utter_choose_order"]
    assert [button["payload"] for button in dispatcher.messages[0]["buttons"]] == [
        f'/inform{{"order_id": "{ISSUED}"}}']


def test_a_status_question_shows_the_invoice_or_says_there_is_none_yet(domain: dict[str, Any]) -> None:
    dispatcher, result = validate(ValidateInvoiceForm(), "order_id", ISSUED, status_question(), domain)
    assert names(dispatcher) == ["utter_invoice_status"] and result["flow_blocked"] is True
    dispatcher, result = validate(ValidateInvoiceForm(), "order_id", COMPLETED, status_question(), domain)
    assert names(dispatcher) == ["utter_invoice_none_yet"] and result == {"order_id": COMPLETED}
    assert message(dispatcher, "utter_invoice_none_yet")["order_no"] == COMPLETED
    dispatcher, _ = validate(ValidateInvoiceForm(), "order_id", COMPLETED, status_question("我要开发票"), domain)
    assert names(dispatcher) == []  # a plain request: straight to its questions
    assert invoices() == 0
