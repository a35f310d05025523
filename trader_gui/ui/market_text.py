"""The market's clock in a few words: the status bar's market state and the positions
panel's square-off countdown. Pure text, so both read the same and are tested without Qt."""

from __future__ import annotations

from datetime import datetime, timedelta

from trader_gui.domain.market_calendar import MarketState, MarketStatus, day_label, hhmm, to_ist

SQUARE_OFF_AMBER = timedelta(minutes=15)
SQUARE_OFF_RED = timedelta(minutes=5)


def market_line(state: MarketState, now: datetime) -> str:
    """`NSE open · closes 15:30`, `NFO closed · opens Mon 09:15`, `NSE holiday: Diwali`."""
    name = state.exchange.value
    if state.status is MarketStatus.OPEN:
        closes = f" · closes {hhmm(to_ist(state.until))}" if state.until else ""
        return f"{name} open{closes}"
    if state.status is MarketStatus.PRE_OPEN:
        return f"{name} pre-open{_opens(state, now)}"
    if state.status is MarketStatus.CLOSING_SESSION:
        until = f" until {hhmm(to_ist(state.until))}" if state.until else ""
        return f"{name} closing session{until}"
    if state.status is MarketStatus.HOLIDAY and state.holiday:
        return f"{name} holiday: {state.holiday}{_opens(state, now)}"
    return f"{name} closed{_opens(state, now)}"


def _opens(state: MarketState, now: datetime) -> str:
    if state.next_open is None:
        return ""
    opens = to_ist(state.next_open)
    if opens.date() == to_ist(now).date():
        return f" · opens {hhmm(opens)}"
    return f" · opens {day_label(opens.date())[:3]} {hhmm(opens)}"


def square_off_countdown(square_off_at: datetime, now: datetime) -> tuple[str, str]:
    """(text, level) for an open MIS position: `auto square-off in 12:34`; level is `ok`,
    `warn` under 15 minutes, `bad` under 5 and once the time has passed."""
    left = square_off_at - now
    if left <= timedelta(0):
        return f"auto square-off due at {hhmm(to_ist(square_off_at))}", "bad"
    seconds = int(left.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    clock = f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes:02d}:{seconds:02d}"
    level = "bad" if left < SQUARE_OFF_RED else "warn" if left < SQUARE_OFF_AMBER else "ok"
    return f"auto square-off in {clock}", level
