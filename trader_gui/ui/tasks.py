"""The window's own coroutines, kept so that none is lost, none fails silently, and none
outlives the window (closing awaits them all); and `in_thread` for the few blocking calls that
are not the engine's (the OS keyring), so the window never waits on them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

log = logging.getLogger(__name__)


class TaskKeeper:
    def __init__(self, on_error: Callable[[str], None] | None = None) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self._on_error = on_error
        self._closed = False

    def spawn(self, coroutine: Coroutine[Any, Any, Any], *, name: str) -> asyncio.Task[Any] | None:
        """Run a coroutine on the loop; its failure is logged and shown as a sentence."""
        if self._closed:
            coroutine.close()
            return None
        task = asyncio.get_running_loop().create_task(coroutine, name=f"ui:{name}")
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def __len__(self) -> int:
        return len(self._tasks)

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        error = task.exception()
        if error is None:
            return
        log.error("%s failed", task.get_name(), exc_info=error)
        if self._on_error is not None:
            self._on_error(f"{task.get_name().removeprefix('ui:')} failed: {error}")

    async def close(self) -> None:
        """Refuse new work, cancel what runs (except the caller) and wait for it to end."""
        self._closed = True
        current = asyncio.current_task()
        running = [task for task in self._tasks if task is not current]
        for task in running:
            task.cancel()
        if running:
            await asyncio.gather(*running, return_exceptions=True)


async def in_thread(function: Callable[..., T], *args: Any, name: str = "trader-ui-io") -> T:
    """Run a blocking call on a thread of its own and await its result (or its exception).

    The thread ends with the call; it is a daemon, so a call that hangs (a keyring waiting for
    its unlock prompt) never keeps the program from exiting. Awaiting it can be cancelled.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: Any, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)

    def run() -> None:
        result: Any = None
        failure: BaseException | None = None
        try:
            result = function(*args)
        except BaseException as error:  # handed to the awaiting coroutine
            failure = error
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
            loop.call_soon_threadsafe(settle, result, failure)

    threading.Thread(target=run, name=name, daemon=True).start()
    return await future
