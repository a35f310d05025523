"""The schema, as typed SQLAlchemy models. Migrations under `migrations/` create it."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from trader_gui.persistence.types import Money, UtcDateTime


class Base(DeclarativeBase):
    pass


class OrderRow(Base):
    __tablename__ = "orders"
    __table_args__ = (
        Index("ix_orders_client_status", "client_id", "status"),
        Index("ix_orders_client_strategy_symbol", "client_id", "strategy", "symbol"),
        Index("ix_orders_broker_order_id", "broker_order_id"),
        Index("ix_orders_ticket_id", "ticket_id"),
        Index("ix_orders_client_created", "client_id", "created_at"),
        Index("ix_orders_client_sent", "client_id", "sent_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    command_id: Mapped[str] = mapped_column(String(20), unique=True)
    ticket_id: Mapped[str | None] = mapped_column(String(20))
    client_id: Mapped[str] = mapped_column(String(40))
    symbol: Mapped[str] = mapped_column(String(60))
    exchange: Mapped[str] = mapped_column(String(8))
    side: Mapped[str] = mapped_column(String(4))
    quantity: Mapped[int] = mapped_column(Integer)
    order_type: Mapped[str] = mapped_column(String(8))
    price: Mapped[Decimal | None] = mapped_column(Money)
    trigger_price: Mapped[Decimal | None] = mapped_column(Money)
    product: Mapped[str] = mapped_column(String(8))
    strategy: Mapped[str] = mapped_column(String(40))
    execution_type: Mapped[str] = mapped_column(String(8))
    source: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(16))
    tag: Mapped[str | None] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(Text, default="")
    broker_order_id: Mapped[str | None] = mapped_column(String(40))
    broker_status: Mapped[str | None] = mapped_column(String(40))
    filled_qty: Mapped[int] = mapped_column(Integer, default=0)
    avg_price: Mapped[Decimal | None] = mapped_column(Money)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    amo: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """Sent as an after-market order (migration 0003)."""
    sender: Mapped[str | None] = mapped_column(String(20))
    """The intake sender of an EXTERNAL order (migration 0004)."""


class TransitionRow(Base):
    """The audit trail: one row per step, written in the same transaction as the change."""

    __tablename__ = "order_transitions"
    __table_args__ = (Index("ix_transitions_command_id", "command_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    command_id: Mapped[str] = mapped_column(String(20), ForeignKey("orders.command_id"))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    tag: Mapped[str | None] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(Text, default="")
    broker_status: Mapped[str | None] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(UtcDateTime)


class KillSwitchRow(Base):
    __tablename__ = "kill_switch"

    client_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    active: Mapped[bool]
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    changed_by: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text, default="")


class KillSwitchEventRow(Base):
    """Every change of the switch: who or what, when, why."""

    __tablename__ = "kill_switch_events"
    __table_args__ = (Index("ix_kill_switch_events_client", "client_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client_id: Mapped[str] = mapped_column(String(40))
    active: Mapped[bool]
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    changed_by: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text, default="")


class EngineStateRow(Base):
    """Small persisted engine facts per account (risk state: the day's peak, cooldowns)."""

    __tablename__ = "engine_state"

    client_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PnlSnapshotRow(Base):
    """The account's P&L over the day, so the chart and limits are right after a restart."""

    __tablename__ = "pnl_snapshots"
    __table_args__ = (Index("ix_pnl_snapshots_client_at", "client_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client_id: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    realised: Mapped[Decimal] = mapped_column(Money)
    unrealised: Mapped[Decimal] = mapped_column(Money)
