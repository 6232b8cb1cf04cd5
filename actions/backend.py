"""Access to the shop backend for actions: one unit of work per call, failures made polite."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from shop.db import make_engine, session_scope

logger = logging.getLogger(__name__)


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
