"""Shop database access from async handlers: each unit of work runs in a worker thread."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.orm import Session

from shop.db import make_engine, session_scope

T = TypeVar("T")


async def in_session(work: Callable[[Session], T]) -> T:
    """Run ``work`` in one committed transaction (rolled back on any error) off the event loop."""

    def run() -> T:
        with session_scope(make_engine()) as session:
            return work(session)

    return await asyncio.get_running_loop().run_in_executor(None, run)
