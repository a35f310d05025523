"""The paper broker's books: orders and how they fill, fills, and the positions fills build.

Matching is lazy: `due_fills` is called for every open order whenever the broker is called,
with the price of that moment. Nothing fills before `next_fill_at` (the exchange has not got
the order yet); a large order fills one part per `fill_latency_s` while it stays marketable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from trader_gui.brokers.base import BrokerOrder, BrokerPosition
from trader_gui.brokers.paper_config import PaperConfig
from trader_gui.brokers.paper_rules import money
from trader_gui.domain.enums import BrokerState, Exchange, OrderType, Product, Side
from trader_gui.domain.instruments import Instrument

STATUS_TEXT: dict[BrokerState, str] = {
    BrokerState.OPEN: "OPEN",
    BrokerState.TRIGGER_PENDING: "TRIGGER PENDING",
    BrokerState.PARTIALLY_FILLED: "OPEN",
    BrokerState.COMPLETE: "COMPLETE",
    BrokerState.REJECTED: "REJECTED",
    BrokerState.CANCELLED: "CANCELLED",
}
"""The status words as Kite spells them in its order book."""

OPEN_STATES = frozenset(
    {BrokerState.OPEN, BrokerState.TRIGGER_PENDING, BrokerState.PARTIALLY_FILLED}
)
AVG_PLACES = Decimal("0.00000001")

PositionKey = tuple[Exchange, str, Product]


@dataclass(slots=True)
class PaperOrder:
    """One order as the paper broker holds it (mutable: it moves through its lifecycle)."""

    order_id: str
    client_id: str
    tag: str | None
    exchange: Exchange
    symbol: str
    side: Side
    quantity: int
    order_type: OrderType
    product: Product
    price: Decimal | None
    trigger_price: Decimal | None
    state: BrokerState
    placed_at: datetime
    next_fill_at: datetime
    """Earliest broker time of the next fill: the exchange's latency, then the part cadence."""
    filled_qty: int = 0
    avg_price: Decimal | None = None
    message: str = ""
    triggered: bool = False
    blocked_margin: Decimal = field(default_factory=Decimal)

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def remaining(self) -> int:
        return self.quantity - self.filled_qty

    @property
    def status_text(self) -> str:
        return STATUS_TEXT.get(self.state, self.state.value)

    @property
    def position_key(self) -> PositionKey:
        return (self.exchange, self.symbol, self.product)

    def settle_state(self) -> None:
        """The open state that matches the fills and the trigger."""
        if self.filled_qty >= self.quantity:
            self.state = BrokerState.COMPLETE
        elif self.filled_qty > 0:
            self.state = BrokerState.PARTIALLY_FILLED
        elif self.order_type.needs_trigger and not self.triggered:
            self.state = BrokerState.TRIGGER_PENDING
        else:
            self.state = BrokerState.OPEN

    def record_fill(self, quantity: int, price: Decimal) -> None:
        before = self.filled_qty
        total = (self.avg_price or Decimal(0)) * before + price * quantity
        self.filled_qty = before + quantity
        self.avg_price = _tidy(total / self.filled_qty)
        self.settle_state()

    def to_broker_order(self) -> BrokerOrder:
        return BrokerOrder(
            broker_order_id=self.order_id,
            tag=self.tag,
            symbol=self.symbol,
            exchange=self.exchange,
            side=self.side,
            quantity=self.quantity,
            order_type=self.order_type,
            product=self.product,
            state=self.state,
            status_text=self.status_text,
            filled_qty=self.filled_qty,
            avg_price=self.avg_price,
            price=self.price,
            trigger_price=self.trigger_price,
            message=self.message,
            placed_at=self.placed_at,
        )


@dataclass(frozen=True, slots=True)
class PaperFill:
    """One execution (a trade in the broker's trade book)."""

    order_id: str
    client_id: str
    exchange: Exchange
    symbol: str
    product: Product
    side: Side
    quantity: int
    price: Decimal
    filled_at: datetime


@dataclass(slots=True)
class PaperPosition:
    """Net position of one (exchange, symbol, product), built from fills."""

    exchange: Exchange
    symbol: str
    product: Product
    quantity: int = 0
    avg_price: Decimal = field(default_factory=Decimal)
    realised: Decimal = field(default_factory=Decimal)

    @property
    def key(self) -> PositionKey:
        return (self.exchange, self.symbol, self.product)

    def apply_fill(self, side: Side, quantity: int, price: Decimal) -> None:
        """Add to the position at a blended average, or reduce it and book realised P&L."""
        signed = side.sign * quantity
        if self.quantity == 0 or (self.quantity > 0) == (signed > 0):
            held = abs(self.quantity)
            blended = (self.avg_price * held + price * quantity) / (held + quantity)
            self.avg_price = blended.quantize(AVG_PLACES)
            self.quantity += signed
            return
        closing = min(quantity, abs(self.quantity))
        direction = 1 if self.quantity > 0 else -1
        self.realised += (price - self.avg_price) * closing * direction
        self.quantity += signed
        if self.quantity == 0:
            self.avg_price = Decimal(0)
        elif (self.quantity > 0) != (direction > 0):
            self.avg_price = price  # flipped: the rest opened a new position at this price

    def report(self, last: Decimal) -> BrokerPosition:
        unrealised = (last - self.avg_price) * self.quantity if self.quantity else Decimal(0)
        return BrokerPosition(
            symbol=self.symbol,
            exchange=self.exchange,
            product=self.product,
            quantity=self.quantity,
            avg_price=_tidy(self.avg_price),
            last_price=last,
            realised_pnl=money(self.realised),
            unrealised_pnl=money(unrealised),
        )


def due_fills(
    order: PaperOrder,
    instrument: Instrument,
    last: Decimal,
    now: datetime,
    config: PaperConfig,
) -> list[tuple[int, Decimal]]:
    """Trigger `order` if the market crossed its stop, and return the parts that fill now.

    Updates the order's trigger and cadence; the caller records the fills (order, position,
    margin) so that all of it is written in one transaction.
    """
    if not order.is_open or now < order.next_fill_at:
        return []
    if order.order_type.needs_trigger and not order.triggered:
        if not _stop_crossed(order.side, order.trigger_price, last):
            order.next_fill_at = now
            return []
        order.triggered = True
        order.settle_state()
    price = fill_price(order, instrument.tick_size, last, config.slippage_ticks)
    if price is None:
        order.next_fill_at = now  # time spent waiting for the price does not earn parts
        return []
    part = _part_size(order, instrument, config)
    parts_due = _parts_due(order, now, config.fill_latency_s)
    parts: list[tuple[int, Decimal]] = []
    remaining = order.remaining
    while remaining > 0 and len(parts) < parts_due:
        quantity = min(part, remaining)
        parts.append((quantity, price))
        remaining -= quantity
    order.next_fill_at += timedelta(seconds=config.fill_latency_s) * len(parts)
    return parts


def fill_price(
    order: PaperOrder, tick: Decimal, last: Decimal, slippage_ticks: int
) -> Decimal | None:
    """Where the order trades against `last`, or None when its limit is not reached.

    Market fills are at the touch: `slippage_ticks` worse than the last price. A limit fills
    at the touch when that is better than the limit, else at the limit."""
    slip = tick * slippage_ticks
    touch = last + slip if order.side is Side.BUY else max(tick, last - slip)
    if order.order_type in (OrderType.MARKET, OrderType.SL_M):
        return touch
    limit = order.price
    if limit is None:
        return touch
    if order.side is Side.BUY:
        return min(limit, touch) if last <= limit else None
    return max(limit, touch) if last >= limit else None


def _stop_crossed(side: Side, trigger: Decimal | None, last: Decimal) -> bool:
    if trigger is None:
        return True
    return last >= trigger if side is Side.BUY else last <= trigger


def _part_size(order: PaperOrder, instrument: Instrument, config: PaperConfig) -> int:
    lot = max(1, instrument.lot_size)
    lots = order.quantity // lot
    if config.partial_fill_lots <= 0 or lots <= config.partial_fill_lots:
        return order.quantity
    lots_per_part = max(config.partial_fill_lots, -(-lots // config.max_fill_parts))
    return lots_per_part * lot


def _parts_due(order: PaperOrder, now: datetime, interval_s: float) -> int:
    """One part for reaching `next_fill_at`, one more per whole interval since."""
    interval_us = round(interval_s * 1_000_000)
    if interval_us <= 0:
        return order.quantity  # no cadence: every part at once
    elapsed = now - order.next_fill_at
    elapsed_us = (elapsed.days * 86_400 + elapsed.seconds) * 1_000_000 + elapsed.microseconds
    return 1 + elapsed_us // interval_us


def _tidy(amount: Decimal) -> Decimal:
    """Two decimals when that is exact, else up to eight: an average of 100.075 stays so."""
    two = amount.quantize(Decimal("0.01"))
    if two == amount:
        return two
    return amount.quantize(AVG_PLACES).normalize()
