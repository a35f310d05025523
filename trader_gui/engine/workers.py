"""The engine's threads: one for the database, a few for broker calls.

Blocking work never runs on the loop thread: a commit or an SDK call that takes a second
must not freeze the window. One database thread also keeps every write in one order.

Group commit: the order steps' writes (`write`) that queue up while the database thread is
busy are run together in one transaction and committed once, instead of one commit each.
Each caller still gets its answer only after that commit, so nothing acts on a step before
it is durable. If any of them fails, the whole group is rolled back and each runs again on
its own, so a write's answer never depends on its neighbours: the functions given to `write`
must touch nothing but the database (they may run twice).

A broker call whose answer is written at once (`place_then_write`, step 5 of an order) goes
from the broker thread straight to the database thread: the loop is woken once, after the
commit, instead of once for the answer and once more for the write.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Generic, ParamSpec, TypeVar

log = logging.getLogger(__name__)
P = ParamSpec("P")
T = TypeVar("T")
C = TypeVar("C")
MAX_GROUP = 64
"""Writes committed together at most: bounds how long the first of them waits."""

Group = Callable[[], AbstractContextManager[object]]
"""A transaction for everything the database thread runs inside it, committed at its end and
rolled back whole on an error. `OrderRepository.transaction` is one."""


@dataclass(slots=True)
class _Write:
    call: Callable[[], Any]
    future: asyncio.Future[Any]
    loop: asyncio.AbstractEventLoop


class Workers:
    def __init__(self, broker_threads: int = 4, *, group: Group | None = None) -> None:
        self._db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="trader-db")
        self._broker = ThreadPoolExecutor(
            max_workers=broker_threads, thread_name_prefix="trader-broker"
        )
        self._group = group
        self._writes: list[_Write] = []
        self._writes_lock = threading.Lock()
        self._drain_queued = False

    async def db(self, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._db, functools.partial(function, *args, **kwargs))

    async def write(self, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a write on the database thread, perhaps committed together with other writes
        waiting beside it; returns once it is committed. Without a group, as `db`."""
        if self._group is None:
            return await self.db(function, *args, **kwargs)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._enqueue(_Write(functools.partial(function, *args, **kwargs), future, loop))
        return await future

    def _enqueue(self, item: _Write) -> None:
        """Queue a write for the database thread (from any thread); `RuntimeError` when
        the workers are shut down (the write is taken back)."""
        if self._group is None:
            self._db.submit(self._run, [item])
            return
        with self._writes_lock:
            self._writes.append(item)
            queue_drain = not self._drain_queued
            self._drain_queued = True
        if queue_drain:
            try:
                self._db.submit(self._drain)
            except RuntimeError:  # shut down: take the write back, say so
                with self._writes_lock:
                    self._writes.remove(item)
                    self._drain_queued = False
                raise

    def _drain(self) -> None:
        """On the database thread: run the writes waiting now (up to MAX_GROUP), committed
        together. More waiting: another turn is queued behind the work already queued, so
        reads and the watcher's pass are not starved; during shutdown, they run now."""
        with self._writes_lock:
            batch, self._writes = self._writes[:MAX_GROUP], self._writes[MAX_GROUP:]
            more = bool(self._writes)
            self._drain_queued = more
        try:
            self._run(batch)
        finally:
            if more:
                try:
                    self._db.submit(self._drain)
                except RuntimeError:  # shutting down: no new turns are taken
                    self._drain()

    def _run(self, batch: list[_Write]) -> None:
        batch = [item for item in batch if not item.future.cancelled()]
        if not batch:
            return
        outcomes = [_outcome(batch[0].call)] if len(batch) == 1 else self._run_group(batch)
        for loop in {item.loop for item in batch}:
            settled = [
                (item.future, outcome)
                for item, outcome in zip(batch, outcomes, strict=True)
                if item.loop is loop
            ]
            with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits
                loop.call_soon_threadsafe(_settle, settled)

    def _run_group(self, batch: list[_Write]) -> list[tuple[bool, Any]]:
        """All in one transaction; if any of them fails, or the commit does, that transaction
        is rolled back whole and each runs again alone, answered as if never grouped."""
        assert self._group is not None
        try:
            with self._group():
                results = [item.call() for item in batch]
        except Exception as error:
            log.info("a group of %d writes rolled back (%s): each runs alone", len(batch), error)
            return [_outcome(item.call) for item in batch]
        return [(True, result) for result in results]

    async def broker(
        self, limit_s: float, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run a broker call; `TimeoutError` when it has not answered within `limit_s` seconds.

        The thread may go on waiting for the SDK; the engine treats the outcome as unknown.
        """
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._broker, functools.partial(function, *args, **kwargs))
        return await asyncio.wait_for(future, limit_s)

    async def place_then_write(
        self,
        limit_s: float,
        call: Callable[[], Any],
        plan: Callable[[bool, Any], C | None],
        write: Callable[[C], T],
    ) -> Placed[C, T]:
        """A broker call whose answer is written at once, with one wake-up of the loop.

        On the broker thread: `call`, then `plan(ok, answer-or-exception)`: the write that
        answer needs, or None to hand the answer back to the loop unwritten. A write goes from
        the broker thread to the database thread (grouped as `write` is) and the loop is
        answered once it is committed. `TimeoutError` when the broker has not answered within
        `limit_s`: its late answer is then dropped, never written (as with `broker`).
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        handoff = _Handoff(threading.Lock())

        def on_broker_thread() -> None:
            answer = _outcome(call)
            try:
                planned = plan(*answer)
            except BaseException as error:  # a bug in plan: the loop hears of it
                answer, planned = (False, error), None
            with handoff.lock:
                if handoff.dropped:
                    return
                handoff.answer, handoff.planned = answer, planned
                handoff.handed = True
            settled: tuple[bool, Any] = (True, None)
            if planned is not None:
                try:
                    self._enqueue(_Write(functools.partial(write, planned), future, loop))
                    return
                except RuntimeError as error:  # shut down: the write's error, as `write`'s
                    settled = (False, error)
            with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits
                loop.call_soon_threadsafe(_settle, [(future, settled)])

        def on_timeout() -> None:
            with handoff.lock:
                if handoff.handed:
                    return
                handoff.dropped = True
            if not future.done():
                future.set_exception(TimeoutError())

        timer = loop.call_later(limit_s, on_timeout)
        try:
            self._broker.submit(on_broker_thread)
            try:
                written = await future
            except Exception as error:
                if handoff.handed and handoff.planned is not None:  # the write failed
                    return Placed(handoff.answer, handoff.planned, None, error)
                raise
        except BaseException:
            with handoff.lock:
                handoff.dropped = True
            raise
        finally:
            timer.cancel()
        return Placed(handoff.answer, handoff.planned, written, None)

    def shutdown(self) -> None:
        """Stop taking work; running calls finish on their own (adapters bound them by timeouts)."""
        self._broker.shutdown(wait=False, cancel_futures=True)
        self._db.shutdown(wait=True, cancel_futures=False)


@dataclass(slots=True)
class Placed(Generic[C, T]):
    """What `place_then_write` did: the broker's answer, and the write it led to, if any."""

    answer: tuple[bool, Any]
    """(True, the call's result) or (False, the exception it raised)."""
    planned: C | None
    """What `plan` made of the answer; None when nothing was written."""
    written: T | None
    """The write's result, once committed."""
    error: Exception | None
    """The write's error: the answer was not recorded."""


@dataclass(slots=True)
class _Handoff:
    """Who got there first, under `lock`: the broker thread handing its answer on, or the
    timeout (or a cancelled caller) dropping it."""

    lock: threading.Lock
    answer: tuple[bool, Any] = (False, None)
    planned: Any = None
    handed: bool = False
    dropped: bool = False


def _outcome(call: Callable[[], Any]) -> tuple[bool, Any]:
    """(True, result) or (False, the exception): each write answered on its own."""
    try:
        return True, call()
    except BaseException as error:
        return False, error


def _settle(settled: list[tuple[asyncio.Future[Any], tuple[bool, Any]]]) -> None:
    """On the loop: hand each waiting write its answer, all in one wake-up."""
    for future, (ok, value) in settled:
        if future.cancelled():
            continue
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)
