"""Group commit: order steps' writes that queue up together are committed together, each
caller answered only once its write is durable, and a write that fails takes no other down."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from tickets import ticket

from trader_gui.domain.enums import OrderStatus
from trader_gui.engine.workers import MAX_GROUP, Workers
from trader_gui.persistence.database import open_database, sqlite_url
from trader_gui.persistence.repository import OrderRepository

pytestmark = pytest.mark.asyncio
AT = datetime(2026, 1, 5, 4, 0, tzinfo=UTC)


@pytest.fixture
def commits(repository: OrderRepository) -> list[int]:
    seen: list[int] = []
    event.listen(repository.engine, "commit", lambda _connection: seen.append(1))
    return seen


async def queued_together(
    workers: Workers, calls: list[tuple[Callable[..., Any], ...]]
) -> list[Any]:
    """Hold the database thread, queue the writes behind it, then let it go: one group."""
    gate = threading.Event()
    busy = asyncio.ensure_future(workers.db(gate.wait, 10))
    writes = [asyncio.ensure_future(workers.write(*call)) for call in calls]
    await asyncio.sleep(0)  # allow-sleep: lets each write queue itself behind the gate
    gate.set()
    await busy
    return await asyncio.gather(*writes, return_exceptions=True)


async def test_writes_queued_together_are_committed_once_and_each_is_durable(
    workers: Workers, repository: OrderRepository, path: Path, commits: list[int]
) -> None:
    orders = [ticket(strategy=f"s{index}") for index in range(5)]

    results = await queued_together(workers, [(repository.create, o, AT) for o in orders])

    assert [r.record.status for r in results] == [OrderStatus.CREATED] * 5
    assert len(commits) == 1
    reader = OrderRepository(open_database(sqlite_url(path)))
    try:  # another connection sees every row and its CREATED transition: they are durable
        for order in orders:
            assert reader.get(order.command_id) is not None
            assert [t.to_status for t in reader.transitions(order.command_id)] == [
                OrderStatus.CREATED
            ]
    finally:
        reader.close()


async def test_a_repeated_command_id_in_one_group_registers_once(
    workers: Workers, repository: OrderRepository
) -> None:
    order, other = ticket(), ticket(strategy="s2")

    first, again, second = await queued_together(
        workers,
        [
            (repository.create, order, AT),
            (repository.create, order, AT),
            (repository.create, other, AT),
        ],
    )

    assert first is not None
    assert again is None
    assert second is not None
    assert len(repository.transitions(order.command_id)) == 1
    assert repository.get(other.command_id) is not None


async def test_a_failing_write_fails_alone_and_the_others_are_written(
    workers: Workers, repository: OrderRepository
) -> None:
    before, after = ticket(), ticket(strategy="s2")

    def broken() -> None:
        raise RuntimeError("disk on fire")

    results = await queued_together(
        workers,
        [(repository.create, before, AT), (broken,), (repository.create, after, AT)],
    )

    assert isinstance(results[1], RuntimeError)
    assert repository.get(before.command_id) is not None
    assert repository.get(after.command_id) is not None
    assert len(repository.transitions(before.command_id)) == 1  # written once, not twice


async def test_a_write_after_shutdown_is_refused(
    workers: Workers, repository: OrderRepository
) -> None:
    workers.shutdown()

    with pytest.raises(RuntimeError):
        await workers.write(repository.create, ticket(), AT)


async def test_more_writes_than_a_group_takes_are_all_written_in_turns(
    workers: Workers, repository: OrderRepository, commits: list[int]
) -> None:
    orders = [ticket(strategy=f"s{index}") for index in range(MAX_GROUP * 2 + 5)]

    results = await queued_together(workers, [(repository.create, o, AT) for o in orders])

    assert all(result is not None for result in results)
    assert repository.count_orders("PAPER") == len(orders)
    assert len(commits) == 3
