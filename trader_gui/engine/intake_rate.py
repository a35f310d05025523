"""The intake's door: a token bucket that answers a flood with 429 before any work is done.

A misbehaving sender (a strategy in a loop) can send hundreds of requests a second. Each one
beyond the rate costs a header parse and a fixed answer, nothing else: no body is read, no
JSON parsed, no database touched, so the window keeps painting and the watcher keeps polling.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class TokenBucket:
    """`rate` tokens a second, at most `depth` saved up; one token per request."""

    def __init__(
        self, rate: float, depth: int, *, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        if rate <= 0 or depth < 1:
            raise ValueError("a token bucket needs a rate above zero and a depth of one or more")
        self.rate = rate
        self.depth = depth
        self._monotonic = monotonic
        self._tokens = float(depth)
        self._at = monotonic()

    def try_take(self) -> bool:
        now = self._monotonic()
        self._tokens = min(float(self.depth), self._tokens + (now - self._at) * self.rate)
        self._at = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False

    def retry_after_s(self) -> float:
        """Seconds until the next token, for the Retry-After header."""
        return max(0.0, (1.0 - self._tokens) / self.rate)
