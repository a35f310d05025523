"""What every benchmark shares: the machine's description, tickets, percentiles and output.

The figures only mean something next to the machine they came from, so every report carries
it; and every report is either a plain table for a person or JSON for a script.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import sqlite3
import sys
from collections.abc import Awaitable, Callable, Sequence
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import sqlalchemy

from trader_gui.domain.enums import Exchange, ExecutionType, OrderType, Product, Side, Source
from trader_gui.domain.ids import new_command_id
from trader_gui.domain.instruments import InstrumentCatalog
from trader_gui.domain.order import OrderCommand
from trader_gui.persistence.instrument_files import load_bundled_instruments

CLIENT_ID = "BENCH"
SYMBOL = "SBIN"
"""A bundled NSE equity with lot size 1, so one share is a valid order."""


def machine() -> dict[str, Any]:
    """Cores, CPU model and the versions that decide the figures (Python, SQLite, SQLAlchemy)."""
    return {
        "nproc": os.cpu_count(),
        "cpu": _cpu_model(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "sqlalchemy": sqlalchemy.__version__,
        "platform": platform.platform(),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


@cache
def catalog() -> InstrumentCatalog:
    """The bundled instruments, loaded once per process."""
    return InstrumentCatalog(load_bundled_instruments())


def entry_ticket(index: int, client_id: str = CLIENT_ID) -> OrderCommand:
    """A MARKET BUY of one SBIN share in its own strategy.

    One strategy per order keeps the execution guard and the duplicate detector from
    blocking (each would refuse a second open entry on the same leg), so every order takes
    the full path to the broker.
    """
    return OrderCommand(
        command_id=new_command_id(),
        client_id=client_id,
        symbol=SYMBOL,
        exchange=Exchange.NSE,
        side=Side.BUY,
        quantity=1,
        order_type=OrderType.MARKET,
        product=Product.MIS,
        strategy=f"bench{index}",
        execution_type=ExecutionType.ENTRY,
        source=Source.MANUAL,
    )


BIG_CAPITAL = Decimal(10) ** 12
"""Paper capital so large that no benchmark order is rejected for margin."""


async def in_desks(
    commands: Sequence[OrderCommand],
    in_flight: int,
    submit: Callable[[OrderCommand], Awaitable[object]],
) -> None:
    """Every command through `submit`, `in_flight` at a time: 1 is the order form's way (one
    ticket after another), more the intake's (each sender's request its own task)."""
    pending = iter(commands)

    async def one_desk() -> None:
        for command in pending:  # shared: each desk takes the next command
            await submit(command)

    await asyncio.gather(*(one_desk() for _ in range(in_flight)))


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (share in 0..1) of values; 0.0 when there are none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))
    return ordered[rank]


def median(values: Sequence[float]) -> float:
    return percentile(values, 0.5)


def emit(report: dict[str, Any], as_json: bool, table: list[tuple[str, str]]) -> None:
    """Print the report as JSON, or as aligned `name  value` lines with the machine first."""
    if as_json:
        json.dump(report, sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
        return
    info = report["machine"]
    print(
        f"machine: {info['nproc']} cores, {info['cpu']}; Python {info['python']}, "
        f"SQLite {info['sqlite']}, SQLAlchemy {info['sqlalchemy']}"
    )
    width = max(len(name) for name, _ in table)
    for name, value in table:
        print(f"{name:<{width}}  {value}")
