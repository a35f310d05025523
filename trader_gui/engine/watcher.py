"""Step 6: the watcher makes the broker's order book the source of truth.

Every poll it reads the book (and the positions, for P&L) and brings each open row to what the
broker says. It is idempotent (a second poll with the same book writes nothing), never runs two
polls at once, and never dies: a failed poll is logged, shown, and retried with back-off.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from trader_gui.brokers.base import BrokerError, BrokerOrder, BrokerPosition, SessionExpired
from trader_gui.domain.broker_states import outcome_for
from trader_gui.domain.enums import (
    BrokerState,
    ExecutionType,
    OrderStatus,
    Source,
    Tag,
)
from trader_gui.domain.ids import is_valid_command_id
from trader_gui.domain.order import OrderCommand
from trader_gui.domain.risk_limits import RiskEvent, RiskEventKind
from trader_gui.engine.database_health import (
    database_reason,
    failing_sentence,
    is_database_error,
    recovered_sentence,
)
from trader_gui.engine.events import (
    Connection,
    ConnectionChanged,
    DatabaseHealthChanged,
    KillSwitchChanged,
    Level,
    Notice,
    OrderUpdated,
    PnlUpdated,
    PollCompleted,
    PositionView,
)
from trader_gui.engine.not_found import MissingSince
from trader_gui.engine.order_engine import OrderEngine
from trader_gui.engine.risk import STATE_KEY, PnlSnapshot
from trader_gui.persistence.repository import (
    Applied,
    OpenOrderState,
    OrderRepository,
    PartlyWritten,
    StatusChange,
)

log = logging.getLogger(__name__)
SNAPSHOT_EVERY_S = 10.0
SOON_GAP_S = 0.05
"""A poll asked for by `poll_soon` starts at least this long after the last one ended..."""
SOON_GAP_SHARE = 2.0
"""...and at least this many times the last poll's own duration after it, so that a burst
of orders (each followed by `poll_soon`) leaves the broker and database threads mostly to
the orders while the book grows..."""
SOON_GAP_MAX_S = 0.25
"""...but never more than this later: a fill still reaches the screen within a poll."""
PRICE_PLACES = Decimal("0.000001")


def next_poll_at(started: float, ended: float, interval_s: float) -> float:
    """When the poll after one that ran from `started` to `ended` is due.

    Polls start `interval_s` apart, not `interval_s` after the last one ended: a fill just
    after a poll read the book then waits one interval for the next read, not an interval
    plus a poll, so it reaches the screen within the interval and the poll's own few
    milliseconds. A poll that ran long is followed by a rest as long as it took (at least
    SOON_GAP_S), so a slow broker or a huge book never has the loop polling back to back.
    """
    took = ended - started
    return max(started + interval_s, ended + max(SOON_GAP_S, took))


@dataclass(frozen=True, slots=True)
class ReconcileResult:
    applied: list[Applied]
    unrecognised: list[BrokerOrder]


class Reconciler:
    """The pure-ish core of a poll: book in, changes written. Runs on the database thread."""

    def __init__(
        self,
        repository: OrderRepository,
        client_id: str,
        broker_name: str,
        grace_s: float,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.repository = repository
        self.client_id = client_id
        self.broker_name = broker_name
        self.grace_s = grace_s
        self._missing = MissingSince(monotonic)
        self._known_broker_ids: set[str] | None = None

    def reconcile(
        self, book: Sequence[BrokerOrder], now: datetime, in_flight: frozenset[str]
    ) -> ReconcileResult:
        """Read the open rows' compared fields once, compare each with the book in memory,
        then read in full and write only the rows that differ: the writes in one commit.

        A write that fails after others were committed raises PartlyWritten with every
        change written so far, so the window hears of each row that did change."""
        if self._known_broker_ids is None:
            self._known_broker_ids = self.repository.broker_order_ids(self.client_id)
        applied: list[Applied] = []
        try:
            unrecognised = self._reconcile(book, now, in_flight, applied)
        except PartlyWritten as partial:
            applied.extend(partial.applied)
            raise PartlyWritten(applied, partial.error) from partial.error
        except Exception as error:
            if not applied:
                raise
            raise PartlyWritten(applied, error) from error
        finally:
            for item in applied:
                if item.record.broker_order_id:
                    self._known_broker_ids.add(item.record.broker_order_id)
        return ReconcileResult(applied, unrecognised)

    def _reconcile(
        self,
        book: Sequence[BrokerOrder],
        now: datetime,
        in_flight: frozenset[str],
        applied: list[Applied],
    ) -> list[BrokerOrder]:
        """The pass itself: each change committed is appended to `applied` as it is made."""
        assert self._known_broker_ids is not None
        open_rows = self.repository.open_compared(self.client_id)
        by_broker_id = {row[_BROKER_ID]: row for row in open_rows if row[_BROKER_ID]}
        by_command_id = {row[_COMMAND_ID]: row for row in open_rows}
        seen: set[str] = set()
        stale: dict[str, BrokerOrder] = {}
        unrecognised: list[BrokerOrder] = []
        for order in book:
            row = by_broker_id.get(order.broker_order_id)
            if row is None and order.tag:
                row = by_command_id.get(order.tag)
            if row is None:
                if order.broker_order_id not in self._known_broker_ids:
                    result = self._record_foreign(order, now)
                    if result is not None:
                        applied.append(result)
                continue
            seen.add(row[_COMMAND_ID])
            if order.state is BrokerState.UNRECOGNISED:
                unrecognised.append(order)
                continue
            if row[_COMPARED] != _book_fields(order):
                stale[row[_COMMAND_ID]] = order
        missing = [
            row[_COMMAND_ID]
            for row in open_rows
            if row[_COMMAND_ID] not in seen
            and row[_COMMAND_ID] not in in_flight
            and row[_STATUS] == OrderStatus.SENT_TO_BROKER  # CREATED rows are recovery's
        ]
        self._missing.keep_only(set(missing))
        wanted = [*stale, *missing]
        states = {s.command_id: s for s in self.repository.open_states(self.client_id, wanted)}
        changes = [
            change
            for command_id, order in stale.items()
            if command_id in states
            and (change := self._change_for(states[command_id], order, now)) is not None
        ]
        applied.extend(self.repository.apply_all(changes))
        for command_id in missing:
            if command_id in states:
                result = self._judge_missing(states[command_id], now)
                if result is not None:
                    applied.append(result)
        return unrecognised

    def _change_for(
        self, row: OpenOrderState, order: BrokerOrder, now: datetime
    ) -> StatusChange | None:
        """The change that brings a row to what the broker says; None when it already is."""
        outcome = outcome_for(order.state, order.filled_qty)
        if outcome is None:
            return None
        broker_status = order.state.value
        avg_price = _stored_price(order.avg_price)
        unchanged = (
            row.status is outcome.status
            and row.broker_status == broker_status
            and row.broker_order_id == order.broker_order_id
            and row.filled_qty == order.filled_qty
            and row.avg_price == avg_price
        )
        if unchanged:
            return None
        return StatusChange(
            row.command_id,
            outcome.status,
            now,
            tag=outcome.tag,
            detail=_detail_for(row, order, outcome.status),
            broker_status=broker_status,
            broker_order_id=order.broker_order_id,
            filled_qty=order.filled_qty,
            avg_price=avg_price,
            expect_from=row.status,
        )

    def _judge_missing(self, row: OpenOrderState, now: datetime) -> Applied | None:
        """A sent row the broker's book does not have: failed once the grace has passed on
        both clocks (not_found.py says why)."""
        waited = self._missing.waited(row.command_id, row.sent_at or row.updated_at, now)
        if not waited.past(self.grace_s):
            return None
        return self.repository.apply(
            StatusChange(
                row.command_id,
                OrderStatus.FAILED,
                now,
                tag=Tag.NOT_FOUND_AT_BROKER,
                detail=(
                    f"{self.broker_name} has no order with tag {row.command_id}"
                    + (f" or id {row.broker_order_id}" if row.broker_order_id else "")
                    + f" {waited.since_sent:.0f} s after it was sent"
                    + f" (missing from its book for {waited.missing_for:.0f} s)."
                ),
                expect_from=OrderStatus.SENT_TO_BROKER,
            )
        )

    def _record_foreign(self, order: BrokerOrder, now: datetime) -> Applied | None:
        """An order placed outside this program (the broker's own app): recorded read-only."""
        if order.tag and is_valid_command_id(order.tag):
            existing = self.repository.get(order.tag)
            if existing is not None:  # ours, already terminal: nothing to do
                self._known_broker_ids.add(order.broker_order_id)  # type: ignore[union-attr]
                return None
        if self.repository.find_by_broker_id(self.client_id, order.broker_order_id):
            self._known_broker_ids.add(order.broker_order_id)  # type: ignore[union-attr]
            return None
        outcome = outcome_for(order.state, order.filled_qty)
        if outcome is None:
            return None
        command = OrderCommand(
            command_id=_foreign_command_id(self.client_id, order.broker_order_id),
            client_id=self.client_id,
            symbol=order.symbol,
            exchange=order.exchange,
            side=order.side,
            quantity=order.quantity,
            order_type=order.order_type,
            product=order.product,
            strategy="(broker)",
            execution_type=ExecutionType.ENTRY,
            source=Source.BROKER,
            price=order.price,
            trigger_price=order.trigger_price,
        )
        return self.repository.record_found_at_broker(
            command,
            outcome.status,
            at=now,
            tag=outcome.tag,
            detail=f"Placed outside this program; recorded read-only. {order.message}".strip(),
            broker_order_id=order.broker_order_id,
            broker_status=order.state.value,
            filled_qty=order.filled_qty,
            avg_price=order.avg_price,
        )


def _foreign_command_id(client_id: str, broker_order_id: str) -> str:
    """A stable id for an order we did not create, unique per account: B + 19 of a hash."""
    digest = hashlib.sha256(f"{client_id}\x00{broker_order_id}".encode()).digest()
    number = int.from_bytes(digest[:16], "big")
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    characters = []
    for _ in range(19):
        number, digit = divmod(number, 36)
        characters.append(alphabet[digit])
    return "B" + "".join(characters)


_COMMAND_ID = 0
_STATUS = 1
_BROKER_ID = 2
_COMPARED = slice(1, None)
"""Positions in `OrderRepository.open_compared`'s tuples: (command_id, status,
broker_order_id, broker_status, filled_qty, avg_price); the compared fields follow the id."""


def _book_fields(order: BrokerOrder) -> tuple[Any, ...] | None:
    """The compared fields as the row holds them once it agrees with this book entry.

    A row whose fields equal these needs no write; one that differs is read in full and
    judged by `Reconciler._change_for` (None: a state that leaves the row as it was).
    """
    outcome = outcome_for(order.state, order.filled_qty)
    if outcome is None:
        return None
    return (  # the statuses are StrEnums: equal to the words the row holds
        outcome.status,
        order.broker_order_id,
        order.state,
        order.filled_qty,
        _stored_price(order.avg_price),
    )


def _stored_price(price: Decimal | None) -> Decimal | None:
    """A broker's average price at the precision the database keeps (6 places), so that an
    unchanged fill compares equal to what was stored and a poll writes nothing."""
    return price.quantize(PRICE_PLACES) if price is not None else None


def _detail_for(row: OpenOrderState, order: BrokerOrder, status: OrderStatus) -> str:
    words = f"{order.status_text}"
    if order.filled_qty:
        words += f", filled {order.filled_qty}/{order.quantity}"
        if order.avg_price is not None:
            words += f" at {order.avg_price}"
    if order.message:
        words += f": {order.message}"
    if row.broker_order_id is None:
        words = f"Found at the broker as order {order.broker_order_id} by its tag; {words}"
    return words[:1000]


class Watcher:
    """Polls on an interval; pauses while logged out; backs off after failures."""

    def __init__(
        self,
        engine: OrderEngine,
        repository: OrderRepository,
        clock: Callable[[], datetime],
        *,
        monotonic: Callable[[], float] | None = None,
    ) -> None:
        self.engine = engine
        self.repository = repository
        self.clock = clock
        self.monotonic = monotonic or time.monotonic
        config = engine.config
        self.reconciler = Reconciler(
            repository,
            config.client_id,
            engine.broker.name,
            config.not_found_grace_s,
            monotonic=self.monotonic,
        )
        self._poll_lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._failures = 0
        self._connection = Connection.CONNECTING
        self._database_reason = ""
        """Why the database failed the last poll; empty while it works."""
        self._kill_switch_seen: object = None
        self._last_snapshot_at: float | None = None
        self._wake = asyncio.Event()
        self._last_poll: tuple[float, float] | None = None
        """When the last poll ended and how long it took, on the loop's own clock (the gap
        before an early poll is real waiting, whatever clock the engine is given)."""
        self._stopping = False
        self._warned_words: set[str] = set()
        """Unknown broker status words already shown: each is said once, not every poll."""
        self.on_flatten: Callable[[str, str], Coroutine[Any, Any, object]] | None = None
        self._flatten_task: asyncio.Task[object] | None = None

    @property
    def connection(self) -> Connection:
        return self._connection

    @property
    def poll_pending(self) -> bool:
        """A `poll_soon` is waiting for its poll (which has not started reading yet)."""
        return self._wake.is_set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="watcher")

    async def stop(self) -> None:
        """Stop the loop for good.

        A flag as well as a cancel: on Python 3.11 `asyncio.wait_for` can swallow a cancel
        that lands in the same loop turn as its result, and the loop would poll on.
        """
        self._stopping = True
        self._wake.set()
        if self._flatten_task is not None and not self._flatten_task.done():
            log.warning("stopping during a max-loss flatten: the flatten is abandoned")
            self._flatten_task.cancel()
        task, self._task = self._task, None
        while task is not None and not task.done():
            task.cancel()
            await asyncio.wait({task}, timeout=0.5)
        if task is not None and not task.cancelled():
            with contextlib.suppress(asyncio.CancelledError):
                task.result()

    def poll_soon(self) -> None:
        """Poll soon instead of at the end of the interval (after a submit, say).

        Requests coalesce: however many come while a poll is waiting or running, one more
        poll follows, and it reads the broker's whole book, so it sees every change."""
        self._wake.set()

    async def _run(self) -> None:
        """Wait, then poll; the runtime made the first poll itself before starting this."""
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._until_next_poll())
            gap = self._soon_gap()
            if gap > 0 and not self._stopping:
                await asyncio.sleep(gap)
            self._wake.clear()  # requests made until now are this poll's
            if self._stopping:
                return
            await self.poll_once()

    def _until_next_poll(self) -> float:
        """Seconds until the next interval poll: a fixed rate while the broker answers, a
        backoff from now after failures."""
        config = self.engine.config
        if self._failures:
            backoff: float = config.poll_interval_s * 2 ** min(self._failures, 6)
            return min(config.max_backoff_s, backoff)
        if self._last_poll is None:
            return config.poll_interval_s
        ended, took = self._last_poll
        due = next_poll_at(ended - took, ended, config.poll_interval_s)
        return max(0.0, due - asyncio.get_running_loop().time())

    def _soon_gap(self) -> float:
        """How much longer an early poll waits so polls do not run back to back."""
        if self._last_poll is None:
            return 0.0
        ended, took = self._last_poll
        spacing = min(SOON_GAP_MAX_S, max(SOON_GAP_S, took * SOON_GAP_SHARE))
        return max(0.0, ended + spacing - asyncio.get_running_loop().time())

    async def poll_once(self) -> PollCompleted:
        """One poll. Never raises: a failure becomes a PollCompleted with ok=False."""
        async with self._poll_lock:
            started = self.monotonic()
            loop_started = asyncio.get_running_loop().time()
            try:
                changes = await self._poll()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                return self._failed(error, started)
            finally:
                ended = asyncio.get_running_loop().time()
                self._last_poll = (ended, ended - loop_started)
            self._failures = 0
            self._set_connection(Connection.CONNECTED)
            self._set_database("")
            done = PollCompleted(self.clock(), self.monotonic() - started, True, changes)
            self.engine.events.emit(done)
            return done

    async def _poll(self) -> int:
        engine = self.engine
        timeout = engine.config.broker_timeout_s
        await self._refresh_kill_switch()
        book = await engine.workers.broker(timeout, engine.broker.order_book)
        try:
            result = await engine.workers.db(
                self.reconciler.reconcile, book, self.clock(), engine.in_flight()
            )
        except PartlyWritten as partial:
            self._tell(partial.applied)  # written before the failure: the window sees them
            raise partial.error from None
        self._tell(result.applied)
        for order in result.unrecognised:
            if order.status_text not in self._warned_words:
                self._warned_words.add(order.status_text)
                log.warning(
                    "broker status %r of order %s is not known: row left as it was",
                    order.status_text,
                    order.broker_order_id,
                )
                engine.events.emit(
                    Notice(
                        Level.WARNING,
                        f"The broker reports status '{order.status_text}' for order "
                        f"{order.broker_order_id}, which this program does not know; "
                        "the order is left as it was.",
                    )
                )
        positions = await engine.workers.broker(timeout, engine.broker.positions)
        await self._update_pnl(positions)
        return len(result.applied)

    async def _refresh_kill_switch(self) -> None:
        """Honour a change made elsewhere (the command line) within one poll."""
        state = await self.engine.workers.db(
            self.repository.kill_switch, self.engine.config.client_id
        )
        key = (state.active, state.changed_at)
        if self._kill_switch_seen is not None and key != self._kill_switch_seen:
            self.engine.events.emit(KillSwitchChanged(self.engine.config.client_id, state))
        self._kill_switch_seen = key

    async def _update_pnl(self, positions: Sequence[BrokerPosition]) -> None:
        realised = sum((p.realised_pnl for p in positions), Decimal(0))
        unrealised = sum((p.unrealised_pnl for p in positions), Decimal(0))
        now = self.clock()
        for risk_event in self.engine.risk.update_pnl(PnlSnapshot(now, realised, unrealised)):
            await self._act_on(risk_event)
        if self.engine.risk.dirty:
            self.engine.risk.dirty = False
            await self.engine.workers.db(
                self.repository.save_state,
                self.engine.config.client_id,
                STATE_KEY,
                self.engine.risk.snapshot_for_storage(),
                now,
            )
        views = tuple(
            PositionView(
                p.symbol,
                p.exchange.value,
                p.product.value,
                p.quantity,
                p.avg_price,
                p.last_price,
                p.pnl,
            )
            for p in positions
        )
        self.engine.events.emit(PnlUpdated(now, realised, unrealised, views))
        tick = self.monotonic()
        if self._last_snapshot_at is None or tick - self._last_snapshot_at >= SNAPSHOT_EVERY_S:
            self._last_snapshot_at = tick
            await self.engine.workers.db(
                self.repository.add_pnl_snapshot,
                self.engine.config.client_id,
                now,
                realised,
                unrealised,
            )

    async def _act_on(self, event: RiskEvent) -> None:
        """Warnings are shown; a max-loss breach trips the kill switch and may flatten."""
        engine = self.engine
        if event.kind is RiskEventKind.TRIP_KILL_SWITCH:
            log.error("max loss: %s", event.sentence)
            if not (await engine.kill_switch()).active:
                await engine.set_kill_switch(True, by="max-loss trip", reason=event.sentence)
            engine.events.emit(Notice(Level.ERROR, f"Kill switch tripped: {event.sentence}"))
        elif event.kind is RiskEventKind.FLATTEN:
            if self.on_flatten is not None:
                self._flatten_task = asyncio.get_running_loop().create_task(
                    self.on_flatten("max-loss trip", event.sentence), name="max-loss flatten"
                )
        else:
            log.warning("risk: %s", event.sentence)
            engine.events.emit(Notice(Level.WARNING, event.sentence))

    def _tell(self, applied: Sequence[Applied]) -> None:
        for item in applied:
            self.engine.events.emit(OrderUpdated(item.record, item.transition))
            self._alert_if_exit_failed(item)

    def _alert_if_exit_failed(self, applied: Applied) -> None:
        record = applied.record
        if (
            record.status is OrderStatus.FAILED
            and record.command.execution_type is ExecutionType.EXIT
            and record.command.source is not Source.BROKER
        ):
            self.engine.events.emit(
                Notice(
                    Level.ERROR,
                    f"EXIT order {record.command_id} for {record.command.symbol} FAILED "
                    f"({record.tag}): {record.detail} Your position may still be open.",
                )
            )

    def _failed(self, error: Exception, started: float) -> PollCompleted:
        self._failures += 1
        reason = database_reason(error) if is_database_error(error) else ""
        if reason:  # the broker is not to blame: its state stays as it is
            log.error("poll: the database cannot be used: %s", reason)
            self._set_database(reason)
        elif isinstance(error, SessionExpired):
            self._set_connection(Connection.LOGGED_OUT, error.message)
            asyncio.get_running_loop().create_task(self._relogin())
        else:
            message = (
                error.message
                if isinstance(error, BrokerError)
                else str(error) or type(error).__name__
            )
            if isinstance(error, TimeoutError):
                message = f"no answer within {self.engine.config.broker_timeout_s:g} s"
            if not isinstance(error, BrokerError | TimeoutError):
                log.exception("poll failed")
            else:
                log.warning("poll failed: %s", message)
            self._set_connection(Connection.DISCONNECTED, message)
        failed = PollCompleted(
            self.clock(),
            self.monotonic() - started,
            False,
            0,
            f"database: {reason}" if reason else getattr(error, "message", str(error)),
        )
        self.engine.events.emit(failed)
        return failed

    async def _relogin(self) -> None:
        self._set_connection(Connection.RECONNECTING, "logging in again")
        try:
            await self.engine.workers.broker(
                self.engine.config.broker_timeout_s, self.engine.broker.login
            )
        except Exception as error:
            message = getattr(error, "message", str(error))
            self._set_connection(Connection.LOGGED_OUT, f"login failed: {message}")
            return
        self._failures = 0
        self.poll_soon()

    def _set_connection(self, state: Connection, message: str = "") -> None:
        if state is self._connection:
            return
        self._connection = state
        self.engine.events.emit(ConnectionChanged(state, message))

    def _set_database(self, reason: str) -> None:
        """Say when the database starts failing (or fails differently) and when it is back."""
        if reason == self._database_reason:
            return
        was_failing = bool(self._database_reason)
        self._database_reason = reason
        self.engine.events.emit(DatabaseHealthChanged(not reason, reason))
        if reason and not was_failing:
            self.engine.events.emit(Notice(Level.ERROR, failing_sentence(reason)))
        elif not reason:
            self.engine.events.emit(Notice(Level.INFO, recovered_sentence()))
