"""The one door between widgets and the engine.

Engine events (plain dataclasses on the loop thread) come out as Qt signals; the trader's
intent (submit, cancel, modify, kill switch, risk limits, approvals of external orders) and
every read go in as coroutines. Reads run on
the engine's database thread (`workers.db`) and quotes on its broker threads, so the window's
thread never waits on a commit or a broker. Widgets never see the repository or the broker.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from PySide6.QtCore import QObject, Signal

from trader_gui.credentials import Secret
from trader_gui.domain.enums import Exchange, Product
from trader_gui.domain.instruments import InstrumentCatalog
from trader_gui.domain.kill_switch import KillSwitchState
from trader_gui.domain.market_calendar import MarketState, to_ist
from trader_gui.domain.market_time import trading_day_start
from trader_gui.domain.order import OrderCommand, OrderRecord
from trader_gui.domain.risk_limits import LimitRoom, RiskLimits
from trader_gui.domain.senders import DEFAULT_SENDER, SenderApproval
from trader_gui.domain.transitions import Transition
from trader_gui.engine.alerts import AlertSink
from trader_gui.engine.daily_login import needs_browser_login
from trader_gui.engine.events import (
    Connection,
    ConnectionChanged,
    DatabaseHealthChanged,
    Event,
    KillSwitchChanged,
    Level,
    MastersLoaded,
    Notice,
    OrdersQueued,
    OrderUpdated,
    PnlUpdated,
    PollCompleted,
)
from trader_gui.engine.intake_approvals import (
    ApprovalError,
    ApprovalResult,
    Decision,
    WaitingOrder,
)
from trader_gui.engine.intake_config import IntakeConfig
from trader_gui.engine.market_hours import SessionNote
from trader_gui.engine.master_refresh import MasterOutcome
from trader_gui.engine.order_engine import ActionResult
from trader_gui.engine.runtime import Runtime

log = logging.getLogger(__name__)
notice_log = logging.getLogger("trader_gui.notice")

_NOTICE_LEVELS = {
    Level.INFO: logging.INFO,
    Level.WARNING: logging.WARNING,
    Level.ERROR: logging.ERROR,
}
HISTORY_LIMIT = 50_000
"""Most orders loaded into the table at start (newest kept)."""


class EngineBridge(QObject):
    order_updated = Signal(object, object)
    """(OrderRecord, Transition) after each committed step of an order."""
    kill_switch_changed = Signal(object)
    """KillSwitchState"""
    connection_changed = Signal(object)
    """ConnectionChanged"""
    database_health_changed = Signal(object)
    """DatabaseHealthChanged: the database failing (a full disk), apart from the broker."""
    poll_completed = Signal(object)
    """PollCompleted"""
    pnl_updated = Signal(object)
    """PnlUpdated"""
    notice = Signal(object)
    """Notice: a sentence for the trader."""
    busy_changed = Signal(bool)
    """True while at least one ticket is in steps 1-5."""
    ready_changed = Signal(bool)
    """True once recovery and the first reconcile are done and tickets are taken."""
    orders_queued = Signal(int, int)
    """(orders waiting for the account's order throttle, its rate per second); 0 when drained."""
    masters_loaded = Signal(object)
    """MastersLoaded: the instrument list in use changed (count, source, day)."""
    approvals_changed = Signal()
    """An external order started waiting, or was approved, rejected or expired."""
    intake_changed = Signal()
    """The intake started, stopped or was given new settings: see `intake_url` and friends."""

    def __init__(self, runtime: Runtime, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._runtime = runtime
        self._submitting = 0
        self._ready = False
        self._stopped = False
        self._queued = 0
        self._mcx_seen: tuple[int, bool] | None = None
        self._unsubscribe = runtime.events.subscribe(self._on_event)
        self._unsubscribe_approvals = runtime.intake.approvals.subscribe(
            self.approvals_changed.emit
        )

    # ---- facts the window shows -------------------------------------------------------------

    @property
    def client_id(self) -> str:
        return self._runtime.config.client_id

    @property
    def broker_name(self) -> str:
        return str(self._runtime.broker.name)

    @property
    def catalog(self) -> InstrumentCatalog:
        return self._runtime.catalog

    @property
    def connection(self) -> Connection:
        return self._runtime.watcher.connection

    @property
    def is_ready(self) -> bool:
        return self._ready

    @property
    def is_busy(self) -> bool:
        return self._submitting > 0

    @property
    def queued(self) -> int:
        """Orders of this account waiting for the order throttle right now."""
        return self._queued

    # ---- risk limits ------------------------------------------------------------------------

    @property
    def risk_limits(self) -> RiskLimits:
        return self._runtime.engine.risk.limits

    @property
    def daily_loss_limit(self) -> Decimal | None:
        return self._runtime.engine.risk.daily_loss_limit

    def set_risk_limits(self, limits: RiskLimits) -> None:
        """Applies at once: the risk manager checks the next order and the next P&L poll
        against these. The day's risk memory (peak, cooldown, a max-loss trip) is kept."""
        self._runtime.engine.risk.limits = limits
        log.info("risk limits set from the window: %s", limits)

    def limit_rooms(self) -> list[LimitRoom]:
        """Per loss limit in force (daily, trailing floor, max loss): its floor, the room left
        and ok / amber / red, from the risk manager's last P&L poll."""
        return self._runtime.engine.risk.rooms()

    def max_loss_tripped_today(self) -> bool:
        return self._runtime.engine.risk.max_loss_tripped_today()

    def now(self) -> datetime:
        return self._runtime.clock()

    # ---- running ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Recover and reconcile; tickets are taken once the engine says it is ready."""
        await self._runtime.start()
        self._check_ready()
        self.intake_changed.emit()  # the intake starts with the runtime, when configured
        self.approvals_changed.emit()  # decisions restored from the last run

    async def shutdown(self) -> None:
        """Stop the engine (watcher, running steps, threads, files). Safe to call twice."""
        if self._stopped:
            return
        self._stopped = True
        self._unsubscribe()
        self._unsubscribe_approvals()
        self._ready = False
        await self._runtime.stop()
        self.intake_changed.emit()

    # ---- the trader's intent ----------------------------------------------------------------

    async def submit(self, command: OrderCommand) -> list[OrderRecord]:
        """Steps 1-5 for a ticket: one order, or one per slice when the engine slices tickets
        above the freeze quantity. Raises EngineClosedError (with its sentence) when no ticket
        is taken."""
        engine = self._runtime.engine
        self._set_busy(+1)
        try:
            records = await engine.submit_ticket(command)
        finally:
            self._set_busy(-1)
        self._runtime.watcher.poll_soon()
        return records

    async def kill_and_flatten(self, *, reason: str = "") -> str:
        """Kill switch on, every open order cancelled, every position squared off at market.
        Returns the engine's summary sentence (it also arrives as a notice)."""
        self._set_busy(+1)
        try:
            report = await self._runtime.kill_and_flatten(by="trader", reason=reason)
        finally:
            self._set_busy(-1)
        return str(report.summary())

    def _set_busy(self, change: int) -> None:
        was_busy = self._submitting > 0
        self._submitting += change
        if (self._submitting > 0) != was_busy:
            self.busy_changed.emit(self._submitting > 0)

    async def cancel(self, command_id: str) -> ActionResult:
        result = await self._runtime.engine.cancel(command_id)
        self._runtime.watcher.poll_soon()
        return result

    async def modify(
        self,
        command_id: str,
        *,
        quantity: int | None = None,
        price: Decimal | None = None,
        trigger_price: Decimal | None = None,
    ) -> ActionResult:
        result = await self._runtime.engine.modify(
            command_id, quantity=quantity, price=price, trigger_price=trigger_price
        )
        self._runtime.watcher.poll_soon()
        return result

    @property
    def needs_browser_login(self) -> bool:
        return needs_browser_login(self._runtime.engine)

    async def browser_login(self, *, redirect_port: int, root: str | None = None) -> str:
        """The day's broker login in the system browser (Kite); returns the sentence."""
        return await self._runtime.browser_login(redirect_port=redirect_port, root=root)

    def add_alert_sink(self, sink: AlertSink) -> None:
        """The window's tray joins the engine's alert sinks (Telegram, when configured)."""
        self._runtime.alerts.add_sink(sink)

    async def set_kill_switch(self, active: bool, *, reason: str = "") -> KillSwitchState:
        """Raises KillSwitchLockedError (its message is the sentence to show) when turning off
        is refused, e.g. on the day of a max-loss trip."""
        return await self._runtime.engine.set_kill_switch(active, by="trader", reason=reason)

    async def protection_preview(self, command: OrderCommand) -> str | None:
        """The sentence saying at what protected price a MARKET or SL-M ticket would go out on
        a broker that protects market orders, or None (another order type, or a broker that
        sends market orders as they are). The engine asks the broker on a broker thread."""
        return await self._runtime.engine.preview(command)

    # ---- symbol masters (the refresher's own thread) -----------------------------------------

    @property
    def masters(self) -> MastersLoaded:
        """The instrument list in use: how many, whose, of which day."""
        masters = self._runtime.masters
        if masters is None:
            return MastersLoaded(len(self._runtime.catalog), "the bundled sample")
        return masters.state

    @property
    def masters_source(self) -> str | None:
        """Whose masters "refresh" fetches; None when there is nothing to fetch (paper)."""
        masters = self._runtime.masters
        return masters.source_name if masters is not None else None

    async def refresh_masters(self) -> MasterOutcome:
        """Fetch the day's masters from the broker now; the list in use stays on a failure."""
        masters = self._runtime.masters
        if masters is None:
            return MasterOutcome(False, "Symbol masters cannot be refreshed in this program.")
        return await masters.refresh_now()

    async def load_master_files(self, paths: Sequence[str]) -> MasterOutcome:
        """Load master files the trader downloaded; the list in use stays on a failure."""
        masters = self._runtime.masters
        if masters is None:
            return MasterOutcome(False, "Symbol masters cannot be loaded in this program.")
        return await masters.load_files(list(paths))

    # ---- external order intake ------------------------------------------------------------

    @property
    def intake_config(self) -> IntakeConfig:
        return self._runtime.intake.config

    @property
    def intake_url(self) -> str | None:
        """Where the intake listens right now; None while it is off."""
        return self._runtime.intake.url

    def waiting_approvals(self) -> list[WaitingOrder]:
        """External orders waiting for the trader, oldest first."""
        return self._runtime.intake.approvals.waiting()

    def approval_decisions(self) -> list[Decision]:
        """Recent approval decisions (approved, rejected, expired), oldest first."""
        return self._runtime.intake.approvals.decisions()

    async def approve(
        self, command_id: str, edits: dict[str, object] | None = None
    ) -> list[OrderRecord]:
        """Send a waiting external order (with the trader's edits) through the six steps.
        Raises ApprovalError with the sentence to show; a bad edit leaves it waiting."""
        self._set_busy(+1)
        try:
            records = await self._runtime.intake.approvals.approve(command_id, edits)
        finally:
            self._set_busy(-1)
        self._runtime.watcher.poll_soon()
        return records

    async def reject(self, command_id: str, reason: str = "") -> Decision:
        """Raises ApprovalError when the order is no longer waiting."""
        return await self._runtime.intake.approvals.reject(command_id, reason)

    async def approve_all(self) -> list[ApprovalResult]:
        self._set_busy(+1)
        try:
            results = await self._runtime.intake.approvals.approve_all()
        finally:
            self._set_busy(-1)
        self._runtime.watcher.poll_soon()
        return results

    async def reject_all(self, reason: str = "") -> list[Decision]:
        """Reject every order waiting now; one decided meanwhile (expired) is skipped."""
        decisions = []
        for entry in self.waiting_approvals():
            try:
                decisions.append(await self.reject(entry.command_id, reason))
            except ApprovalError as error:
                log.info("reject all: %s", error)
        return decisions

    async def apply_intake(self, config: IntakeConfig) -> bool:
        """The intake listens again with these settings (or stops, when off); True if it
        listens. A failure to listen arrives as a notice with its reason."""
        try:
            return await self._runtime.intake.apply(config)
        finally:
            self.intake_changed.emit()

    async def intake_token(self, sender: str = DEFAULT_SENDER) -> Secret | None:
        """A sender's intake token from the keyring (None until the intake first starts)."""
        return await self._runtime.intake.read_token(sender)

    async def regenerate_intake_token(self, sender: str = DEFAULT_SENDER) -> Secret:
        """A new token for the sender, in force at once: whoever holds the old one gets 401."""
        return await self._runtime.intake.rotate_token(sender)

    async def add_intake_sender(
        self, name: str, approval: SenderApproval = SenderApproval.GLOBAL
    ) -> tuple[str, Secret]:
        """A new sender and its new token, accepted from the next request; its name as kept.
        Raises SenderError with the sentence to show."""
        try:
            return await self._runtime.intake.add_sender(name, approval)
        finally:
            self.intake_changed.emit()

    async def remove_intake_sender(self, name: str) -> None:
        """The sender's token is refused from the next request and leaves the keyring."""
        try:
            await self._runtime.intake.remove_sender(name)
        finally:
            self.intake_changed.emit()

    # ---- reads (database thread) ------------------------------------------------------------

    async def kill_switch(self) -> KillSwitchState:
        return await self._runtime.engine.kill_switch()

    async def kill_switch_history(self, limit: int = 200) -> list[KillSwitchState]:
        """Every change of this account's switch, newest first: who or what, when, why."""
        return await self._runtime.workers.db(
            self._runtime.repository.kill_switch_history, self.client_id, limit
        )

    async def orders(
        self, limit: int = HISTORY_LIMIT, *, since: datetime | None = None
    ) -> list[OrderRecord]:
        """The account's orders, oldest first (the newest `limit` of them; only those
        registered from `since` on, when given)."""
        rows = await self._runtime.workers.db(
            self._runtime.repository.orders,
            self.client_id,
            since=since,
            limit=limit,
            newest_first=True,
        )
        rows.reverse()
        return rows

    async def open_orders(self) -> list[OrderRecord]:
        return await self._runtime.workers.db(self._runtime.repository.non_terminal, self.client_id)

    async def transitions(self, command_id: str) -> list[Transition]:
        return await self._runtime.workers.db(self._runtime.repository.transitions, command_id)

    async def blocked_today(self) -> list[OrderRecord]:
        """Orders stopped in step 2 since midnight IST, newest first."""
        return await self._runtime.workers.db(
            self._runtime.repository.blocked, self.client_id, trading_day_start(self.now())
        )

    async def pnl_history(self) -> list[tuple[datetime, Decimal]]:
        """Today's stored P&L snapshots (total), oldest first."""
        return await self._runtime.workers.db(
            self._runtime.repository.pnl_snapshots,
            self.client_id,
            trading_day_start(self.now()),
        )

    # ---- quotes (broker thread) -------------------------------------------------------------

    async def last_prices(
        self, keys: Sequence[tuple[Exchange, str]]
    ) -> dict[tuple[Exchange, str], Decimal]:
        """Last traded prices; unknown keys are left out. Raises on a broker failure."""
        return await self._runtime.workers.broker(
            self._runtime.config.broker_timeout_s, self._runtime.broker.quotes, list(keys)
        )

    async def last_price(self, exchange: Exchange, symbol: str) -> Decimal | None:
        return (await self.last_prices([(exchange, symbol)])).get((exchange, symbol))

    # ---- market hours (the calendar: pure, no thread needed) -------------------------------

    @property
    def market_hours_checked(self) -> bool:
        """Whether step 2 keeps the market's hours (always for a live broker; for the paper
        broker only in its session mode)."""
        return self._runtime.engine.market is not None

    def market_states(self) -> list[MarketState]:
        """What the exchanges the trader trades are doing now: NSE and NFO, MCX when the
        instrument list has commodity contracts; empty when there is no calendar."""
        hours = self._runtime.market_hours
        if hours is None:
            return []
        return hours.states(self._traded_exchanges())

    def missing_holidays(self) -> int | None:
        """This year, when the calendar lists no holidays for it (every weekday would look
        like a trading day); None when it does, or when there is no calendar."""
        hours = self._runtime.market_hours
        if hours is None:
            return None
        today = to_ist(self.now()).date()
        return None if hours.calendar.knows_holidays(today) else today.year

    def session_preview(self, command: OrderCommand) -> SessionNote | None:
        """What the market's hours do to this ticket now: goes as an AMO, or will be refused
        and why; None when it goes as a regular order."""
        return self._runtime.engine.session_preview(command)

    def square_off_at(self, exchange: Exchange, product: Product) -> datetime | None:
        """When the broker squares off today's positions of `product` on `exchange`; None for
        a carried product, or when the hours are not kept (the paper broker then never does)."""
        hours = self._runtime.engine.market
        return hours.square_off_at(exchange, product) if hours is not None else None

    def _traded_exchanges(self) -> list[Exchange]:
        catalog = self._runtime.catalog
        if self._mcx_seen is None or self._mcx_seen[0] != len(catalog):
            listed = any(i.exchange is Exchange.MCX for i in catalog)
            self._mcx_seen = (len(catalog), listed)
        return [Exchange.NSE, Exchange.NFO] + ([Exchange.MCX] if self._mcx_seen[1] else [])

    # ---- events -----------------------------------------------------------------------------

    def _on_event(self, event: Event) -> None:
        if isinstance(event, OrderUpdated):
            self.order_updated.emit(event.record, event.transition)
        elif isinstance(event, PollCompleted):
            self.poll_completed.emit(event)
            self._check_ready()
        elif isinstance(event, PnlUpdated):
            self.pnl_updated.emit(event)
        elif isinstance(event, KillSwitchChanged):
            if event.client_id == self.client_id:
                self.kill_switch_changed.emit(event.state)
        elif isinstance(event, ConnectionChanged):
            self.connection_changed.emit(event)
        elif isinstance(event, DatabaseHealthChanged):
            self.database_health_changed.emit(event)
        elif isinstance(event, OrdersQueued):
            if event.client_id == self.client_id:
                self._queued = event.count
                self.orders_queued.emit(event.count, event.rate)
        elif isinstance(event, MastersLoaded):
            self.masters_loaded.emit(event)
        elif isinstance(event, Notice):
            notice_log.log(_NOTICE_LEVELS.get(event.level, logging.INFO), "%s", event.text)
            self.notice.emit(event)

    def _check_ready(self) -> None:
        ready = self._runtime.ready.is_set() and not self._stopped
        if ready != self._ready:
            self._ready = ready
            self.ready_changed.emit(ready)
