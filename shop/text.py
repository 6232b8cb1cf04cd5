"""What a free-text field the shop stores may hold: a size and a shape.

Shoppers type invoice titles, addresses, names, e-mails and comments; all of it is stored, shown
back in confirmations, and rendered by the desk later. A value is refused (``invalid_input`` naming
the field, with ``details["problem"]`` saying what is wrong, so the bot can say it and ask again)
when it is empty, longer than its column, holds markup characters (``<`` ``>``), control characters
(NUL, escapes, bidirectional overrides) or, for names, titles and addresses, symbols such a value
never holds (``;``, quotes other than the apostrophe, ``=``, emoji...). Text a ticket is *made of*
(the summary the bot writes from the conversation) is not refused but neutralised with
`neutralise`, since the ticket must be opened anyway.
"""

from __future__ import annotations

import re
import unicodedata

from shop.errors import DomainError

#: Why a value was refused: ``details["problem"]`` of the ``invalid_input`` error.
REQUIRED, TOO_LONG, MARKUP, CONTROL, SYMBOLS = "required", "too_long", "markup", "control", "symbols"
PROBLEMS = (REQUIRED, TOO_LONG, MARKUP, CONTROL, SYMBOLS)

MARKUP_CHARS = frozenset("<>")
# Bidirectional overrides and isolates reorder what a reader sees (a title that displays differently
# from what is stored); zero-width spaces hide text. Format characters (Cf) otherwise, like the
# zero-width joiner of emoji sequences, are allowed in comments.
INVISIBLE_CHARS = frozenset("\u200b\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff")

#: Punctuation a name, title or address may hold, besides letters, digits, marks and spaces.
NAME_PUNCTUATION = frozenset("·•.-'’()（）")
TITLE_PUNCTUATION = NAME_PUNCTUATION | frozenset("&,，、/_＆")
ADDRESS_PUNCTUATION = TITLE_PUNCTUATION | frozenset("#＃-—–:：")

_SPACES = re.compile(r"\s+")


def _problem(field: str, problem: str, message: str, **details: object) -> DomainError:
    return DomainError("invalid_input", f"{field}: {message}", field=field, problem=problem, **details)


def _has_control(text: str, *, multiline: bool) -> bool:
    allowed = "\n\t" if multiline else ""
    return any(
        (unicodedata.category(char) in ("Cc", "Cs") and char not in allowed) or char in INVISIBLE_CHARS
        for char in text
    )


def clean_text(
    value: object,
    *,
    field: str,
    max_len: int,
    required: bool = True,
    multiline: bool = False,
    punctuation: frozenset[str] | None = None,
) -> str:
    """`value` stripped (runs of spaces made one, unless multiline), or ``invalid_input`` saying why not.

    ``punctuation``: when given, the value may hold only letters, digits, combining marks, spaces and
    these characters (names, titles, addresses); when None, any printable text (comments).
    Checked in this order: control characters, markup, length, symbols, so the shopper hears the
    most telling problem first. An empty optional value is "".
    """
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise _problem(field, REQUIRED, f"must be text, not {type(value).__name__}")
    text = value.strip() if multiline else _SPACES.sub(" ", value).strip()  # line breaks in one line: spaces
    if _has_control(text, multiline=multiline):
        raise _problem(field, CONTROL, "holds control characters")
    if not text:
        if required:
            raise _problem(field, REQUIRED, "is required")
        return ""
    if any(char in MARKUP_CHARS for char in text):
        raise _problem(field, MARKUP, "holds markup characters < >")
    if len(text) > max_len:
        raise _problem(field, TOO_LONG, f"longer than {max_len} characters", max_len=max_len)
    if punctuation is not None and not all(_plain(char, punctuation) for char in text):
        raise _problem(field, SYMBOLS, "holds symbols it cannot hold")
    return text


def unsafe_problem(text: str, *, multiline: bool = False) -> str | None:
    """`CONTROL` or `MARKUP` when `text` holds such characters, else None (for callers with their own rules)."""
    if _has_control(text, multiline=multiline):
        return CONTROL
    if any(char in MARKUP_CHARS for char in text):
        return MARKUP
    return None


def _plain(char: str, punctuation: frozenset[str]) -> bool:
    return char in punctuation or char == " " or unicodedata.category(char)[0] in "LNM"


def neutralise(value: object, *, max_len: int) -> str:
    """Text the system writes from what shoppers said (a ticket's summary): never refused, made harmless.

    Markup characters become their full-width forms (＜ ＞), control and invisible characters are
    dropped (line breaks and tabs kept), and the text is cut to `max_len` characters.
    """
    text = str(value or "").replace("<", "＜").replace(">", "＞")
    text = "".join(char for char in text if not _has_control(char, multiline=True))
    return text[:max_len]
