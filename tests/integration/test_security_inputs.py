"""Attacks through what shoppers type, over REST against the real servers (issue 28, points 6 and 7).

Point 7: an emoji, an SQL string, a script tag or a keyboard mash was read as `complain` and opened a
high-priority ticket. Point 6: markup typed as an invoice title or an address was echoed and stored.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from shop.db import make_engine
from shop.models import AddressChange, Invoice, Order, Ticket
from shop.seed import DEMO_CUSTOMER_ID, DEMO_ORDERS
from shop.tokens import mint_token

COMPLAINED = ("加急处理", "优先处理")  # utter_complain: the complaint was filed at high priority
JUNK = ["😡😡😡", "🙂🙂🙂", "'; DROP TABLE orders;--", "SELECT * FROM users", "<script>alert(1)</script>",
        '"><img src=x onerror=alert(1)>', "${jndi:ldap://x.y/a}", "士大夫", "撒旦法师打发", "阿斯蒂芬", "!!!!!!",
        "？？？", "@#$%^&*"]
# Control characters (NUL…) are covered by tests/shop and tests/actions: the REST channel drops them first.
# Read as another question, harmlessly: the img tag's "x" as a size question (the size FAQ answers it).
NOT_THE_MENU = {'"><img src=x onerror=alert(1)>'}
PAYLOADS = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "'; DROP TABLE orders;--",
            "长" * 10_000]


def _untouched_order(db_url: str, statuses: tuple[str, ...], preferred: str) -> str:
    """`preferred` if no other test of the shared shop has given it an invoice or a new address yet, else
    another of the demo customer's orders in one of `statuses` that has neither (tests run in any order)."""
    with Session(make_engine(db_url), future=True) as session:
        touched = select(Invoice.order_id).union(select(AddressChange.order_id))
        candidates = session.execute(
            select(Order.order_no).where(Order.customer_id == DEMO_CUSTOMER_ID, Order.status.in_(statuses),
                                         Order.id.not_in(touched)).order_by(Order.order_no)
        ).scalars().all()
    assert candidates, f"no order of customer {DEMO_CUSTOMER_ID} in {statuses} is untouched"
    return preferred if preferred in candidates else candidates[0]


def _tickets(db_url: str, conversation_id: str) -> list[Ticket]:
    with Session(make_engine(db_url), future=True) as session:
        return list(session.execute(select(Ticket).where(Ticket.conversation_id == conversation_id)).scalars())


@pytest.mark.parametrize("junk", JUNK)
def test_junk_gets_the_menu_and_opens_no_ticket(chat: Any, shop_db_url: str, junk: str) -> None:
    shopper = chat()
    reply = shopper.say(junk)
    text = "\n".join(message.get("text", "") for message in reply)
    assert not any(words in text for words in COMPLAINED), text
    if junk not in NOT_THE_MENU:
        assert any(button.get("payload") == "/query_order" for message in reply
                   for button in message.get("buttons") or []), reply
    assert _tickets(shop_db_url, shopper.sender) == []


def test_a_real_complaint_still_opens_an_urgent_ticket(chat: Any, shop_db_url: str) -> None:
    shopper = chat()
    reply = shopper.texts("你们服务太差了 我要投诉")
    assert any(words in reply for words in COMPLAINED), reply
    filed = [(ticket.topic, ticket.priority, ticket.status) for ticket in _tickets(shop_db_url, shopper.sender)]
    assert filed == [("complain", "high", "open")], reply


def _invoice_rows(db_url: str, order_no: str) -> int:
    with Session(make_engine(db_url), future=True) as session:
        order_id = select(Order.id).where(Order.order_no == order_no).scalar_subquery()
        return int(session.execute(select(func.count()).select_from(Invoice).where(Invoice.order_id == order_id))
                   .scalar_one())


def test_markup_and_junk_as_an_invoice_title_are_refused_politely_and_nothing_is_written(
    chat: Any, shop_db_url: str
) -> None:
    order_no = _untouched_order(shop_db_url, ("delivered", "completed"), DEMO_ORDERS["completed"])
    before = _invoice_rows(shop_db_url, order_no)
    shopper = chat(mint_token(DEMO_CUSTOMER_ID))
    shopper.texts(f"我要开发票 订单{order_no}")
    assert "发票抬头" in shopper.texts("个人")
    for payload in PAYLOADS:
        reply = shopper.texts(payload)
        assert "<" not in reply and "script" not in reply and "DROP" not in reply, reply
        assert "发票抬头" in reply or "精简" in reply, reply  # what is wrong and the question again, or "shorten"
        assert not any(words in reply for words in COMPLAINED)
    assert "邮箱" in shopper.texts("张三")  # a real title goes on to the next question
    assert _invoice_rows(shop_db_url, order_no) == before
    with Session(make_engine(shop_db_url), future=True) as session:
        stored = select(func.count()).select_from(Invoice).where(
            or_(Invoice.title.contains("<"), Invoice.title.contains("＜"), Invoice.title.contains("DROP")))
        assert session.execute(stored).scalar_one() == 0
    assert _tickets(shop_db_url, shopper.sender) == []


def test_markup_in_a_new_address_is_refused_naming_the_part_and_the_order_is_unchanged(
    chat: Any, shop_db_url: str
) -> None:
    order_no = _untouched_order(shop_db_url, ("paid",), DEMO_ORDERS["packing"])
    with Session(make_engine(shop_db_url), future=True) as session:
        street = session.execute(select(Order.street).where(Order.order_no == order_no)).scalar_one()
        changes = session.execute(select(func.count()).select_from(AddressChange)).scalar_one()
    shopper = chat(mint_token(DEMO_CUSTOMER_ID))
    shopper.texts(f"改地址 订单{order_no}")
    reply = shopper.texts("浙江省杭州市西湖区文三路100号<script>alert(1)</script> 王小明 13912345678")
    assert "详细地址" in reply and "<" not in reply and "script" not in reply, reply
    with Session(make_engine(shop_db_url), future=True) as session:
        assert session.execute(select(Order.street).where(Order.order_no == order_no)).scalar_one() == street
        assert session.execute(select(func.count()).select_from(AddressChange)).scalar_one() == changes
