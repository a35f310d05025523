"""The repository on SQLite and on a real PostgreSQL server: the same answers on both.

Dialect traps watched here: Money is NUMERIC on PostgreSQL and exact text on SQLite;
UtcDateTime is timestamptz on one and naive UTC text on the other; BEGIN IMMEDIATE is
SQLite's alone; a unique-key violation must be the same "already registered" on both.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from postgres_support import ticket
from sqlalchemy import event

from trader_gui.domain.enums import OrderStatus, Tag
from trader_gui.persistence.database import head_revision, open_database
from trader_gui.persistence.repository import OrderRepository, StatusChange

AT = datetime(2026, 11, 25, 5, 0, tzinfo=UTC)


def test_create_registers_a_created_row_with_its_first_transition(repo: OrderRepository) -> None:
    order = ticket(order_type="LIMIT", price="812.35")

    applied = repo.create(order, AT)

    assert applied is not None
    stored = repo.get(order.command_id)
    assert stored is not None
    assert stored.status is OrderStatus.CREATED
    assert stored.command == order
    assert stored.created_at == AT
    assert [(t.from_status, t.to_status) for t in repo.transitions(order.command_id)] == [
        (None, OrderStatus.CREATED)
    ]


def test_the_same_command_id_registers_once(repo: OrderRepository) -> None:
    order = ticket()

    first = repo.create(order, AT)
    again = repo.create(order, AT + timedelta(seconds=1))

    assert first is not None
    assert again is None
    assert repo.count_orders("PAPER") == 1
    assert len(repo.transitions(order.command_id)) == 1


def test_apply_writes_the_change_and_its_transition_together(repo: OrderRepository) -> None:
    order = ticket()
    repo.create(order, AT)

    sent = repo.apply(StatusChange(order.command_id, OrderStatus.SENT_TO_BROKER, AT))
    accepted = repo.apply(
        StatusChange(
            order.command_id,
            OrderStatus.SENT_TO_BROKER,
            AT + timedelta(seconds=1),
            broker_order_id="26112500000001",
            broker_status="ACCEPTED",
            expect_from=OrderStatus.SENT_TO_BROKER,
        )
    )
    done = repo.apply(
        StatusChange(
            order.command_id,
            OrderStatus.EXECUTED,
            AT + timedelta(seconds=2),
            filled_qty=10,
            avg_price=Decimal("812.40"),
            broker_status="COMPLETE",
        )
    )

    assert sent is not None
    assert accepted is not None
    assert done is not None
    final = repo.get(order.command_id)
    assert final is not None
    assert (final.status, final.filled_qty, final.avg_price) == (
        OrderStatus.EXECUTED,
        10,
        Decimal("812.40"),
    )
    assert final.broker_order_id == "26112500000001"
    assert final.sent_at == AT
    steps = [(t.from_status, t.to_status) for t in repo.transitions(order.command_id)]
    assert steps == [
        (None, OrderStatus.CREATED),
        (OrderStatus.CREATED, OrderStatus.SENT_TO_BROKER),
        (OrderStatus.SENT_TO_BROKER, OrderStatus.SENT_TO_BROKER),
        (OrderStatus.SENT_TO_BROKER, OrderStatus.EXECUTED),
    ]


def test_apply_refuses_illegal_stale_and_empty_changes(repo: OrderRepository) -> None:
    order = ticket()
    repo.create(order, AT)
    repo.apply(StatusChange(order.command_id, OrderStatus.FAILED, AT, tag=Tag.KILL_SWITCH_ACTIVE))

    leaves_terminal = repo.apply(StatusChange(order.command_id, OrderStatus.SENT_TO_BROKER, AT))
    stale = repo.apply(
        StatusChange(
            order.command_id, OrderStatus.FAILED, AT, expect_from=OrderStatus.SENT_TO_BROKER
        )
    )
    same_again = repo.apply(
        StatusChange(order.command_id, OrderStatus.FAILED, AT, tag=Tag.KILL_SWITCH_ACTIVE)
    )
    unknown = repo.apply(StatusChange("NOSUCHORDER", OrderStatus.FAILED, AT))

    assert (leaves_terminal, stale, same_again, unknown) == (None, None, None, None)
    assert len(repo.transitions(order.command_id)) == 2


def test_advance_moves_an_order_only_from_the_status_expected(repo: OrderRepository) -> None:
    order = ticket()
    repo.create(order, AT)
    later = AT + timedelta(seconds=1)

    marked = repo.advance(
        StatusChange(
            order.command_id,
            OrderStatus.SENT_TO_BROKER,
            AT,
            detail="Sending.",
            amo=True,
            expect_from=OrderStatus.CREATED,
        )
    )
    again = repo.advance(
        StatusChange(
            order.command_id, OrderStatus.SENT_TO_BROKER, later, expect_from=OrderStatus.CREATED
        )
    )
    accepted = repo.advance(
        StatusChange(
            order.command_id,
            OrderStatus.SENT_TO_BROKER,
            later,
            detail="Accepted as order 26112500000001.",
            broker_order_id="26112500000001",
            broker_status="ACCEPTED",
            expect_from=OrderStatus.SENT_TO_BROKER,
        )
    )
    unknown = repo.advance(
        StatusChange("NOSUCHORDER", OrderStatus.FAILED, AT, expect_from=OrderStatus.CREATED)
    )

    assert marked is not None
    assert accepted is not None
    assert (again, unknown) == (None, None)
    assert (marked.record.status, marked.record.amo, marked.record.sent_at) == (
        OrderStatus.SENT_TO_BROKER,
        True,
        AT,
    )
    stored = repo.get(order.command_id)
    assert stored == accepted.record
    assert (stored.broker_order_id, stored.broker_status, stored.sent_at) == (
        "26112500000001",
        "ACCEPTED",
        AT,  # stamped by the first change to SENT_TO_BROKER only
    )
    assert stored.updated_at == later
    assert repo.transitions(order.command_id) == [
        repo.transitions(order.command_id)[0],
        marked.transition,
        accepted.transition,
    ]
    assert (accepted.transition.from_status, accepted.transition.broker_status) == (
        OrderStatus.SENT_TO_BROKER,
        "ACCEPTED",
    )


def test_apply_all_writes_each_change_as_apply_would_in_one_commit(
    repo: OrderRepository,
) -> None:
    opened, blocked, stale = ticket(), ticket(strategy="s2"), ticket(strategy="s3")
    for order in (opened, blocked, stale):
        repo.create(order, AT)
    repo.apply(StatusChange(opened.command_id, OrderStatus.SENT_TO_BROKER, AT))
    commits: list[object] = []
    event.listen(repo.engine, "commit", commits.append)

    applied = repo.apply_all(
        [
            StatusChange(
                opened.command_id,
                OrderStatus.EXECUTED,
                AT + timedelta(seconds=1),
                broker_order_id="26112500000007",
                broker_status="COMPLETE",
                filled_qty=10,
                avg_price=Decimal("812.4"),
                expect_from=OrderStatus.SENT_TO_BROKER,
            ),
            StatusChange(
                blocked.command_id,
                OrderStatus.FAILED,
                AT + timedelta(seconds=1),
                tag=Tag.KILL_SWITCH_ACTIVE,
                detail="Kill switch is on.",
                expect_from=OrderStatus.CREATED,
            ),
            StatusChange(  # not in the status it expects: left alone
                stale.command_id,
                OrderStatus.FAILED,
                AT + timedelta(seconds=1),
                expect_from=OrderStatus.SENT_TO_BROKER,
            ),
        ]
    )

    assert len(commits) == 1
    assert [a.record.command_id for a in applied] == [opened.command_id, blocked.command_id]
    done, failed, untouched = (repo.get(o.command_id) for o in (opened, blocked, stale))
    assert done is not None
    assert (done.status, done.filled_qty, done.avg_price, done.broker_order_id) == (
        OrderStatus.EXECUTED,
        10,
        Decimal("812.4"),
        "26112500000007",
    )
    assert failed is not None
    assert (failed.status, failed.tag, failed.detail) == (
        OrderStatus.FAILED,
        Tag.KILL_SWITCH_ACTIVE,
        "Kill switch is on.",
    )
    assert untouched is not None
    assert untouched.status is OrderStatus.CREATED
    assert [len(repo.transitions(o.command_id)) for o in (opened, blocked, stale)] == [3, 2, 1]


def test_a_transaction_sees_its_own_writes_and_leaves_nothing_when_it_raises(
    repo: OrderRepository,
) -> None:
    kept, lost = ticket(), ticket(strategy="s2")

    with repo.transaction():
        repo.create(kept, AT)
        assert repo.create(kept, AT) is None  # the repeat fails alone, in its savepoint
        seen = repo.get(kept.command_id)

    def failing_step() -> None:
        with repo.transaction():
            repo.create(lost, AT)
            raise RuntimeError("the step failed")

    with pytest.raises(RuntimeError):
        failing_step()

    assert seen is not None
    assert repo.get(kept.command_id) is not None
    assert repo.get(lost.command_id) is None
    assert repo.transitions(lost.command_id) == []


def test_a_savepoint_inside_a_transaction_rolls_back_only_itself(repo: OrderRepository) -> None:
    kept, lost = ticket(), ticket(strategy="s2")

    def failing_checks() -> None:
        with repo.transaction(savepoint=True):
            repo.create(lost, AT)
            raise RuntimeError("the checks failed")

    with repo.transaction():
        repo.create(kept, AT)
        with pytest.raises(RuntimeError):
            failing_checks()

    assert repo.get(kept.command_id) is not None
    assert repo.get(lost.command_id) is None


def test_money_is_exact_and_times_come_back_aware_utc(repo: OrderRepository) -> None:
    ist = timezone(timedelta(hours=5, minutes=30))
    order = ticket(order_type="SL", price="101.05", trigger_price="100.95")

    repo.create(order, datetime(2026, 11, 25, 10, 30, 0, 123456, tzinfo=ist))

    stored = repo.get(order.command_id)
    assert stored is not None
    assert stored.command.price == Decimal("101.05")
    assert stored.command.trigger_price == Decimal("100.95")
    assert stored.created_at == datetime(2026, 11, 25, 5, 0, 0, 123456, tzinfo=UTC)
    assert stored.created_at.utcoffset() == timedelta(0)


@pytest.mark.parametrize("average", ["812.4", "812.425", "812.12345678", "0.05"])
def test_a_repeated_broker_answer_writes_nothing_new(
    repo: OrderRepository, url: str, average: str, request: pytest.FixtureRequest
) -> None:
    """The watcher sends the same fill every poll: the second one must be a no-op.

    The paper broker averages to 8 places; a column that keeps fewer rounds the value, the
    next poll's value then differs from the stored one, and every poll writes a transition.
    """
    order = ticket()
    repo.create(order, AT)
    repo.apply(StatusChange(order.command_id, OrderStatus.SENT_TO_BROKER, AT))

    def partial_fill(at: datetime) -> StatusChange:
        return StatusChange(
            order.command_id,
            OrderStatus.SENT_TO_BROKER,
            at,
            filled_qty=3,
            avg_price=Decimal(average),
            broker_status="PARTIALLY_FILLED",
        )

    first = repo.apply(partial_fill(AT + timedelta(seconds=1)))
    second = repo.apply(partial_fill(AT + timedelta(seconds=2)))

    assert first is not None
    assert second is None
    stored = repo.get(order.command_id)
    assert stored is not None
    assert stored.avg_price == Decimal(average).quantize(Decimal("0.000001"))  # 6 places kept


def test_kill_switch_is_persisted_per_account_with_its_history(repo: OrderRepository) -> None:
    assert repo.kill_switch("A").active is False

    repo.set_kill_switch("A", True, by="trader", reason="enough", at=AT)
    repo.set_kill_switch("A", False, by="trader", reason="", at=AT + timedelta(minutes=1))
    repo.set_kill_switch("A", True, by="max-loss trip", reason="-10,000", at=AT + timedelta(2))

    state = repo.kill_switch("A")
    assert (state.active, state.changed_by, state.reason) == (True, "max-loss trip", "-10,000")
    assert state.changed_at == AT + timedelta(2)
    assert [s.active for s in repo.kill_switch_history("A")] == [True, False, True]
    assert repo.kill_switch("B").active is False
    assert repo.kill_switch_history("B") == []


def test_engine_state_and_pnl_snapshots_round_trip(repo: OrderRepository) -> None:
    value = {"peak": "1250.50", "cooldown_until": None, "loss_days": [1, 2]}

    repo.save_state("A", "risk", value, AT)
    repo.save_state("A", "risk", value | {"peak": "1300"}, AT + timedelta(seconds=1))
    repo.add_pnl_snapshot("A", AT, Decimal("100.25"), Decimal("-50.125"))

    assert repo.load_state("A", "risk") == value | {"peak": "1300"}
    assert repo.load_state("B", "risk") is None
    assert repo.pnl_snapshots("A", AT - timedelta(hours=1)) == [(AT, Decimal("50.125"))]
    assert repo.pnl_snapshots("B", AT - timedelta(hours=1)) == []


def test_counts_and_queries_see_only_the_accounts_own_rows(repo: OrderRepository) -> None:
    mine = ticket(client_id="A")
    theirs = ticket(client_id="B")
    for order in (mine, theirs):
        repo.create(order, AT)
        repo.apply(StatusChange(order.command_id, OrderStatus.SENT_TO_BROKER, AT))

    assert [r.command_id for r in repo.orders("A")] == [mine.command_id]
    assert [r.command_id for r in repo.non_terminal("B")] == [theirs.command_id]
    assert repo.count_at_broker("A") == 1
    assert repo.count_sent_since("A", AT - timedelta(seconds=60), AT + timedelta(seconds=1)) == 1
    assert repo.open_duplicate(ticket(client_id="A")) is not None
    assert repo.open_duplicate(ticket(client_id="C")) is None


def test_opening_twice_runs_the_migrations_once(url: str) -> None:
    first = open_database(url)
    second = open_database(url)
    try:
        with second.connect() as connection:
            version = connection.exec_driver_sql("SELECT version_num FROM alembic_version")
            assert [row[0] for row in version] == [head_revision()]
    finally:
        first.dispose()
        second.dispose()
