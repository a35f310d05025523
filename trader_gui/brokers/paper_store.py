"""The paper broker's state in one SQLite file, so it survives SIGKILL and a restart.

The broker keeps a working copy in memory and writes every change through, one transaction
per change (WAL, synchronous=NORMAL: a committed change survives the process being killed).
Amounts are stored as decimal text, never floats; the one float is the random walk's
unrounded price, stored as SQLite REAL, which round-trips a Python float exactly.

One PaperBroker at a time per file: the working copy is not shared between processes.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from trader_gui.brokers.paper_book import PaperFill, PaperOrder, PaperPosition
from trader_gui.brokers.paper_market import PriceKey, WalkState
from trader_gui.domain.enums import BrokerState, Exchange, OrderType, Product, Side

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS accounts (
    client_id TEXT PRIMARY KEY,
    capital TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS orders (
    order_id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    tag TEXT,
    exchange TEXT NOT NULL,
    symbol TEXT NOT NULL,
    side TEXT NOT NULL,
    quantity INTEGER NOT NULL,
    order_type TEXT NOT NULL,
    product TEXT NOT NULL,
    price TEXT,
    trigger_price TEXT,
    state TEXT NOT NULL,
    filled_qty INTEGER NOT NULL,
    avg_price TEXT,
    message TEXT NOT NULL,
    triggered INTEGER NOT NULL,
    placed_at TEXT NOT NULL,
    next_fill_at TEXT NOT NULL,
    blocked_margin TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS orders_by_client ON orders (client_id, order_id);
CREATE TABLE IF NOT EXISTS fills (
    fill_id INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id TEXT NOT NULL REFERENCES orders (order_id),
    client_id TEXT NOT NULL,
    exchange TEXT NOT NULL,
    symbol TEXT NOT NULL,
    product TEXT NOT NULL,
    side TEXT NOT NULL,
    quantity INTEGER NOT NULL,
    price TEXT NOT NULL,
    filled_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS positions (
    client_id TEXT NOT NULL,
    exchange TEXT NOT NULL,
    symbol TEXT NOT NULL,
    product TEXT NOT NULL,
    quantity INTEGER NOT NULL,
    avg_price TEXT NOT NULL,
    realised TEXT NOT NULL,
    PRIMARY KEY (client_id, exchange, symbol, product)
);
CREATE TABLE IF NOT EXISTS prices (
    exchange TEXT NOT NULL,
    symbol TEXT NOT NULL,
    raw REAL NOT NULL,
    step INTEGER NOT NULL,
    PRIMARY KEY (exchange, symbol)
);
"""

ORDER_COLUMNS = (
    "order_id, client_id, tag, exchange, symbol, side, quantity, order_type, product, price, "
    "trigger_price, state, filled_qty, avg_price, message, triggered, placed_at, next_fill_at, "
    "blocked_margin"
)


class PaperStateError(RuntimeError):
    """The state file cannot be used (written by a newer version of the program)."""


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything one account needs from the file at start-up."""

    capital: Decimal
    epoch: datetime
    orders: list[PaperOrder]
    positions: list[PaperPosition]
    prices: dict[PriceKey, WalkState]


class PaperStore:
    def __init__(self, path: str | Path) -> None:
        self._path = str(path)
        self._conn = sqlite3.connect(
            self._path, check_same_thread=False, isolation_level=None, timeout=10.0
        )
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA foreign_keys=ON")
        self._migrate()

    def _migrate(self) -> None:
        (version,) = self._conn.execute("PRAGMA user_version").fetchone()
        if version > SCHEMA_VERSION:
            self._conn.close()
            raise PaperStateError(
                f"{self._path} has paper-broker schema {version}; this program knows "
                f"{SCHEMA_VERSION}: use a newer program or another file"
            )
        if version == SCHEMA_VERSION:
            return
        with self.transaction():
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    self._conn.execute(statement)
            self._conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        logger.info("paper broker state created in %s", self._path)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic write: BEGIN IMMEDIATE ... COMMIT, rolled back on any error."""
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def close(self) -> None:
        self._conn.close()

    # -- start-up ------------------------------------------------------------------------------

    def open_account(self, client_id: str, capital: Decimal, now: datetime) -> Snapshot:
        """Load an account, creating it (and the market's epoch) on first use."""
        with self.transaction():
            self._conn.execute(
                "INSERT OR IGNORE INTO accounts (client_id, capital) VALUES (?, ?)",
                (client_id, str(capital)),
            )
            self._conn.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('epoch', ?)", (now.isoformat(),)
            )
            self._conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('order_seq', '0')")
        (stored_capital,) = self._conn.execute(
            "SELECT capital FROM accounts WHERE client_id = ?", (client_id,)
        ).fetchone()
        (epoch,) = self._conn.execute("SELECT value FROM meta WHERE key = 'epoch'").fetchone()
        return Snapshot(
            capital=Decimal(stored_capital),
            epoch=datetime.fromisoformat(epoch),
            orders=self._load_orders(client_id),
            positions=self._load_positions(client_id),
            prices=self._load_prices(),
        )

    def _load_orders(self, client_id: str) -> list[PaperOrder]:
        rows = self._conn.execute(
            f"SELECT {ORDER_COLUMNS} FROM orders WHERE client_id = ? ORDER BY order_id",
            (client_id,),
        )
        return [_order_from_row(row) for row in rows]

    def _load_positions(self, client_id: str) -> list[PaperPosition]:
        rows = self._conn.execute(
            "SELECT exchange, symbol, product, quantity, avg_price, realised FROM positions "
            "WHERE client_id = ? ORDER BY exchange, symbol, product",
            (client_id,),
        )
        return [
            PaperPosition(
                Exchange(exchange),
                symbol,
                Product(product),
                quantity,
                Decimal(avg_price),
                Decimal(realised),
            )
            for exchange, symbol, product, quantity, avg_price, realised in rows
        ]

    def _load_prices(self) -> dict[PriceKey, WalkState]:
        rows = self._conn.execute("SELECT exchange, symbol, raw, step FROM prices")
        return {
            (Exchange(exchange), symbol): WalkState(raw=raw, step=step)
            for exchange, symbol, raw, step in rows
        }

    # -- writes (call inside `transaction()`) --------------------------------------------------

    def next_order_seq(self) -> int:
        """The next order number: read and bumped in the caller's transaction, never reused."""
        self._conn.execute(
            "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'order_seq'"
        )
        (value,) = self._conn.execute("SELECT value FROM meta WHERE key = 'order_seq'").fetchone()
        return int(value)

    def save_order(self, order: PaperOrder) -> None:
        placeholders = ", ".join("?" * len(ORDER_COLUMNS.split(",")))
        self._conn.execute(
            f"INSERT OR REPLACE INTO orders ({ORDER_COLUMNS}) VALUES ({placeholders})",
            _order_to_row(order),
        )

    def add_fill(self, fill: PaperFill) -> None:
        self._conn.execute(
            "INSERT INTO fills (order_id, client_id, exchange, symbol, product, side, quantity, "
            "price, filled_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                fill.order_id,
                fill.client_id,
                fill.exchange.value,
                fill.symbol,
                fill.product.value,
                fill.side.value,
                fill.quantity,
                str(fill.price),
                fill.filled_at.isoformat(),
            ),
        )

    def save_position(self, client_id: str, position: PaperPosition) -> None:
        self._conn.execute(
            "INSERT OR REPLACE INTO positions (client_id, exchange, symbol, product, quantity, "
            "avg_price, realised) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                client_id,
                position.exchange.value,
                position.symbol,
                position.product.value,
                position.quantity,
                str(position.avg_price),
                str(position.realised),
            ),
        )

    def save_prices(self, states: Mapping[PriceKey, WalkState]) -> None:
        self._conn.executemany(
            "INSERT OR REPLACE INTO prices (exchange, symbol, raw, step) VALUES (?, ?, ?, ?)",
            [(key[0].value, key[1], state.raw, state.step) for key, state in states.items()],
        )

    # -- reads ---------------------------------------------------------------------------------

    def fills(self, client_id: str) -> list[PaperFill]:
        rows = self._conn.execute(
            "SELECT order_id, client_id, exchange, symbol, product, side, quantity, price, "
            "filled_at FROM fills WHERE client_id = ? ORDER BY fill_id",
            (client_id,),
        )
        return [
            PaperFill(
                order_id=order_id,
                client_id=client,
                exchange=Exchange(exchange),
                symbol=symbol,
                product=Product(product),
                side=Side(side),
                quantity=quantity,
                price=Decimal(price),
                filled_at=datetime.fromisoformat(filled_at),
            )
            for order_id, client, exchange, symbol, product, side, quantity, price, filled_at in rows
        ]


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _order_to_row(order: PaperOrder) -> tuple[object, ...]:
    return (
        order.order_id,
        order.client_id,
        order.tag,
        order.exchange.value,
        order.symbol,
        order.side.value,
        order.quantity,
        order.order_type.value,
        order.product.value,
        _text(order.price),
        _text(order.trigger_price),
        order.state.value,
        order.filled_qty,
        _text(order.avg_price),
        order.message,
        int(order.triggered),
        order.placed_at.isoformat(),
        order.next_fill_at.isoformat(),
        str(order.blocked_margin),
    )


def _order_from_row(row: tuple[object, ...]) -> PaperOrder:
    (
        order_id,
        client_id,
        tag,
        exchange,
        symbol,
        side,
        quantity,
        order_type,
        product,
        price,
        trigger_price,
        state,
        filled_qty,
        avg_price,
        message,
        triggered,
        placed_at,
        next_fill_at,
        blocked_margin,
    ) = row
    return PaperOrder(
        order_id=str(order_id),
        client_id=str(client_id),
        tag=None if tag is None else str(tag),
        exchange=Exchange(str(exchange)),
        symbol=str(symbol),
        side=Side(str(side)),
        quantity=int(str(quantity)),
        order_type=OrderType(str(order_type)),
        product=Product(str(product)),
        price=_decimal(None if price is None else str(price)),
        trigger_price=_decimal(None if trigger_price is None else str(trigger_price)),
        state=BrokerState(str(state)),
        placed_at=datetime.fromisoformat(str(placed_at)),
        next_fill_at=datetime.fromisoformat(str(next_fill_at)),
        filled_qty=int(str(filled_qty)),
        avg_price=_decimal(None if avg_price is None else str(avg_price)),
        message=str(message),
        triggered=bool(triggered),
        blocked_margin=Decimal(str(blocked_margin)),
    )
