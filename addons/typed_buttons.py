"""A button's title typed instead of tapped is read as the button.

Chat widgets show buttons, and many shoppers type what a button says rather than tap it: "再想想"
under a confirmation, "跳过" under the rating question, "企业" under the invoice-kind question. As
free text the NLU may read such a short phrase as something else ("再想想" as goodbye, "确认退款" as a
refund-progress question). When the message, trimmed of spaces and closing punctuation, is the title
of one button the bot offered in its last turn, it is parsed as that button's payload. Fillers around
the title count as nothing: "就再想想吧", "那跳过吧", "我选企业" are the buttons 再想想, 跳过 and 企业; a
negation is not a filler ("不确认取消" is not 确认取消). The tracker keeps the text as typed; only the
intent and entities are the button's. Anything else is parsed as before.
"""

from __future__ import annotations

import re
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.processor import MessageProcessor
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

# What may close a typed choice without changing it: "再想想。", "确认取消!", "跳过～".
CLOSING = re.compile(r"[\s。.!！~～,，]+$")
# Words said around a choice that do not change it: "那就再想想吧", "我选企业", "跳过了".
LEADING_FILLERS = re.compile(r"^(?:那就|那|就|还是|嗯+|好吧|我要|我选|选|我)+")
TRAILING_FILLERS = re.compile(r"(?:吧|啊|呀|哈|了|呢|啦|嘛|哦|喔)+$")
SPACES = re.compile(r"\s+")

_original_parse_message = MessageProcessor.parse_message


def offered_buttons(tracker: DialogueStateTracker | None) -> list[dict[str, Any]]:
    """The buttons of the bot's messages since the shopper's last message, in order."""
    buttons: list[dict[str, Any]] = []
    for event in reversed(tracker.events if tracker is not None else []):
        if isinstance(event, UserUttered):
            break
        if isinstance(event, BotUttered):
            buttons[:0] = event.data.get("buttons") or []
    return buttons


def _choice_words(text: str) -> str:
    """The words of a typed choice or a title, without spaces, closing punctuation and fillers; a
    text that is all fillers ("好吧", "了") keeps them, so that only a title of the same words matches."""
    plain = SPACES.sub("", CLOSING.sub("", text.strip())).lower()
    return TRAILING_FILLERS.sub("", LEADING_FILLERS.sub("", plain)) or plain


def typed_button_payload(text: str | None, tracker: DialogueStateTracker | None) -> str | None:
    """The payload of the one offered button whose title the text is, else None."""
    typed = _choice_words(text or "")
    if not typed or typed.startswith("/"):
        return None
    payloads = {str(button.get("payload")) for button in offered_buttons(tracker)
                if _choice_words(str(button.get("title", ""))) == typed and button.get("payload")}
    return payloads.pop() if len(payloads) == 1 else None


async def _parse_typed_button(
    self: MessageProcessor, message: UserMessage, tracker: DialogueStateTracker | None = None,
    only_output_properties: bool = True,
) -> dict[str, Any]:
    payload = typed_button_payload(message.text, tracker)
    if payload is None:
        return await _original_parse_message(self, message, tracker, only_output_properties)
    tapped = UserMessage(payload, message.output_channel, message.sender_id, input_channel=message.input_channel,
                         message_id=message.message_id, metadata=message.metadata)
    parse_data = await _original_parse_message(self, tapped, tracker, only_output_properties)
    return {**parse_data, "text": message.text}


def install() -> None:
    """Idempotent: every message parsed with its tracker from now on (REST, socket.io, the shell)."""
    if MessageProcessor.parse_message is not _parse_typed_button:
        MessageProcessor.parse_message = _parse_typed_button  # type: ignore[method-assign]


def uninstall() -> None:
    MessageProcessor.parse_message = _original_parse_message  # type: ignore[method-assign]
