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
