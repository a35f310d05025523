"""The words of the risk rules: how money, shares, counts and times read in their sentences.

Every sentence a risk rule produces names the limit, its value and the current figure, so a
trader reading the blockers panel at 11:42 knows what stopped the order without opening the
settings. The formatting helpers live here so every rule says numbers the same way.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_DOWN, ROUND_UP, Decimal

from trader_gui.domain.market_time import IST
from trader_gui.domain.prices import format_money

HUNDRED = Decimal(100)


def money(amount: Decimal) -> str:
    """Rupees as the rest of the window shows them: `-5,231.40`."""
    return format_money(amount)


def count(number: int) -> str:
    """A quantity or a count with thousands separators: `1,800`."""
    return f"{number:,d}"


def percent(value: Decimal) -> str:
    """A configured percentage without trailing zeros: `5`, `2.5`."""
    return format(value.normalize(), "f")


def percent_up(value: Decimal) -> str:
    """A measured percentage rounded away from zero to 2 places.

    Rounding up means a price just past a 5% guard reads `5.01%`, never a puzzling `5.00%`.
    """
    return f"{value.quantize(Decimal('0.01'), rounding=ROUND_UP)}"


def share_used(share: Decimal) -> str:
    """A share of a limit as a whole percent, rounded down so 99.99% never reads as 100%."""
    return f"{(share * HUNDRED).quantize(Decimal(1), rounding=ROUND_DOWN)}%"


def ist_time(moment: datetime) -> str:
    """A moment as the trader's wall clock shows it: `11:42:07 IST`."""
    return f"{moment.astimezone(IST):%H:%M:%S} IST"


def minutes(number: int) -> str:
    return "1 minute" if number == 1 else f"{number} minutes"


def plural(number: int, word: str) -> str:
    """`1 order`, `3 orders`: good enough for the few nouns the rules use."""
    return f"{count(number)} {word}" if number == 1 else f"{count(number)} {word}s"


# ---- sentences shared by the P&L transitions and the order check --------------------------


def daily_loss_reached(limit: Decimal, pnl: Decimal) -> str:
    return f"Daily loss limit {money(limit)} reached: today's P&L is {money(pnl)}."


def trailing_floor_reached(floor: Decimal, pnl: Decimal, peak: Decimal, giveback: Decimal) -> str:
    return (
        f"Trailing loss floor {money(floor)} reached: today's P&L is {money(pnl)} "
        f"(day's peak {money(peak)}, at most {money(giveback)} given back from the last step)."
    )


def max_loss_reached(limit: Decimal, pnl: Decimal) -> str:
    return f"Max loss limit {money(limit)} reached: today's P&L is {money(pnl)}."
