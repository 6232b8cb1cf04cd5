"""Full-width digits and letters from a Chinese input method are read as ASCII (addons/input_text.py)."""

from __future__ import annotations

from rasa.core.channels.channel import UserMessage

from addons import input_text


def test_full_width_digits_letters_and_space_become_ascii() -> None:
    assert input_text.half_width("订单８８００００１００００００００５") == "订单8800001000000005"
    assert input_text.half_width("单号ＳＦ１２３４５６７８９０　ｘｌ码") == "单号SF1234567890 xl码"


def test_punctuation_emoji_and_chinese_are_left_alone() -> None:
    text = "在吗？我要退货，谢谢！😊（急）"
    assert input_text.half_width(text) == text


def test_every_message_rasa_receives_is_converted_once_installed() -> None:
    input_text.install()
    input_text.install()  # idempotent
    message = UserMessage("尾号１２３４", sender_id="s")
    assert message.text == "尾号1234" and message.sender_id == "s"
    assert UserMessage(None).text is None


def test_an_order_number_in_digit_groups_is_one_number() -> None:
    assert input_text.as_read("我的订单 8800 0001 0000 0005 到哪了") == "我的订单 8800000100000005 到哪了"
    assert input_text.as_read("订单8800-0001-0000-0005") == "订单8800000100000005"
    assert input_text.as_read("８８００ ０００１ ００００ ０００５") == "8800000100000005"


def test_phones_dates_amounts_and_two_numbers_keep_their_spaces() -> None:
    for text in ("电话 139 1234 5678", "2024 06 01 下的单", "买了 100 200 元", "SF 1234 5678 902",
                 "8800000100000005 8800000100000007", "尾号 1234"):
        assert input_text.as_read(text) == text
