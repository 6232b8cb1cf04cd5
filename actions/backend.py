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
def shop_session(dispatcher: CollectingDispatcher) -> Iterator[Session]:
    """A committed-on-success session; database failures become `utter_system_busy`.

    Domain errors pass through for the caller to map to a response.
    """
    try:
        with session_scope(make_engine()) as session:
            yield session
    except SQLAlchemyError:
        logger.exception("shop database unavailable")
        dispatcher.utter_message(response="utter_system_busy")
        raise BackendUnavailable() from None
