"""寄回运单 over Rasa's REST channel (real servers, seeded shop): the waybill of a return parcel is
confirmed, recorded once, and only on the shopper's own request.

The shop is shared with the other REST tests: these write only customer 2's order, which they only
read (to check that customer 1 cannot see it).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shop.db import make_engine
from shop.models import AfterSaleRequest, Order, ReturnParcel
from shop.seed import DEMO_CUSTOMER_ID, DEMO_ORDERS, OTHER_CUSTOMER_ID, OTHER_CUSTOMER_ORDERS
from shop.tokens import mint_token

ORDER_NO = OTHER_CUSTOMER_ORDERS["delivered_in_window"]


def requests_of(db_url: str) -> list[tuple[str, str | None]]:
    """(status, waybill) of each after-sale request of the order."""
    with Session(make_engine(db_url), future=True) as session:
        stmt = (select(AfterSaleRequest.status, ReturnParcel.waybill_no).join(Order)
                .outerjoin(ReturnParcel, ReturnParcel.request_id == AfterSaleRequest.id)
                .where(Order.order_no == ORDER_NO))
        return [(status, waybill) for status, waybill in session.execute(stmt)]


def test_a_return_parcel_waybill_is_confirmed_recorded_once_and_kept_when_stopped(chat: Any, shop_db_url: str) -> None:
    stranger = chat(mint_token(DEMO_CUSTOMER_ID))
    refused = stranger.texts(f"订单{ORDER_NO}退货寄回了 单号SF1234567890")
    assert "SF1234567890" not in refused and "确认登记" not in refused  # not customer 1's order
    bot = chat(mint_token(OTHER_CUSTOMER_ID))
    assert "没有需要寄回商品的退换货申请" in bot.texts("退货寄回了 单号SF1234567890")
    assert requests_of(shop_db_url) == []
    bot.texts(f"订单{ORDER_NO}我要退货")
    assert "确认提交吗" in bot.texts('/inform{"reason": "size_mismatch"}')
    assert "退货申请已提交" in bot.texts("确认")
    bot.say("/inform{\"rating\": \"5\"}")  # the rating offered after the request
    bot.say("没有")
    assert "上门取件" in bot.texts("退款到哪了")  # a size return is approved with a courier pickup booked
    asked = bot.texts("退货的东西已经寄回了")
    assert ORDER_NO in asked and "快递单号" in asked  # the one order awaiting its parcel, then the waybill
    assert "快递单号好像不对" in bot.texts("单号还没拿到")
    confirm = bot.texts("75312345678901")  # digits only: a waybill, not an order number
    assert "75312345678901" in confirm and "确认登记吗" in confirm and "没有找到" not in confirm
    assert "上门取件会取消" in confirm  # the shopper posted it: the courier need not come
    recorded = bot.texts("确认")
    assert "已登记" in recorded and "上门取件已为您取消" in recorded
    assert requests_of(shop_db_url) == [("return_shipped", "75312345678901")]
    again = bot.texts(f"订单{ORDER_NO}退货寄回了 单号 75312345678901")
    assert "确认登记吗" in again
    assert "已经登记过了" in bot.texts("确认")
    assert requests_of(shop_db_url) == [("return_shipped", "75312345678901")]

    # Stopped before the confirmation: the recorded waybill stays.
    assert "快递单号" in bot.texts(f"订单{ORDER_NO}的退货单号怎么给你们")
    assert "确认登记吗" in bot.texts("SF9999999999")
    stopped = bot.texts("算了")
    assert "已取消" in stopped or "不办了" in stopped
    assert requests_of(shop_db_url) == [("return_shipped", "75312345678901")]

    # A correction without the order number: the order whose parcel is on its way; digits in groups.
    corrected = bot.texts("寄回了 顺丰 SF 1234 5678 902")
    assert ORDER_NO in corrected and "SF12345678902" in corrected and "确认登记吗" in corrected
    assert "已把寄回快递单号改为" in bot.texts("确认")
    assert requests_of(shop_db_url) == [("return_shipped", "SF12345678902")]
    # Another shopper's order, called an order: not found, and its number is no waybill.
    theirs = DEMO_ORDERS["delivered_in_window"]
    refused = bot.texts(f"订单{theirs}的退货寄回了")
    assert "没有查到这个订单" in refused and "确认登记" not in refused and theirs not in refused.replace(
        f"订单{theirs}", "")
    bot.texts("算了")
    assert requests_of(shop_db_url) == [("return_shipped", "SF12345678902")]
    progress = bot.texts("我的退款到哪了")
    assert "寄回快递单号：SF12345678902" in progress and "上门取件" not in progress
