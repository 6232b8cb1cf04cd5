"""Cancel, change address, payment problems and invoices over Rasa's REST channel (real servers, seeded shop).

The shop is shared with tests/integration/test_rest.py for the session: these tests use other orders.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shop.db import make_engine
from shop.models import AddressChange, AfterSaleRequest, Invoice, InvoiceChange, Order, Payment
from shop.seed import DEMO_CUSTOMER_ID, DEMO_ORDERS, OTHER_CUSTOMER_ORDERS
from shop.tokens import mint_token

NEW_ADDRESS = "浙江省 杭州市 西湖区 文三路100号 王小明 13912345678"


def shopper(chat: Any) -> Any:
    return chat(mint_token(DEMO_CUSTOMER_ID))


def buttons(messages: list[dict[str, Any]]) -> list[str]:
    return [button["payload"] for message in messages for button in message.get("buttons", [])]


def db_order(db_url: str, order_no: str) -> Order:
    with Session(make_engine(db_url), future=True) as session:
        order = session.execute(select(Order).where(Order.order_no == order_no)).scalar_one()
        order.payments  # noqa: B018 -- load before the session closes
        session.expunge_all()
        return order


def count(db_url: str, model: Any, *where: Any) -> int:
    with Session(make_engine(db_url), future=True) as session:
        return int(session.execute(select(func.count()).select_from(model).where(*where)).scalar_one())


# --- cancel ------------------------------------------------------------------------------------

def test_cancel_is_confirmed_refunded_and_done_once(chat: Any, shop_db_url: str) -> None:
    order_no = DEMO_ORDERS["packing"]
    bot = shopper(chat)
    question = bot.texts(f"我要取消订单{order_no}")
    assert "¥459.00" in question and "支付宝" in question and "1–3 天" in question and "确认取消吗" in question
    done = bot.texts("确认")
    assert "已取消" in done or "取消订单" in done
    assert db_order(shop_db_url, order_no).status == "cancelled"
    again = bot.texts(f"取消订单{order_no}")
    assert "已经取消过了" in again
    order = db_order(shop_db_url, order_no)
    assert count(shop_db_url, AfterSaleRequest, AfterSaleRequest.order_id == order.id) == 1


def test_cancel_after_shipment_offers_a_return(chat: Any, shop_db_url: str) -> None:
    order_no = DEMO_ORDERS["stuck"]
    messages = shopper(chat).say(f"取消订单{order_no}")
    text = "\n".join(m.get("text", "") for m in messages)
    assert "已经发货" in text or "已经发出" in text
    assert "/return_goods" in buttons(messages)
    assert db_order(shop_db_url, order_no).status == "shipped"


def test_cancel_stopped_by_the_shopper_writes_nothing(chat: Any, shop_db_url: str) -> None:
    order_no = DEMO_ORDERS["awaiting_payment"]
    bot = chat()  # anonymous: the phone check first
    assert "后 4 位" in bot.texts(f"订单{order_no}帮我取消")
    assert "不涉及退款" in bot.texts("尾号1234")
    reply = bot.texts("算了")
    assert "不办了" in reply
    assert db_order(shop_db_url, order_no).status == "pending_payment"


def test_a_button_title_typed_instead_of_tapped_is_read_as_the_button(chat: Any, shop_db_url: str) -> None:
    """"再想想" under the confirmation is its button (/deny): read as words, NLU took it for goodbye."""
    order_no = DEMO_ORDERS["awaiting_payment"]
    bot = shopper(chat)
    assert "确认取消吗" in bot.texts(f"订单{order_no}帮我取消")
    reply = bot.texts("再想想")
    assert "不办了" in reply and "没有改动" in reply and "再见" not in reply
    assert db_order(shop_db_url, order_no).status == "pending_payment"


def test_a_button_title_typed_with_fillers_is_still_the_button(chat: Any, shop_db_url: str) -> None:
    """"那我再想想吧" (NLU: goodbye at 0.87) answers the confirmation. (The confirming side, "嗯确认取消吧",
    is a unit test: cancelling a demo order here would change it for the tests after this one.)"""
    order_no = DEMO_ORDERS["awaiting_payment"]
    bot = shopper(chat)
    assert "确认取消吗" in bot.texts(f"订单{order_no}帮我取消")
    reply = bot.texts("那我再想想吧")
    assert "不办了" in reply and "再见" not in reply
    assert db_order(shop_db_url, order_no).status == "pending_payment"


def test_cancel_of_someone_elses_order_reveals_nothing(chat: Any, shop_db_url: str) -> None:
    order_no = OTHER_CUSTOMER_ORDERS["ship_overdue"]
    reply = shopper(chat).texts(f"订单{order_no}帮我取消")
    assert "没有查到" in reply and "¥" not in reply and "李" not in reply
    assert db_order(shop_db_url, order_no).status == "paid"


# --- change address ------------------------------------------------------------------------------

def test_address_change_is_confirmed_masked_and_written_once(chat: Any, shop_db_url: str) -> None:
    order_no = DEMO_ORDERS["packing_today"]
    bot = shopper(chat)
    assert "省市区、详细地址、收件人和手机号" in bot.texts(f"订单{order_no}要改地址")
    question = bot.texts(NEW_ADDRESS)
    assert "确认修改吗" in question and "139****5678" in question and "王**" in question
    assert "13912345678" not in question and "文三路100号" not in question
    done = bot.texts("确认")
    assert "139****5678" in done and "13912345678" not in done
    order = db_order(shop_db_url, order_no)
    assert (order.city, order.recipient, order.phone) == ("杭州市", "王小明", "13912345678")
    bot.texts(f"订单{order_no}要改地址")
    bot.texts(NEW_ADDRESS)
    assert "已经是这个了" in bot.texts("确认")
    assert count(shop_db_url, AddressChange, AddressChange.order_id == order.id) == 1


def test_address_with_a_bad_phone_is_asked_again_then_stopped(chat: Any, shop_db_url: str) -> None:
    order_no = DEMO_ORDERS["payment_failed"]  # pending: the address may change
    bot = shopper(chat)
    bot.texts(f"订单{order_no}要改地址")
    assert "11 位" in bot.texts("浙江省 杭州市 西湖区 文三路100号 王小明 12345678901")
    assert "没能识别" in bot.texts("文三路100号")
    assert "没能识别" in bot.texts("随便填一个")  # not understood by the NLU: the form still answers
    # Typed the way shoppers do: words before it, no spaces, the name straight after the number.
    question = bot.texts("改成北京市朝阳区建国路100号李四13912345678")
    assert "确认修改吗" in question and "北京市朝阳区建国路" in question and "李*" in question
    reply = bot.texts("不改了")
    assert "已取消" in reply or "不办了" in reply
    assert db_order(shop_db_url, order_no).phone == "13800001234"


def test_address_given_with_the_request_goes_straight_to_the_confirmation(chat: Any, shop_db_url: str) -> None:
    order_no = DEMO_ORDERS["awaiting_payment"]  # pending: the address may change
    bot = shopper(chat)
    question = bot.texts(f"订单{order_no} 改地址 浙江省杭州市西湖区文三路100号 王小明 13912345678")
    assert "确认修改吗" in question and "139****5678" in question and "省 市 区" not in question
    reply = bot.texts("算了")
    assert "已取消" in reply or "不办了" in reply
    order = db_order(shop_db_url, order_no)
    assert count(shop_db_url, AddressChange, AddressChange.order_id == order.id) == 0

def test_address_change_after_shipment_is_refused(chat: Any, shop_db_url: str) -> None:
    order_no = DEMO_ORDERS["in_transit_delayed"]
    reply = shopper(chat).texts(f"订单{order_no}收货地址写错了，帮我改一下")
    assert "已经发货" in reply and "确认修改" not in reply
    order = db_order(shop_db_url, order_no)
    assert order.phone == "13800001234"
    assert count(shop_db_url, AddressChange, AddressChange.order_id == order.id) == 0


# --- payment problems ----------------------------------------------------------------------------

def test_double_charge_refunded_once(chat: Any, shop_db_url: str) -> None:
    order_no = DEMO_ORDERS["double_charge"]
    bot = shopper(chat)
    question = bot.texts(f"订单{order_no}扣了两次钱")
    assert "重复扣款" in question and "¥399.00" in question and "微信" in question and "确认退款吗" in question
    done = bot.texts("好的")
    assert "¥399.00" in done and "退款单号" in done
    again = bot.texts(f"订单{order_no}重复扣款了")
    assert "已经退过了" in again and "确认退款吗" not in again
    statuses = sorted(p.status for p in db_order(shop_db_url, order_no).payments)
    assert statuses == ["refunded", "succeeded"]


def test_failed_payment_is_explained_with_advice(chat: Any) -> None:
    reply = shopper(chat).texts(f"订单{DEMO_ORDERS['payment_failed']}支付失败了")
    assert "余额不足" in reply and "限额" in reply and "重新支付" in reply


def test_paid_but_unpaid_is_checked_against_the_payments(chat: Any, shop_db_url: str) -> None:
    order_no = DEMO_ORDERS["paid_not_updated"]
    reply = shopper(chat).texts(f"订单{order_no}付了钱还显示未付款")
    assert "¥89.90" in reply and "支付宝" in reply and "不要重复付款" in reply
    assert count(shop_db_url, Payment, Payment.order_id == db_order(shop_db_url, order_no).id) == 1


# --- invoices ----------------------------------------------------------------------------------

def test_company_invoice_once_then_its_status(chat: Any, shop_db_url: str) -> None:
    order_no = DEMO_ORDERS["completed"]
    bot = shopper(chat)
    messages = bot.say(f"订单{order_no}帮我开张发票")
    assert '/inform{"invoice_kind": "company"}' in buttons(messages)
    assert "抬头" in bot.texts('/inform{"invoice_kind": "company"}')
    assert "税号" in bot.texts("抬头是杭州小二网络有限公司")
    assert "格式不对" in bot.texts("税号是123456")
    assert "邮箱" in bot.texts("税号 91110108MA01ABCD2X")
    assert "格式好像不对" in bot.texts("邮箱是abc")
    question = bot.texts("邮箱 finance@xiaoer.com")
    assert "杭州小二网络有限公司" in question and "91110108MA01ABCD2X" in question and "确认提交吗" in question
    created = bot.texts("确认")
    assert "发票申请已提交" in created or "已为订单" in created
    status = bot.texts(f"订单{order_no}的发票开好了吗")
    assert "开具中" in status and "fi***@xiaoer.com" in status and "税号" not in status
    order = db_order(shop_db_url, order_no)
    assert count(shop_db_url, Invoice, Invoice.order_id == order.id) == 1


def test_issued_invoice_reissued_once_from_its_status_or_typed(chat: Any, shop_db_url: str) -> None:
    order_no = DEMO_ORDERS["delivered_in_window"]  # seeded with an issued personal invoice
    bot = shopper(chat)
    messages = bot.say(f"订单{order_no}的发票开好了吗")
    assert "已开具" in " ".join(message.get("text") or "" for message in messages)
    change = next(payload for payload in buttons(messages) if "invoice_change" in payload)
    assert "原发票作废" in bot.texts(change)
    assert "抬头" in bot.texts('/inform{"invoice_kind": "personal"}')
    assert "邮箱" in bot.texts("抬头：张三丰")
    question = bot.texts("邮箱 zsf@163.com")
    assert "新的发票信息" in question and "张三丰" in question
    assert "换开申请已提交" in bot.texts("确认")
    # Typed, a second time: the pending re-issue is corrected, not doubled.
    assert "原发票作废" in bot.texts(f"订单{order_no}的发票抬头写错了 要重开")
    bot.texts('/inform{"invoice_kind": "personal"}')
    bot.texts("抬头：张三丰")
    bot.texts("邮箱 zsf@qq.com")
    assert "已更新换开申请" in bot.texts("确认")
    invoice_id = select(Invoice.id).where(Invoice.order_id == db_order(shop_db_url, order_no).id).scalar_subquery()
    assert count(shop_db_url, InvoiceChange, InvoiceChange.invoice_id == invoice_id) == 1
    assert "换开申请处理中" in bot.texts(f"订单{order_no}的发票开好了吗")


def test_asking_after_an_invoice_never_requested_says_so_and_writes_nothing(chat: Any, shop_db_url: str) -> None:
    order_no = DEMO_ORDERS["in_transit"]  # paid, no invoice (the other tests leave it alone)
    bot = shopper(chat)
    reply = bot.texts(f"订单{order_no}的发票怎么还没收到")
    assert "还没有申请过发票" in reply and "个人还是企业" in reply and "付款后的订单都可以开" not in reply
    bot.texts("算了")
    assert count(shop_db_url, Invoice, Invoice.order_id == db_order(shop_db_url, order_no).id) == 0


def test_invoice_for_an_unpaid_order_is_refused(chat: Any, shop_db_url: str) -> None:
    reply = shopper(chat).texts(f"订单{DEMO_ORDERS['cancelled']}帮我开张发票")
    assert "付款后才能开发票" in reply
    assert count(shop_db_url, Invoice, Invoice.order_id == db_order(shop_db_url, DEMO_ORDERS["cancelled"]).id) == 0


def test_invoice_nonsense_then_stop(chat: Any, shop_db_url: str) -> None:
    order_no = DEMO_ORDERS["delivered_out_of_window"]
    bot = shopper(chat)
    bot.texts(f"订单{order_no}开发票")
    asked = bot.texts("随便吧")  # what was wrong, then the question once more (with its buttons)
    assert "没看懂" in asked and asked.count("个人还是企业") == 1
    reply = bot.texts("不开了")
    assert "已取消" in reply or "不办了" in reply
    assert count(shop_db_url, Invoice, Invoice.order_id == db_order(shop_db_url, order_no).id) == 0


def test_bare_invoice_question_says_yes_then_asks_which_order(chat: Any, shop_db_url: str) -> None:
    bot = shopper(chat)
    messages = bot.say("能开发票吗")
    text = " ".join(message.get("text") or "" for message in messages)
    assert "可以开电子发票" in text
    assert any(payload.startswith('/inform{"order_id"') for payload in buttons(messages))
    reply = bot.texts("不开了")
    assert "已取消" in reply or "不办了" in reply


def test_the_title_kind_named_in_the_request_is_not_asked_again(chat: Any, shop_db_url: str) -> None:
    order_no = DEMO_ORDERS["in_transit_delayed"]  # paid, no invoice
    bot = shopper(chat)
    bot.say("我要开公司发票")
    asked = bot.texts(order_no)
    assert "发票抬头" in asked and "个人还是企业" not in asked
    reply = bot.texts("算了")
    assert "已取消" in reply or "不办了" in reply
    order = db_order(shop_db_url, order_no)
    assert count(shop_db_url, Invoice, Invoice.order_id == order.id) == 0
