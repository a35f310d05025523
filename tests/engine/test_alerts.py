"""Alerts: each trigger in the running engine makes exactly one alert a trader understands;
repeats are dropped within the window; a failing or stuck sink is retried a bounded number of
times and never delays an order; stop leaves nothing running.

Time never passes by itself: dedupe reads a test clock, back-off goes through a recording
sleep, and tests wait on queues and events.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import pytest_asyncio
from engine_support import Harness, ticket

from trader_gui.brokers.paper_config import PaperConfig
from trader_gui.brokers.paper_faults import PaperFault
from trader_gui.domain.enums import ExecutionType, OrderStatus, Side
from trader_gui.domain.kill_switch import KillSwitchState
from trader_gui.domain.risk_limits import RiskLimits
from trader_gui.engine.alerts import Alert, AlertDeliveryError, Alerter
from trader_gui.engine.events import (
    Connection,
    ConnectionChanged,
    EventBus,
    KillSwitchChanged,
    Level,
    Notice,
    PollCompleted,
)
from trader_gui.engine.runtime import Runtime

pytestmark = pytest.mark.asyncio

AT = datetime(2026, 11, 25, 5, 0, tzinfo=UTC)


# ---- doubles -----------------------------------------------------------------------------------


class Tick:
    """A monotonic clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Sleeps:
    """Back-off waits, recorded instead of slept."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


class RecordingSink:
    name = "recording"

    def __init__(self) -> None:
        self.alerts: list[Alert] = []
        self._arrived = asyncio.Event()

    async def send(self, alert: Alert) -> None:
        self.alerts.append(alert)
        self._arrived.set()

    async def wait_for(self, count: int) -> list[Alert]:
        async with asyncio.timeout(5):
            while len(self.alerts) < count:
                self._arrived.clear()
                await self._arrived.wait()
        return self.alerts


class FailingSink:
    """Fails the first `failures` sends with `error`, then takes them."""

    name = "failing"

    def __init__(self, error: Exception, failures: int = 1_000) -> None:
        self.error = error
        self.failures = failures
        self.attempts = 0
        self.alerts: list[Alert] = []
        self.closed = False

    async def send(self, alert: Alert) -> None:
        self.attempts += 1
        if self.attempts <= self.failures:
            raise self.error
        self.alerts.append(alert)

    async def aclose(self) -> None:
        self.closed = True


class StuckSink:
    """Never answers until released: a network that hangs."""

    name = "stuck"

    def __init__(self) -> None:
        self.entered = asyncio.Event()
        self.release = asyncio.Event()
        self.cancelled = False
        self.alerts: list[Alert] = []

    async def send(self, alert: Alert) -> None:
        self.entered.set()
        try:
            await self.release.wait()
        except asyncio.CancelledError:
            self.cancelled = True
            raise
        self.alerts.append(alert)


def alert_tasks() -> list[asyncio.Task[object]]:
    return [t for t in asyncio.all_tasks() if t.get_name().startswith("alerts:") and not t.done()]


def warning(text: str) -> Notice:
    return Notice(Level.WARNING, text)


def switch(
    active: bool, by: str = "trader", reason: str = "", minute: int = 0
) -> KillSwitchChanged:
    at = AT.replace(minute=minute)
    return KillSwitchChanged("PAPER", KillSwitchState(active, at, by, reason))


@dataclass
class Bare:
    """An alerter on a bare event bus: the rules and the delivery without an engine."""

    bus: EventBus
    alerter: Alerter
    sink: RecordingSink
    tick: Tick
    sleeps: Sleeps

    async def sent(self) -> list[Alert]:
        await self.alerter.wait_idle()
        return self.sink.alerts


@pytest_asyncio.fixture
async def bare() -> AsyncIterator[Bare]:
    bus, sink, tick, sleeps = EventBus(), RecordingSink(), Tick(), Sleeps()
    alerter = Alerter(bus, [sink], account="PAPER", monotonic=tick, now=lambda: AT, sleep=sleeps)
    alerter.start()
    yield Bare(bus, alerter, sink, tick, sleeps)
    await alerter.stop()


@dataclass
class Live:
    """An alerter on a running engine (SQLite, paper broker, test clock)."""

    runtime: Runtime
    alerter: Alerter
    sink: RecordingSink

    async def sent(self) -> list[Alert]:
        await self.alerter.wait_idle()
        return self.sink.alerts


async def live_alerts(harness: Harness, **config: object) -> Live:
    runtime = harness.build(**config)
    sink = RecordingSink()
    alerter = Alerter(
        runtime.events,
        [sink],
        account=runtime.config.client_id,
        monotonic=Tick(),
        now=harness.clock,
        sleep=Sleeps(),
    )
    alerter.start()  # before start: recovery's events are alerted too
    await runtime.start()
    return Live(runtime, alerter, sink)


@pytest_asyncio.fixture
async def live(harness: Harness) -> AsyncIterator[Live]:
    running = await live_alerts(harness)
    yield running
    await running.alerter.stop()


@pytest.fixture
def paper_config() -> PaperConfig:
    """Fills on the next poll at a price that moves only when a test sets it."""
    return PaperConfig(fill_latency_s=0, volatility=0.0, slippage_ticks=0)


# ---- each trigger: one alert, in words a trader understands ----------------------------------


async def test_a_failed_exit_alerts_once_and_says_the_position_may_be_open(live: Live) -> None:
    live.runtime.broker.faults.inject(PaperFault.REJECT, message="RMS: blocked for the segment")
    order = ticket(side=Side.SELL, execution_type=ExecutionType.EXIT)

    record = await live.runtime.engine.submit(order)

    assert record.status is OrderStatus.FAILED
    [alert] = await live.sent()  # the engine's own notice of it is not a second alert
    assert (alert.level, alert.title) == (Level.ERROR, "EXIT order FAILED")
    assert alert.sentence == (
        f"EXIT order {order.command_id} to SELL 10 SBIN failed (Rejected by broker): "
        "RMS: blocked for the segment. Your position may still be open: check it now."
    )
    assert alert.account == "PAPER"


async def test_an_exit_the_broker_fails_after_accepting_alerts_once_from_the_watcher(
    live: Live, clock
) -> None:
    order = ticket(symbol="MRF", quantity=500, product="CNC", side=Side.SELL, execution_type="EXIT")
    accepted = await live.runtime.engine.submit(order)
    assert accepted.status is OrderStatus.SENT_TO_BROKER
    clock.advance(1)

    await live.runtime.watcher.poll_once()

    [alert] = await live.sent()
    assert alert.title == "EXIT order FAILED"
    assert order.command_id in alert.sentence
    assert "margin" in alert.sentence.lower()
    assert alert.sentence.endswith("Your position may still be open: check it now.")


async def test_an_order_the_broker_rejects_alerts_once_with_the_brokers_words(live: Live) -> None:
    order = ticket(symbol="NIFTY01DEC2626000CE", exchange="NFO", product="NRML", quantity=1820)

    record = await live.runtime.engine.submit(order)

    [alert] = await live.sent()
    assert (alert.level, alert.title) == (Level.WARNING, "Order rejected by the broker")
    assert alert.sentence.startswith(
        f"The broker rejected order {order.command_id} to BUY 1820 NIFTY01DEC2626000CE (MARKET): "
    )
    assert record.detail.rstrip(".") in alert.sentence


async def test_orders_blocked_before_sending_are_not_alerted(live: Live) -> None:
    await live.runtime.engine.set_kill_switch(True, by="trader", reason="lunch")

    blocked = await live.runtime.engine.submit(ticket())

    assert blocked.status is OrderStatus.FAILED
    assert [a.title for a in await live.sent()] == ["Kill switch ON"]


async def test_kill_switch_changes_say_who_and_why_and_each_new_state_is_told(live: Live) -> None:
    engine = live.runtime.engine

    await engine.set_kill_switch(True, by="trader", reason="stepping away")
    await engine.set_kill_switch(False, by="trader")
    await engine.set_kill_switch(True, by="command line", reason="news at 14:00")
    await engine.set_kill_switch(True, by="command line", reason="news at 14:00")  # no change

    alerts = await live.sent()
    assert [(a.level, a.title) for a in alerts] == [
        (Level.ERROR, "Kill switch ON"),
        (Level.INFO, "Kill switch off"),
        (Level.ERROR, "Kill switch ON"),
    ]
    assert alerts[0].sentence == (
        "The kill switch was turned on by trader at 10:30:00 IST: stepping away. "
        "New ENTRY orders are blocked; EXIT orders and cancels still go."
    )
    assert alerts[1].sentence == (
        "The kill switch was turned off by trader at 10:30:00 IST. "
        "New ENTRY orders are taken again."
    )
    assert "by command line" in alerts[2].sentence
    assert "news at 14:00." in alerts[2].sentence


async def _long_sbin_then_price(runtime: Runtime, drop: str) -> None:
    await runtime.engine.submit(ticket(quantity=100, strategy="swing"))
    await runtime.watcher.poll_once()
    entry = runtime.broker.positions()[0].avg_price
    runtime.broker.set_price("NSE", "SBIN", entry - Decimal(drop))
    await runtime.watcher.poll_once()


async def test_a_max_loss_trip_is_one_alert(harness: Harness) -> None:
    live = await live_alerts(
        harness, daily_loss_limit=None, risk_limits=RiskLimits(max_loss=Decimal("3000"))
    )
    try:
        await _long_sbin_then_price(live.runtime, "40")  # -4,000: past the max loss
        [alert] = await live.sent()
    finally:
        await live.alerter.stop()

    assert (alert.level, alert.title) == (Level.ERROR, "Kill switch ON")
    assert "turned on by max-loss trip" in alert.sentence
    assert "max loss" in alert.sentence.lower()


async def test_a_max_loss_trip_with_flatten_tells_the_trip_and_the_flatten(
    harness: Harness,
) -> None:
    live = await live_alerts(
        harness,
        daily_loss_limit=None,
        risk_limits=RiskLimits(max_loss=Decimal("3000"), flatten_on_max_loss=True),
    )
    try:
        await _long_sbin_then_price(live.runtime, "40")
        await live.runtime.watcher._flatten_task
        alerts = await live.sent()
    finally:
        await live.alerter.stop()

    assert [a.title for a in alerts] == ["Kill switch ON", "Warning"]
    assert "The account is flat" in alerts[1].sentence


async def test_a_risk_warning_and_then_the_breach_are_each_one_alert(live: Live) -> None:
    await _long_sbin_then_price(live.runtime, "42")  # -4,200 of a 5,000 daily limit
    [warned] = await live.sent()
    live.runtime.broker.set_price("NSE", "SBIN", Decimal(1))
    await live.runtime.watcher.poll_once()

    alerts = await live.sent()

    assert warned.level is Level.WARNING
    assert "has used 84% of the daily loss limit 5,000.00" in warned.sentence
    assert len(alerts) == 2
    assert "daily loss limit 5,000.00" in alerts[1].sentence.lower()


async def test_broker_disconnect_and_reconnect_are_told_once_each(live: Live, clock) -> None:
    runtime = live.runtime
    assert await live.sent() == []  # the first connect at start is no news
    runtime.broker.faults.inject(PaperFault.ORDER_BOOK_ERROR, count=2)

    await runtime.watcher.poll_once()
    await runtime.watcher.poll_once()  # still down: not told again
    clock.advance(75)
    await runtime.watcher.poll_once()

    down, back = await live.sent()
    assert (down.level, down.title) == (Level.WARNING, "Broker disconnected")
    assert down.sentence == (
        "Lost the connection to the broker (502 Bad Gateway: order book unavailable). "
        "Orders, fills and P&L are not updated here until it is back; the program keeps trying."
    )
    assert (back.level, back.title) == (Level.INFO, "Broker reconnected")
    assert back.sentence.startswith("The broker connection is back after 1 min 15 s")


async def test_a_session_logged_out_is_one_alert_until_connected(bare: Bare) -> None:
    for state, message in (
        (Connection.DISCONNECTED, "timed out"),
        (Connection.LOGGED_OUT, "Session Expired"),
        (Connection.RECONNECTING, "logging in again"),
        (Connection.CONNECTED, ""),
    ):
        bare.bus.emit(ConnectionChanged(state, message))

    assert [a.title for a in await bare.sent()] == ["Broker disconnected", "Broker reconnected"]


async def test_a_logged_out_session_says_so(bare: Bare) -> None:
    bare.bus.emit(ConnectionChanged(Connection.LOGGED_OUT, "Session Expired"))

    [alert] = await bare.sent()
    assert alert.sentence.startswith("The broker ended this session (Session Expired)")


async def test_information_and_routine_events_are_not_alerts(bare: Bare) -> None:
    bare.bus.emit(Notice(Level.INFO, "Settings saved."))
    bare.bus.emit(PollCompleted(AT, 0.01, True))
    bare.bus.emit(ConnectionChanged(Connection.CONNECTING, "starting"))
    bare.bus.emit(ConnectionChanged(Connection.CONNECTED))

    assert await bare.sent() == []


# ---- dedupe ----------------------------------------------------------------------------------


async def test_the_same_alert_is_not_sent_twice_within_the_window(bare: Bare) -> None:
    text = "The broker reports status 'HELD' for order 42, which this program does not know."
    bare.bus.emit(warning(text))
    bare.tick.advance(59.9)
    bare.bus.emit(warning(text))
    bare.bus.emit(warning("Something else."))
    assert [a.sentence for a in await bare.sent()] == [text, "Something else."]

    bare.tick.advance(0.1)  # 60 s after the first
    bare.bus.emit(warning(text))

    assert [a.sentence for a in await bare.sent()] == [text, "Something else.", text]


async def test_a_new_state_always_goes_so_the_last_alert_tells_the_current_one(
    bare: Bare,
) -> None:
    bare.bus.emit(switch(True, reason="a"))
    bare.bus.emit(switch(False, minute=1))
    bare.bus.emit(switch(True, reason="b", minute=2))
    bare.bus.emit(switch(True, reason="b", minute=3))  # the same state again: dropped

    titles = [a.title for a in await bare.sent()]
    assert titles == ["Kill switch ON", "Kill switch off", "Kill switch ON"]


async def test_the_max_loss_notice_after_its_switch_change_is_not_told_twice(bare: Bare) -> None:
    sentence = "Max loss 3,000.00 reached: today's P&L is -4,000.00."
    bare.bus.emit(switch(True, by="max-loss trip", reason=sentence))
    bare.bus.emit(Notice(Level.ERROR, f"Kill switch tripped: {sentence}"))

    [alert] = await bare.sent()
    assert alert.title == "Kill switch ON"


async def test_a_max_loss_trip_while_the_switch_was_already_on_is_told(bare: Bare) -> None:
    bare.bus.emit(switch(True, reason="lunch"))
    sentence = "Max loss 3,000.00 reached: today's P&L is -4,000.00."
    bare.bus.emit(Notice(Level.ERROR, f"Kill switch tripped: {sentence}"))

    alerts = await bare.sent()
    assert [(a.title, a.sentence) for a in alerts][1] == ("Max loss reached", sentence)


# ---- delivery: bounded retries, back-off, never in the way -----------------------------------


async def test_retries_are_bounded_with_back_off_then_logged_as_not_delivered(caplog) -> None:
    bus, sink, sleeps = EventBus(), FailingSink(AlertDeliveryError("HTTP 500")), Sleeps()
    alerter = Alerter(bus, [sink], attempts=4, backoff_s=2, monotonic=Tick(), sleep=sleeps)
    alerter.start()

    bus.emit(warning("P&L -4,200.00 has used 84% of the daily loss limit."))
    await alerter.wait_idle()
    await alerter.stop()

    assert sink.attempts == 4
    assert sleeps.delays == [2, 4, 8]
    assert (alerter.delivered, alerter.undelivered) == (0, 1)
    [failure] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert failure.getMessage() == (
        "alert NOT delivered to failing after 4 attempt(s) (HTTP 500): "
        "Warning: P&L -4,200.00 has used 84% of the daily loss limit."
    )
    assert sink.closed


async def test_back_off_is_capped() -> None:
    alerter = Alerter(
        EventBus(), attempts=6, backoff_s=10, max_backoff_s=30, monotonic=Tick(), sleep=Sleeps()
    )

    assert [alerter._delay(n, None) for n in range(1, 6)] == [10, 20, 30, 30, 30]


async def test_a_server_asking_to_wait_is_honoured() -> None:
    sink, sleeps = FailingSink(AlertDeliveryError("429", retry_after=7), failures=1), Sleeps()
    alerter = Alerter(EventBus(), [sink], monotonic=Tick(), sleep=sleeps)
    alerter.start()

    alerter.push(Alert(Level.WARNING, "t", "s", key="k", at=AT))
    await alerter.wait_idle()
    await alerter.stop()

    assert sleeps.delays == [7]
    assert len(sink.alerts) == 1
    assert alerter.delivered == 1


async def test_a_permanent_failure_is_not_retried(caplog) -> None:
    sink, sleeps = FailingSink(AlertDeliveryError("HTTP 401", permanent=True)), Sleeps()
    alerter = Alerter(EventBus(), [sink], monotonic=Tick(), sleep=sleeps)
    alerter.start()

    alerter.push(Alert(Level.ERROR, "t", "s", key="k", at=AT))
    await alerter.wait_idle()
    await alerter.stop()

    assert (sink.attempts, sleeps.delays) == (1, [])
    assert "NOT delivered to failing after 1 attempt(s) (HTTP 401)" in caplog.text


async def test_a_sink_that_never_answers_is_bounded_by_the_send_timeout(caplog) -> None:
    sink = StuckSink()
    alerter = Alerter(
        EventBus(), [sink], attempts=2, send_timeout_s=0.01, monotonic=Tick(), sleep=Sleeps()
    )
    alerter.start()

    alerter.push(Alert(Level.ERROR, "t", "s", key="k", at=AT))
    await alerter.wait_idle()
    await alerter.stop()

    assert alerter.undelivered == 1
    assert "(no answer within 0.01 s)" in caplog.text


async def test_a_sink_that_raises_unexpectedly_does_not_stop_the_others(caplog) -> None:
    broken, good = FailingSink(RuntimeError("bug")), RecordingSink()
    alerter = Alerter(EventBus(), [broken, good], attempts=1, monotonic=Tick(), sleep=Sleeps())
    alerter.start()

    alerter.push(Alert(Level.ERROR, "t", "s", key="k", at=AT))
    await alerter.wait_idle()
    await alerter.stop()

    assert len(good.alerts) == 1
    assert "alert sink failing raised unexpectedly" in caplog.text


async def test_a_stuck_sink_never_delays_an_order_or_the_other_sinks(live: Live) -> None:
    stuck, other = StuckSink(), RecordingSink()
    live.alerter.add_sink(stuck)
    live.alerter.add_sink(other)
    runtime = live.runtime
    runtime.events.emit(warning("First alert: the stuck sink takes it and hangs."))
    await stuck.entered.wait()

    async with asyncio.timeout(5):  # the order goes through all its steps meanwhile
        record = await runtime.engine.submit(ticket())
        rejected = await runtime.engine.submit(
            ticket(symbol="NIFTY01DEC2626000CE", exchange="NFO", product="NRML", quantity=1820)
        )

    assert record.status is OrderStatus.SENT_TO_BROKER
    assert rejected.status is OrderStatus.FAILED
    for sink in (live.sink, other):  # the other sinks are not held up by the stuck one
        alerts = await sink.wait_for(2)
        assert [a.title for a in alerts] == ["Warning", "Order rejected by the broker"]
    assert stuck.alerts == []

    await live.alerter.stop(drain_timeout_s=0)
    assert stuck.cancelled
    assert alert_tasks() == []


async def test_a_full_queue_drops_the_oldest_alert(caplog) -> None:
    stuck = StuckSink()
    alerter = Alerter(EventBus(), [stuck], queue_size=2, monotonic=Tick(), sleep=Sleeps())
    alerter.start()
    alerter.push(Alert(Level.WARNING, "first", "s", key="1", at=AT))
    await stuck.entered.wait()  # "first" is being sent; the queue is empty again

    for key in "234":
        alerter.push(Alert(Level.WARNING, f"alert {key}", "s", key=key, at=AT))

    assert "dropped the oldest (alert 2: s)" in caplog.text
    stuck.release.set()
    await alerter.wait_idle()
    assert [a.title for a in stuck.alerts] == ["first", "alert 3", "alert 4"]
    await alerter.stop()


# ---- start and stop ------------------------------------------------------------------------


async def test_stop_ends_every_task_unsubscribes_and_closes_the_sinks(caplog) -> None:
    bus, stuck, closable = EventBus(), StuckSink(), FailingSink(RuntimeError(), failures=0)
    alerter = Alerter(bus, [stuck, closable], monotonic=Tick(), sleep=Sleeps())
    alerter.start()
    bus.emit(warning("Waiting to go out."))
    await stuck.entered.wait()

    await alerter.stop(drain_timeout_s=0)
    await alerter.stop()  # twice is fine

    assert alert_tasks() == []
    assert stuck.cancelled
    assert closable.closed
    assert "1 alert(s) not sent at shutdown: Warning" in caplog.text
    bus.emit(warning("After stop."))
    assert alerter.push(Alert(Level.ERROR, "t", "s", key="k", at=AT)) is False
    assert len(closable.alerts) == 1


async def test_stop_gives_queued_alerts_their_chance_to_go_out() -> None:
    sink = RecordingSink()
    alerter = Alerter(EventBus(), [sink], monotonic=Tick(), sleep=Sleeps())
    alerter.start()
    alerter.push(Alert(Level.ERROR, "t", "s", key="k", at=AT))

    await alerter.stop()

    assert len(sink.alerts) == 1
    assert alert_tasks() == []


async def test_alerts_pushed_before_start_go_out_once_started() -> None:
    sink = RecordingSink()
    alerter = Alerter(EventBus(), [sink], monotonic=Tick(), sleep=Sleeps())
    alerter.push(Alert(Level.ERROR, "t", "s", key="k", at=AT))

    alerter.start()
    await alerter.stop()

    assert len(sink.alerts) == 1
