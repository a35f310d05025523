"""Orders whose outcome is unknown: never FAILED on a guess, never sent twice."""

from __future__ import annotations

import pytest
from engine_support import broker_orders_with_tag, statuses, ticket

from trader_gui.brokers.paper_faults import PaperFault
from trader_gui.domain.enums import UNKNOWN_OUTCOME, OrderStatus, Tag
from trader_gui.engine.events import Connection, ConnectionChanged, Notice
from trader_gui.engine.runtime import Runtime

pytestmark = pytest.mark.asyncio


async def test_reply_lost_after_accept_is_linked_by_tag_and_sent_once(
    runtime: Runtime, clock
) -> None:
    runtime.broker.faults.inject(PaperFault.TIMEOUT_AFTER_ACCEPT)
    order = ticket()

    after_step_5 = await runtime.engine.submit(order)

    assert after_step_5.status is OrderStatus.SENT_TO_BROKER
    assert after_step_5.broker_status == UNKNOWN_OUTCOME
    assert after_step_5.broker_order_id is None
    clock.advance(1)
    await runtime.watcher.poll_once()
    final = runtime.repository.get(order.command_id)
    assert final.status is OrderStatus.EXECUTED
    assert final.broker_order_id is not None
    assert broker_orders_with_tag(runtime, order.command_id) == 1
    assert "by its tag" in runtime.repository.transitions(order.command_id)[-1].detail


async def test_error_before_accept_is_not_resent_and_fails_after_the_grace_period(
    runtime: Runtime, clock
) -> None:
    runtime.broker.faults.inject(PaperFault.ERROR_BEFORE_ACCEPT)
    order = ticket()

    await runtime.engine.submit(order)
    clock.advance(10)
    await runtime.watcher.poll_once()  # the first look: missing from the book from now on
    clock.advance(25)
    await runtime.watcher.poll_once()
    still_waiting = runtime.repository.get(order.command_id)  # 35 s sent, 25 s missing
    clock.advance(5)
    await runtime.watcher.poll_once()

    assert still_waiting.status is OrderStatus.SENT_TO_BROKER
    final = runtime.repository.get(order.command_id)
    assert (final.status, final.tag) == (OrderStatus.FAILED, Tag.NOT_FOUND_AT_BROKER)
    assert broker_orders_with_tag(runtime, order.command_id) == 0


async def test_slow_broker_beyond_the_timeout_leaves_the_order_for_the_watcher(
    harness, clock
) -> None:
    runtime = await harness.start(broker_timeout_s=0.2)
    gate = __import__("threading").Event()
    runtime.broker._sleep = lambda _s: gate.wait(5)  # the paper broker's SLOW fault waits here
    runtime.broker.faults.inject(PaperFault.SLOW, delay_s=1.0)
    order = ticket()

    result = await runtime.engine.submit(order)
    gate.set()  # the broker answers after the engine stopped waiting

    assert result.status is OrderStatus.SENT_TO_BROKER
    assert result.broker_status == UNKNOWN_OUTCOME
    assert "no answer within 0.2 s" in result.detail
    await runtime.engine.workers.broker(5, lambda: None)  # the slow call has finished
    clock.advance(1)
    await runtime.watcher.poll_once()
    final = runtime.repository.get(order.command_id)
    assert final.status is OrderStatus.EXECUTED
    assert broker_orders_with_tag(runtime, order.command_id) == 1


async def test_expired_session_logs_in_again_and_places_once(runtime: Runtime, harness) -> None:
    runtime.broker.faults.inject(PaperFault.SESSION_EXPIRED)
    order = ticket()

    result = await runtime.engine.submit(order)

    assert result.status is OrderStatus.SENT_TO_BROKER
    assert result.broker_order_id is not None
    assert broker_orders_with_tag(runtime, order.command_id) == 1
    notices = [e.text for e in harness.events if isinstance(e, Notice)]
    assert any("expired" in text for text in notices), harness.events


async def test_watcher_survives_a_failing_order_book_and_reports_disconnected(
    runtime: Runtime, harness
) -> None:
    runtime.broker.faults.inject(PaperFault.ORDER_BOOK_ERROR)

    failed = await runtime.watcher.poll_once()
    recovered = await runtime.watcher.poll_once()

    assert not failed.ok
    assert failed.error
    assert recovered.ok
    states = [e.state for e in harness.events if isinstance(e, ConnectionChanged)]
    assert states[-2:] == [Connection.DISCONNECTED, Connection.CONNECTED]


async def test_watcher_logs_in_again_when_the_session_expires(runtime: Runtime, harness) -> None:
    runtime.broker.faults.inject(PaperFault.SESSION_EXPIRED)

    failed = await runtime.watcher.poll_once()
    await runtime.watcher._relogin()
    recovered = await runtime.watcher.poll_once()

    assert not failed.ok
    assert recovered.ok
    states = [e.state for e in harness.events if isinstance(e, ConnectionChanged)]
    assert Connection.LOGGED_OUT in states
    assert states[-1] is Connection.CONNECTED


async def test_unknown_status_word_leaves_the_row_and_is_shown(runtime: Runtime, harness) -> None:
    from dataclasses import replace

    from trader_gui.domain.enums import BrokerState

    order = ticket()
    await runtime.engine.submit(order)
    before = runtime.repository.get(order.command_id)
    real_book = runtime.broker.order_book
    runtime.broker.order_book = lambda: [  # type: ignore[method-assign]
        replace(o, state=BrokerState.UNRECOGNISED, status_text="AMO REQ RECEIVED")
        for o in real_book()
    ]

    await runtime.watcher.poll_once()

    after = runtime.repository.get(order.command_id)
    assert after == before
    assert statuses(runtime, order.command_id) == statuses(runtime, order.command_id)
    assert any(isinstance(e, Notice) and "AMO REQ RECEIVED" in e.text for e in harness.events)
