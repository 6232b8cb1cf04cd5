"""Shoppers' text as the assistant reads it: full-width digits and Latin letters made ASCII, and an
order number copied in digit groups made one number.

A Chinese input method in full-width mode types "８８００００１０００００００５" and "ＳＦ１２３…";
order numbers, phone digits, waybills and sizes are written in ASCII everywhere else (regexes, the
shop's data, the training examples, none of which hold a full-width letter or digit). Order pages
and copied text often group a long number ("8800 0001 0000 0005"): groups of 3-6 digits joined by
single spaces or hyphens that add up to 12-19 digits (an order number's length) are joined; a
phone (11 digits) or a date is not. Every incoming message is converted once, where Rasa receives
it, so the NLU, the slots and the actions all see the same text. Punctuation is left alone: the
training data uses the full-width forms.
"""

from __future__ import annotations

import re
from typing import Any

from rasa.core.channels.channel import UserMessage

FULL_WIDTH_ALNUM = {
    **{code: code - 0xFEE0 for code in range(0xFF10, 0xFF1A)},  # ０-９
    **{code: code - 0xFEE0 for code in range(0xFF21, 0xFF3B)},  # Ａ-Ｚ
    **{code: code - 0xFEE0 for code in range(0xFF41, 0xFF5B)},  # ａ-ｚ
    0x3000: 0x20,  # the ideographic space
}

DIGIT_GROUPS = re.compile(r"(?<!\d)\d{3,6}(?:[ -]\d{3,6})+(?!\d)")
ORDER_NUMBER_DIGITS = range(12, 20)

_original_init = UserMessage.__init__


def half_width(text: str) -> str:
    """"订单８８００ ＳＦ１２" -> "订单8800 SF12"; everything else as it was."""
    return text.translate(FULL_WIDTH_ALNUM)


def joined_digit_groups(text: str) -> str:
    """"订单 8800 0001 0000 0005" -> "订单 8800000100000005"; "139 1234 5678" stays."""
    def join(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group(0))
        return digits if len(digits) in ORDER_NUMBER_DIGITS else match.group(0)

    return DIGIT_GROUPS.sub(join, text)


def as_read(text: str) -> str:
    return joined_digit_groups(half_width(text))


def _init_with_half_width(self: UserMessage, text: str | None = None, *args: Any, **kwargs: Any) -> None:
    _original_init(self, as_read(text) if isinstance(text, str) else text, *args, **kwargs)


def install() -> None:
    """Idempotent: every UserMessage built from now on (REST, socket.io, the shell) is read as above."""
    if UserMessage.__init__ is not _init_with_half_width:
        UserMessage.__init__ = _init_with_half_width  # type: ignore[method-assign]


def uninstall() -> None:
    UserMessage.__init__ = _original_init  # type: ignore[method-assign]
