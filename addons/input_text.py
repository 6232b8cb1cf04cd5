"""Shoppers' text as the assistant reads it: full-width digits and Latin letters made ASCII.

A Chinese input method in full-width mode types "８８００００１０００００００５" and "ＳＦ１２３…";
order numbers, phone digits, waybills and sizes are written in ASCII everywhere else (regexes, the
shop's data, the training examples, none of which hold a full-width letter or digit). Every incoming
message is converted once, where Rasa receives it, so the NLU, the slots and the actions all see
the same text. Punctuation is left alone: the training data uses the full-width forms.
"""

from __future__ import annotations

from typing import Any

from rasa.core.channels.channel import UserMessage

FULL_WIDTH_ALNUM = {
    **{code: code - 0xFEE0 for code in range(0xFF10, 0xFF1A)},  # ０-９
    **{code: code - 0xFEE0 for code in range(0xFF21, 0xFF3B)},  # Ａ-Ｚ
    **{code: code - 0xFEE0 for code in range(0xFF41, 0xFF5B)},  # ａ-ｚ
    0x3000: 0x20,  # the ideographic space
}

_original_init = UserMessage.__init__


def half_width(text: str) -> str:
    """"订单８８００ ＳＦ１２" -> "订单8800 SF12"; everything else as it was."""
    return text.translate(FULL_WIDTH_ALNUM)


def _init_with_half_width(self: UserMessage, text: str | None = None, *args: Any, **kwargs: Any) -> None:
    _original_init(self, half_width(text) if isinstance(text, str) else text, *args, **kwargs)


def install() -> None:
    """Idempotent: every UserMessage built from now on (REST, socket.io, the shell) gets half-width text."""
    if UserMessage.__init__ is not _init_with_half_width:
        UserMessage.__init__ = _init_with_half_width  # type: ignore[method-assign]
