"""Access to the shop backend for actions: one unit of work per call, failures made polite."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, configure_mappers

from actions.identity import current_customer
from shop.db import make_engine, session_scope
from shop.errors import DomainError

logger = logging.getLogger(__name__)

Result = TypeVar("Result")

# SQLAlchemy configures all mappers lazily at the first query: 45 ms that the first shopper of
# every action server process would wait. Do it while the server starts instead (no DB access).
configure_mappers()


class BackendUnavailable(Exception):
    """The shop database could not be reached; the shopper was told politely."""


@contextmanager
def shop_session(dispatcher: CollectingDispatcher, busy_response: str = "utter_system_busy") -> Iterator[Session]:
    """A committed-on-success session; database failures become `busy_response`.

    Domain errors pass through for the caller to map to a response.
    """
    try:
        with session_scope(make_engine()) as session:
            yield session
    except (SQLAlchemyError, OSError):  # OSError: e.g. the SQLite file's directory cannot be created
        logger.exception("shop database unavailable")
        dispatcher.utter_message(response=busy_response)
        raise BackendUnavailable() from None


def ask_for_shopper(
    tracker: Tracker, dispatcher: CollectingDispatcher, service: Callable[[Session, int], Result]
) -> Result | None:
    """Run one read-only service for the identified shopper's slot order.

    None when nobody is identified, the order is refused (the shopper is told it was not
    found: refusals never reveal more) or the database is down (told it is busy).
    """
    customer_id = current_customer(tracker)
    if customer_id is None:
        return None
    try:
        with shop_session(dispatcher) as session:
            return service(session, customer_id)
    except DomainError:
        dispatcher.utter_message(response="utter_order_not_found")
    except BackendUnavailable:
        pass
    return None


# Refusals every flow words the same way; a flow names its own responses for the codes it explains.
COMMON_REFUSALS = {"not_found": "utter_order_not_found"}


def say_refusal(
    error: DomainError, dispatcher: CollectingDispatcher, responses: dict[str, str] | None = None, **values: object,
) -> None:
    """Words a service's refusal: the flow's response for its code, else the common one (an order not
    found), else the generic `utter_request_failed` with the code."""
    response = (responses or {}).get(error.code) or COMMON_REFUSALS.get(error.code)
    if response is None:
        dispatcher.utter_message(response="utter_request_failed", code=error.code)
    else:
        dispatcher.utter_message(response=response, **values)
