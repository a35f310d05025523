"""`trader-gui orders`: the account's orders from the database, as a table or JSON lines."""

from __future__ import annotations

import json
from typing import Any

from trader_gui.domain.enums import OrderStatus
from trader_gui.domain.order import OrderRecord
from trader_gui.engine.assembly import LaunchOptions, database_url, open_repository
from trader_gui.paths import AppPaths
from trader_gui.settings import Settings


def run_orders(args: Any, settings: Settings, paths: AppPaths, options: LaunchOptions) -> int:
    repository = open_repository(database_url(settings, paths, options))
    try:
        statuses = [OrderStatus(args.status)] if args.status else None
        records = repository.orders(
            options.client_id or settings.client_id,
            statuses=statuses,
            limit=args.limit,
            newest_first=True,
        )
    finally:
        repository.close()
    records.reverse()
    for record in records:
        print(json.dumps(as_json(record)) if args.json else as_line(record))
    return 0


def as_json(record: OrderRecord) -> dict[str, Any]:
    command = record.command
    return {
        "command_id": record.command_id,
        "created_at": record.created_at.isoformat(),
        "symbol": command.symbol,
        "exchange": command.exchange.value,
        "side": command.side.value,
        "quantity": command.quantity,
        "order_type": command.order_type.value,
        "price": str(command.price) if command.price is not None else None,
        "trigger_price": str(command.trigger_price) if command.trigger_price is not None else None,
        "product": command.product.value,
        "strategy": command.strategy,
        "execution_type": command.execution_type.value,
        "source": command.source.value,
        "status": record.status.value,
        "tag": record.tag.value if record.tag else None,
        "detail": record.detail,
        "broker_order_id": record.broker_order_id,
        "broker_status": record.broker_status,
        "filled_qty": record.filled_qty,
        "avg_price": str(record.avg_price) if record.avg_price is not None else None,
    }


def as_line(record: OrderRecord) -> str:
    command = record.command
    price = command.price if command.price is not None else "MKT"
    return (
        f"{record.created_at:%Y-%m-%d %H:%M:%S} {record.command_id} {command.side.value:<4} "
        f"{command.quantity:>6} {command.symbol:<20} {command.order_type.value:<6} {price!s:>10} "
        f"{record.status.value:<14} {record.tag.value if record.tag else '-':<24} {record.detail}"
    )
