"""The one protocol every broker adapter speaks, and the answers it gives.

Calls are synchronous (the SDKs are): the engine runs them on a worker thread with a timeout.
Errors are three kinds, because the engine must act differently on each:

- `BrokerRejected`: the broker answered and said no. Nothing was placed.
- `SessionExpired`: the broker refused the call because the login ended. Nothing was placed.
- `BrokerUnavailable`: no trustworthy answer (timeout, connection lost, HTTP 5xx, a reply
  that does not parse). The order may or may not exist at the broker.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol, runtime_checkable

from trader_gui.domain.enums import (
    BrokerState,
    Exchange,
    OrderType,
    Product,
    Side,
)


class BrokerError(Exception):
    """Base of every broker failure. `message` is the broker's own words, shown as said."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BrokerRejected(BrokerError):
    """The broker said no; the order does not exist there."""


class SessionExpired(BrokerError):
    """The login is no longer valid; the call did nothing."""


class BrokerUnavailable(BrokerError):
    """No trustworthy answer: the call may or may not have taken effect."""


@dataclass(frozen=True, slots=True)
class PlaceOrderRequest:
    """What goes to the broker. `tag` is the command_id, the broker's client tag; `amo`
    sends it as an after-market order, held by the broker until the exchange opens."""

    tag: str
    symbol: str
    exchange: Exchange
    side: Side
    quantity: int
    order_type: OrderType
    product: Product
    price: Decimal | None = None
    trigger_price: Decimal | None = None
    amo: bool = False


@dataclass(frozen=True, slots=True)
class BrokerOrder:
    """A row of the broker's order book, in common words (symbol is the common symbol)."""

    broker_order_id: str
    tag: str | None
    symbol: str
    exchange: Exchange
    side: Side
    quantity: int
    order_type: OrderType
    product: Product
    state: BrokerState
    status_text: str
    """The broker's status word exactly as it spelled it (shown to the trader)."""
    filled_qty: int = 0
    avg_price: Decimal | None = None
    price: Decimal | None = None
    trigger_price: Decimal | None = None
    message: str = ""
    """The broker's reason (rejection, cancellation) in its own words."""
    placed_at: datetime | None = None


def unreadable_order(broker_order_id: str, tag: str | None, reason: str) -> BrokerOrder:
    """A book row the adapter cannot read, kept so the watcher leaves our order as it was
    (and says so) instead of judging it missing; never recorded as an order of its own."""
    return BrokerOrder(
        broker_order_id=broker_order_id,
        tag=tag or None,
        symbol="?",
        exchange=Exchange.NSE,
        side=Side.BUY,
        quantity=0,
        order_type=OrderType.MARKET,
        product=Product.MIS,
        state=BrokerState.UNRECOGNISED,
        status_text=f"unreadable row ({reason})",
    )


@dataclass(frozen=True, slots=True)
class BrokerPosition:
    symbol: str
    exchange: Exchange
    product: Product
    quantity: int
    """Net: positive long, negative short."""
    avg_price: Decimal
    last_price: Decimal
    realised_pnl: Decimal
    unrealised_pnl: Decimal

    @property
    def pnl(self) -> Decimal:
        return self.realised_pnl + self.unrealised_pnl


@runtime_checkable
class Broker(Protocol):
    """What the engine asks of a broker. Every method may raise a `BrokerError`."""

    name: str

    def login(self) -> None: ...

    def place_order(self, request: PlaceOrderRequest) -> str:
        """Place an order; returns the broker's order id."""
        ...

    def cancel_order(self, broker_order_id: str) -> None: ...

    def modify_order(
        self,
        broker_order_id: str,
        *,
        quantity: int | None = None,
        price: Decimal | None = None,
        trigger_price: Decimal | None = None,
        order_type: OrderType | None = None,
    ) -> None: ...

    def order_book(self) -> Sequence[BrokerOrder]: ...

    def positions(self) -> Sequence[BrokerPosition]: ...

    def quotes(self, keys: Sequence[tuple[Exchange, str]]) -> dict[tuple[Exchange, str], Decimal]:
        """Last traded prices by (exchange, common symbol); unknown keys are left out."""
        ...

    def close(self) -> None:
        """Release connections and files."""
        ...
