"""The assistant over Rasa's REST channel, with the action server and a seeded shop."""

from __future__ import annotations

from typing import Any

import pytest

from shop.seed import DEMO_CUSTOMER_ID, DEMO_ORDERS, OTHER_CUSTOMER_ID, OTHER_CUSTOMER_ORDERS
from shop.tokens import mint_token
from tests.integration.conftest import api, post_json

IN_TRANSIT = DEMO_ORDERS["in_transit"]
OTHERS_ORDER = OTHER_CUSTOMER_ORDERS["delivered_in_window"]


def test_token_shopper_sees_own_order_with_tracking_and_masked_phone(chat: Any) -> None:
    shopper = chat(mint_token(DEMO_CUSTOMER_ID))
    reply = shopper.texts(f"帮我查下订单 {IN_TRANSIT} 到哪了")
    assert IN_TRANSIT in reply
    assert "138****1234" in reply and "13800001234" not in reply
    assert "运单号" in reply


def test_token_shopper_without_order_number_gets_own_orders_as_buttons(chat: Any) -> None:
    shopper = chat(mint_token(DEMO_CUSTOMER_ID))
    messages = shopper.say("我的快递到哪了")
    buttons = [button for message in messages for button in message.get("buttons", [])]
    assert buttons, messages
    assert all(button["payload"].startswith('/inform{"order_id": "88000001') for button in buttons)


def test_a_product_named_in_the_question_chooses_the_one_order_that_holds_it(chat: Any) -> None:
    # Two orders hold earbuds: the delivered one is where a parcel went; the unpaid one (…01) is not
    # offered while the shopper has orders on their way or delivered (shop.services.eligibility).
    reply = chat(mint_token(DEMO_CUSTOMER_ID)).texts("我买的耳机到哪了")
    assert f"好的，是这一单：订单 {DEMO_ORDERS['delivered_out_of_window']}" in reply and "无线蓝牙耳机" in reply
    assert "请选择要办理的订单" not in reply


def test_someone_elses_order_reveals_nothing(chat: Any) -> None:
    shopper = chat(mint_token(DEMO_CUSTOMER_ID))
    reply = shopper.texts(f"查一下订单 {OTHERS_ORDER}")
    assert "没有查到" in reply
    assert "李" not in reply and "5678" not in reply and "运单号" not in reply


def test_other_customers_token_cannot_read_the_first_customers_order(chat: Any) -> None:
    shopper = chat(mint_token(OTHER_CUSTOMER_ID))
    reply = shopper.texts(f"订单 {IN_TRANSIT} 到哪了")
    assert "没有查到" in reply and "运单号" not in reply


def test_without_token_the_phone_digits_are_checked(chat: Any) -> None:
    shopper = chat()
    assert "后 4 位" in shopper.texts(f"查订单 {IN_TRANSIT}")
    assert "不匹配" in shopper.texts("尾号0000")
    assert "后 4 位" in shopper.texts(IN_TRANSIT)  # the order again: the phone is asked again
    reply = shopper.texts("1234")
    assert IN_TRANSIT in reply and "运单号" in reply


def test_a_corrected_last4_right_after_a_wrong_one_completes_the_check(chat: Any) -> None:
    shopper = chat()
    shopper.texts(f"查订单 {IN_TRANSIT}")
    assert "不匹配" in shopper.texts("尾号0000")
    reply = shopper.texts("不好意思输错了 应该是1234")
    assert IN_TRANSIT in reply and "运单号" in reply


def test_full_width_digits_from_a_chinese_input_method_are_read(chat: Any) -> None:
    """"８８００…" and "尾号１２３４" (full-width mode): before, "订单号应为 12–19 位数字"."""
    shopper = chat()
    full_width = IN_TRANSIT.translate({ord("0") + n: 0xFF10 + n for n in range(10)})
    assert "后 4 位" in shopper.texts(f"订单{full_width}到哪了")
    reply = shopper.texts("尾号１２３４")
    assert IN_TRANSIT in reply and "运单号" in reply


def test_an_order_number_copied_in_digit_groups_is_read(chat: Any) -> None:
    shopper = chat(mint_token(DEMO_CUSTOMER_ID))
    grouped = " ".join(IN_TRANSIT[i:i + 4] for i in range(0, len(IN_TRANSIT), 4))
    reply = shopper.texts(f"我的订单 {grouped} 到哪了")
    assert IN_TRANSIT in reply and "运单号" in reply


def test_nonsense_at_the_phone_question_says_what_is_needed_and_asks_once(chat: Any) -> None:
    shopper = chat()
    shopper.texts(f"我要退货 订单{IN_TRANSIT}")
    reply = shopper.texts("asdfgh")
    assert "最后 4 位数字" in reply and reply.count("请告诉我下单手机号的后 4 位") == 1

@pytest.mark.parametrize("mash", ["asdfgh", "qwerty"])
def test_a_keyboard_mash_gets_the_menu(chat: Any, mash: str) -> None:
    messages = chat().say(mash)
    assert "没太明白" in " ".join(message.get("text") or "" for message in messages)
    assert any(message.get("buttons") for message in messages)


@pytest.mark.parametrize("report", ["我买的杯子漏水", "这个手环充不进电", "东西坏了怎么办啊"])
def test_a_fault_report_gets_the_after_sales_choices(chat: Any, report: str) -> None:
    """However NLU reads it (a detail, not understood, off-topic), a fault gets 退货/换货/转人工."""
    messages = chat(mint_token(DEMO_CUSTOMER_ID)).say(report)
    assert "商品有问题" in " ".join(message.get("text") or "" for message in messages)
    titles = {button["title"] for message in messages for button in message.get("buttons") or []}
    assert {"退货退款", "换货", "转人工"} <= titles


def test_asking_whether_a_bot_answers_gets_an_answer_and_the_way_to_a_person(chat: Any) -> None:
    reply = chat().texts("你们是机器人吗")
    assert "智能客服" in reply and "转人工" in reply


def test_a_feeling_is_not_a_fault(chat: Any) -> None:
    """"气坏了" is anger, not broken goods: the return asks for the reason instead of photos."""
    shopper = chat(mint_token(DEMO_CUSTOMER_ID))
    reply = shopper.texts(f"气坏了 我要退货 订单{DEMO_ORDERS['delivered_in_window']}")
    assert "退货的原因" in reply and "照片" not in reply


def test_tampered_token_is_treated_as_anonymous(chat: Any) -> None:
    token = mint_token(DEMO_CUSTOMER_ID)
    shopper = chat(token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
    assert "后 4 位" in shopper.texts(f"查订单 {IN_TRANSIT}")


def test_return_is_confirmed_and_created_once(chat: Any) -> None:
    order = DEMO_ORDERS["delivered_in_window"]
    shopper = chat(mint_token(DEMO_CUSTOMER_ID))
    shopper.texts(f"{order} 这个我要退货")
    assert "确认提交吗" in shopper.texts('/inform{"reason": "size_mismatch"}')
    created = shopper.texts("确认")
    assert "退货申请已提交" in created
    again = shopper.texts(f"{order} 还是要退货")
    assert "已经在售后处理中" in again and "原因" not in again  # told at once, not asked the reason first


def test_return_stopped_by_the_shopper_writes_nothing(chat: Any) -> None:
    order = DEMO_ORDERS["multi_item"]
    shopper = chat(mint_token(DEMO_CUSTOMER_ID))
    shopper.texts(f"订单{order}要退货")
    reply = shopper.texts("算了不退了")
    assert "已取消" in reply or "不办了" in reply


def test_urge_shipment_on_an_overdue_order_apologises_with_the_reason(chat: Any) -> None:
    shopper = chat(mint_token(DEMO_CUSTOMER_ID))
    reply = shopper.texts(f"{DEMO_ORDERS['ship_overdue']} 怎么还不发货，快点")
    assert "抱歉" in reply and "暴雨" in reply


def test_handoff_pauses_the_bot_until_an_agent_resumes_it(chat: Any, rasa_server: str) -> None:
    shopper = chat(mint_token(DEMO_CUSTOMER_ID))
    reply = shopper.texts("转人工")
    assert "工单" in reply
    assert "客服正在接入" in shopper.texts("你好")  # paused: the bot only says the agent is coming
    assert shopper.say("hello? anyone there?") == []  # once every few minutes, not for each message
    post_json(api(rasa_server, f"/conversations/{shopper.sender}/tracker/events"), {"event": "resume"})
    assert shopper.say("你好")


def test_the_same_request_again_keeps_the_form_asking(chat: Any) -> None:
    """Rasa found no rule for it (the form was rejected) and said "这句我没能处理" before."""
    shopper = chat(mint_token(DEMO_CUSTOMER_ID))
    shopper.say("查订单")  # the order form asks which order
    again = shopper.texts("查订单 123")  # the same request again, with no valid number
    assert "正在为您查询订单" in again and "没能处理" not in again
    assert IN_TRANSIT in shopper.texts(IN_TRANSIT)  # the form was kept and still takes the number
