"""One order throttle per account, shared by every path that sends an order.

Exchanges require an algo registration above 10 orders a second per account, so by default
no more than 10 orders leave in any one-second window. Orders over the rate wait in the order
they came (an asyncio lock is first-come, first-served), never dropped.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable


class OrderThrottle:
    def __init__(
        self,
        rate: int | None = 10,
        per_s: float = 1.0,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        on_queue_change: Callable[[str, int], None] | None = None,
    ) -> None:
        self.rate = rate
        self.per_s = per_s
        self._monotonic = monotonic
        self._sleep = sleep
        self._on_queue_change = on_queue_change
        self._sent: dict[str, deque[float]] = {}

    async def wait_for_slot(self, client_id: str, queued: Callable[[], int] = lambda: 1) -> float:
        """Wait until an order may leave; returns the seconds waited. Does not take the slot.

        The caller holds the account's lock, so nobody takes the slot between this and
        `take`, and blocked orders, which never leave, do not use up the rate. `queued`
        counts the orders waiting (this one and those behind the lock), for the window.
        """
        if self.rate is None:
            return 0.0
        sent = self._sent.setdefault(client_id, deque())
        started = self._monotonic()
        while True:
            while sent and sent[0] + self.per_s <= self._monotonic():
                sent.popleft()
            if len(sent) < self.rate:
                break
            self._report(client_id, queued())
            await self._sleep(sent[0] + self.per_s - self._monotonic())
        return self._monotonic() - started

    def free(self, client_id: str) -> bool:
        """Whether an order may leave now without waiting (`wait_for_slot` would not wait)."""
        if self.rate is None:
            return True
        now = self._monotonic()
        sent = self._sent.get(client_id, ())
        return sum(1 for at in sent if at + self.per_s > now) < self.rate

    def take(self, client_id: str) -> None:
        """Record that an order left now."""
        if self.rate is not None:
            self._sent.setdefault(client_id, deque()).append(self._monotonic())

    def _report(self, client_id: str, queued: int) -> None:
        if self._on_queue_change is not None:
            self._on_queue_change(client_id, max(0, queued))
