"""One paper account in memory: its capital, orders and positions, and the margin they tie up.

Money is simple and broker-like: available = capital + realised P&L - margin blocked by open
orders - margin held by open positions. An order's margin covers only the part that adds
exposure (an exit needs none, so a trader out of funds can always get flat). Fills move
margin from the order to the position; closing the position frees it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from trader_gui.brokers.paper_book import PaperFill, PaperOrder, PaperPosition, PositionKey
from trader_gui.brokers.paper_config import PaperConfig
from trader_gui.brokers.paper_rules import margin_required, money
from trader_gui.domain.enums import Side
from trader_gui.domain.instruments import Instrument, InstrumentCatalog

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PaperFunds:
    """The account's money: available = capital + realised - blocked - held."""

    capital: Decimal
    realised: Decimal
    blocked: Decimal
    """Margin blocked by open orders."""
    held: Decimal
    """Margin held by open positions (the premium, for bought options)."""
    available: Decimal


class PaperAccount:
    """The working copy of one client's books. Not thread-safe: the broker's lock guards it."""

    def __init__(
        self,
        client_id: str,
        capital: Decimal,
        orders: Iterable[PaperOrder],
        positions: Iterable[PaperPosition],
        catalog: InstrumentCatalog,
        config: PaperConfig,
    ) -> None:
        self.client_id = client_id
        self.capital = capital
        self.orders: dict[str, PaperOrder] = {}
        """By order id, oldest first (ids are placed in sequence). Add through `add`."""
        self._open: dict[str, PaperOrder] = {}
        """The orders that were open when last looked at: a day's book is mostly closed
        orders, and each broker call walks only these. A closed order never opens again."""
        for order in orders:
            self.add(order)
        self.positions: dict[PositionKey, PaperPosition] = {p.key: p for p in positions}
        self._catalog = catalog
        self._config = config

    def add(self, order: PaperOrder) -> None:
        self.orders[order.order_id] = order
        if order.is_open:
            self._open[order.order_id] = order

    def open_orders(self) -> list[PaperOrder]:
        """The open orders, oldest first; the ones that closed since the last call are let go."""
        closed = [order_id for order_id, order in self._open.items() if not order.is_open]
        for order_id in closed:
            del self._open[order_id]
        return list(self._open.values())

    def apply_fill(
        self, order: PaperOrder, quantity: int, price: Decimal, now: datetime
    ) -> PaperFill:
        """Book one part: the order's fill, the margin it frees and the position it moves."""
        remaining_after = order.remaining - quantity
        if remaining_after <= 0:
            order.blocked_margin = Decimal(0)
        else:
            order.blocked_margin = money(order.blocked_margin * remaining_after / order.remaining)
        order.record_fill(quantity, price)
        position = self.positions.get(order.position_key)
        if position is None:
            position = PaperPosition(order.exchange, order.symbol, order.product)
            self.positions[order.position_key] = position
        position.apply_fill(order.side, quantity, price)
        logger.debug("paper fill: %s %s %d @ %s", order.order_id, order.side, quantity, price)
        return PaperFill(
            order_id=order.order_id,
            client_id=order.client_id,
            exchange=order.exchange,
            symbol=order.symbol,
            product=order.product,
            side=order.side,
            quantity=quantity,
            price=price,
            filled_at=now,
        )

    def order_margin(self, order: PaperOrder, instrument: Instrument, last: Decimal) -> Decimal:
        """Margin for the unfilled part of the order that adds exposure."""
        estimate = order.price or order.trigger_price or last
        adding = self._adding_quantity(order.position_key, order.side, order.remaining)
        return margin_required(
            instrument, order.product, order.side, adding, estimate, self._config
        )

    def funds(self) -> PaperFunds:
        return PaperFunds(
            capital=self.capital,
            realised=money(self._realised()),
            blocked=self._blocked(),
            held=self._held(),
            available=self.available(),
        )

    def available(self) -> Decimal:
        return money(self.capital + self._realised() - self._blocked() - self._held())

    def _adding_quantity(self, key: PositionKey, side: Side, quantity: int) -> int:
        position = self.positions.get(key)
        held = 0 if position is None else position.quantity
        if held * side.sign < 0:
            return max(0, quantity - abs(held))
        return quantity

    def _realised(self) -> Decimal:
        return sum((p.realised for p in self.positions.values()), Decimal(0))

    def _blocked(self) -> Decimal:
        return sum((o.blocked_margin for o in self.open_orders()), Decimal(0))

    def _held(self) -> Decimal:
        return sum((self._position_margin(p) for p in self.positions.values()), Decimal(0))

    def _position_margin(self, position: PaperPosition) -> Decimal:
        size = abs(position.quantity)
        if size == 0:
            return Decimal(0)
        instrument = self._catalog.get(position.exchange, position.symbol)
        if instrument is None:  # dropped from the catalog: hold the full value
            return money(position.avg_price * size)
        side = Side.BUY if position.quantity > 0 else Side.SELL
        return margin_required(
            instrument, position.product, side, size, position.avg_price, self._config
        )
