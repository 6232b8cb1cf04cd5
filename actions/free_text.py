"""A typed answer the shop refused as text (shop/text.py): say what is wrong; the form asks again.

The shop's services decide what a field may hold and raise ``invalid_input`` with the field and the
problem; this maps the problem to its response (domain/responses/free_text.yml), naming the field.
"""

from __future__ import annotations

from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.wording import label
from shop.errors import DomainError
from shop.text import CONTROL, MARKUP, SYMBOLS, TOO_LONG

PROBLEM_RESPONSES = {MARKUP: "utter_text_markup", CONTROL: "utter_text_control", TOO_LONG: "utter_text_too_long",
                     SYMBOLS: "utter_text_symbols"}


def say_why_refused(
    error: DomainError, dispatcher: CollectingDispatcher, domain: DomainDict, otherwise: str, **otherwise_params: str
) -> None:
    """The problem's response for a refused text field, else `otherwise` (the field's own "invalid" reply)."""
    response = PROBLEM_RESPONSES.get(str(error.details.get("problem")))
    if error.code != "invalid_input" or response is None:
        dispatcher.utter_message(response=otherwise, **otherwise_params)
        return
    field = str(error.details.get("field", ""))
    dispatcher.utter_message(response=response, field=label(domain, "text_field", field),
                             max_len=str(error.details.get("max_len", "")))
