"""An order as the trader asked for it (the command) and as it stands now (the record)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal

from trader_gui.domain.enums import (
    Exchange,
    ExecutionType,
    OrderStatus,
    OrderType,
    Product,
    Side,
    Source,
    Tag,
)


@dataclass(frozen=True, slots=True)
class OrderCommand:
    """A ticket, typed. Its command_id is its idempotency key and its client tag at the broker."""

    command_id: str
    client_id: str
    symbol: str
    exchange: Exchange
    side: Side
    quantity: int
    order_type: OrderType
    product: Product
    strategy: str
    execution_type: ExecutionType
    source: Source = Source.MANUAL
    price: Decimal | None = None
    trigger_price: Decimal | None = None
    ticket_id: str | None = None
    sender: str | None = None
    """The intake sender whose token brought an EXTERNAL order (see domain/senders.py)."""

    @property
    def is_entry(self) -> bool:
        return self.execution_type is ExecutionType.ENTRY

    def with_id(self, command_id: str) -> OrderCommand:
        return replace(self, command_id=command_id)


@dataclass(frozen=True, slots=True)
class OrderRecord:
    """One row of the orders table: the command plus where it stands."""

    command: OrderCommand
    status: OrderStatus
    created_at: datetime
    updated_at: datetime
    tag: Tag | None = None
    detail: str = ""
    broker_order_id: str | None = None
    broker_status: str | None = None
    filled_qty: int = 0
    avg_price: Decimal | None = None
    sent_at: datetime | None = None
    amo: bool = False
    """Sent as an after-market order: the broker holds it until the exchange opens."""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def command_id(self) -> str:
        return self.command.command_id

    @property
    def client_id(self) -> str:
        return self.command.client_id

    @property
    def is_terminal(self) -> bool:
        return self.status.is_terminal

    @property
    def is_open(self) -> bool:
        """Open at the broker or on its way there: cancellable, counts as a duplicate."""
        return not self.status.is_terminal

    @property
    def signed_filled_qty(self) -> int:
        return self.command.side.sign * self.filled_qty
