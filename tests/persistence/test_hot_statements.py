"""The order path's statements on the driver store and read exactly what Core does.

`HotStatements` runs `create`, `advance` and the reads of step 2's checks on the DB-API cursor
with SQLAlchemy's compiled SQL and type processors. Each test writes one order on the driver
and its twin through Core (`through_core`: Core runs whenever something listens to its
execution), then compares the stored rows as the database holds them and as each path reads
them back: every column, by type and repr, so Decimal('965.00') is not Decimal('965.0') and a
datetime keeps its zone and microseconds. On SQLite and on PostgreSQL.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from postgres_support import ticket
from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.exc import DBAPIError, IntegrityError, StatementError

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
from trader_gui.domain.ids import new_command_id
from trader_gui.domain.order import OrderCommand
from trader_gui.persistence import hot_statements
from trader_gui.persistence.database import open_database
from trader_gui.persistence.hot_statements import HotStatements
from trader_gui.persistence.repository import (
    _INSERT_ORDER,
    _INSERT_TRANSITION,
    OrderRepository,
    StatusChange,
)

AT = datetime(2026, 11, 25, 5, 0, 0, 123456, tzinfo=UTC)
IST = timezone(timedelta(hours=5, minutes=30))


@contextmanager
def through_core(engine: Engine) -> Iterator[list[str]]:
    """Every statement through Core while open (a listener on its execution makes the hot
    statements step aside); yields the statements Core ran."""
    ran: list[str] = []

    def listener(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        ran.append(statement)

    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield ran
    finally:
        event.remove(engine, "before_cursor_execute", listener)


def exact(value: Any) -> Any:
    """A value as comparable as its repr: type and form, not only numeric equality."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (
            type(value).__name__,
            tuple(exact(getattr(value, f.name)) for f in dataclasses.fields(value)),
        )
    if isinstance(value, dict):
        return tuple(sorted((key, exact(item)) for key, item in value.items()))
    if isinstance(value, list | tuple):
        return tuple(exact(item) for item in value)
    return (type(value).__name__, repr(value))


def stored(engine: Engine, table: str, command_id: str) -> list[dict[str, Any]]:
    """The rows as the database holds them: the driver's own values, no SQLAlchemy types;
    without the id and command_id, which differ between twins."""
    query = text(f"SELECT * FROM {table} WHERE command_id = :command_id ORDER BY id")
    with engine.connect() as connection:
        rows = connection.execute(query, {"command_id": command_id}).mappings().all()
    return [{k: v for k, v in row.items() if k not in ("id", "command_id")} for row in rows]


def same_but_id(record: Any, twin: Any) -> None:
    """Two records (or transitions) equal in every field and form but their command_id."""
    if hasattr(twin, "command"):
        twin = dataclasses.replace(twin, command=twin.command.with_id(record.command.command_id))
    else:
        twin = dataclasses.replace(twin, command_id=record.command_id)
    assert exact(record) == exact(twin)


def assert_stored_alike(repo: OrderRepository, fast: str, core: str) -> None:
    for table in ("orders", "order_transitions"):
        assert exact(stored(repo.engine, table, fast)) == exact(stored(repo.engine, table, core))
    same_but_id(repo.get(fast), repo.get(core))
    for mine, theirs in zip(repo.transitions(fast), repo.transitions(core), strict=True):
        same_but_id(mine, theirs)


COMMANDS = [
    pytest.param({"order_type": "LIMIT", "price": "965.00"}, id="limit-trailing-zeros"),
    pytest.param({"order_type": "SL", "price": "101.05", "trigger_price": "100.950"}, id="sl"),
    pytest.param({"order_type": "MARKET"}, id="market-no-prices"),
    pytest.param(
        {"ticket_id": "T-1", "sender": "desk", "source": "EXTERNAL", "product": "CNC"},
        id="ticket-and-sender",
    ),
    pytest.param(
        {
            "execution_type": "EXIT",
            "side": "SELL",
            "source": "FLATTEN",
            "exchange": "NFO",
            "symbol": "NIFTY26NOVFUT",
            "quantity": 75,
            "order_type": "LIMIT",
            "price": "0.05",
        },
        id="exit-nfo",
    ),
]


def twins(**fields: Any) -> tuple[OrderCommand, OrderCommand]:
    order = ticket(**fields)
    return order, order.with_id(new_command_id())


# ---- the driver is really used, and Core can still be made to run -------------------------


def test_the_order_path_runs_on_the_driver(
    repo: OrderRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert HotStatements(repo.engine.dialect).on_driver
    order = ticket()
    through_execute: list[Any] = []
    real_execute = Connection.execute

    def spy(self: Connection, statement: Any, *args: Any, **kwargs: Any) -> Any:
        through_execute.append(statement)
        return real_execute(self, statement, *args, **kwargs)

    monkeypatch.setattr(Connection, "execute", spy)
    repo.create(order, AT)
    repo.kill_switch(order.client_id)
    repo.strategy_leg_orders(order.client_id, order.strategy, order.exchange, order.symbol)
    repo.open_duplicate(order)
    repo.advance(
        StatusChange(
            order.command_id, OrderStatus.SENT_TO_BROKER, AT, expect_from=OrderStatus.CREATED
        )
    )
    monkeypatch.undo()

    assert through_execute == []
    with through_core(repo.engine) as ran:
        repo.kill_switch(order.client_id)
    assert len(ran) == 1


@pytest.mark.parametrize(
    ("name", "value"),
    [
        pytest.param("DRIVERS", frozenset(), id="a-driver-not-checked"),
        pytest.param("INTERNALS", ((Connection, ("_gone",)),), id="a-sqlalchemy-without-them"),
    ],
)
def test_elsewhere_everything_runs_through_core(
    url: str, monkeypatch: pytest.MonkeyPatch, name: str, value: Any
) -> None:
    monkeypatch.setattr(hot_statements, name, value)
    repository = OrderRepository(open_database(url))
    order = ticket()
    try:
        with through_core(repository.engine) as ran:
            monkeypatch.setattr(hot_statements, "_plain", lambda _connection: True)
            repository.create(order, AT)
            repository.kill_switch(order.client_id)
        stored = repository.get(order.command_id)
    finally:
        repository.close()

    assert len(ran) >= 3  # both inserts and the read
    assert stored is not None


@pytest.mark.parametrize("where", ["engine", "connection", "connection class"])
def test_a_listener_on_cores_execution_sees_every_statement(
    repo: OrderRepository, where: str
) -> None:
    hot = HotStatements(repo.engine.dialect)
    seen: list[str] = []

    def listener(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        seen.append(statement)

    with repo.engine.begin() as connection:
        target: Any = {"engine": repo.engine, "connection": connection}.get(where, Connection)
        event.listen(target, "before_cursor_execute", listener)
        try:
            hot.execute(connection, _INSERT_ORDER, _values(ticket()))
        finally:
            event.remove(target, "before_cursor_execute", listener)
        hot.execute(connection, _INSERT_ORDER, _values(ticket()))

    assert len(seen) == 1
    assert seen[0].startswith("INSERT INTO orders")


# ---- writes: on the driver, read back through Core, and the twin through Core -------------


@pytest.mark.parametrize("fields", COMMANDS)
def test_create_on_the_driver_stores_what_core_stores(
    repo: OrderRepository, fields: dict[str, Any]
) -> None:
    fast, core = twins(**fields)
    at = AT.astimezone(IST)  # any zone in, UTC stored

    written = repo.create(fast, at)
    with through_core(repo.engine) as ran:
        repo.create(core, at)

    assert ran
    assert written is not None
    assert_stored_alike(repo, fast.command_id, core.command_id)
    read = repo.get(fast.command_id)
    assert read is not None
    assert read.command.command_id == fast.command_id
    assert read.created_at == AT
    assert read.created_at.tzinfo is UTC


CHANGES: list[Any] = [
    pytest.param(
        [(OrderStatus.SENT_TO_BROKER, {"detail": "Sending to paper.", "amo": False})],
        id="marked",
    ),
    pytest.param(
        [(OrderStatus.SENT_TO_BROKER, {"detail": "as an AMO", "amo": True})], id="marked-amo"
    ),
    pytest.param(
        [(OrderStatus.FAILED, {"tag": Tag.KILL_SWITCH_ACTIVE, "detail": "Kill switch is on"})],
        id="blocked",
    ),
    pytest.param(
        [
            (OrderStatus.SENT_TO_BROKER, {"detail": "Sending", "amo": False}),
            (
                OrderStatus.SENT_TO_BROKER,
                {"broker_order_id": "26112500000001", "broker_status": "OPEN"},
            ),
            (
                OrderStatus.EXECUTED,
                {"broker_status": "COMPLETE", "filled_qty": 10, "avg_price": Decimal("965.0")},
            ),
        ],
        id="accepted-and-filled",
    ),
    pytest.param(
        [
            (OrderStatus.SENT_TO_BROKER, {"detail": "Sending", "amo": False}),
            (
                OrderStatus.FAILED,
                {"tag": Tag.BROKER_REJECTED, "detail": "RMS: margin", "broker_status": None},
            ),
        ],
        id="rejected",
    ),
]


@pytest.mark.parametrize("steps", CHANGES)
def test_advance_on_the_driver_returns_and_stores_what_core_does(
    repo: OrderRepository, steps: list[tuple[OrderStatus, dict[str, Any]]]
) -> None:
    fast, core = twins(order_type="LIMIT", price="812.30")
    repo.create(fast, AT)
    repo.create(core, AT)
    current = OrderStatus.CREATED
    for number, (to_status, fields) in enumerate(steps, start=1):
        at = AT + timedelta(seconds=number, microseconds=number)
        mine = repo.advance(
            StatusChange(fast.command_id, to_status, at, expect_from=current, **fields)
        )
        with through_core(repo.engine) as ran:
            theirs = repo.advance(
                StatusChange(core.command_id, to_status, at, expect_from=current, **fields)
            )
        assert ran
        assert mine is not None
        assert theirs is not None
        same_but_id(mine.record, theirs.record)
        same_but_id(mine.transition, theirs.transition)
        same_but_id(mine.record, repo.get(fast.command_id))  # RETURNING is what Core reads
        current = to_status
    assert_stored_alike(repo, fast.command_id, core.command_id)


def test_advance_on_the_driver_changes_nothing_from_another_status(repo: OrderRepository) -> None:
    order = ticket()
    repo.create(order, AT)

    stale = repo.advance(
        StatusChange(
            order.command_id, OrderStatus.FAILED, AT, expect_from=OrderStatus.SENT_TO_BROKER
        )
    )

    assert stale is None
    assert [t.to_status for t in repo.transitions(order.command_id)] == [OrderStatus.CREATED]


# ---- the checks' reads: on the driver and through Core, the same rows -------------------


def test_the_checks_reads_on_the_driver_equal_cores(repo: OrderRepository) -> None:
    leg = {"strategy": "s9", "symbol": "SBIN", "order_type": "LIMIT", "price": "965.00"}
    sent, filled, blocked = ticket(**leg), ticket(**leg, ticket_id="T-7"), ticket(**leg)
    for order in (sent, filled, blocked):
        repo.create(order, AT)
    for order in (sent, filled):
        repo.advance(
            StatusChange(
                order.command_id, OrderStatus.SENT_TO_BROKER, AT, expect_from=OrderStatus.CREATED
            )
        )
    repo.advance(
        StatusChange(
            filled.command_id,
            OrderStatus.EXECUTED,
            AT + timedelta(microseconds=7),
            broker_order_id="B-1",
            broker_status="COMPLETE",
            filled_qty=10,
            avg_price=Decimal("964.50"),
            expect_from=OrderStatus.SENT_TO_BROKER,
        )
    )
    repo.advance(
        StatusChange(
            blocked.command_id,
            OrderStatus.FAILED,
            AT,
            tag=Tag.EXECUTION_GUARD_BLOCKED,
            detail="held",
            expect_from=OrderStatus.CREATED,
        )
    )
    repo.set_kill_switch("PAPER", True, by="cli", reason="halt", at=AT.astimezone(IST))
    twin = ticket(**leg)

    def reads() -> Any:
        return (
            repo.kill_switch("PAPER"),
            repo.kill_switch("NOBODY"),
            repo.strategy_leg_orders("PAPER", "s9", Exchange.NSE, "SBIN"),
            repo.strategy_leg_orders("PAPER", "none", Exchange.NSE, "SBIN"),
            repo.open_duplicate(twin),
            repo.open_duplicate(dataclasses.replace(twin, ticket_id="T-7")),
            repo.open_duplicate(dataclasses.replace(twin, side=Side.SELL)),
        )

    on_driver = reads()
    with through_core(repo.engine) as ran:
        through = reads()
        with repo.transaction():  # and inside a transaction, as step 2 runs them
            pinned = reads()

    assert ran
    assert exact(on_driver) == exact(through) == exact(pinned)
    with repo.transaction():
        assert exact(reads()) == exact(through)
    switch, _off, legs, _none, duplicate, _, _ = on_driver
    assert switch.active
    assert switch.changed_at == AT
    assert switch.changed_at.tzinfo is UTC
    assert [o.command_id for o in legs] == [sent.command_id, filled.command_id, blocked.command_id]
    assert legs[1].avg_price is not None
    assert duplicate is not None
    assert duplicate.command_id == sent.command_id


# ---- generated orders ---------------------------------------------------------------------

_TEXT = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\x00"), max_size=12
)
_PRICES = st.builds(
    lambda digits, places: Decimal(digits).scaleb(-places),
    st.integers(min_value=0, max_value=10**12),
    st.integers(min_value=0, max_value=6),
)
_TIMES = st.datetimes(
    min_value=datetime(2000, 1, 1),
    max_value=datetime(2099, 12, 31),
    timezones=st.sampled_from([UTC, IST, timezone(timedelta(hours=-7))]),
)


_FIRST_MOVES = (OrderStatus.SENT_TO_BROKER, OrderStatus.FAILED)
_SECOND_MOVES = (OrderStatus.SENT_TO_BROKER, OrderStatus.EXECUTED, OrderStatus.FAILED)


@st.composite
def commands(draw: st.DrawFn) -> OrderCommand:
    return OrderCommand(
        command_id=new_command_id(),
        client_id=draw(_TEXT.filter(bool)),
        symbol=draw(_TEXT.filter(bool)),
        exchange=draw(st.sampled_from(Exchange)),
        side=draw(st.sampled_from(Side)),
        quantity=draw(st.integers(min_value=1, max_value=2**31 - 1)),
        order_type=draw(st.sampled_from(OrderType)),
        product=draw(st.sampled_from(Product)),
        strategy=draw(_TEXT),
        execution_type=draw(st.sampled_from(ExecutionType)),
        source=draw(st.sampled_from(Source)),
        price=draw(st.none() | _PRICES),
        trigger_price=draw(st.none() | _PRICES),
        ticket_id=draw(st.none() | _TEXT),
        sender=draw(st.none() | _TEXT),
    )


def test_generated_orders_round_trip_alike_on_the_driver_and_through_core(
    repo: OrderRepository,
) -> None:
    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        command=commands(),
        times=st.lists(_TIMES, min_size=3, max_size=3),
        moves=st.tuples(st.sampled_from(_FIRST_MOVES), st.sampled_from(_SECOND_MOVES)),
        tag=st.none() | st.sampled_from(Tag),
        detail=_TEXT,
        broker_status=st.none() | _TEXT,
        avg_price=st.none() | _PRICES,
        filled=st.integers(min_value=0, max_value=10**6),
        amo=st.booleans(),
    )
    def check(
        command: OrderCommand,
        times: list[datetime],
        moves: tuple[OrderStatus, OrderStatus],
        tag: Tag | None,
        detail: str,
        broker_status: str | None,
        avg_price: Decimal | None,
        filled: int,
        amo: bool,
    ) -> None:
        core = command.with_id(new_command_id())
        first = {"tag": tag, "detail": detail, "amo": amo}
        second = {
            "tag": tag,
            "broker_order_id": broker_status,
            "broker_status": broker_status,
            "filled_qty": filled,
            "avg_price": avg_price,
        }
        steps = [(moves[0], first)]
        if moves[0] is OrderStatus.SENT_TO_BROKER:
            steps.append((moves[1], second))
        repo.create(command, times[0])
        with through_core(repo.engine):
            repo.create(core, times[0])
        current = OrderStatus.CREATED
        for (to_status, fields), at in zip(steps, times[1:], strict=False):
            change = StatusChange(command.command_id, to_status, at, expect_from=current, **fields)
            mine = repo.advance(change)
            with through_core(repo.engine):
                theirs = repo.advance(dataclasses.replace(change, command_id=core.command_id))
            assert mine is not None
            assert theirs is not None
            same_but_id(mine.record, theirs.record)
            same_but_id(mine.transition, theirs.transition)
            current = to_status
        assert_stored_alike(repo, command.command_id, core.command_id)
        leg = (command.client_id, command.strategy, command.exchange, command.symbol)
        on_driver = repo.strategy_leg_orders(*leg)
        with through_core(repo.engine):
            assert exact(on_driver) == exact(repo.strategy_leg_orders(*leg))

    check()


# ---- the unique key, savepoints and rollback still decide -------------------------------


def test_a_repeated_command_id_is_refused_in_a_group_and_in_a_savepoint(
    repo: OrderRepository,
) -> None:
    grouped, nested = ticket(), ticket(strategy="s2")

    with repo.transaction():  # a group commit's transaction
        first = repo.create(grouped, AT)
        again = repo.create(grouped, AT + timedelta(seconds=1))
        with repo.transaction(savepoint=True):  # step 2's savepoint inside the group
            inner = repo.create(nested, AT)
            inner_again = repo.create(nested, AT)
            repeated_outer = repo.create(grouped, AT)

    assert first is not None
    assert inner is not None
    assert (again, inner_again, repeated_outer) == (None, None, None)
    for order in (grouped, nested):
        assert len(repo.transitions(order.command_id)) == 1
    assert repo.count_orders("PAPER") == 2


def test_a_failed_write_on_the_driver_rolls_back_with_its_transaction(
    repo: OrderRepository,
) -> None:
    hot = HotStatements(repo.engine.dialect)
    lost, kept, dropped = ticket(), ticket(strategy="s2"), ticket(strategy="s3")
    orphan = {
        "command_id": "NO-SUCH-ORDER",
        "from_status": None,
        "to_status": "CREATED",
        "tag": None,
        "detail": "",
        "broker_status": None,
        "at": AT,
    }

    def orphan_transition() -> None:
        with repo.engine.begin() as connection:
            hot.execute(connection, _INSERT_ORDER, _values(lost))
            hot.execute(connection, _INSERT_TRANSITION, orphan)  # the foreign key refuses it

    def twice_in_a_savepoint(connection: Connection) -> None:
        with connection.begin_nested():
            hot.execute(connection, _INSERT_ORDER, _values(dropped))
            hot.execute(connection, _INSERT_ORDER, _values(dropped))  # the unique key

    with pytest.raises(IntegrityError) as raised:
        orphan_transition()
    assert isinstance(raised.value.orig, repo.engine.dialect.loaded_dbapi.Error)

    with repo.engine.begin() as connection:
        hot.execute(connection, _INSERT_ORDER, _values(kept))
        with pytest.raises(IntegrityError):
            twice_in_a_savepoint(connection)
        hot.execute(connection, _INSERT_TRANSITION, orphan | {"command_id": kept.command_id})

    assert repo.get(lost.command_id) is None
    assert repo.get(dropped.command_id) is None
    assert repo.get(kept.command_id) is not None
    assert len(repo.transitions(kept.command_id)) == 1


def test_a_value_the_types_refuse_fails_as_through_core(repo: OrderRepository) -> None:
    naive = datetime(2026, 11, 25, 5, 0)

    with pytest.raises(StatementError) as on_driver:
        repo.create(ticket(), naive)
    with through_core(repo.engine), pytest.raises(StatementError) as through:
        repo.create(ticket(), naive)

    assert type(on_driver.value) is type(through.value)
    assert type(on_driver.value.orig) is type(through.value.orig) is ValueError
    assert repo.count_orders("PAPER") == 0


def test_a_dropped_connection_is_invalidated_as_through_core(url: str) -> None:
    if not url.startswith("postgresql"):
        pytest.skip("a server to drop the connection: PostgreSQL only")
    engine = open_database(url)
    hot = HotStatements(engine.dialect)
    outcomes = []
    try:
        for run in (hot.execute, lambda conn, statement, values: conn.execute(statement, values)):
            with engine.connect() as connection:
                pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
                with engine.connect() as admin:
                    admin.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid or 0)})")
                with pytest.raises(DBAPIError) as raised:
                    run(connection, _INSERT_ORDER, _values(ticket()))
                outcomes.append(
                    (
                        type(raised.value),
                        raised.value.connection_invalidated,
                        connection.invalidated,
                    )
                )
        with engine.connect() as connection:  # the pool gives a working connection again
            assert connection.exec_driver_sql("SELECT 1").scalar() == 1
    finally:
        engine.dispose()

    assert outcomes[0] == outcomes[1]
    assert outcomes[0][1:] == (True, True)


def _values(order: OrderCommand) -> dict[str, Any]:
    return {
        "command_id": order.command_id,
        "ticket_id": None,
        "client_id": order.client_id,
        "symbol": order.symbol,
        "exchange": order.exchange.value,
        "side": order.side.value,
        "quantity": order.quantity,
        "order_type": order.order_type.value,
        "price": None,
        "trigger_price": None,
        "product": order.product.value,
        "strategy": order.strategy,
        "execution_type": order.execution_type.value,
        "source": order.source.value,
        "status": "CREATED",
        "tag": None,
        "detail": "",
        "broker_order_id": None,
        "broker_status": None,
        "filled_qty": 0,
        "avg_price": None,
        "created_at": AT,
        "updated_at": AT,
        "sent_at": None,
        "amo": False,
        "sender": None,
    }
