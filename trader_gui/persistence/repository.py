"""The repository: every status change is one transaction together with its transition row.

Synchronous by design: the engine calls it on its one database thread, so the window's thread
never waits on a commit. SQLAlchemy Core with statements built once keeps a step's cost close
to the bare commit; the order path's own statements (step 1's inserts, `advance`, the reads
of step 2's checks) run on the driver through `HotStatements`, with SQLAlchemy's SQL and types.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, Row, and_, bindparam, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from trader_gui.domain import transitions
from trader_gui.domain.enums import (
    BLOCKER_TAGS,
    Exchange,
    ExecutionType,
    OrderStatus,
    OrderType,
    Product,
    Side,
    Source,
    Tag,
)
from trader_gui.domain.kill_switch import KillSwitchState
from trader_gui.domain.order import OrderCommand, OrderRecord
from trader_gui.domain.transitions import Transition
from trader_gui.persistence.database import for_reads
from trader_gui.persistence.hot_statements import HotStatements
from trader_gui.persistence.models import (
    EngineStateRow,
    KillSwitchEventRow,
    KillSwitchRow,
    OrderRow,
    PnlSnapshotRow,
    TransitionRow,
)

log = logging.getLogger(__name__)

ORDERS = OrderRow.__table__
TRANSITIONS = TransitionRow.__table__
KILL_SWITCH = KillSwitchRow.__table__
KILL_SWITCH_EVENTS = KillSwitchEventRow.__table__
ENGINE_STATE = EngineStateRow.__table__
PNL_SNAPSHOTS = PnlSnapshotRow.__table__

PRICE_PLACES = Decimal("0.000001")
"""Prices are stored to 6 places (NUMERIC(20, 6) where the database has decimals)."""

# The hot statements, built once: SQLAlchemy then finds each compiled form in its cache
# without constructing and cache-keying a new statement per call.
_INSERT_ORDER = insert(ORDERS)
_INSERT_TRANSITION = insert(TRANSITIONS)
_SELECT_ORDER = select(ORDERS).where(ORDERS.c.command_id == bindparam("command_id"))
_SELECT_ORDERS_IN = select(ORDERS).where(ORDERS.c.command_id.in_(bindparam("ids", expanding=True)))
_UPDATE_ORDER = update(ORDERS).where(ORDERS.c.command_id == bindparam("where_command_id"))
"""The SET clause comes from the parameters' keys: only the columns that changed."""
_ADVANCE = (
    update(ORDERS)
    .where(
        ORDERS.c.command_id == bindparam("where_command_id"),
        ORDERS.c.status == bindparam("where_status"),
    )
    .returning(*ORDERS.c)
)
"""An order's own step in one statement: the row changed only in the status expected, and
returned as it is after the change. The SET clause comes from the parameters' keys."""
_ADVANCE_SENDING = _ADVANCE.values(
    sent_at=func.coalesce(ORDERS.c.sent_at, bindparam("sending_at", type_=ORDERS.c.sent_at.type))
)
"""The same for a change to SENT_TO_BROKER: the first such change stamps sent_at."""
_SELECT_BY_BROKER_ID = select(ORDERS).where(
    ORDERS.c.client_id == bindparam("client_id"),
    ORDERS.c.broker_order_id == bindparam("broker_order_id"),
)
_SELECT_KILL_SWITCH = select(KILL_SWITCH).where(KILL_SWITCH.c.client_id == bindparam("client_id"))
_SELECT_LEG_ORDERS = (
    select(ORDERS)
    .where(
        ORDERS.c.client_id == bindparam("client_id"),
        ORDERS.c.strategy == bindparam("strategy"),
        ORDERS.c.symbol == bindparam("symbol"),
        ORDERS.c.exchange == bindparam("exchange"),
        ORDERS.c.source != Source.BROKER.value,
    )
    .order_by(ORDERS.c.id)
)
_SELECT_DUPLICATE = (
    select(ORDERS)
    .where(
        ORDERS.c.client_id == bindparam("client_id"),
        ORDERS.c.strategy == bindparam("strategy"),
        ORDERS.c.symbol == bindparam("symbol"),
        ORDERS.c.exchange == bindparam("exchange"),
        ORDERS.c.side == bindparam("side"),
        ORDERS.c.status == OrderStatus.SENT_TO_BROKER.value,
        ORDERS.c.command_id != bindparam("command_id"),
    )
    .order_by(ORDERS.c.id)
    .limit(1)
)
_SELECT_DUPLICATE_OTHER_TICKET = _SELECT_DUPLICATE.where(
    # slices of one ticket are not each other's twins
    or_(ORDERS.c.ticket_id.is_(None), ORDERS.c.ticket_id != bindparam("ticket_id"))
)
_COUNT_AT_BROKER = (
    select(func.count())
    .select_from(ORDERS)
    .where(
        ORDERS.c.client_id == bindparam("client_id"),
        ORDERS.c.status == OrderStatus.SENT_TO_BROKER.value,
    )
)
_COUNT_SENT_SINCE = (
    select(func.count())
    .select_from(ORDERS)
    .where(
        ORDERS.c.client_id == bindparam("client_id"),
        ORDERS.c.sent_at >= bindparam("since"),
        ORDERS.c.sent_at <= bindparam("until"),
    )
)
_OPEN_STATUSES = (OrderStatus.CREATED.value, OrderStatus.SENT_TO_BROKER.value)
_IN_BATCH = 500
"""Ids per IN list: well under every database's limit on bound parameters."""
_SELECT_OPEN_COMPARED = select(
    ORDERS.c.command_id,
    ORDERS.c.status,
    ORDERS.c.broker_order_id,
    ORDERS.c.broker_status,
    ORDERS.c.filled_qty,
    ORDERS.c.avg_price,
).where(ORDERS.c.client_id == bindparam("client_id"), ORDERS.c.status.in_(_OPEN_STATUSES))
"""The watcher's columns to compare, without the times: no datetime is parsed per row."""

_KEEP: Any = object()
"""Marks a field a change leaves as it is (None is a value: 'no broker id')."""


@dataclass(frozen=True, slots=True)
class StatusChange:
    """One step of an order: a new status (or the same one with new broker detail)."""

    command_id: str
    to_status: OrderStatus
    at: datetime
    tag: Tag | None = None
    detail: str | None = None
    broker_status: Any = _KEEP
    broker_order_id: Any = _KEEP
    filled_qty: Any = _KEEP
    avg_price: Any = _KEEP
    amo: Any = _KEEP
    """True when step 3 sends the order as an after-market order."""
    expect_from: OrderStatus | Any | None = _KEEP
    """Refuse the change unless the row is in this status (guards against a race)."""


@dataclass(frozen=True, slots=True)
class OpenOrderState:
    """The few columns the watcher compares with the broker's book, without a full record."""

    command_id: str
    status: OrderStatus
    broker_order_id: str | None
    broker_status: str | None
    filled_qty: int
    avg_price: Decimal | None
    sent_at: datetime | None
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Applied:
    record: OrderRecord
    transition: Transition


class PartlyWritten(Exception):
    """A batch failed after some of its changes were committed: `applied` holds those, in
    order, and `error` what stopped the rest."""

    def __init__(self, applied: list[Applied], error: Exception) -> None:
        super().__init__(str(error))
        self.applied = applied
        self.error = error


class OrderRepository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        """Writes: on SQLite each transaction begins IMMEDIATE, holding the write lock."""
        self._reads = for_reads(engine)
        """Reads: the same pool; on SQLite a DEFERRED transaction, no write lock."""
        self._unit = threading.local()
        """The connection of this thread's open `transaction()`, if any."""
        self._hot = HotStatements(engine.dialect)
        """The order path's statements: on the driver where it is supported, else Core."""

    @contextmanager
    def transaction(self, *, savepoint: bool = False) -> Iterator[None]:
        """One write transaction for every read and write this thread makes inside the block.

        Committed when the block ends (so a caller acts on nothing before it is durable),
        rolled back whole if the block raises. The checks of step 2 and the mark of step 3
        run in one: they see one state of the database and nothing, not even another
        process, writes between them. A block inside another joins it; with `savepoint`, in
        a savepoint of it, so an error in the block rolls back only the block.
        """
        pinned = self._pinned()
        if pinned is not None:
            if savepoint:
                with pinned.begin_nested():
                    yield
            else:
                yield
            return
        with self.engine.begin() as connection:
            self._unit.connection = connection
            try:
                yield
            finally:
                self._unit.connection = None

    def _pinned(self) -> Connection | None:
        connection: Connection | None = getattr(self._unit, "connection", None)
        return connection

    @contextmanager
    def _writing(self, *, may_fail: bool = False) -> Iterator[Connection]:
        """A write transaction of its own, or this thread's `transaction()`.

        `may_fail`: the caller catches an error of the write and goes on (a repeated
        command_id), so inside a `transaction()` the write runs in a savepoint, which that
        error rolls back alone. Any other error leaves the block and rolls back the whole.
        """
        pinned = self._pinned()
        if pinned is None:
            with self.engine.begin() as connection:
                yield connection
        elif may_fail:
            with pinned.begin_nested():
                yield pinned
        else:
            yield pinned

    def _reading(self) -> Any:
        """A connection to read on: this thread's `transaction()`, else one from the pool."""
        pinned = self._pinned()
        return nullcontext(pinned) if pinned is not None else self._reads.connect()

    # ---- writes -----------------------------------------------------------------------------

    def create(self, command: OrderCommand, at: datetime) -> Applied | None:
        """Step 1. None when the command_id is already registered (the unique key decides)."""
        values = _command_values(command) | {
            "status": OrderStatus.CREATED.value,
            "tag": None,
            "detail": "",
            "filled_qty": 0,
            "created_at": at,
            "updated_at": at,
        }
        transition = Transition(command.command_id, None, OrderStatus.CREATED, None, "", at)
        try:
            with self._writing(may_fail=True) as connection:
                self._hot.execute(connection, _INSERT_ORDER, values)
                self._hot.execute(connection, _INSERT_TRANSITION, _transition_values(transition))
        except IntegrityError:
            return None
        return Applied(_record_from_values(values), transition)

    def record_found_at_broker(
        self,
        command: OrderCommand,
        status: OrderStatus,
        *,
        at: datetime,
        tag: Tag | None,
        detail: str,
        broker_order_id: str,
        broker_status: str,
        filled_qty: int,
        avg_price: Decimal | None,
    ) -> Applied | None:
        """An order the broker has that this program did not send: kept read-only."""
        transitions.check(command.command_id, None, status)
        values = _command_values(command) | {
            "status": status.value,
            "tag": tag.value if tag else None,
            "detail": detail,
            "broker_order_id": broker_order_id,
            "broker_status": broker_status,
            "filled_qty": filled_qty,
            "avg_price": avg_price,
            "created_at": at,
            "updated_at": at,
            "sent_at": at,
        }
        transition = Transition(
            command.command_id, None, status, tag, detail, at, broker_status=broker_status
        )
        try:
            with self._writing(may_fail=True) as connection:
                connection.execute(_INSERT_ORDER, values)
                connection.execute(_INSERT_TRANSITION, _transition_values(transition))
        except IntegrityError:
            return None
        return Applied(_record_from_values(values), transition)

    def apply(self, change: StatusChange) -> Applied | None:
        """Write the change and its transition row in one transaction.

        None, and nothing written, when the move is illegal (logged), when the row is not in
        the expected status, or when it would change nothing (so a repeated poll is silent).
        """
        with self._writing() as connection:
            return self._apply(connection, change)

    def advance(self, change: StatusChange) -> Applied | None:
        """An order's own step (the mark of step 3, the broker's answer in step 5): `apply`
        in two statements instead of three, where the database can (UPDATE ... RETURNING:
        SQLite >= 3.35, PostgreSQL).

        The row is changed only if it is in `change.expect_from` (the database decides, in
        the UPDATE itself: no read first), and comes back as it is after the change; its
        transition row is written in the same transaction. Unlike `apply`, every field the
        change names is written even if equal (the steps always change something). None, and
        nothing written, when the row is not in the expected status or the move is illegal.
        """
        current = change.expect_from
        if not isinstance(current, OrderStatus) or not self.engine.dialect.update_returning:
            return self.apply(change)
        if not _legal(change, current):
            return None
        parameters = _wanted(change, current) | {
            "updated_at": change.at,
            "where_command_id": change.command_id,
            "where_status": current.value,
        }
        statement = _ADVANCE
        if change.to_status is OrderStatus.SENT_TO_BROKER:
            statement, parameters["sending_at"] = _ADVANCE_SENDING, change.at
        with self._writing() as connection:
            row = self._hot.first(connection, statement, parameters)
            if row is None:
                return None
            transition = Transition(
                change.command_id,
                current,
                change.to_status,
                change.tag,
                row["detail"],
                change.at,
                broker_status=row["broker_status"],
            )
            self._hot.execute(connection, _INSERT_TRANSITION, _transition_values(transition))
        return Applied(_record_from_values(row), transition)

    def apply_all(self, changes: Sequence[StatusChange]) -> list[Applied]:
        """Several changes in one commit (a watcher pass), each as `apply` would make it.

        The rows are read in batches, the updates sent as one executemany per set of changed
        columns and the transition rows as one. If anything fails, that transaction is rolled
        back whole and the changes are applied again one commit each, as single `apply`
        calls would leave them: those before the failing one written, and PartlyWritten
        raised with them, so the caller can still tell the window what did change.
        Nothing is returned before its commit.
        """
        if not changes:
            return []
        try:
            with self._writing() as connection:
                results = self._apply_batch(connection, changes)
        except Exception as error:
            if self._pinned() is not None:
                raise  # the caller's transaction decides
            log.warning("%d changes rolled back (%s): applied one by one", len(changes), error)
            return self._apply_each(changes)
        return [result for result in results if result is not None]

    def _apply_each(self, changes: Sequence[StatusChange]) -> list[Applied]:
        """One commit per change; a failure says which changes were written before it."""
        written: list[Applied] = []
        for change in changes:
            try:
                result = self.apply(change)
            except Exception as failure:
                raise PartlyWritten(written, failure) from failure
            if result is not None:
                written.append(result)
        return written

    def _apply_batch(
        self, connection: Connection, changes: Sequence[StatusChange]
    ) -> list[Applied | None]:
        ids = [change.command_id for change in changes]
        if len(set(ids)) != len(ids):  # a later change must see an earlier one's result
            return [self._apply(connection, change) for change in changes]
        rows: dict[str, Row[Any]] = {}
        for at in range(0, len(ids), _IN_BATCH):
            batch = ids[at : at + _IN_BATCH]
            rows.update(
                (row.command_id, row)
                for row in connection.execute(_SELECT_ORDERS_IN, {"ids": batch})
            )
        planned = [_plan(rows.get(change.command_id), change) for change in changes]
        updates: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for plan in planned:
            if plan is not None:
                updates.setdefault(tuple(sorted(plan.updates)), []).append(plan.parameters)
        for parameters in updates.values():
            connection.execute(_UPDATE_ORDER, parameters)
        inserts = [_transition_values(plan.applied.transition) for plan in planned if plan]
        if inserts:
            connection.execute(_INSERT_TRANSITION, inserts)
        return [plan.applied if plan is not None else None for plan in planned]

    def _apply(self, connection: Connection, change: StatusChange) -> Applied | None:
        row = connection.execute(_SELECT_ORDER, {"command_id": change.command_id}).first()
        plan = _plan(row, change)
        if plan is None:
            return None
        connection.execute(_UPDATE_ORDER, plan.parameters)
        connection.execute(_INSERT_TRANSITION, _transition_values(plan.applied.transition))
        return plan.applied

    # ---- reads ------------------------------------------------------------------------------

    def get(self, command_id: str) -> OrderRecord | None:
        with self._reading() as connection:
            row = connection.execute(_SELECT_ORDER, {"command_id": command_id}).first()
        return _record(row) if row is not None else None

    def find_by_broker_id(self, client_id: str, broker_order_id: str) -> OrderRecord | None:
        with self._reading() as connection:
            row = connection.execute(
                _SELECT_BY_BROKER_ID,
                {"client_id": client_id, "broker_order_id": broker_order_id},
            ).first()
        return _record(row) if row is not None else None

    def orders(
        self,
        client_id: str,
        *,
        statuses: Iterable[OrderStatus] | None = None,
        since: datetime | None = None,
        limit: int | None = None,
        newest_first: bool = False,
    ) -> list[OrderRecord]:
        query = select(ORDERS).where(ORDERS.c.client_id == client_id)
        if statuses is not None:
            query = query.where(ORDERS.c.status.in_([s.value for s in statuses]))
        if since is not None:
            query = query.where(ORDERS.c.created_at >= since)
        query = query.order_by(ORDERS.c.id.desc() if newest_first else ORDERS.c.id)
        if limit is not None:
            query = query.limit(limit)
        with self._reading() as connection:
            return [_record(row) for row in connection.execute(query)]

    def non_terminal(self, client_id: str) -> list[OrderRecord]:
        return self.orders(client_id, statuses=(OrderStatus.CREATED, OrderStatus.SENT_TO_BROKER))

    def open_states(
        self, client_id: str, command_ids: Iterable[str] | None = None
    ) -> list[OpenOrderState]:
        """Every order of the account not yet final (or those of `command_ids` among them),
        as the watcher needs it: lean and fast."""
        columns = ORDERS.c
        query = select(
            columns.command_id,
            columns.status,
            columns.broker_order_id,
            columns.broker_status,
            columns.filled_qty,
            columns.avg_price,
            columns.sent_at,
            columns.updated_at,
        ).where(columns.client_id == client_id, columns.status.in_(_OPEN_STATUSES))
        if command_ids is None:
            batches: list[list[str] | None] = [None]
        else:
            wanted = list(command_ids)
            batches = [wanted[at : at + _IN_BATCH] for at in range(0, len(wanted), _IN_BATCH)]
            query = query.where(columns.command_id.in_(bindparam("ids", expanding=True)))
        states: list[OpenOrderState] = []
        with self._reading() as connection:
            for batch in batches:
                rows = connection.execute(query, {} if batch is None else {"ids": batch})
                states.extend(
                    OpenOrderState(
                        row.command_id,
                        OrderStatus(row.status),
                        row.broker_order_id,
                        row.broker_status,
                        row.filled_qty or 0,
                        row.avg_price,
                        _aware(row.sent_at) if row.sent_at else None,
                        _aware(row.updated_at),
                    )
                    for row in rows
                )
        return states

    def open_compared(self, client_id: str) -> list[tuple[Any, ...]]:
        """Every order of the account not yet final as a plain tuple of the fields a watcher
        pass compares: (command_id, status, broker_order_id, broker_status, filled_qty,
        avg_price). No times and no objects per row: a pass reads 100,000 of these.

        The driver's own rows, fetched in one call: SQLAlchemy's row objects and result types
        cost more than the read itself at that size. avg_price, the one column whose stored
        form differs by database (text on SQLite), is made a Decimal here."""
        with self._reading() as connection:
            result = connection.execute(_SELECT_OPEN_COMPARED, {"client_id": client_id})
            rows: list[tuple[Any, ...]] = result.cursor.fetchall()
            result.close()
        return [row if row[5] is None else (*row[:5], _decimal(row[5])) for row in rows]

    def broker_order_ids(self, client_id: str) -> set[str]:
        query = select(ORDERS.c.broker_order_id).where(
            ORDERS.c.client_id == client_id, ORDERS.c.broker_order_id.is_not(None)
        )
        with self._reading() as connection:
            return {row[0] for row in connection.execute(query)}

    def open_duplicate(self, command: OrderCommand) -> OrderRecord | None:
        """An order of the same account, strategy, symbol and side already at the broker."""
        parameters = {
            "client_id": command.client_id,
            "strategy": command.strategy,
            "symbol": command.symbol,
            "exchange": command.exchange.value,
            "side": command.side.value,
            "command_id": command.command_id,
        }
        query = _SELECT_DUPLICATE
        if command.ticket_id is not None:
            query = _SELECT_DUPLICATE_OTHER_TICKET
            parameters["ticket_id"] = command.ticket_id
        with self._reading() as connection:
            row = self._hot.first(connection, query, parameters)
        return _record_from_values(row) if row is not None else None

    def strategy_leg_orders(
        self, client_id: str, strategy: str, exchange: Exchange, symbol: str
    ) -> list[OrderRecord]:
        """Every order of one strategy's leg: the execution guard's evidence."""
        parameters = {
            "client_id": client_id,
            "strategy": strategy,
            "symbol": symbol,
            "exchange": exchange.value,
        }
        with self._reading() as connection:
            rows = self._hot.all(connection, _SELECT_LEG_ORDERS, parameters)
        return [_record_from_values(row) for row in rows]

    def orders_for_symbol(
        self, client_id: str, exchange: Exchange, symbol: str
    ) -> list[OrderRecord]:
        """Every order of the account in one instrument: a flatten books exits from it."""
        query = (
            select(ORDERS)
            .where(
                ORDERS.c.client_id == client_id,
                ORDERS.c.exchange == exchange.value,
                ORDERS.c.symbol == symbol,
            )
            .order_by(ORDERS.c.id)
        )
        with self._reading() as connection:
            return [_record(row) for row in connection.execute(query)]

    def blocked(self, client_id: str, since: datetime) -> list[OrderRecord]:
        """Orders stopped in step 2 since a time, newest first."""
        query = (
            select(ORDERS)
            .where(
                ORDERS.c.client_id == client_id,
                ORDERS.c.created_at >= since,
                ORDERS.c.tag.in_([tag.value for tag in BLOCKER_TAGS]),
            )
            .order_by(ORDERS.c.id.desc())
        )
        with self._reading() as connection:
            return [_record(row) for row in connection.execute(query)]

    def transitions(self, command_id: str) -> list[Transition]:
        query = (
            select(TRANSITIONS)
            .where(TRANSITIONS.c.command_id == command_id)
            .order_by(TRANSITIONS.c.id)
        )
        with self._reading() as connection:
            return [_transition(row) for row in connection.execute(query)]

    def count_at_broker(self, client_id: str) -> int:
        """Orders of the account sent and not yet final: the open-orders limit counts these."""
        with self._reading() as connection:
            return int(connection.execute(_COUNT_AT_BROKER, {"client_id": client_id}).scalar_one())

    def count_sent_since(self, client_id: str, since: datetime, until: datetime) -> int:
        """Orders of the account that passed step 2 in a window: the order-rate limit.

        Bounded above too: after the clock is set back, orders stamped in its "future" are
        not in the last minute.
        """
        parameters = {"client_id": client_id, "since": since, "until": until}
        with self._reading() as connection:
            return int(connection.execute(_COUNT_SENT_SINCE, parameters).scalar_one())

    def count_orders(self, client_id: str) -> int:
        query = select(func.count()).select_from(ORDERS).where(ORDERS.c.client_id == client_id)
        with self._reading() as connection:
            return int(connection.execute(query).scalar_one())

    # ---- kill switch ------------------------------------------------------------------------

    def kill_switch(self, client_id: str) -> KillSwitchState:
        with self._reading() as connection:
            row = self._hot.first(connection, _SELECT_KILL_SWITCH, {"client_id": client_id})
        if row is None:
            return KillSwitchState.off()
        return KillSwitchState(
            bool(row["active"]), row["changed_at"], row["changed_by"], row["reason"]
        )

    def set_kill_switch(
        self, client_id: str, active: bool, *, by: str, reason: str, at: datetime
    ) -> KillSwitchState:
        """Set the switch and append the change to its history, in one transaction."""
        values = {"active": active, "changed_at": at, "changed_by": by, "reason": reason}
        with self._writing() as connection:
            changed = connection.execute(
                update(KILL_SWITCH).where(KILL_SWITCH.c.client_id == client_id), values
            ).rowcount
            if not changed:
                connection.execute(insert(KILL_SWITCH), values | {"client_id": client_id})
            connection.execute(
                insert(KILL_SWITCH_EVENTS),
                {
                    "client_id": client_id,
                    "active": active,
                    "at": at,
                    "changed_by": by,
                    "reason": reason,
                },
            )
        return KillSwitchState(active, at, by, reason)

    def kill_switch_history(self, client_id: str, limit: int = 50) -> list[KillSwitchState]:
        query = (
            select(KILL_SWITCH_EVENTS)
            .where(KILL_SWITCH_EVENTS.c.client_id == client_id)
            .order_by(KILL_SWITCH_EVENTS.c.id.desc())
            .limit(limit)
        )
        with self._reading() as connection:
            return [
                KillSwitchState(bool(r.active), r.at, r.changed_by, r.reason)
                for r in connection.execute(query)
            ]

    # ---- small persisted state and P&L snapshots ------------------------------------------

    def load_state(self, client_id: str, key: str) -> Any:
        query = select(ENGINE_STATE.c.value).where(
            and_(ENGINE_STATE.c.client_id == client_id, ENGINE_STATE.c.key == key)
        )
        with self._reading() as connection:
            value = connection.execute(query).scalar_one_or_none()
        return json.loads(value) if value is not None else None

    def save_state(self, client_id: str, key: str, value: Any, at: datetime) -> None:
        text = json.dumps(value, default=str, sort_keys=True)
        where = and_(ENGINE_STATE.c.client_id == client_id, ENGINE_STATE.c.key == key)
        with self._writing() as connection:
            changed = connection.execute(
                update(ENGINE_STATE).where(where), {"value": text, "updated_at": at}
            ).rowcount
            if not changed:
                connection.execute(
                    insert(ENGINE_STATE),
                    {"client_id": client_id, "key": key, "value": text, "updated_at": at},
                )

    def add_pnl_snapshot(
        self, client_id: str, at: datetime, realised: Decimal, unrealised: Decimal
    ) -> None:
        with self._writing() as connection:
            connection.execute(
                insert(PNL_SNAPSHOTS),
                {"client_id": client_id, "at": at, "realised": realised, "unrealised": unrealised},
            )

    def pnl_snapshots(self, client_id: str, since: datetime) -> list[tuple[datetime, Decimal]]:
        query = (
            select(PNL_SNAPSHOTS)
            .where(PNL_SNAPSHOTS.c.client_id == client_id, PNL_SNAPSHOTS.c.at >= since)
            .order_by(PNL_SNAPSHOTS.c.id)
        )
        with self._reading() as connection:
            return [(r.at, r.realised + r.unrealised) for r in connection.execute(query)]

    def close(self) -> None:
        self.engine.dispose()


# ---- row <-> domain -------------------------------------------------------------------------


def _command_values(command: OrderCommand) -> dict[str, Any]:
    return {
        "command_id": command.command_id,
        "ticket_id": command.ticket_id,
        "client_id": command.client_id,
        "symbol": command.symbol,
        "exchange": command.exchange.value,
        "side": command.side.value,
        "quantity": command.quantity,
        "order_type": command.order_type.value,
        "price": command.price,
        "trigger_price": command.trigger_price,
        "product": command.product.value,
        "strategy": command.strategy,
        "execution_type": command.execution_type.value,
        "source": command.source.value,
        "broker_order_id": None,
        "broker_status": None,
        "avg_price": None,
        "sent_at": None,
        "amo": False,
        "sender": command.sender,
    }


def _legal(change: StatusChange, current: OrderStatus) -> bool:
    """The transition table allows this move; a refused one is logged, never written."""
    if transitions.is_allowed(current, change.to_status):
        return True
    log.warning(
        "order %s: %s -> %s refused by the transition table",
        change.command_id,
        current,
        change.to_status,
    )
    return False


@dataclass(frozen=True, slots=True)
class _Plan:
    """What one change writes: the changed columns, and the record and transition after it."""

    updates: dict[str, Any]
    applied: Applied

    @property
    def parameters(self) -> dict[str, Any]:
        return self.updates | {"where_command_id": self.applied.record.command_id}


def _plan(row: Row[Any] | None, change: StatusChange) -> _Plan | None:
    """The write a change makes on its row; None (nothing written) when the row is unknown,
    not in the expected status, the move is illegal (logged), or nothing would change."""
    if row is None:
        log.warning("status change for unknown order %s ignored", change.command_id)
        return None
    current = OrderStatus(row.status)
    if change.expect_from is not _KEEP and current is not change.expect_from:
        return None
    if not _legal(change, current):
        return None
    updates = _updates(row, change)
    if not updates:
        return None
    updates["updated_at"] = change.at
    if change.to_status is OrderStatus.SENT_TO_BROKER and row.sent_at is None:
        updates["sent_at"] = change.at
    transition = Transition(
        change.command_id,
        current,
        change.to_status,
        change.tag,
        change.detail if change.detail is not None else row.detail,
        change.at,
        broker_status=updates.get("broker_status", row.broker_status),
    )
    merged = dict(row._mapping) | updates
    return _Plan(updates, Applied(_record_from_values(merged), transition))


def _updates(row: Row[Any], change: StatusChange) -> dict[str, Any]:
    """Only the fields that differ from the row; empty means the change is a no-op."""
    wanted = _wanted(change, OrderStatus(row.status))
    return {key: value for key, value in wanted.items() if getattr(row, key) != value}


def _wanted(change: StatusChange, current: OrderStatus) -> dict[str, Any]:
    """Every field the change sets, on a row in status `current`."""
    wanted: dict[str, Any] = {"status": change.to_status.value}
    if change.to_status is not current or change.tag is not None:
        wanted["tag"] = change.tag.value if change.tag else None
    if change.detail is not None:
        wanted["detail"] = change.detail
    for field in ("broker_status", "broker_order_id", "filled_qty", "avg_price", "amo"):
        value = getattr(change, field)
        if value is not _KEEP:
            wanted[field] = value
    if isinstance(wanted.get("avg_price"), Decimal):
        # kept at 6 places on every database, so the same fill compares equal next poll
        wanted["avg_price"] = wanted["avg_price"].quantize(PRICE_PLACES)
    return wanted


def _transition_values(transition: Transition) -> dict[str, Any]:
    return {
        "command_id": transition.command_id,
        "from_status": transition.from_status.value if transition.from_status else None,
        "to_status": transition.to_status.value,
        "tag": transition.tag.value if transition.tag else None,
        "detail": transition.detail,
        "broker_status": transition.broker_status,
        "at": transition.at,
    }


def _record(row: Row[Any]) -> OrderRecord:
    return _record_from_values(dict(row._mapping))


def _record_from_values(values: dict[str, Any]) -> OrderRecord:
    command = OrderCommand(
        command_id=values["command_id"],
        client_id=values["client_id"],
        symbol=values["symbol"],
        exchange=Exchange(values["exchange"]),
        side=Side(values["side"]),
        quantity=values["quantity"],
        order_type=OrderType(values["order_type"]),
        product=Product(values["product"]),
        strategy=values["strategy"],
        execution_type=ExecutionType(values["execution_type"]),
        source=Source(values["source"]),
        price=values.get("price"),
        trigger_price=values.get("trigger_price"),
        ticket_id=values.get("ticket_id"),
        sender=values.get("sender"),
    )
    return OrderRecord(
        command=command,
        status=OrderStatus(values["status"]),
        created_at=_aware(values["created_at"]),
        updated_at=_aware(values["updated_at"]),
        tag=Tag(values["tag"]) if values.get("tag") else None,
        detail=values.get("detail") or "",
        broker_order_id=values.get("broker_order_id"),
        broker_status=values.get("broker_status"),
        filled_qty=values.get("filled_qty") or 0,
        avg_price=values.get("avg_price"),
        sent_at=_aware(values["sent_at"]) if values.get("sent_at") else None,
        amo=bool(values.get("amo")),
    )


def _transition(row: Row[Any]) -> Transition:
    return Transition(
        command_id=row.command_id,
        from_status=OrderStatus(row.from_status) if row.from_status else None,
        to_status=OrderStatus(row.to_status),
        tag=Tag(row.tag) if row.tag else None,
        detail=row.detail or "",
        at=row.at,
        broker_status=row.broker_status,
    )


def _decimal(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
