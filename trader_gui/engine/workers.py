"""The engine's threads: one for the database, a few for broker calls.

Blocking work never runs on the loop thread: a commit or an SDK call that takes a second
must not freeze the window. One database thread also keeps every write in one order.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

log = logging.getLogger(__name__)
P = ParamSpec("P")
T = TypeVar("T")


class Workers:
    def __init__(self, broker_threads: int = 4) -> None:
        self._db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="trader-db")
        self._broker = ThreadPoolExecutor(
            max_workers=broker_threads, thread_name_prefix="trader-broker"
        )

    async def db(self, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._db, functools.partial(function, *args, **kwargs))

    async def broker(
        self, limit_s: float, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run a broker call; `TimeoutError` when it has not answered within `limit_s` seconds.

        The thread may go on waiting for the SDK; the engine treats the outcome as unknown.
        """
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._broker, functools.partial(function, *args, **kwargs))
        return await asyncio.wait_for(future, limit_s)

    def shutdown(self) -> None:
        """Stop taking work; running calls finish on their own (adapters bound them by timeouts)."""
        self._broker.shutdown(wait=False, cancel_futures=True)
        self._db.shutdown(wait=True, cancel_futures=False)
