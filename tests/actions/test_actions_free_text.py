"""Free text stays text (issue 28, point 6): a typed answer the shop cannot store is refused, the shopper
hears what is wrong, the same question comes again (the slot stays empty), and nothing is written."""

from __future__ import annotations

from typing import Any

import pytest
from actions_testkit import count_rows, make_tracker, message, names, run_action, token_for, validate
from rasa_sdk import Tracker
from sqlalchemy import select

from actions.address import ActionSubmitAddress, ValidateAddressForm
from actions.invoices import ActionSubmitInvoice, ValidateInvoiceForm
from actions.satisfaction import ValidateSatisfactionForm
from shop.models import AddressChange, Invoice, Order
from shop.seed import DEMO_ORDERS

pytestmark = pytest.mark.usefixtures("shop_db")

COMPLETED, PACKING = DEMO_ORDERS["completed"], DEMO_ORDERS["packing"]
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
SQL = "'; DROP TABLE orders;--"
#: (typed answer, the response saying what is wrong)
TITLES = [(SCRIPT, "utter_text_markup"), (IMG, "utter_text_markup"), (SQL, "utter_text_symbols"),
          ("长" * 10_000, "utter_text_too_long"), ("张三\x00公司", "utter_text_control"),
          ("😀😀😀", "utter_text_symbols")]


def invoice_tracker(**slots: Any) -> Tracker:
    return make_tracker({"order_id": COMPLETED, "invoice_kind": "personal", **slots}, token=token_for(1),
                        active_loop="invoice_form")


@pytest.mark.parametrize(("typed", "response"), TITLES)
def test_an_invoice_title_that_cannot_be_stored_is_asked_again_saying_why(
    typed: str, response: str, domain: dict[str, Any]
) -> None:
    dispatcher, result = validate(ValidateInvoiceForm(), "invoice_title", typed, invoice_tracker(), domain)
    assert names(dispatcher) == [response] and result == {"invoice_title": None}
    assert message(dispatcher, response)["field"] == "发票抬头"
    assert "<" not in str(dispatcher.messages) and "script" not in str(dispatcher.messages)
    if response == "utter_text_too_long":
        assert message(dispatcher, response)["max_len"] == "100"


def test_an_email_with_markup_is_read_for_its_address_only(domain: dict[str, Any]) -> None:
    dispatcher, result = validate(ValidateInvoiceForm(), "email", "zs@163.com<script>", invoice_tracker(), domain)
    assert result == {"email": "zs@163.com"}
    dispatcher, result = validate(ValidateInvoiceForm(), "email", SCRIPT, invoice_tracker(), domain)
    assert names(dispatcher) == ["utter_email_invalid"] and result == {"email": None}


def test_a_title_that_reached_the_submit_unvalidated_is_refused_and_nothing_is_written(
    domain: dict[str, Any]
) -> None:
    """Slots can be set through Rasa's HTTP API: the shop's own check is what holds."""
    tracker = invoice_tracker(invoice_title=SCRIPT, email="zs@163.com", confirmed=True)
    dispatcher, _ = run_action(ActionSubmitInvoice(), tracker, domain)
    assert names(dispatcher) == ["utter_text_markup"]
    assert count_rows(Invoice, Invoice.order_id == select(Order.id).where(Order.order_no == COMPLETED)
                      .scalar_subquery()) == 0


def address_tracker(**slots: Any) -> Tracker:
    return make_tracker({"order_id": PACKING, **slots}, token=token_for(1), active_loop="address_form")


@pytest.mark.parametrize(("street", "response"), [("文三路100号<script>", "utter_text_markup"),
                                                  ("文三路100号=1 OR 1=1", "utter_text_symbols"),
                                                  ("文三路100号\x00", "utter_text_control")])
def test_an_address_that_cannot_be_stored_is_asked_again_naming_the_part(
    street: str, response: str, domain: dict[str, Any]
) -> None:
    typed = f"浙江省 杭州市 西湖区 {street} 王小明 13912345678"
    dispatcher, result = validate(ValidateAddressForm(), "new_address", typed, address_tracker(), domain)
    assert names(dispatcher) == [response] and result == {"new_address": None}
    assert message(dispatcher, response)["field"] == "详细地址"
    assert count_rows(AddressChange) == 0


def test_an_address_that_reached_the_submit_unvalidated_is_refused_and_the_order_is_unchanged(
    domain: dict[str, Any]
) -> None:
    value = ('{"province": "浙江省", "city": "杭州市", "district": "西湖区", "street": "文三路100号", '
             '"recipient": "\\"><img src=x onerror=alert(1)>", "phone": "13912345678"}')
    dispatcher, _ = run_action(ActionSubmitAddress(), address_tracker(new_address=value, confirmed=True), domain)
    assert names(dispatcher) == ["utter_text_markup"]
    assert message(dispatcher, "utter_text_markup")["field"] == "收件人姓名"
    assert count_rows(AddressChange) == 0


@pytest.mark.parametrize(("comment", "response"), [(SCRIPT, "utter_text_markup"), ("好\x00评", "utter_text_control"),
                                                   ("好" * 600, "utter_text_too_long")])
def test_a_rating_comment_that_cannot_be_stored_is_asked_again(
    comment: str, response: str, domain: dict[str, Any]
) -> None:
    tracker = make_tracker({"rating": "5", "requested_slot": "rating_comment"}, active_loop="satisfaction_form")
    dispatcher, result = validate(ValidateSatisfactionForm(), "rating_comment", comment, tracker, domain)
    assert names(dispatcher) == [response] and result == {"rating_comment": None}
    assert message(dispatcher, response)["field"] == "评价内容"
