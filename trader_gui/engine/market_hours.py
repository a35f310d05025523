"""The market calendar as the engine uses it: one broker's rules at the engine's clock.

Step 2 asks `clearance` whether a ticket goes now, goes as an after-market order (AMO) or is
refused (MARKET_CLOSED, MIS_CUTOFF); the window asks `preview` before the trader presses
Buy/Sell, `states` for the status bar and `square_off_at` for the positions countdown. The
decisions themselves are the calendar's (domain/market_calendar.py); this module only picks
the broker, the clock and the tag.

A kill-switch square-off is never turned into an AMO: the trader pressed it to be flat now,
and an order held until tomorrow's open is not that. It is refused with the reason instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from trader_gui.domain.enums import Exchange, Product, Source, Tag
from trader_gui.domain.market_calendar import (
    MarketCalendar,
    MarketState,
    MarketStatus,
    OrderWindow,
    WindowKind,
    day_label,
    hhmm,
    to_ist,
)
from trader_gui.domain.order import OrderCommand


@dataclass(frozen=True, slots=True)
class Clearance:
    """Step 2's session answer: refused (`tag` and `sentence`), an AMO, or a normal order."""

    amo: bool = False
    tag: Tag | None = None
    sentence: str = ""

    @property
    def refused(self) -> bool:
        return self.tag is not None


OPEN = Clearance()
"""No calendar, or the exchange takes the order now."""


@dataclass(frozen=True, slots=True)
class SessionNote:
    """The order form's line about the market's hours: goes as an AMO, or will be refused."""

    text: str
    refused: bool
    detail: str = ""
    """The calendar's full sentence (the broker's AMO window), for a tooltip."""


class MarketHours:
    """Sessions, AMO windows and MIS cut-offs for the engine's broker, at the engine's clock."""

    def __init__(
        self, calendar: MarketCalendar, broker: str, clock: Callable[[], datetime]
    ) -> None:
        calendar.broker(broker)  # a broker the data has no rules for is refused here, at start
        self.calendar = calendar
        self.broker = broker
        self._clock = clock

    def window(self, command: OrderCommand) -> OrderWindow:
        return self.calendar.order_window(
            self.broker,
            command.exchange,
            command.product,
            self._clock(),
            entry=command.is_entry,
        )

    def clearance(self, command: OrderCommand) -> Clearance:
        """Whether `command` goes now, as an AMO, or not at all (with its tag and sentence)."""
        window = self.window(command)
        state = window.state
        if window.kind is WindowKind.NORMAL:
            return OPEN
        if window.kind is WindowKind.AMO:
            if command.source is Source.FLATTEN:
                reason = self.calendar.closed_reason(state.exchange, self._clock())
                return Clearance(
                    tag=Tag.MARKET_CLOSED,
                    sentence=f"{state.exchange} is closed ({reason}){_opens_phrase(state)}. "
                    "A kill-switch square-off is not sent as an after-market order: the "
                    "position stays open until the market opens; exit it then, or place an "
                    "AMO exit yourself.",
                )
            return Clearance(amo=True, sentence=window.sentence)
        if state.accepts_orders and state.status in (MarketStatus.OPEN, MarketStatus.PRE_OPEN):
            return Clearance(tag=Tag.MIS_CUTOFF, sentence=window.sentence)
        opens = _opens_at(state)
        sentence = window.sentence
        if opens is not None and opens not in sentence:
            sentence += f" {state.exchange} opens {opens} IST."
        return Clearance(tag=Tag.MARKET_CLOSED, sentence=sentence)

    def preview(self, command: OrderCommand) -> SessionNote | None:
        """A line for the order form when the ticket would not go as a normal order now."""
        clearance = self.clearance(command)
        if clearance.amo:
            opens = _opens_at(self.window(command).state)
            when = f" (opens {opens})" if opens else ""
            return SessionNote(
                f"Market closed: this order will go as an AMO{when}.",
                refused=False,
                detail=clearance.sentence,
            )
        if clearance.refused:
            return SessionNote(
                f"Will be refused: {clearance.sentence}", refused=True, detail=clearance.sentence
            )
        return None

    def states(self, exchanges: Iterable[Exchange]) -> list[MarketState]:
        now = self._clock()
        return [self.calendar.state(exchange, now) for exchange in exchanges]

    def square_off_at(self, exchange: Exchange, product: Product) -> datetime | None:
        """When the broker squares off today's `product` positions on `exchange`, if it does."""
        today = to_ist(self._clock()).date()
        return self.calendar.square_off_at(self.broker, exchange, product, today)


def _opens_at(state: MarketState) -> str | None:
    """`Mon 30 Nov 09:15`: when the exchange next opens, or None if the data lists no open."""
    if state.next_open is None:
        return None
    return f"{day_label(state.next_open.date())} {hhmm(state.next_open)}"


def _opens_phrase(state: MarketState) -> str:
    opens = _opens_at(state)
    return f"; it opens {opens} IST" if opens else ""
