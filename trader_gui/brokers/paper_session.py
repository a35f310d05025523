"""The paper broker's session mode: it keeps the market's hours as a real broker does.

Off (the default) the paper broker fills at any hour, so a fresh machine at night still shows
the program working. On, it follows the market calendar under the paper broker's own rules
(`[brokers.paper]` in the calendar file): a regular order for a closed exchange is rejected in
the broker's words, an AMO is held and fills from the next open, nothing fills while the
exchange is shut, and open MIS positions are squared off at the square-off time.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from trader_gui.brokers.base import PlaceOrderRequest
from trader_gui.domain.enums import Exchange, Product
from trader_gui.domain.market_calendar import MarketCalendar, MarketStatus, day_label, hhmm, to_ist

RULES = "paper"
"""The calendar's broker key for the paper broker's own AMO and square-off rules."""
LOOKBACK_DAYS = 15
"""How far back a left-over MIS position's missed square-off is looked for (past holidays)."""


class PaperSession:
    def __init__(self, calendar: MarketCalendar) -> None:
        calendar.broker(RULES)  # rules missing from the data: refused when the broker is built
        self.calendar = calendar

    def rejection(self, request: PlaceOrderRequest, now: datetime) -> str | None:
        """The broker's refusal of an order the exchange cannot take now, or None."""
        state = self.calendar.state(request.exchange, now)
        taking = state.accepts_orders and state.status in (MarketStatus.OPEN, MarketStatus.PRE_OPEN)
        if request.amo:
            if taking:
                return (
                    f"AMO not allowed: {request.exchange} is open; place a regular order instead."
                )
            window = self.calendar.order_window(RULES, request.exchange, request.product, now)
            if not window.ok:
                return f"AMO not accepted now: {window.sentence}"
            return None
        if taking:
            return None
        reason = self.calendar.closed_reason(request.exchange, now)
        return (
            f"Markets are closed right now ({request.exchange}: {reason}). Place an AMO, or "
            f"place the order when the market opens{_at(state.next_open)}."
        )

    def release_at(self, exchange: Exchange, now: datetime) -> datetime | None:
        """When a held AMO reaches the exchange: its next open."""
        return self.calendar.next_open(exchange, now)

    def held_message(self, exchange: Exchange, now: datetime) -> str:
        return f"AMO held until the market opens{_at(self.release_at(exchange, now))}"

    def trading(self, exchange: Exchange, now: datetime) -> bool:
        """Whether orders can fill now: continuous trading only."""
        return self.calendar.state(exchange, now).is_open

    def square_off_due(
        self, exchange: Exchange, product: Product, now: datetime
    ) -> datetime | None:
        """The square-off an open `product` position has missed, or None while it may stay.

        Past today's square-off time it is today's. Outside a session (before the open, or
        a shut day) an MIS position still open can only be left over from an earlier day,
        when the program was not running at its square-off: the latest earlier one."""
        if product is not Product.MIS:
            return None
        today = to_ist(now).date()
        at = self.calendar.square_off_at(RULES, exchange, product, today)
        if at is not None and now >= at:
            return at
        if self.trading(exchange, now):
            return None
        for back in range(1, LOOKBACK_DAYS + 1):
            earlier = self.calendar.square_off_at(
                RULES, exchange, product, today - timedelta(days=back)
            )
            if earlier is not None:
                return earlier
        return None


def _at(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return f" ({day_label(moment.date())} {hhmm(moment)} IST)"
