"""Broker failures on demand, so the engine's handling of each one can be tested and soaked.

Faults are armed explicitly (`inject`) or drawn at random (`random`). An armed fault fires on
the next call that it applies to:

- ERROR_BEFORE_ACCEPT, TIMEOUT_AFTER_ACCEPT, REJECT, SLOW: the next order call
  (place_order, modify_order, cancel_order).
- ORDER_BOOK_ERROR: the next order_book call.
- SESSION_EXPIRED: takes effect at once; every call fails until `login()`.
"""

from __future__ import annotations

import logging
import random as _random
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from trader_gui.brokers.base import BrokerRejected, BrokerUnavailable, SessionExpired

logger = logging.getLogger(__name__)


class PaperFault(StrEnum):
    ERROR_BEFORE_ACCEPT = "ERROR_BEFORE_ACCEPT"
    """The call raises BrokerUnavailable and does nothing."""
    TIMEOUT_AFTER_ACCEPT = "TIMEOUT_AFTER_ACCEPT"
    """The call takes effect (the order exists), then raises BrokerUnavailable."""
    REJECT = "REJECT"
    """The call raises BrokerRejected with the message and does nothing."""
    SESSION_EXPIRED = "SESSION_EXPIRED"
    """Every call raises SessionExpired until login() is called."""
    SLOW = "SLOW"
    """The call takes effect, then sleeps delay_s real seconds before answering."""
    ORDER_BOOK_ERROR = "ORDER_BOOK_ERROR"
    """order_book raises BrokerUnavailable."""


class CallKind(StrEnum):
    """Which faults a broker call is exposed to."""

    ORDER = "ORDER"  # place, modify, cancel
    ORDER_BOOK = "ORDER_BOOK"
    READ = "READ"  # positions, quotes


ORDER_FAULTS = frozenset(
    {
        PaperFault.ERROR_BEFORE_ACCEPT,
        PaperFault.TIMEOUT_AFTER_ACCEPT,
        PaperFault.REJECT,
        PaperFault.SLOW,
    }
)
FAULTS_BY_CALL: dict[CallKind, frozenset[PaperFault]] = {
    CallKind.ORDER: ORDER_FAULTS | {PaperFault.SESSION_EXPIRED},
    CallKind.ORDER_BOOK: frozenset({PaperFault.ORDER_BOOK_ERROR, PaperFault.SESSION_EXPIRED}),
    CallKind.READ: frozenset({PaperFault.SESSION_EXPIRED}),
}

DEFAULT_MESSAGES: dict[PaperFault, str] = {
    PaperFault.ERROR_BEFORE_ACCEPT: "Connection aborted: the broker did not answer",
    PaperFault.TIMEOUT_AFTER_ACCEPT: "timed out waiting for the broker",
    PaperFault.REJECT: "RMS:Rule: order refused by the broker",
    PaperFault.SESSION_EXPIRED: "Session Expired : Invalid Session Key",
    PaperFault.SLOW: "",
    PaperFault.ORDER_BOOK_ERROR: "502 Bad Gateway: order book unavailable",
}
DEFAULT_SLOW_DELAY_S = 5.0


@dataclass(slots=True)
class FiredFault:
    """A fault that fires on the current call and still has to act after the call's work."""

    kind: PaperFault
    message: str
    delay_s: float


@dataclass(slots=True)
class _Armed:
    kind: PaperFault
    remaining: int
    message: str
    delay_s: float


@dataclass(slots=True)
class _RandomMode:
    rate: float
    kinds: tuple[PaperFault, ...]
    rng: _random.Random
    delay_s: float


class PaperFaults:
    """The broker's fault switchboard: `broker.faults`. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._armed: list[_Armed] = []
        self._random: _RandomMode | None = None
        self._session_expired: str | None = None
        self._fired: Counter[PaperFault] = Counter()

    def inject(
        self,
        kind: PaperFault,
        *,
        count: int = 1,
        message: str | None = None,
        delay_s: float | None = None,
    ) -> None:
        """Arm `kind` for the next `count` calls it applies to (SESSION_EXPIRED: until login)."""
        kind = PaperFault(kind)
        if count < 1:
            raise ValueError(f"count must be at least 1, got {count}")
        text = DEFAULT_MESSAGES[kind] if message is None else message
        delay = DEFAULT_SLOW_DELAY_S if delay_s is None else delay_s
        with self._lock:
            if kind is PaperFault.SESSION_EXPIRED:
                self._expire(text)
                return
            self._armed.append(_Armed(kind, count, text, delay))

    def random(
        self,
        rate: float,
        kinds: Iterable[PaperFault] = tuple(PaperFault),
        *,
        seed: int = 0,
        delay_s: float = 0.05,
    ) -> None:
        """Fire a random fault from `kinds` on each call with probability `rate`; 0 stops it."""
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"rate must be between 0 and 1, got {rate}")
        chosen = tuple(PaperFault(kind) for kind in kinds)
        with self._lock:
            if rate == 0.0 or not chosen:
                self._random = None
                return
            self._random = _RandomMode(rate, chosen, _random.Random(seed), delay_s)

    def clear(self) -> None:
        """Disarm everything, stop random mode and end a simulated session expiry."""
        with self._lock:
            self._armed.clear()
            self._random = None
            self._session_expired = None

    @property
    def fired(self) -> int:
        """How many faults have fired so far (a session expiry counts once)."""
        with self._lock:
            return sum(self._fired.values())

    @property
    def fired_by_kind(self) -> dict[PaperFault, int]:
        with self._lock:
            return dict(self._fired)

    @property
    def session_expired(self) -> bool:
        with self._lock:
            return self._session_expired is not None

    def login(self) -> None:
        """A fresh login ends a simulated session expiry."""
        with self._lock:
            self._session_expired = None

    def before_call(self, call: CallKind) -> FiredFault | None:
        """Raise the fault that stops this call, or return one that acts after its work."""
        with self._lock:
            fault = self._take(call)
            expired = self._session_expired
        if expired is not None:
            raise SessionExpired(expired)
        if fault is None:
            return None
        if fault.kind in (PaperFault.ERROR_BEFORE_ACCEPT, PaperFault.ORDER_BOOK_ERROR):
            raise BrokerUnavailable(fault.message)
        if fault.kind is PaperFault.REJECT:
            raise BrokerRejected(fault.message)
        return fault

    def _take(self, call: CallKind) -> FiredFault | None:
        """The fault firing on this call, if any; a session expiry is recorded, not returned."""
        if self._session_expired is not None:
            return None
        eligible = FAULTS_BY_CALL[call]
        fault = self._take_armed(eligible) or self._draw_random(eligible)
        if fault is None:
            return None
        self._fired[fault.kind] += 1
        logger.info("paper broker: fault %s fires on a %s call", fault.kind, call)
        if fault.kind is PaperFault.SESSION_EXPIRED:
            self._session_expired = fault.message
            return None
        return fault

    def _take_armed(self, eligible: frozenset[PaperFault]) -> FiredFault | None:
        for armed in self._armed:
            if armed.kind in eligible:
                armed.remaining -= 1
                if armed.remaining == 0:
                    self._armed.remove(armed)
                return FiredFault(armed.kind, armed.message, armed.delay_s)
        return None

    def _draw_random(self, eligible: frozenset[PaperFault]) -> FiredFault | None:
        mode = self._random
        if mode is None or mode.rng.random() >= mode.rate:
            return None
        kinds = [kind for kind in mode.kinds if kind in eligible]
        if not kinds:
            return None
        kind = mode.rng.choice(kinds)
        return FiredFault(kind, DEFAULT_MESSAGES[kind], mode.delay_s)

    def _expire(self, message: str) -> None:
        self._session_expired = message
        self._fired[PaperFault.SESSION_EXPIRED] += 1
        logger.info("paper broker: session expired (injected)")
