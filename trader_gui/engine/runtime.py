"""The running engine: workers, order engine, watcher and recovery, started and stopped as one.

The window and `--headless` both host a Runtime on their asyncio loop. Start-up order matters:
interrupted rows are failed and the broker's book is reconciled before the first ticket is
taken; if the broker cannot be reached, tickets wait until the first successful poll.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from datetime import datetime

from trader_gui.brokers.base import Broker
from trader_gui.domain.enums import Exchange
from trader_gui.domain.instruments import InstrumentCatalog
from trader_gui.domain.market_calendar import MarketCalendar
from trader_gui.domain.market_time import utc_now
from trader_gui.engine.alerts import Alerter, AlertSink
from trader_gui.engine.config import EngineConfig
from trader_gui.engine.events import Event, EventBus, OrderUpdated, PollCompleted
from trader_gui.engine.flatten import Flattener, FlattenReport
from trader_gui.engine.intake import IntakeService
from trader_gui.engine.intake_config import IntakeConfig
from trader_gui.engine.market_hours import MarketHours
from trader_gui.engine.master_refresh import MasterRefresher
from trader_gui.engine.order_engine import OrderEngine
from trader_gui.engine.recovery import fail_interrupted
from trader_gui.engine.risk import STATE_KEY, RiskManager
from trader_gui.engine.watcher import Watcher
from trader_gui.engine.workers import Workers
from trader_gui.persistence.repository import OrderRepository

log = logging.getLogger(__name__)


class Runtime:
    def __init__(
        self,
        *,
        repository: OrderRepository,
        broker: Broker,
        catalog: InstrumentCatalog,
        config: EngineConfig,
        clock: Callable[[], datetime] = utc_now,
        monotonic: Callable[[], float] = time.monotonic,
        events: EventBus | None = None,
        alert_sinks: Sequence[AlertSink] = (),
        intake: IntakeConfig | None = None,
        calendar: MarketCalendar | None = None,
        check_hours: bool = True,
    ) -> None:
        """`calendar`: sessions, holidays and the broker's AMO and MIS rules, shown in the
        window and, with `check_hours`, kept in step 2. The program always passes one and
        checks it for a live broker; the paper broker outside its session mode only shows it.
        None (tests that do not test the hours) takes every exchange as open."""
        self.repository = repository
        self.broker = broker
        self.catalog = catalog
        self.config = config
        self.clock = clock
        self.events = events or EventBus()
        self.market_hours = (
            MarketHours(calendar, broker.name, clock) if calendar is not None else None
        )
        self.workers = Workers(config.broker_workers, group=repository.transaction)
        self.engine = OrderEngine(
            repository=repository,
            broker=broker,
            catalog=catalog,
            config=config,
            workers=self.workers,
            events=self.events,
            clock=clock,
            risk=RiskManager(config.limits(), monotonic=monotonic),
            market=self.market_hours if check_hours else None,
        )
        # `clock` is what is recorded and the IST trading day; `monotonic` measures durations
        self.watcher = Watcher(self.engine, repository, clock, monotonic=monotonic)
        self.flattener = Flattener(self.engine, self.watcher)
        self.watcher.on_flatten = lambda by, reason: self.kill_and_flatten(by=by, reason=reason)
        self.intake = IntakeService(self.engine, intake or IntakeConfig(), monotonic=monotonic)
        self.alerts = Alerter(self.events, alert_sinks, account=config.client_id, now=clock)
        self.masters: MasterRefresher | None = None
        """The day's symbol masters, fetched in the background from `start()` (see assembly)."""
        self._unsubscribe: Callable[[], None] | None = None
        self._started = False
        self._stopped = False
        self.ready = asyncio.Event()

    async def start(self) -> None:
        """Recover, reconcile, then start watching; orders are taken once reconciled."""
        if self._started:
            return
        self._started = True
        if self.masters is not None:
            self.masters.start()  # on its own thread: tickets never wait for a download
        self.alerts.start()  # before recovery, so a failed EXIT it finds is alerted too
        try:
            await self.workers.broker(self.config.broker_timeout_s, self.broker.login)
        except Exception as error:
            log.warning("login at start failed: %s", getattr(error, "message", error))
        saved_risk = await self.workers.db(
            self.repository.load_state, self.config.client_id, STATE_KEY
        )
        self.engine.risk.restore(saved_risk, self.clock())
        for applied in await self.workers.db(
            fail_interrupted, self.repository, self.config.client_id, self.clock
        ):
            self.events.emit(OrderUpdated(applied.record, applied.transition))
        first = await self.watcher.poll_once()
        if first.ok:
            self._open()
        else:
            log.warning("broker not reachable at start: orders wait for the first good poll")
            self._unsubscribe = self.events.subscribe(self._open_on_first_good_poll)
        self.watcher.start()
        await self.intake.start()  # answers 503 until the engine is open for orders

    async def kill_and_flatten(self, *, by: str, reason: str = "") -> FlattenReport:
        """Kill switch on, every open order cancelled, every position squared off."""
        return await self.flattener.kill_and_flatten(by=by, reason=reason)

    async def browser_login(self, *, redirect_port: int, root: str | None = None) -> str:
        """The day's login in the browser (Kite); the watcher resumes at once after it."""
        from trader_gui.engine.daily_login import browser_login

        said = await browser_login(self.engine, redirect_port=redirect_port, root=root)
        self.watcher.poll_soon()
        if self.masters is not None and getattr(self.broker, "has_session", False):
            self.masters.catch_up()  # Kite's master needs the day's session
        return said

    def _open_on_first_good_poll(self, event: Event) -> None:
        if isinstance(event, PollCompleted) and event.ok and not self.engine.accepting:
            self._open()

    def _open(self) -> None:
        self.engine.open_for_orders()
        self.ready.set()
        log.info(
            "engine ready: taking orders for %s on %s", self.config.client_id, self.broker.name
        )
        if self.market_hours is not None:
            kept = "kept" if self.engine.market is not None else "shown, not kept (paper)"
            states = self.market_hours.states((Exchange.NSE, Exchange.NFO))
            log.info("market hours %s: %s", kept, " ".join(s.sentence for s in states))

    async def stop(self) -> None:
        """Stop taking orders, stop the watcher, let running steps finish, release everything."""
        if self._stopped:
            return
        self._stopped = True
        await self.intake.stop()  # first: no new external orders; those under way finish
        self.engine.close()
        if self._unsubscribe:
            self._unsubscribe()
        await self.watcher.stop()
        await self.engine.wait_idle(self.config.broker_timeout_s)
        await self.alerts.stop()
        if self.masters is not None:
            await self.masters.stop()
        self._release()

    def _release(self) -> None:
        self.workers.shutdown()
        try:
            self.broker.close()
        finally:
            self.repository.close()
