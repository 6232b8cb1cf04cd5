"""Free text stays text (issue 28, point 6): what shoppers type is refused when it cannot be what the field holds.

Invoice titles, e-mails, tax numbers, addresses, recipients and rating comments are checked in the
services against their size and shape (shop/text.py); a refusal names the field and the problem and
writes nothing. Ticket summaries, written by the bot from the conversation, are neutralised instead.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from shop_builders import clock_at
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shop.errors import DomainError
from shop.importer import ImportError_, import_data
from shop.models import AddressChange, Customer, Invoice, Order, SatisfactionRating, Ticket
from shop.seed import DEMO_CUSTOMER_ID, DEMO_ORDERS
from shop.services.addresses import change_address
from shop.services.invoices import check_email, check_tax_no, check_title, request_invoice
from shop.services.satisfaction import check_comment, record_rating
from shop.services.tickets import open_ticket
from shop.services.views import AddressInput
from shop.text import CONTROL, MARKUP, SYMBOLS, TOO_LONG, clean_text, neutralise
from tests.shop.test_shop_import import GOOD

clock = clock_at()
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
SQL = "'; DROP TABLE orders;--"
LONG = "长" * 10_000
NUL = "张三\x00有限公司"
#: (payload, the problem an invoice title, street or recipient has with it)
PAYLOADS = [(SCRIPT, MARKUP), (IMG, MARKUP), (SQL, SYMBOLS), (LONG, TOO_LONG), (NUL, CONTROL),
            ("公司\u202e司公", CONTROL), ("ESC\x1b[31m", CONTROL), ("🙂🙂", SYMBOLS)]


def _count(session: Session, model: type) -> int:
    return int(session.execute(select(func.count()).select_from(model)).scalar_one())


@pytest.mark.parametrize(("payload", "problem"), PAYLOADS)
def test_an_invoice_title_that_is_not_a_name_is_refused_and_nothing_is_written(
    seeded: Session, payload: str, problem: str
) -> None:
    before = _count(seeded, Invoice)
    with pytest.raises(DomainError) as refused:
        request_invoice(seeded, DEMO_CUSTOMER_ID, DEMO_ORDERS["in_transit"], kind="personal", title=payload,
                        email="a@b.cn", clock=clock)
    assert refused.value.code == "invalid_input"
    assert refused.value.details == {"field": "title", "problem": problem, **(
        {"max_len": 100} if problem == TOO_LONG else {})}
    assert _count(seeded, Invoice) == before and _count(seeded, Order) > 0


@pytest.mark.parametrize("title", ["张三", "杭州某某科技有限公司", "Procter & Gamble (China) Co., Ltd.",
                                   "北京·朝阳 商贸中心", "O'Brien Trading"])
def test_real_invoice_titles_pass(title: str) -> None:
    assert check_title(f"  {title} ") == title


@pytest.mark.parametrize("email", [SCRIPT, "a@b.cn<script>", "a@b.cn\x00", "x" * 200 + "@b.cn", SQL])
def test_an_email_with_markup_control_characters_or_too_long_is_refused(email: str) -> None:
    with pytest.raises(DomainError) as refused:
        check_email(email)
    assert refused.value.details["field"] == "email"
    assert check_email(" zhangsan@example.com ") == "zhangsan@example.com"


@pytest.mark.parametrize("tax_no", [SCRIPT, "91330100MA2\x00AAAAAA", LONG])
def test_a_tax_number_with_markup_or_control_characters_is_refused(tax_no: str) -> None:
    with pytest.raises(DomainError) as refused:
        check_tax_no(tax_no)
    assert refused.value.details["field"] == "tax_no"


def _address(**changes: str) -> AddressInput:
    base = {"province": "浙江省", "city": "杭州市", "district": "西湖区", "street": "文三路100号",
            "recipient": "王小明", "phone": "13912345678"}
    return AddressInput(**{**base, **changes})


@pytest.mark.parametrize("field", ["street", "recipient", "district"])
@pytest.mark.parametrize(("payload", "problem"), PAYLOADS)
def test_an_address_part_that_cannot_be_one_is_refused_and_the_order_is_unchanged(
    seeded: Session, field: str, payload: str, problem: str
) -> None:
    order_no = DEMO_ORDERS["packing"]
    order = seeded.execute(select(Order).where(Order.order_no == order_no)).scalar_one()
    before = (order.street, order.recipient, order.district, _count(seeded, AddressChange))
    with pytest.raises(DomainError) as refused:
        change_address(seeded, DEMO_CUSTOMER_ID, order_no, new_address=_address(**{field: payload}), clock=clock)
    assert refused.value.code == "invalid_input" and refused.value.details["field"] == field
    assert refused.value.details["problem"] == problem
    seeded.expire_all()
    assert (order.street, order.recipient, order.district, _count(seeded, AddressChange)) == before


def test_real_addresses_pass(seeded: Session) -> None:
    changed = change_address(seeded, DEMO_CUSTOMER_ID, DEMO_ORDERS["packing"],
                             new_address=_address(street="文三路100号 3幢2单元#501（东门）", recipient="阿卜杜·热合曼"),
                             clock=clock)
    assert changed.created


@pytest.mark.parametrize(("payload", "problem"), [(SCRIPT, MARKUP), (IMG, MARKUP), (NUL, CONTROL),
                                                  ("好" * 501, TOO_LONG)])
def test_a_rating_comment_with_markup_control_characters_or_too_long_is_refused(
    seeded: Session, payload: str, problem: str
) -> None:
    before = _count(seeded, SatisfactionRating)
    with pytest.raises(DomainError) as refused:
        record_rating(seeded, conversation_id="free-text", rating=3, comment=payload, clock=clock)
    assert refused.value.details["field"] == "comment" and refused.value.details["problem"] == problem
    assert _count(seeded, SatisfactionRating) == before


def test_a_comment_is_free_text_otherwise(seeded: Session) -> None:
    """An SQL-looking comment is text like any other: stored as typed, no table touched."""
    assert check_comment("发货快，包装好👍\n下次还来") == "发货快，包装好👍\n下次还来"
    rating = record_rating(seeded, conversation_id="free-text-sql", rating=1, comment=SQL, clock=clock)
    assert rating.comment == SQL and _count(seeded, Order) > 0


def test_a_ticket_summary_is_kept_but_neutralised(seeded: Session) -> None:
    summary = f"投诉 {SCRIPT} {IMG}\x00 {LONG}"
    view = open_ticket(seeded, customer_id=DEMO_CUSTOMER_ID, order_no=None, topic="complain", summary=summary,
                       conversation_id="free-text-ticket", clock=clock)
    stored = seeded.execute(select(Ticket.summary).where(Ticket.ticket_no == view.ticket_no)).scalar_one()
    assert "<" not in stored and ">" not in stored and "\x00" not in stored
    assert stored.startswith("投诉 ＜script＞alert(1)＜/script＞") and len(stored) == 4000


@pytest.mark.parametrize(("section", "field"), [("customers", "name"), ("customers", "street"),
                                                ("products", "title")])
@pytest.mark.parametrize("payload", [SCRIPT, NUL])
def test_the_importer_refuses_markup_and_control_characters(
    db_session: Session, section: str, field: str, payload: str
) -> None:
    data: dict[str, Any] = copy.deepcopy(GOOD)
    data[section][0][field] = payload
    with pytest.raises(ImportError_) as refused:
        import_data(db_session, data)
    assert field in str(refused.value)
    assert _count(db_session, Customer) == 0


def test_clean_text_rules() -> None:
    assert clean_text("  文三路\n100号  ", field="street", max_len=20) == "文三路 100号"
    assert clean_text("", field="comment", max_len=5, required=False) == ""
    assert neutralise("<b>\x07ok\n</b>", max_len=100) == "＜b＞ok\n＜/b＞"
