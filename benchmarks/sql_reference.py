"""The references for engine throughput: the same writes with nothing else in the way.

An order through the six steps is four commits, each a status change with its transition
row, exactly as the engine writes them:

    1 register      INSERT order (CREATED)           + INSERT transition    COMMIT
    3 mark          UPDATE status=SENT_TO_BROKER     + INSERT transition    COMMIT
    5 result        UPDATE broker_order_id, ACCEPTED + INSERT transition    COMMIT
    6 watcher       UPDATE status=EXECUTED, fills    + INSERT transition    COMMIT

`raw_sqlite` does them in a bare `sqlite3` loop: the limit of the file and its settings.
`sqlalchemy_core` does them through SQLAlchemy Core with statements built once, on an engine
made by the program's own `create_db_engine`: the cost of the database layer alone. Both
write to a file with the program's schema (same migrations, same indexes and foreign key),
in WAL with synchronous=NORMAL and BEGIN IMMEDIATE, as the program does.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, bindparam, insert, update

from benchmarks.common import CLIENT_ID, SYMBOL
from trader_gui.persistence.database import create_db_engine, open_database, sqlite_url
from trader_gui.persistence.repository import ORDERS, TRANSITIONS

ACCEPTED_DETAIL = "Accepted by paper as order {}."
FILL_PRICE = Decimal("965.05")


@dataclass(frozen=True, slots=True)
class PhaseTimes:
    """Seconds for steps 1-5 of every order (three commits each), then step 6 (one each)."""

    orders: int
    steps_s: float
    watcher_s: float

    @property
    def total_s(self) -> float:
        return self.steps_s + self.watcher_s


def prepare(path: Path) -> None:
    """An empty database file with the program's schema, built by its own migrations."""
    open_database(sqlite_url(path)).dispose()


def command_ids(orders: int) -> list[str]:
    """Twenty-character ids, like the program's, made before the clock starts."""
    return [f"REF{index:017d}" for index in range(orders)]


# ---- bare sqlite3 -----------------------------------------------------------------------------

_INSERT_ORDER = (
    "INSERT INTO orders (command_id, client_id, symbol, exchange, side, quantity, order_type,"
    " product, strategy, execution_type, source, status, detail, filled_qty, created_at,"
    " updated_at) VALUES (?, ?, ?, 'NSE', 'BUY', 1, 'MARKET', 'MIS', ?, 'ENTRY', 'MANUAL',"
    " 'CREATED', '', 0, ?, ?)"
)
_INSERT_TRANSITION = (
    "INSERT INTO order_transitions (command_id, from_status, to_status, tag, detail,"
    " broker_status, at) VALUES (?, ?, ?, NULL, ?, ?, ?)"
)
_MARK = (
    "UPDATE orders SET status = 'SENT_TO_BROKER', detail = ?, updated_at = ?, sent_at = ?"
    " WHERE command_id = ?"
)
_ACCEPT = (
    "UPDATE orders SET broker_order_id = ?, broker_status = 'ACCEPTED', detail = ?,"
    " updated_at = ? WHERE command_id = ?"
)
_EXECUTE = (
    "UPDATE orders SET status = 'EXECUTED', broker_status = 'COMPLETE', filled_qty = 1,"
    " avg_price = ?, detail = ?, updated_at = ? WHERE command_id = ?"
)


def _stamp() -> str:
    """Now, as SQLAlchemy stores a DateTime on SQLite: made per step, as the engine does."""
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _connect(path: Path) -> sqlite3.Connection:
    """A bare connection with the program's pragmas (see persistence/database.py)."""
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    for pragma in (
        "PRAGMA busy_timeout=10000",
        "PRAGMA journal_mode=WAL",
        "PRAGMA synchronous=NORMAL",
        "PRAGMA foreign_keys=ON",
    ):
        connection.execute(pragma)
    return connection


@contextmanager
def _immediate(connection: sqlite3.Connection) -> Iterator[None]:
    connection.execute("BEGIN IMMEDIATE")
    yield
    connection.execute("COMMIT")


def raw_sqlite(path: Path, orders: int) -> PhaseTimes:
    """The four commits per order in a bare loop: the limit of the file and its settings."""
    prepare(path)
    ids = command_ids(orders)
    connection = _connect(path)
    try:
        started = time.perf_counter()
        for index, command_id in enumerate(ids):
            _raw_steps(connection, index, command_id)
        steps_done = time.perf_counter()
        for command_id in ids:
            _raw_watcher(connection, command_id)
        finished = time.perf_counter()
    finally:
        connection.close()
    return PhaseTimes(orders, steps_done - started, finished - steps_done)


def _raw_steps(connection: sqlite3.Connection, index: int, command_id: str) -> None:
    now = _stamp()
    with _immediate(connection):
        connection.execute(
            _INSERT_ORDER, (command_id, CLIENT_ID, SYMBOL, f"bench{index}", now, now)
        )
        connection.execute(_INSERT_TRANSITION, (command_id, None, "CREATED", "", None, now))
    now = _stamp()
    with _immediate(connection):
        connection.execute(_MARK, ("Sending to paper.", now, now, command_id))
        connection.execute(
            _INSERT_TRANSITION,
            (command_id, "CREATED", "SENT_TO_BROKER", "Sending to paper.", None, now),
        )
    now = _stamp()
    broker_id = f"B{index:013d}"
    detail = ACCEPTED_DETAIL.format(broker_id)
    with _immediate(connection):
        connection.execute(_ACCEPT, (broker_id, detail, now, command_id))
        connection.execute(
            _INSERT_TRANSITION,
            (command_id, "SENT_TO_BROKER", "SENT_TO_BROKER", detail, "ACCEPTED", now),
        )


def _raw_watcher(connection: sqlite3.Connection, command_id: str) -> None:
    now = _stamp()
    with _immediate(connection):
        connection.execute(_EXECUTE, (str(FILL_PRICE), "COMPLETE, filled 1/1", now, command_id))
        connection.execute(
            _INSERT_TRANSITION,
            (command_id, "SENT_TO_BROKER", "EXECUTED", "COMPLETE, filled 1/1", "COMPLETE", now),
        )


# ---- SQLAlchemy Core, statements built once ---------------------------------------------------

ORDERS_TABLE = cast(Table, ORDERS)
"""The repository's own table objects (typed as the Tables they are)."""
TRANSITIONS_TABLE = cast(Table, TRANSITIONS)
_CORE_INSERT_ORDER = insert(ORDERS_TABLE)
_CORE_INSERT_TRANSITION = insert(TRANSITIONS_TABLE)
_CORE_UPDATE_ORDER = update(ORDERS_TABLE).where(ORDERS_TABLE.c.command_id == bindparam("key"))


def sqlalchemy_core(path: Path, orders: int) -> PhaseTimes:
    """The same four commits through SQLAlchemy Core on the program's own engine factory."""
    prepare(path)
    ids = command_ids(orders)
    engine = create_db_engine(sqlite_url(path))
    try:
        started = time.perf_counter()
        for index, command_id in enumerate(ids):
            _core_steps(engine, index, command_id)
        steps_done = time.perf_counter()
        for command_id in ids:
            _core_commit(
                engine,
                command_id,
                {
                    "status": "EXECUTED",
                    "broker_status": "COMPLETE",
                    "filled_qty": 1,
                    "avg_price": FILL_PRICE,
                    "detail": "COMPLETE, filled 1/1",
                },
                "SENT_TO_BROKER",
            )
        finished = time.perf_counter()
    finally:
        engine.dispose()
    return PhaseTimes(orders, steps_done - started, finished - steps_done)


def _core_steps(engine: Engine, index: int, command_id: str) -> None:
    now = datetime.now(UTC)
    with engine.begin() as connection:
        connection.execute(_CORE_INSERT_ORDER, _core_order(index, command_id, now))
        _core_transition(connection, command_id, None, "CREATED", "", None, now)
    _core_commit(
        engine,
        command_id,
        {"status": "SENT_TO_BROKER", "detail": "Sending to paper."},
        "CREATED",
        sent=True,
    )
    broker_id = f"B{index:013d}"
    _core_commit(
        engine,
        command_id,
        {
            "broker_order_id": broker_id,
            "broker_status": "ACCEPTED",
            "detail": ACCEPTED_DETAIL.format(broker_id),
        },
        "SENT_TO_BROKER",
    )


def _core_order(index: int, command_id: str, now: datetime) -> dict[str, Any]:
    return {
        "command_id": command_id,
        "client_id": CLIENT_ID,
        "symbol": SYMBOL,
        "exchange": "NSE",
        "side": "BUY",
        "quantity": 1,
        "order_type": "MARKET",
        "product": "MIS",
        "strategy": f"bench{index}",
        "execution_type": "ENTRY",
        "source": "MANUAL",
        "status": "CREATED",
        "detail": "",
        "filled_qty": 0,
        "created_at": now,
        "updated_at": now,
    }


def _core_commit(
    engine: Engine,
    command_id: str,
    changes: dict[str, Any],
    from_status: str,
    *,
    sent: bool = False,
) -> None:
    """One status change and its transition row in one transaction (`sent` stamps sent_at)."""
    now = datetime.now(UTC)
    values = dict(changes, updated_at=now)
    if sent:
        values["sent_at"] = now
    with engine.begin() as connection:
        connection.execute(_CORE_UPDATE_ORDER, {"key": command_id, **values})
        _core_transition(
            connection,
            command_id,
            from_status,
            values.get("status", from_status),
            values["detail"],
            values.get("broker_status"),
            now,
        )


def _core_transition(
    connection: Connection,
    command_id: str,
    from_status: str | None,
    to_status: str,
    detail: str,
    broker_status: str | None,
    at: datetime,
) -> None:
    connection.execute(
        _CORE_INSERT_TRANSITION,
        {
            "command_id": command_id,
            "from_status": from_status,
            "to_status": to_status,
            "tag": None,
            "detail": detail,
            "broker_status": broker_status,
            "at": at,
        },
    )


Reference = Callable[[Path, int], PhaseTimes]
REFERENCES: dict[str, Reference] = {"raw": raw_sqlite, "core": sqlalchemy_core}
