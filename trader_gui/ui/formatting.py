"""How values read in the window: local times with milliseconds, money, gaps between steps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from trader_gui.domain.enums import Source
from trader_gui.domain.market_time import IST
from trader_gui.domain.order import OrderCommand
from trader_gui.domain.prices import format_money


def local(at: datetime) -> datetime:
    """The trader's local time; a naive value is taken as UTC (as the engine stores it)."""
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone()


def ist(at: datetime) -> datetime:
    """Indian market time, whatever the computer's zone; a naive value is taken as UTC."""
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(IST)


def ist_stamp(at: datetime | None) -> str:
    """`25 Nov 2026 14:03:07 IST`: for records a trader may compare with the exchange."""
    if at is None:
        return ""
    return f"{ist(at):%d %b %Y %H:%M:%S} IST"


def clock_ms(at: datetime | None) -> str:
    """`14:03:07.215` in local time."""
    if at is None:
        return ""
    moment = local(at)
    return f"{moment:%H:%M:%S}.{moment.microsecond // 1000:03d}"


def date_clock_ms(at: datetime | None) -> str:
    if at is None:
        return ""
    moment = local(at)
    return f"{moment:%Y-%m-%d} {clock_ms(at)}"


def gap(delta: timedelta) -> str:
    """Time between two steps, as a trader reads it: `+12 ms`, `+1.204 s`, `+2 m 05 s`."""
    seconds = delta.total_seconds()
    if seconds < 0:
        return f"-{gap(-delta).lstrip('+')}"
    if seconds < 1:
        return f"+{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"+{seconds:.3f} s"
    minutes, rest = divmod(int(seconds), 60)
    if minutes < 60:
        return f"+{minutes} m {rest:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"+{hours} h {minutes:02d} m"


def money(amount: Decimal | None) -> str:
    return "" if amount is None else format_money(amount)


def signed_money(amount: Decimal | None) -> str:
    if amount is None:
        return ""
    text = format_money(amount)
    return text if amount < 0 else f"+{text}"


def price(amount: Decimal | None) -> str:
    """Prices keep their own decimals (a tick of 0.05 shows two places, never rounded)."""
    if amount is None:
        return ""
    places = max(2, -amount.normalize().as_tuple().exponent)  # type: ignore[operator]
    return f"{amount:,.{places}f}"


def source_text(command: OrderCommand) -> str:
    """Where an order came from: `EXTERNAL · tradingview` names the intake sender."""
    if command.source is Source.EXTERNAL and command.sender:
        return f"{command.source} · {command.sender}"
    return str(command.source)
