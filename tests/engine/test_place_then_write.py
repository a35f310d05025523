"""A broker answer written straight from the broker thread to the database thread: written
once committed, a late answer never written, an answer that needs the loop handed back."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tickets import ticket

from trader_gui.brokers.base import BrokerRejected, BrokerUnavailable
from trader_gui.domain.enums import OrderStatus
from trader_gui.engine.workers import Workers
from trader_gui.persistence.database import open_database, sqlite_url
from trader_gui.persistence.repository import Applied, OrderRepository, StatusChange

pytestmark = pytest.mark.asyncio
AT = datetime(2026, 1, 5, 4, 0, tzinfo=UTC)


@pytest.fixture
def sent(repository: OrderRepository) -> str:
    order = ticket()
    repository.create(order, AT)
    repository.apply(StatusChange(order.command_id, OrderStatus.SENT_TO_BROKER, AT))
    return order.command_id


def accepted_or_nothing(command_id: str, ok: bool, answer: object) -> StatusChange | None:
    if not ok:
        return None
    return StatusChange(
        command_id,
        OrderStatus.SENT_TO_BROKER,
        AT,
        broker_order_id=str(answer),
        broker_status="ACCEPTED",
        expect_from=OrderStatus.SENT_TO_BROKER,
    )


async def test_an_answer_is_written_before_the_caller_hears_of_it(
    workers: Workers, repository: OrderRepository, path: Path, sent: str
) -> None:
    placed = await workers.place_then_write(
        5,
        lambda: "B-1",
        lambda ok, answer: accepted_or_nothing(sent, ok, answer),
        repository.advance,
    )

    assert placed.answer == (True, "B-1")
    assert isinstance(placed.written, Applied)
    assert placed.error is None
    reader = OrderRepository(open_database(sqlite_url(path)))
    try:  # committed: another connection sees it
        stored = reader.get(sent)
        assert stored is not None
        assert (stored.broker_order_id, stored.broker_status) == ("B-1", "ACCEPTED")
    finally:
        reader.close()


async def test_an_answer_the_plan_leaves_alone_comes_back_unwritten(
    workers: Workers, repository: OrderRepository, sent: str
) -> None:
    def unavailable() -> str:
        raise BrokerUnavailable("no route")

    placed = await workers.place_then_write(
        5, unavailable, lambda ok, answer: accepted_or_nothing(sent, ok, answer), repository.advance
    )

    ok, answer = placed.answer
    assert not ok
    assert isinstance(answer, BrokerUnavailable)
    assert placed.planned is None
    assert len(repository.transitions(sent)) == 2


async def test_a_late_answer_is_never_written(
    workers: Workers, repository: OrderRepository, sent: str
) -> None:
    release = threading.Event()

    def slow() -> str:
        release.wait(10)
        return "B-late"

    with pytest.raises(TimeoutError):
        await workers.place_then_write(
            0.05, slow, lambda ok, answer: accepted_or_nothing(sent, ok, answer), repository.advance
        )
    release.set()
    await workers.broker(5, lambda: None)  # one broker thread: the slow call is over
    await workers.db(lambda: None)  # and anything it queued for the database has run

    stored = repository.get(sent)
    assert stored is not None
    assert stored.broker_order_id is None
    assert len(repository.transitions(sent)) == 2


async def test_a_write_that_fails_is_reported_with_the_answer(
    workers: Workers, repository: OrderRepository, sent: str
) -> None:
    def failing_write(change: StatusChange) -> Applied | None:
        raise RuntimeError("disk is full")

    placed = await workers.place_then_write(
        5, lambda: "B-2", lambda ok, answer: accepted_or_nothing(sent, ok, answer), failing_write
    )

    assert placed.answer == (True, "B-2")
    assert placed.planned is not None
    assert isinstance(placed.error, RuntimeError)


async def test_a_rejection_planned_as_a_write_is_written(
    workers: Workers, repository: OrderRepository, sent: str
) -> None:
    def reject() -> str:
        raise BrokerRejected("RMS: margin shortfall")

    def plan(ok: bool, answer: object) -> StatusChange | None:
        assert isinstance(answer, BrokerRejected)
        return StatusChange(
            sent,
            OrderStatus.FAILED,
            AT,
            detail=answer.message,
            expect_from=OrderStatus.SENT_TO_BROKER,
        )

    placed = await workers.place_then_write(5, reject, plan, repository.advance)

    assert isinstance(placed.written, Applied)
    stored = repository.get(sent)
    assert stored is not None
    assert (stored.status, stored.detail) == (OrderStatus.FAILED, "RMS: margin shortfall")
