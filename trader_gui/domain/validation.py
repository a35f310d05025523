"""Ticket rules, each with its own sentence, tied to the form field it is about.

Two stages. `parse_ticket` turns loose input (a form, a CSV row, JSON) into a typed
`OrderCommand`, refusing anything that is not even the right kind of value; it never raises.
`validate_command` checks a typed command against the instrument's rules; the engine runs it
in step 2 and records a failure as FAILED / VALIDATION_FAILED.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import TypeVar

from trader_gui.domain.enums import (
    Exchange,
    ExecutionType,
    OrderType,
    Product,
    Side,
    Source,
)
from trader_gui.domain.ids import is_valid_command_id, new_command_id
from trader_gui.domain.instruments import PRODUCTS_BY_EXCHANGE, InstrumentCatalog
from trader_gui.domain.order import OrderCommand
from trader_gui.domain.prices import is_on_tick, to_decimal

TICKET_FIELDS = (
    "symbol",
    "exchange",
    "side",
    "quantity",
    "order_type",
    "price",
    "trigger_price",
    "product",
    "strategy",
    "execution_type",
)
MAX_STRATEGY_LENGTH = 40


@dataclass(frozen=True, slots=True)
class FieldError:
    """A reason a ticket cannot go, and the field the window marks red."""

    field: str
    message: str


@dataclass(frozen=True, slots=True)
class ParseResult:
    command: OrderCommand | None
    errors: tuple[FieldError, ...]

    @property
    def ok(self) -> bool:
        return self.command is not None


E = TypeVar("E", bound=StrEnum)


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _enum(
    raw: Mapping[str, object], name: str, kind: type[E], label: str, errors: list[FieldError]
) -> E | None:
    value = raw.get(name)
    text = _text(value).upper().replace("_", "-") if kind is OrderType else _text(value).upper()
    if not text:
        errors.append(FieldError(name, f"{label} is required."))
        return None
    try:
        return kind(text)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        errors.append(FieldError(name, f"{label} must be one of {allowed}, not {value!r}."))
        return None


def _quantity(raw: Mapping[str, object], errors: list[FieldError]) -> int | None:
    value = raw.get("quantity")
    if isinstance(value, bool):  # JSON true is not 1 share
        errors.append(FieldError("quantity", f"Quantity must be a whole number, not {value!r}."))
        return None
    number: Decimal | None = to_decimal(value)
    if number is None:
        if value is None or (isinstance(value, str) and not value.strip()):
            errors.append(FieldError("quantity", "Quantity is required."))
        else:
            errors.append(
                FieldError("quantity", f"Quantity must be a whole number, not {value!r}.")
            )
        return None
    if number != number.to_integral_value():
        errors.append(FieldError("quantity", f"Quantity must be a whole number, not {value!r}."))
        return None
    if number <= 0:
        errors.append(FieldError("quantity", "Quantity must be more than zero."))
        return None
    if number > 10**9:
        errors.append(FieldError("quantity", f"Quantity {number} is not a real order size."))
        return None
    return int(number)


def _price(
    raw: Mapping[str, object], name: str, label: str, errors: list[FieldError]
) -> Decimal | None:
    value = raw.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    number = to_decimal(value)
    if number is None:
        errors.append(FieldError(name, f"{label} must be a number, not {value!r}."))
        return None
    if abs(number) > Decimal(10) ** 9:
        errors.append(FieldError(name, f"{label} {number} is not a real price."))
        return None
    return number


def parse_ticket(
    raw: Mapping[str, object],
    *,
    client_id: str,
    source: Source = Source.MANUAL,
    command_id: str | None = None,
    ticket_id: str | None = None,
) -> ParseResult:
    """Loose fields to a typed command, or every reason it cannot be one. Never raises."""
    errors: list[FieldError] = []
    if not isinstance(raw, Mapping):
        return ParseResult(None, (FieldError("ticket", "A ticket must be a set of fields."),))
    if command_id is not None and not is_valid_command_id(command_id):
        errors.append(
            FieldError("command_id", "A command id is 1 to 20 letters and digits, nothing else.")
        )
    symbol = _text(raw.get("symbol")).upper()
    if not symbol:
        errors.append(FieldError("symbol", "Symbol is required."))
    exchange = _enum(raw, "exchange", Exchange, "Exchange", errors)
    side = _enum(raw, "side", Side, "Side", errors)
    quantity = _quantity(raw, errors)
    order_type = _enum(raw, "order_type", OrderType, "Order type", errors)
    product = _enum(raw, "product", Product, "Product", errors)
    execution_type = _enum(raw, "execution_type", ExecutionType, "Entry/exit", errors)
    price = _price(raw, "price", "Price", errors)
    trigger = _price(raw, "trigger_price", "Trigger price", errors)
    strategy = _text(raw.get("strategy"))
    if not strategy:
        errors.append(FieldError("strategy", "Strategy name is required."))
    elif len(strategy) > MAX_STRATEGY_LENGTH:
        errors.append(
            FieldError(
                "strategy", f"Strategy name is longer than {MAX_STRATEGY_LENGTH} characters."
            )
        )
    if not _text(client_id):
        errors.append(FieldError("client_id", "Account (client id) is required."))
    if errors:
        return ParseResult(None, tuple(errors))
    if not (exchange and side and quantity and order_type and product and execution_type):
        return ParseResult(None, (FieldError("ticket", "The ticket is incomplete."),))
    command = OrderCommand(
        command_id=command_id or new_command_id(),
        client_id=client_id.strip(),
        symbol=symbol,
        exchange=exchange,
        side=side,
        quantity=quantity,
        order_type=order_type,
        product=product,
        strategy=strategy,
        execution_type=execution_type,
        source=source,
        price=price,
        trigger_price=trigger,
        ticket_id=ticket_id,
    )
    return ParseResult(command, ())


def validate_command(command: OrderCommand, catalog: InstrumentCatalog) -> list[FieldError]:
    """The exchange's and the program's rules for a typed command; empty when it may go."""
    errors: list[FieldError] = []
    instrument = catalog.get(command.exchange, command.symbol)
    if instrument is None:
        listed = catalog.by_symbol(command.symbol)
        if listed:
            where = ", ".join(sorted(i.exchange.value for i in listed))
            errors.append(
                FieldError(
                    "exchange",
                    f"{command.symbol} is not listed on {command.exchange}: try {where}.",
                )
            )
        else:
            errors.append(
                FieldError("symbol", f"Unknown symbol {command.symbol} on {command.exchange}.")
            )
    allowed_products = PRODUCTS_BY_EXCHANGE[command.exchange]
    if command.product not in allowed_products:
        names = " or ".join(sorted(p.value for p in allowed_products))
        errors.append(
            FieldError(
                "product",
                f"Product {command.product} is not allowed on {command.exchange}: use {names}.",
            )
        )
    if command.quantity <= 0:
        errors.append(FieldError("quantity", "Quantity must be more than zero."))
    elif instrument is not None and command.quantity % instrument.lot_size:
        lots = command.quantity / instrument.lot_size
        errors.append(
            FieldError(
                "quantity",
                f"Quantity {command.quantity} is not a whole number of lots: the lot size of "
                f"{command.symbol} is {instrument.lot_size} ({lots:.2f} lots).",
            )
        )
    tick = instrument.tick_size if instrument is not None else None
    price, trigger = command.price, command.trigger_price
    if command.order_type.needs_price:
        if price is None:
            errors.append(FieldError("price", f"A {command.order_type} order needs a price."))
        elif price <= 0:
            errors.append(FieldError("price", "Price must be more than zero."))
        elif tick is not None and not is_on_tick(price, tick):
            errors.append(
                FieldError(
                    "price",
                    f"Price {price} is not on the tick: {command.symbol} moves in steps of {tick}.",
                )
            )
    elif price is not None:
        errors.append(
            FieldError("price", f"A {command.order_type} order carries no price; clear the field.")
        )
    if command.order_type.needs_trigger:
        if trigger is None:
            errors.append(
                FieldError("trigger_price", f"A {command.order_type} order needs a trigger price.")
            )
        elif trigger <= 0:
            errors.append(FieldError("trigger_price", "Trigger price must be more than zero."))
        elif tick is not None and not is_on_tick(trigger, tick):
            errors.append(
                FieldError(
                    "trigger_price",
                    f"Trigger {trigger} is not on the tick: {command.symbol} moves in steps of {tick}.",
                )
            )
        elif command.order_type is OrderType.SL and price is not None and price > 0:
            errors.extend(_trigger_side_errors(command.side, price, trigger))
    elif trigger is not None:
        errors.append(
            FieldError(
                "trigger_price",
                f"A {command.order_type} order carries no trigger; clear the field.",
            )
        )
    if not command.strategy.strip():
        errors.append(FieldError("strategy", "Strategy name is required."))
    return errors


def _trigger_side_errors(side: Side, price: Decimal, trigger: Decimal) -> list[FieldError]:
    """A stop-loss buy triggers on the way up, so its limit is at or above the trigger."""
    if side is Side.BUY and trigger > price:
        return [
            FieldError(
                "trigger_price",
                f"For a BUY stop-loss the trigger ({trigger}) must be at or below the price ({price}).",
            )
        ]
    if side is Side.SELL and trigger < price:
        return [
            FieldError(
                "trigger_price",
                f"For a SELL stop-loss the trigger ({trigger}) must be at or above the price ({price}).",
            )
        ]
    return []


def summarise(errors: list[FieldError] | tuple[FieldError, ...]) -> str:
    """All reasons as one sentence block, for the orders table and the blockers panel."""
    return " ".join(error.message for error in errors)
