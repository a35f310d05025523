"""Kite's words and the program's: status words, order-book rows, positions, symbols, params.

Pure translation, no I/O, so every rule here is tested without a server. Kite spells its
interim statuses with spaces (`OPEN PENDING`, `TRIGGER PENDING`, ...); they are matched as Kite
spells them, and a word not listed here becomes `UNRECOGNISED` (shown, never acted on).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from trader_gui.brokers.base import BrokerOrder, BrokerPosition, PlaceOrderRequest
from trader_gui.domain.enums import BrokerState, Exchange, OrderType, Product, Side
from trader_gui.domain.instruments import InstrumentCatalog

BROKER_KEY = "kite"
"""The key of Kite's spelling in `Instrument.broker_symbols`."""

IST = timezone(timedelta(hours=5, minutes=30), "IST")
"""Kite's timestamps are Indian time without a zone."""

REGULAR = "regular"
AMO = "amo"
"""The two varieties this program places: a regular order, or an after-market order while
the exchange is shut. Others (co, iceberg) are read and cancelled."""

TAG_PATTERN = re.compile(r"[A-Za-z0-9]{1,20}")
"""Kite's `tag`: at most 20 characters; letters and digits keep it valid everywhere."""

PENDING_WORDS = frozenset(
    {
        "PUT ORDER REQ RECEIVED",
        "VALIDATION PENDING",
        "OPEN PENDING",
        "AMO REQ RECEIVED",
    }
)
"""Received by Kite, not yet live at the exchange."""

LIVE_INTERIM_WORDS = frozenset(
    {
        "MODIFY VALIDATION PENDING",
        "MODIFY PENDING",
        "MODIFIED",
        "CANCEL VALIDATION PENDING",
        "CANCEL PENDING",
    }
)
"""A change asked of an order that is live at the exchange: until it is done, it is open."""

FINAL_WORDS: Mapping[str, BrokerState] = {
    "COMPLETE": BrokerState.COMPLETE,
    "REJECTED": BrokerState.REJECTED,
    "CANCELLED": BrokerState.CANCELLED,
    "CANCELLED AMO": BrokerState.CANCELLED,
}


_E = TypeVar("_E", Exchange, Side, OrderType, Product)


class RowError(ValueError):
    """A row of Kite's reply that cannot be put in the program's words (say, a CDS order)."""


def state_for(status: str, filled_qty: int) -> BrokerState:
    """The common state of a Kite status word; OPEN with a fill is PARTIALLY_FILLED."""
    word = status.strip()
    if word in FINAL_WORDS:
        return FINAL_WORDS[word]
    if word == "TRIGGER PENDING":
        return BrokerState.TRIGGER_PENDING
    if word in PENDING_WORDS:
        return BrokerState.PENDING
    if word == "OPEN" or word in LIVE_INTERIM_WORDS:
        return BrokerState.PARTIALLY_FILLED if filled_qty > 0 else BrokerState.OPEN
    return BrokerState.UNRECOGNISED


def is_valid_tag(tag: str) -> bool:
    return bool(TAG_PATTERN.fullmatch(tag))


def protection_value(setting: str | float) -> str:
    """Kite's `market_protection`: "-1" (automatic) or a percentage above 0 and up to 100.

    0 means unprotected, which Kite refuses for API market orders since April 2026.
    """
    text = str(setting).strip().lower()
    if text in ("-1", "-1.0", "auto", "automatic"):
        return "-1"
    try:
        percent = Decimal(text)
    except InvalidOperation:
        raise ValueError(
            f"market protection must be -1 (automatic) or a percentage, not {setting!r}"
        ) from None
    if not Decimal(0) < percent <= Decimal(100):
        raise ValueError(
            f"market protection must be -1 (automatic) or above 0 and up to 100, not {setting!r}"
        )
    return format(percent.normalize(), "f")


def needs_protection(order_type: OrderType) -> bool:
    """MARKET and SL-M fill at whatever price comes: Kite wants them protected."""
    return order_type in (OrderType.MARKET, OrderType.SL_M)


def price_text(value: Decimal) -> str:
    return format(value, "f")


def place_params(
    request: PlaceOrderRequest,
    tradingsymbol: str,
    *,
    protection: str,
    algo_id: str | None,
) -> dict[str, str]:
    """The keyword arguments of the SDK's `place_order` for a request (strings, as sent)."""
    params = {
        "variety": AMO if request.amo else REGULAR,
        "exchange": request.exchange.value,
        "tradingsymbol": tradingsymbol,
        "transaction_type": request.side.value,
        "quantity": str(request.quantity),
        "product": request.product.value,
        "order_type": request.order_type.value,
        "validity": "DAY",
        "tag": request.tag,
    }
    if request.order_type.needs_price and request.price is not None:
        params["price"] = price_text(request.price)
    if request.order_type.needs_trigger and request.trigger_price is not None:
        params["trigger_price"] = price_text(request.trigger_price)
    if needs_protection(request.order_type):
        params["market_protection"] = protection
    if algo_id:
        params["algo_id"] = algo_id
    return params


class KiteSymbols:
    """Common symbol <-> Kite tradingsymbol through the catalog; the reverse map is rebuilt
    when the catalog's list is replaced (the daily masters)."""

    def __init__(self, catalog: InstrumentCatalog) -> None:
        self._catalog = catalog
        self._version = -1
        self._common: dict[tuple[Exchange, str], str] = {}
        self._reverse()

    def _reverse(self) -> dict[tuple[Exchange, str], str]:
        version = self._catalog.version
        if version != self._version:
            self._common = {
                (instrument.exchange, instrument.broker_symbol(BROKER_KEY)): instrument.symbol
                for instrument in self._catalog
            }
            self._version = version
        return self._common

    def to_kite(self, exchange: Exchange, symbol: str) -> str | None:
        """Kite's spelling, or None for an instrument the catalog does not have."""
        instrument = self._catalog.get(exchange, symbol)
        return instrument.broker_symbol(BROKER_KEY) if instrument else None

    def to_common(self, exchange: Exchange, tradingsymbol: str) -> str:
        """The common symbol; an instrument the catalog lacks keeps Kite's spelling."""
        return self._reverse().get((exchange, tradingsymbol), tradingsymbol)


def order_from_row(row: Mapping[str, Any], symbols: KiteSymbols) -> BrokerOrder:
    """One row of Kite's order book (`GET /orders`) in common words."""
    exchange = _enum(Exchange, row, "exchange")
    filled = _int(row, "filled_quantity")
    status_text = str(row.get("status") or "")
    tag = row.get("tag")
    if not tag and isinstance(row.get("tags"), list) and row["tags"]:
        tag = row["tags"][0]
    return BrokerOrder(
        broker_order_id=_required_text(row, "order_id"),
        tag=str(tag) if tag else None,
        symbol=symbols.to_common(exchange, _required_text(row, "tradingsymbol")),
        exchange=exchange,
        side=_enum(Side, row, "transaction_type"),
        quantity=_int(row, "quantity"),
        order_type=_enum(OrderType, row, "order_type"),
        product=_enum(Product, row, "product"),
        state=state_for(status_text, filled),
        status_text=status_text,
        filled_qty=filled,
        avg_price=_positive_decimal(row, "average_price"),
        price=_positive_decimal(row, "price"),
        trigger_price=_positive_decimal(row, "trigger_price"),
        message=str(row.get("status_message") or ""),
        placed_at=_timestamp(row.get("order_timestamp")),
    )


def position_from_row(row: Mapping[str, Any], symbols: KiteSymbols) -> BrokerPosition:
    """One row of Kite's net positions.

    Kite's `pnl` is the position's whole P&L; `realised` is taken as given and the rest is
    counted unrealised, so realised + unrealised always equals Kite's own total.
    """
    exchange = _enum(Exchange, row, "exchange")
    total = _decimal(row, "pnl")
    realised = _decimal(row, "realised")
    return BrokerPosition(
        symbol=symbols.to_common(exchange, _required_text(row, "tradingsymbol")),
        exchange=exchange,
        product=_enum(Product, row, "product"),
        quantity=_int(row, "quantity"),
        avg_price=_decimal(row, "average_price"),
        last_price=_decimal(row, "last_price"),
        realised_pnl=realised,
        unrealised_pnl=total - realised,
    )


def _required_text(row: Mapping[str, Any], key: str) -> str:
    value = row.get(key)
    if value is None or str(value) == "":
        raise RowError(f"no {key}")
    return str(value)


def _enum(kind: type[_E], row: Mapping[str, Any], key: str) -> _E:
    value = _required_text(row, key)
    try:
        return kind(value)
    except ValueError:
        raise RowError(f"{key} {value!r} is not one this program trades") from None


def _int(row: Mapping[str, Any], key: str) -> int:
    value = row.get(key)
    if value is None or value == "":
        return 0
    try:
        return int(value)
    except (TypeError, ValueError):
        raise RowError(f"{key} {value!r} is not a whole number") from None


def _decimal(row: Mapping[str, Any], key: str) -> Decimal:
    value = row.get(key)
    if value is None or value == "":
        return Decimal(0)
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise RowError(f"{key} {value!r} is not a number") from None


def _positive_decimal(row: Mapping[str, Any], key: str) -> Decimal | None:
    """Kite sends 0 for a price that does not apply."""
    value = _decimal(row, key)
    return value if value > 0 else None


def _timestamp(value: object) -> datetime | None:
    """The SDK parses Kite's 'YYYY-MM-DD HH:MM:SS' into a naive datetime: it is IST."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=IST)
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=IST)
    return None
