"""Prices are Decimals: a tick check on floats is a bug waiting for 0.1 + 0.2."""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, ROUND_UP, Decimal, InvalidOperation


def to_decimal(value: object) -> Decimal | None:
    """A price from a form, a CSV cell or JSON, or None when it is not a finite number."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int | float | str):
        text = str(value).strip().replace(",", "")
        if not text:
            return None
        try:
            number = Decimal(text)
        except InvalidOperation:
            return None
    else:
        return None
    if not number.is_finite():
        return None
    return number


def is_on_tick(price: Decimal, tick: Decimal) -> bool:
    return tick > 0 and price % tick == 0


def round_to_tick(price: Decimal, tick: Decimal, direction: str = "nearest") -> Decimal:
    """Round to a multiple of the tick: "nearest", "up" or "down"."""
    mode = {"nearest": ROUND_HALF_UP, "up": ROUND_UP, "down": ROUND_DOWN}[direction]
    steps = (price / tick).quantize(Decimal(1), rounding=mode)
    return (steps * tick).quantize(tick)


def format_money(amount: Decimal | float | int) -> str:
    """Indian-style digits are a later nicety; commas every three digits read well for now."""
    return f"{Decimal(amount):,.2f}"
