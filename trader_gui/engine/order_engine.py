"""The six steps of an order, from ticket to broker and back.

    1 register  -> CREATED, one transaction; the command_id's unique key makes a repeat a no-op
    2 blockers  -> FAILED with a tag and a sentence; nothing sent
    3 mark      -> SENT_TO_BROKER, committed before the broker is called
    4 submit    -> broker.place_order on a worker thread, bounded by a timeout
    5 result    -> accepted: broker id saved; rejected: FAILED/BROKER_REJECTED;
                   no answer: stays SENT_TO_BROKER with broker status UNKNOWN for the watcher
    6 watcher   -> see watcher.py

An order whose outcome is unknown is never FAILED on a guess and never re-sent blindly: the
command_id travels as the broker's client tag, so the watcher finds and links it.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from sqlalchemy.exc import SQLAlchemyError

from trader_gui.brokers.base import (
    Broker,
    BrokerError,
    BrokerRejected,
    BrokerUnavailable,
    PlaceOrderRequest,
    SessionExpired,
)
from trader_gui.domain.enums import UNKNOWN_OUTCOME, Exchange, OrderStatus, OrderType, Tag
from trader_gui.domain.instruments import InstrumentCatalog
from trader_gui.domain.kill_switch import KillSwitchState
from trader_gui.domain.order import OrderCommand, OrderRecord
from trader_gui.domain.prices import is_on_tick
from trader_gui.domain.slicing import plan_slices
from trader_gui.engine.blockers import Block, Blockers
from trader_gui.engine.config import EngineConfig
from trader_gui.engine.database_health import database_reason
from trader_gui.engine.events import (
    EventBus,
    KillSwitchChanged,
    Level,
    Notice,
    OrdersQueued,
    OrderUpdated,
)
from trader_gui.engine.market_hours import MarketHours, SessionNote
from trader_gui.engine.risk import RiskManager
from trader_gui.engine.throttle import OrderThrottle
from trader_gui.engine.workers import Placed, Workers
from trader_gui.persistence.repository import Applied, OrderRepository, StatusChange

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ActionResult:
    """The answer to a cancel or modify: whether the broker took it, and the sentence to show."""

    ok: bool
    sentence: str


class KillSwitchLockedError(Exception):
    """The kill switch may not be turned off now; the message says why."""


class OrderNotSentError(Exception):
    """The order could not be recorded before sending, so it was not sent; says why."""


class EngineClosedError(Exception):
    """The engine is shutting down and takes no new orders."""


@dataclass(frozen=True, slots=True)
class _Marked:
    """Steps 1 to 3 in one trip: what was registered, the block or the mark, or the error
    that stopped the checks after CREATED was committed."""

    created: Applied | None
    block: Block | None = None
    applied: Applied | None = None
    error: SQLAlchemyError | None = None


class OrderEngine:
    def __init__(
        self,
        *,
        repository: OrderRepository,
        broker: Broker,
        catalog: InstrumentCatalog,
        config: EngineConfig,
        workers: Workers,
        events: EventBus,
        clock: Callable[[], datetime],
        risk: RiskManager | None = None,
        throttle: OrderThrottle | None = None,
        market: MarketHours | None = None,
    ) -> None:
        self.repository = repository
        self.broker = broker
        self.catalog = catalog
        self.config = config
        self.workers = workers
        self.events = events
        self.clock = clock
        self.risk = risk or RiskManager(config.limits())
        self.market = market
        """The calendar at this clock for this broker; None takes every exchange as open."""
        self.blockers = Blockers(repository, catalog, self.risk, clock, market)
        self.throttle = throttle or OrderThrottle(
            config.orders_per_second, on_queue_change=self._report_queue
        )
        self._account_locks: dict[str, asyncio.Lock] = {}
        self._lock_waiters: dict[str, int] = {}
        self._on_the_way: dict[str, int] = {}
        """Orders of each account in step 1 (or fetching a quote) on the long way to the
        account's lock: while any is, a later order does not go at once, ahead of it."""
        self._queue_shown: dict[str, int] = {}
        self._in_flight: set[str] = set()
        self._accepting = False
        self._closed = False
        self._running = 0
        self._idle = asyncio.Event()
        self._idle.set()

    # ---- lifecycle --------------------------------------------------------------------------

    def open_for_orders(self) -> None:
        """Called once recovery has reconciled every old row: from now on tickets are taken."""
        self._accepting = True

    @property
    def accepting(self) -> bool:
        return self._accepting and not self._closed

    def close(self) -> None:
        self._closed = True

    async def wait_idle(self, timeout_s: float) -> bool:
        """Wait for submits under way to finish their steps; False if some still run."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout_s)
        except TimeoutError:
            log.warning("%d orders still in their steps at shutdown", self._running)
            return False
        return True

    def in_flight(self) -> frozenset[str]:
        """Orders between step 3 and step 5: the watcher must not judge them yet."""
        return frozenset(self._in_flight)

    # ---- the six steps ----------------------------------------------------------------------

    async def submit_ticket(self, command: OrderCommand) -> list[OrderRecord]:
        """A ticket from any path: sliced at the freeze quantity, each child through the steps.

        A ticket the broker could not take in its slice limit is recorded FAILED with the
        reason, and nothing is sent.
        """
        instrument = self.catalog.get(command.exchange, command.symbol)
        plan = plan_slices(command, instrument, self.config.max_slices_per_ticket)
        if plan.refusal is not None:
            return [await self.refuse(command, Tag.VALIDATION_FAILED, plan.refusal)]
        if plan.is_sliced:
            log.info(
                "ticket %s sliced into %d orders at the freeze quantity",
                command.command_id,
                len(plan.children),
            )
        return [await self.submit(child) for child in plan.children]

    async def refuse(self, command: OrderCommand, tag: Tag, detail: str) -> OrderRecord:
        """Register and fail at once: the trader sees the ticket and why it did not go."""
        if await self._write_create(command) is None:
            return await self._current(command.command_id)
        failed = await self._write(
            StatusChange(
                command.command_id,
                OrderStatus.FAILED,
                self.clock(),
                tag=tag,
                detail=detail,
                expect_from=OrderStatus.CREATED,
            )
        )
        return failed.record if failed else await self._current(command.command_id)

    async def submit(self, command: OrderCommand) -> OrderRecord:
        """Run steps 1 to 5; returns the row as it stands after step 5 (or the block)."""
        if not self.accepting:
            raise EngineClosedError(
                "The engine is not taking orders yet (recovering) or any more (closing)."
            )
        self._running += 1
        self._idle.clear()
        try:
            return await self._submit(command)
        except SQLAlchemyError as error:  # steps 1 to 3: step 5 handles its own failure
            log.error("order %s not sent: the database failed: %s", command.command_id, error)
            raise OrderNotSentError(
                f"Not sent: order {command.command_id} could not be recorded in the database "
                f"({database_reason(error)}); nothing went to the broker."
            ) from None
        finally:
            self._running -= 1
            if not self._running:
                self._idle.set()

    async def _submit(self, command: OrderCommand) -> OrderRecord:
        if self._nothing_waits(command):
            return await self._submit_at_once(command)
        client_id = command.client_id
        self._on_the_way[client_id] = self._on_the_way.get(client_id, 0) + 1
        try:
            registered = await self._write_create(command)
            if registered is None:  # same command_id again: it reaches the broker once
                return await self._first_answer(command)
            last_price = await self._last_price_for_checks(command)
        finally:
            self._on_the_way[client_id] -= 1
        # no await from here to the lock's queue: a later order sees this one waiting
        self._lock_waiters[client_id] = self._lock_waiters.get(client_id, 0) + 1
        async with self._account_lock(client_id):
            self._lock_waiters[client_id] -= 1
            await self.throttle.wait_for_slot(
                client_id, lambda: self._lock_waiters.get(client_id, 0) + 1
            )
            if self._queue_shown.get(client_id):
                self._report_queue(client_id, self._lock_waiters.get(client_id, 0))
            block, applied = await self.workers.write(self._check_and_mark, command, last_price)
            stopped = await self._after_mark(command, block, applied)
        if stopped is not None:
            return stopped
        return await self._send_marked(command, applied)

    async def _submit_at_once(self, command: OrderCommand) -> OrderRecord:
        """Steps 1 to 3 in one trip to the database thread, when nothing has to wait: no
        quote to fetch, the account's lock free, a throttle slot free. CREATED is committed
        first (`_register_check_and_mark`), so the order is recorded before the checks and
        stays recorded if they cannot be written; the loop is woken once instead of twice."""
        client_id = command.client_id
        async with self._account_lock(client_id):
            await self.throttle.wait_for_slot(client_id)  # free: returns at once
            marked = await self.workers.write(self._register_check_and_mark, command, self.clock())
            if marked.created is None:  # same command_id again: it reaches the broker once
                return await self._first_answer(command)
            self.events.emit(OrderUpdated(marked.created.record, marked.created.transition))
            if marked.error is not None:
                raise marked.error
            stopped = await self._after_mark(command, marked.block, marked.applied)
        if stopped is not None:
            return stopped
        return await self._send_marked(command, marked.applied)

    def _nothing_waits(self, command: OrderCommand) -> bool:
        client_id = command.client_id
        return (
            not self._account_lock(client_id).locked()
            and not self._lock_waiters.get(client_id)
            and not self._on_the_way.get(client_id)
            and self.throttle.free(client_id)
            and not self._needs_quote(command)
        )

    async def _first_answer(self, command: OrderCommand) -> OrderRecord:
        existing = await self.workers.db(self.repository.get, command.command_id)
        if existing is None:
            raise RuntimeError(f"order {command.command_id} vanished after registering")
        log.info("order %s submitted again: answered with the first", command.command_id)
        return existing

    async def _after_mark(
        self, command: OrderCommand, block: Block | None, applied: Applied | None
    ) -> OrderRecord | None:
        """Under the account's lock, after steps 2 and 3: the row to return when the order
        stops here, None when it goes to the broker (its throttle slot taken)."""
        if applied is not None:
            self.events.emit(OrderUpdated(applied.record, applied.transition))
        if block is not None:
            log.info("order %s blocked: %s %s", command.command_id, block.tag, block.detail)
        if block is not None or applied is None:
            return applied.record if applied else await self._current(command.command_id)
        self.throttle.take(command.client_id)
        self._in_flight.add(command.command_id)
        return None

    async def _send_marked(self, command: OrderCommand, applied: Applied | None) -> OrderRecord:
        assert applied is not None
        try:
            return await self._send(command, amo=applied.record.amo)
        finally:
            self._in_flight.discard(command.command_id)

    def session_preview(self, command: OrderCommand) -> SessionNote | None:
        """What the market's hours do to this ticket now (goes as an AMO, or will be refused
        and why), for the window to show before the trader presses Buy or Sell; None when it
        goes as a regular order. Pure and quick: no broker, no database."""
        return self.market.preview(command) if self.market is not None else None

    def _check_and_mark(
        self, command: OrderCommand, last_price: Decimal | None
    ) -> tuple[Block | None, Applied | None]:
        """Steps 2 and 3 in one trip to the database thread and one transaction (under the
        account's lock).

        The first block fails the order; no block marks it SENT_TO_BROKER (as an AMO when the
        exchange is shut and the broker takes one). The checks read the state the change is
        written on: no other write, of this process or another, comes between them. The
        change is committed before this returns, so before the loop acts on it. None for the
        change when the row was not in CREATED any more (nothing written).
        """
        with self.repository.transaction():
            return self._check_and_mark_in(command, last_price)

    def _register_check_and_mark(self, command: OrderCommand, at: datetime) -> _Marked:
        """Steps 1, 2 and 3 on the database thread, in two transactions: CREATED committed
        (step 1, as `_write_create`), then the checks and the mark as `_check_and_mark`. Both
        commits happen before the loop acts on either. Inside a group commit the second runs
        in a savepoint, so its failure leaves CREATED written, as it would be alone."""
        created = self.repository.create(command, at)
        if created is None:
            return _Marked(None)
        try:
            with self.repository.transaction(savepoint=True):
                block, applied = self._check_and_mark_in(command, None)
        except SQLAlchemyError as error:
            return _Marked(created, error=error)
        return _Marked(created, block, applied)

    def _check_and_mark_in(
        self, command: OrderCommand, last_price: Decimal | None
    ) -> tuple[Block | None, Applied | None]:
        verdict = self.blockers.step_two(command, last_price)
        block, amo = verdict.block, verdict.session.amo
        if block is not None:
            change = StatusChange(
                command.command_id,
                OrderStatus.FAILED,
                self.clock(),
                tag=block.tag,
                detail=block.detail,
                expect_from=OrderStatus.CREATED,
            )
        else:
            sending = f"Sending to {self.broker.name}"
            change = StatusChange(
                command.command_id,
                OrderStatus.SENT_TO_BROKER,
                self.clock(),
                detail=f"{sending} as an AMO: {verdict.session.sentence}" if amo else f"{sending}.",
                amo=amo,
                expect_from=OrderStatus.CREATED,
            )
        return block, self.repository.advance(change)

    async def preview(self, command: OrderCommand) -> str | None:
        """How the broker will really send this order (a protected MARKET goes as a LIMIT at
        a computed price), for the window to show before the trader confirms."""
        protection_for = getattr(self.broker, "protection_for", None)
        if protection_for is None or command.order_type not in (OrderType.MARKET, OrderType.SL_M):
            return None
        try:
            protection = await self.workers.broker(
                self.config.broker_timeout_s, protection_for, _request_for(command)
            )
        except (BrokerError, TimeoutError) as error:
            return f"The protected price cannot be computed now: {getattr(error, 'message', error)}"
        return getattr(protection, "sentence", None) if protection is not None else None

    async def last_price(self, exchange: Exchange, symbol: str) -> Decimal | None:
        """The broker's last traded price, or None when it cannot say right now."""
        try:
            quotes = await self.workers.broker(
                self.config.broker_timeout_s, self.broker.quotes, [(exchange, symbol)]
            )
        except (BrokerError, TimeoutError) as error:
            log.info("no last price for %s:%s: %s", exchange, symbol, error)
            return None
        return quotes.get((exchange, symbol))

    async def _last_price_for_checks(self, command: OrderCommand) -> Decimal | None:
        """A quote only when a check needs one: risk value/fat-finger, or an F&O LIMIT price
        the exchange's band applies to."""
        if not self._needs_quote(command):
            return None
        return await self.last_price(command.exchange, command.symbol)

    def _needs_quote(self, command: OrderCommand) -> bool:
        band_applies = command.exchange.is_derivatives and command.order_type is OrderType.LIMIT
        return band_applies or self.risk.needs_market_price(command)

    async def _send(self, command: OrderCommand, *, amo: bool = False) -> OrderRecord:
        """Steps 4 and 5. The broker's plain answer (accepted, rejected) is written from the
        broker thread straight on the database thread (`Workers.place_then_write`); the rest
        (no answer, an expired session, an adapter's bug) comes back here."""
        request = replace(_request_for(command), amo=amo)
        try:
            placed = await self.workers.place_then_write(
                self.config.broker_timeout_s,
                functools.partial(self.broker.place_order, request),
                functools.partial(self._step_5_for, command, amo),
                self.repository.advance,
            )
        except Exception as error:  # no answer in time, or the broker threads are shut
            placed = Placed((False, error), None, None, None)
        if placed.planned is not None:
            if isinstance(placed.error, SQLAlchemyError):
                return self._unrecorded_step_5(command, placed.planned, placed.error)
            if placed.error is not None:
                raise placed.error
            return await self._finished(command, placed.planned, placed.written)
        ok, answer = placed.answer
        try:
            if ok:
                broker_order_id = str(answer)
            elif isinstance(answer, SessionExpired):
                broker_order_id = await self._place_after_relogin(request, answer)
            else:
                raise answer
        except BrokerRejected as error:
            return await self._finish(command, self._rejected(command, error))
        except (BrokerUnavailable, TimeoutError) as error:
            reason = (
                error.message
                if isinstance(error, BrokerError)
                else f"no answer within {self.config.broker_timeout_s:g} s"
            )
            return await self._unknown(command, reason)
        except Exception as error:  # an adapter bug must not lose the order either
            log.exception("place_order for %s failed unexpectedly", command.command_id)
            return await self._unknown(command, f"unexpected error: {error}")
        return await self._finish(command, self._accepted(command, amo, broker_order_id))

    def _step_5_for(
        self, command: OrderCommand, amo: bool, ok: bool, answer: object
    ) -> StatusChange | None:
        """On the broker thread: the change the broker's answer makes, when it needs nothing
        more than a write (accepted, or rejected); None hands the answer back to the loop."""
        if ok:
            return self._accepted(command, amo, str(answer))
        if isinstance(answer, BrokerRejected):
            return self._rejected(command, answer)
        return None

    def _accepted(self, command: OrderCommand, amo: bool, broker_order_id: str) -> StatusChange:
        return self._step_5_change(
            command,
            OrderStatus.SENT_TO_BROKER,
            detail=f"Accepted by {self.broker.name} as {'AMO ' if amo else ''}order "
            f"{broker_order_id}.",
            broker_order_id=broker_order_id,
            broker_status="ACCEPTED",
        )

    def _rejected(self, command: OrderCommand, error: BrokerRejected) -> StatusChange:
        return self._step_5_change(
            command,
            OrderStatus.FAILED,
            tag=Tag.BROKER_REJECTED,
            detail=error.message,
            broker_status="REJECTED",
        )

    async def _place_after_relogin(
        self, request: PlaceOrderRequest, expired: SessionExpired
    ) -> str:
        """The session expired while placing: log in again, look for the tag, and place only
        if it is absent."""
        timeout = self.config.broker_timeout_s
        log.warning("session expired while placing %s: logging in again", request.tag)
        self.events.emit(
            Notice(Level.WARNING, f"Broker session expired ({expired.message}): logging in again.")
        )
        try:
            await self.workers.broker(timeout, self.broker.login)
        except BrokerError as error:
            raise BrokerRejected(
                f"Not sent: the broker session expired and logging in again failed: {error.message}"
            ) from error
        try:
            found = await self._find_by_tag(request.tag)
            if found is not None:
                return found
            return await self.workers.broker(timeout, self.broker.place_order, request)
        except SessionExpired as again:  # the broker refused the call: nothing was placed
            raise BrokerRejected(
                "Not sent: the broker session expired again right after logging in: "
                f"{again.message}"
            ) from again

    async def _find_by_tag(self, tag: str) -> str | None:
        book = await self.workers.broker(self.config.broker_timeout_s, self.broker.order_book)
        for order in book:
            if order.tag == tag:
                return order.broker_order_id
        return None

    async def _unknown(self, command: OrderCommand, reason: str) -> OrderRecord:
        log.warning("order %s outcome unknown: %s", command.command_id, reason)
        self.events.emit(
            Notice(
                Level.WARNING,
                f"Order {command.command_id}: no clear answer from the broker ({reason}). "
                "It is not re-sent; the watcher looks for it at the broker by its tag.",
            )
        )
        return await self._finish(
            command,
            self._step_5_change(
                command,
                OrderStatus.SENT_TO_BROKER,
                detail=f"Outcome unknown: {reason}. Looking for it at the broker by its tag.",
                broker_status=UNKNOWN_OUTCOME,
            ),
        )

    def _step_5_change(
        self,
        command: OrderCommand,
        status: OrderStatus,
        *,
        detail: str,
        tag: Tag | None = None,
        broker_order_id: str | None = None,
        broker_status: str | None = None,
    ) -> StatusChange:
        change = StatusChange(
            command.command_id,
            status,
            self.clock(),
            tag=tag,
            detail=detail,
            broker_status=broker_status,
            expect_from=OrderStatus.SENT_TO_BROKER,
        )
        if broker_order_id is not None:
            change = replace(change, broker_order_id=broker_order_id)
        return change

    async def _finish(self, command: OrderCommand, change: StatusChange) -> OrderRecord:
        try:
            applied = await self.workers.write(self.repository.advance, change)
        except SQLAlchemyError as error:
            return self._unrecorded_step_5(command, change, error)
        return await self._finished(command, change, applied)

    async def _finished(
        self, command: OrderCommand, change: StatusChange, applied: Applied | None
    ) -> OrderRecord:
        """Step 5 committed: the window told, and an EXIT that failed said aloud."""
        if applied is None:  # the watcher got there first (e.g. already EXECUTED)
            return await self._current(command.command_id)
        self.events.emit(OrderUpdated(applied.record, applied.transition))
        if change.to_status is OrderStatus.FAILED and not command.is_entry:
            self.events.emit(
                Notice(
                    Level.ERROR,
                    f"EXIT order {command.command_id} for {command.symbol} FAILED: "
                    f"{change.detail} Your position may still be open.",
                )
            )
        return applied.record

    def _unrecorded_step_5(
        self, command: OrderCommand, change: StatusChange, error: SQLAlchemyError
    ) -> OrderRecord:
        """The broker answered but the answer could not be written. The order must not look
        failed (the trader would place it again): the row stays SENT_TO_BROKER and the
        watcher records the broker's word once the database can be written."""
        log.error("order %s: step 5 not recorded: %s", command.command_id, error)
        where = (
            f" as order {change.broker_order_id}" if isinstance(change.broker_order_id, str) else ""
        )
        self.events.emit(
            Notice(
                Level.ERROR,
                f"Order {command.command_id} reached {self.broker.name}{where}, but its answer "
                f"could not be recorded in the database ({database_reason(error)}). It is not "
                "sent again; the watcher records it once the database can be written.",
            )
        )
        now = self.clock()
        return OrderRecord(
            command=command,
            status=OrderStatus.SENT_TO_BROKER,
            created_at=now,
            updated_at=now,
            detail=change.detail or "",
            broker_order_id=change.broker_order_id
            if isinstance(change.broker_order_id, str)
            else None,
            broker_status=UNKNOWN_OUTCOME,
            sent_at=now,
        )

    # ---- cancel and modify: never blocked -------------------------------------------------

    async def cancel(self, command_id: str) -> ActionResult:
        """Ask the broker to cancel; the watcher records the end. Never blocked by anything."""
        record = await self._current(command_id)
        if record.is_terminal:
            return ActionResult(
                False, f"Order {command_id} is already {record.status}; nothing to cancel."
            )
        if record.broker_order_id is None:
            return ActionResult(
                False,
                f"Order {command_id} has no broker order id yet; it can be cancelled once the "
                "broker confirms it.",
            )
        try:
            await self.workers.broker(
                self.config.broker_timeout_s, self.broker.cancel_order, record.broker_order_id
            )
        except BrokerError as error:
            return ActionResult(
                False, f"Cancel of {command_id} refused by the broker: {error.message}"
            )
        except TimeoutError:
            return ActionResult(
                False, f"Cancel of {command_id}: no answer from the broker yet; check its status."
            )
        return ActionResult(True, f"Cancel of {command_id} sent to the broker.")

    async def modify(
        self,
        command_id: str,
        *,
        quantity: int | None = None,
        price: Decimal | None = None,
        trigger_price: Decimal | None = None,
    ) -> ActionResult:
        record = await self._current(command_id)
        if record.is_terminal or record.broker_order_id is None:
            return ActionResult(
                False, f"Order {command_id} is not open at the broker; it cannot be modified."
            )
        instrument = self.catalog.get(record.command.exchange, record.command.symbol)
        if instrument is not None:
            if quantity is not None and (quantity <= 0 or quantity % instrument.lot_size):
                return ActionResult(
                    False,
                    f"Quantity {quantity} is not a whole number of lots of {instrument.lot_size}.",
                )
            for label, value in (("Price", price), ("Trigger", trigger_price)):
                if value is not None and not is_on_tick(value, instrument.tick_size):
                    return ActionResult(
                        False, f"{label} {value} is not on the tick of {instrument.tick_size}."
                    )
        try:
            await self.workers.broker(
                self.config.broker_timeout_s,
                self.broker.modify_order,
                record.broker_order_id,
                quantity=quantity,
                price=price,
                trigger_price=trigger_price,
                # a protected SL-M is a SL-LIMIT at the broker: re-protect it at the new trigger
                order_type=OrderType.SL_M
                if record.command.order_type is OrderType.SL_M and trigger_price is not None
                else None,
            )
        except BrokerError as error:
            return ActionResult(
                False, f"Modify of {command_id} refused by the broker: {error.message}"
            )
        except TimeoutError:
            return ActionResult(
                False, f"Modify of {command_id}: no answer from the broker yet; check its status."
            )
        parts = [
            f"{name} {value}"
            for name, value in (
                ("quantity", quantity),
                ("price", price),
                ("trigger", trigger_price),
            )
            if value is not None
        ]
        await self._write(
            StatusChange(
                command_id,
                OrderStatus.SENT_TO_BROKER,
                self.clock(),
                detail=f"Modify sent: {', '.join(parts)}.",
                expect_from=OrderStatus.SENT_TO_BROKER,
            )
        )
        return ActionResult(True, f"Modify of {command_id} sent to the broker.")

    # ---- kill switch ------------------------------------------------------------------------

    async def kill_switch(self) -> KillSwitchState:
        return await self.workers.db(self.repository.kill_switch, self.config.client_id)

    async def set_kill_switch(self, active: bool, *, by: str, reason: str = "") -> KillSwitchState:
        """Set the switch. Off is refused on the day of a max-loss trip unless settings allow it."""
        if (
            not active
            and self.risk.max_loss_tripped_today()
            and not self.config.allow_unlock_after_max_loss
        ):
            raise KillSwitchLockedError(
                "The kill switch was tripped by the max-loss limit today and stays on until the "
                "next trading day (Settings can allow unlocking after a max-loss trip)."
            )
        state = await self.workers.db(
            self.repository.set_kill_switch,
            self.config.client_id,
            active,
            by=by,
            reason=reason,
            at=self.clock(),
        )
        log.warning("kill switch %s by %s %s", "ON" if active else "OFF", by, reason)
        self.events.emit(KillSwitchChanged(self.config.client_id, state))
        return state

    # ---- helpers ----------------------------------------------------------------------------

    def _report_queue(self, client_id: str, count: int) -> None:
        """Tell the window how many orders wait for the throttle, until the queue is empty."""
        self._queue_shown[client_id] = count
        self.events.emit(OrdersQueued(client_id, count, self.config.orders_per_second or 0))

    def _account_lock(self, client_id: str) -> asyncio.Lock:
        return self._account_locks.setdefault(client_id, asyncio.Lock())

    async def _write_create(self, command: OrderCommand) -> Applied | None:
        applied = await self.workers.write(self.repository.create, command, self.clock())
        if applied is not None:
            self.events.emit(OrderUpdated(applied.record, applied.transition))
        return applied

    async def _write(self, change: StatusChange) -> Applied | None:
        applied = await self.workers.write(self.repository.apply, change)
        if applied is not None:
            self.events.emit(OrderUpdated(applied.record, applied.transition))
        return applied

    async def _current(self, command_id: str) -> OrderRecord:
        record = await self.workers.db(self.repository.get, command_id)
        if record is None:
            raise KeyError(f"no order {command_id}")
        return record


def _request_for(command: OrderCommand) -> PlaceOrderRequest:
    return PlaceOrderRequest(
        tag=command.command_id,
        symbol=command.symbol,
        exchange=command.exchange,
        side=command.side,
        quantity=command.quantity,
        order_type=command.order_type,
        product=command.product,
        price=command.price if command.order_type.needs_price else None,
        trigger_price=command.trigger_price
        if command.order_type in (OrderType.SL, OrderType.SL_M)
        else None,
    )
