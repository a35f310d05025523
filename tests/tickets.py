"""A valid ticket with any field changed, for every test folder (a name none shadows)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from trader_gui.domain.enums import Exchange, ExecutionType, OrderType, Product, Side, Source
from trader_gui.domain.ids import new_command_id
from trader_gui.domain.order import OrderCommand


def ticket(**overrides: Any) -> OrderCommand:
    """A valid MARKET BUY of 10 SBIN for strategy s1, unless told otherwise."""
    fields: dict[str, Any] = {
        "command_id": new_command_id(),
        "client_id": "PAPER",
        "symbol": "SBIN",
        "exchange": Exchange.NSE,
        "side": Side.BUY,
        "quantity": 10,
        "order_type": OrderType.MARKET,
        "product": Product.MIS,
        "strategy": "s1",
        "execution_type": ExecutionType.ENTRY,
        "source": Source.MANUAL,
    }
    fields.update(overrides)
    for name, kind in _ENUMS.items():
        fields[name] = kind(fields[name])
    for name in ("price", "trigger_price"):
        if fields.get(name) is not None:
            fields[name] = Decimal(str(fields[name]))
    return OrderCommand(**fields)


_ENUMS: dict[str, Any] = {
    "exchange": Exchange,
    "side": Side,
    "order_type": OrderType,
    "product": Product,
    "execution_type": ExecutionType,
    "source": Source,
}
