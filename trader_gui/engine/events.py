"""Plain events the engine emits; the window adapts them into Qt signals.

Handlers run synchronously on the loop thread, after the change is committed. A handler that
raises is logged and the others still run: a broken panel never stops the engine.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from trader_gui.domain.kill_switch import KillSwitchState
from trader_gui.domain.order import OrderRecord
from trader_gui.domain.transitions import Transition

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class OrderUpdated:
    record: OrderRecord
    transition: Transition


@dataclass(frozen=True, slots=True)
class KillSwitchChanged:
    client_id: str
    state: KillSwitchState


class Connection(StrEnum):
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    DISCONNECTED = "disconnected"
    LOGGED_OUT = "logged out"


@dataclass(frozen=True, slots=True)
class ConnectionChanged:
    state: Connection
    message: str = ""


@dataclass(frozen=True, slots=True)
class DatabaseHealthChanged:
    """The watcher could not (ok=False) or again could (ok=True) use the database; a broker
    disconnect is a ConnectionChanged. `reason` is the driver's or the OS's words."""

    ok: bool
    reason: str = ""


@dataclass(frozen=True, slots=True)
class PollCompleted:
    at: datetime
    latency_s: float
    ok: bool
    changes: int = 0
    error: str = ""


@dataclass(frozen=True, slots=True)
class PositionView:
    symbol: str
    exchange: str
    product: str
    quantity: int
    avg_price: Decimal
    last_price: Decimal
    pnl: Decimal


@dataclass(frozen=True, slots=True)
class PnlUpdated:
    at: datetime
    realised: Decimal
    unrealised: Decimal
    positions: tuple[PositionView, ...] = field(default_factory=tuple)

    @property
    def total(self) -> Decimal:
        return self.realised + self.unrealised


@dataclass(frozen=True, slots=True)
class OrdersQueued:
    """Orders of an account waiting for the order throttle (0 when the queue has drained)."""

    client_id: str
    count: int
    rate: int


class Level(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Notice:
    """A sentence for the trader: the status bar, the log panel, or a dialog for errors."""

    level: Level
    text: str


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
"""Literal, not `strftime("%b")`, which follows the desktop's locale."""


@dataclass(frozen=True, slots=True)
class MastersLoaded:
    """The instrument list in use: how many, whose masters, of which day (None: the sample)."""

    count: int
    source: str
    day: date | None = None

    @property
    def text(self) -> str:
        """`Symbols: 98,412 from Shoonya, 25 Nov`."""
        text = f"Symbols: {self.count:,} from {self.source}"
        return f"{text}, {self.day.day} {MONTHS[self.day.month - 1]}" if self.day else text


Event = (
    OrderUpdated
    | KillSwitchChanged
    | ConnectionChanged
    | DatabaseHealthChanged
    | PollCompleted
    | PnlUpdated
    | Notice
    | OrdersQueued
    | MastersLoaded
)
Handler = Callable[[Event], None]


class EventBus:
    def __init__(self) -> None:
        self._handlers: list[Handler] = []

    def subscribe(self, handler: Handler) -> Callable[[], None]:
        self._handlers.append(handler)

        def unsubscribe() -> None:
            if handler in self._handlers:
                self._handlers.remove(handler)

        return unsubscribe

    def emit(self, event: Event) -> None:
        for handler in list(self._handlers):
            try:
                handler(event)
            except Exception:
                log.exception("event handler %r failed on %s", handler, type(event).__name__)
