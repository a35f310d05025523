"""The built-in paper broker: the program's default, so it runs with no broker account.

It behaves like a broker and holds no rules of the trading program: it checks what an
exchange and a broker's RMS check (lots, freeze quantity, tick, price band, stops, margin),
fills orders against a simulated market, keeps positions, and fails on demand (`faults`).
Given a market calendar (session mode, `paper_session.py`) it also keeps the market's hours.

Nothing runs in the background. Every call first brings the world up to the broker clock:
prices walk to the current step, then open orders trigger and fill at those prices. With a
fake clock that does not move, nothing changes. All state lives in SQLite (`paper_store`), so
a killed program finds its orders, positions and prices again.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

from trader_gui.brokers.base import (
    BrokerOrder,
    BrokerPosition,
    BrokerRejected,
    BrokerUnavailable,
    PlaceOrderRequest,
)
from trader_gui.brokers.paper_account import PaperAccount, PaperFunds
from trader_gui.brokers.paper_book import (
    PaperFill,
    PaperOrder,
    due_fills,
)
from trader_gui.brokers.paper_config import PaperConfig
from trader_gui.brokers.paper_faults import CallKind, FiredFault, PaperFault, PaperFaults
from trader_gui.brokers.paper_market import PaperMarket
from trader_gui.brokers.paper_rules import (
    OrderTerms,
    check_terms,
    margin_message,
)
from trader_gui.brokers.paper_session import PaperSession
from trader_gui.brokers.paper_store import PaperStore
from trader_gui.domain.enums import BrokerState, Exchange, OrderType, Product, Side
from trader_gui.domain.instruments import Instrument, InstrumentCatalog
from trader_gui.domain.market_calendar import MarketCalendar

__all__ = ["PaperBroker", "PaperConfig", "PaperFault", "PaperFaults", "PaperFill", "PaperFunds"]

logger = logging.getLogger(__name__)

IST = timezone(timedelta(hours=5, minutes=30), "IST")
"""Order ids carry the Indian trading date, as Indian brokers' ids do."""

T = TypeVar("T")


def _when(moment: datetime, now: datetime) -> str:
    local = moment.astimezone(IST)
    if local.date() == now.astimezone(IST).date():
        return f"{local:%H:%M}"
    return f"{local:%d %b %H:%M}"


def _utc_now() -> datetime:
    return datetime.now(UTC)


class PaperBroker:
    """A simulated Indian broker implementing the `Broker` protocol. Thread-safe (one lock)."""

    name = "paper"

    def __init__(
        self,
        catalog: InstrumentCatalog,
        *,
        state_path: str | Path = ":memory:",
        client_id: str = "PAPER",
        config: PaperConfig | None = None,
        clock: Callable[[], datetime] | None = None,
        seed: int = 7,
        sleep: Callable[[float], None] = time.sleep,
        calendar: MarketCalendar | None = None,
    ) -> None:
        """`clock` gives aware UTC datetimes (default: now); `sleep` is for real-time waits
        (ack latency and SLOW faults), replaceable so tests never sleep; `calendar` turns on
        session mode."""
        self._hours = PaperSession(calendar) if calendar is not None else None
        self._catalog = catalog
        self._config = config or PaperConfig()
        self._clock = clock or _utc_now
        self._sleep = sleep
        self._lock = threading.RLock()
        self._closed = False
        self._entries: dict[str, BrokerOrder] = {}
        """Each order's order-book entry as last reported, until the order changes."""
        self.faults = PaperFaults()
        self._store = PaperStore(state_path)
        try:
            snapshot = self._store.open_account(client_id, self._config.capital, self._now())
        except BaseException:
            self._store.close()
            raise
        self._account = PaperAccount(
            client_id,
            snapshot.capital,
            snapshot.orders,
            snapshot.positions,
            catalog,
            self._config,
        )
        self._market = PaperMarket(
            seed=seed,
            epoch=snapshot.epoch,
            step_s=self._config.step_s,
            volatility=self._config.volatility,
            wander_pct=self._config.wander_pct,
            states=snapshot.prices,
        )
        logger.info(
            "paper broker open: client %s, %d orders, %d positions",
            client_id,
            len(self._account.orders),
            len(self._account.positions),
        )

    # -- the Broker protocol -------------------------------------------------------------------

    def login(self) -> None:
        """Always succeeds; ends a simulated session expiry."""
        self._ensure_open()
        self.faults.login()

    def place_order(self, request: PlaceOrderRequest) -> str:
        fault = self._before(CallKind.ORDER)
        return self._order_call(fault, lambda: self._place(request), self._config.ack_latency_s)

    def cancel_order(self, broker_order_id: str) -> None:
        fault = self._before(CallKind.ORDER)
        self._order_call(fault, lambda: self._cancel(broker_order_id))

    def modify_order(
        self,
        broker_order_id: str,
        *,
        quantity: int | None = None,
        price: Decimal | None = None,
        trigger_price: Decimal | None = None,
        order_type: OrderType | None = None,
    ) -> None:
        fault = self._before(CallKind.ORDER)
        self._order_call(
            fault,
            lambda: self._modify(broker_order_id, quantity, price, trigger_price, order_type),
        )

    def order_book(self) -> Sequence[BrokerOrder]:
        """Every order of the account, oldest first.

        Each order's entry is made once per change (`_save_order` drops it) rather than on
        every call: a burst polls after each order, and the day's book only grows."""
        self._before(CallKind.ORDER_BOOK)
        with self._session():
            entries = self._entries
            book: list[BrokerOrder] = []
            for order_id, order in self._account.orders.items():
                entry = entries.get(order_id)
                if entry is None:
                    entry = entries[order_id] = order.to_broker_order()
                book.append(entry)
            return book

    def positions(self) -> Sequence[BrokerPosition]:
        """Every position the account has had, flat ones included (they carry realised P&L)."""
        self._before(CallKind.READ)
        with self._session():
            now = self._now()
            report = [
                position.report(
                    self._last_or(position.exchange, position.symbol, now, position.avg_price)
                )
                for _, position in sorted(self._account.positions.items())
            ]
            self._flush_prices()
            return report

    def quotes(self, keys: Sequence[tuple[Exchange, str]]) -> dict[tuple[Exchange, str], Decimal]:
        self._before(CallKind.READ)
        with self._session():
            now = self._now()
            found: dict[tuple[Exchange, str], Decimal] = {}
            for key in keys:
                instrument = self._catalog.get(*key)
                if instrument is not None:
                    found[key] = self._market.last(instrument, now)
            self._flush_prices()
            return found

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._store.close()
                logger.info("paper broker closed: client %s", self._account.client_id)

    # -- beyond the protocol: for the window, tests and the soak -------------------------------

    def set_price(
        self, exchange: Exchange | str, symbol: str, price: Decimal | int | str
    ) -> Decimal:
        """Test hook: move the market to exactly `price` now. Orders react at once."""
        with self._session():
            instrument = self._instrument(exchange, symbol)
            moved = self._market.set_price(instrument, Decimal(price), self._now())
            self._catch_up()
            return moved

    def funds(self) -> PaperFunds:
        with self._session():
            return self._account.funds()

    def fills(self) -> list[PaperFill]:
        """The account's executions, oldest first (the trade book)."""
        with self._session():
            return self._store.fills(self._account.client_id)

    # -- call plumbing -------------------------------------------------------------------------

    def _now(self) -> datetime:
        return self._clock().astimezone(UTC)

    def _ensure_open(self) -> None:
        if self._closed:
            raise BrokerUnavailable("paper broker is closed")

    def _before(self, call: CallKind) -> FiredFault | None:
        self._ensure_open()
        return self.faults.before_call(call)

    def _order_call(
        self, fault: FiredFault | None, action: Callable[[], T], latency_s: float = 0.0
    ) -> T:
        """Run an order call under the lock, then play out latency and the fault's ending.

        Waits happen outside the lock: a slow reply must not stall the watcher's polls."""
        outcome: T | BrokerRejected
        try:
            with self._session():
                outcome = action()
        except BrokerRejected as rejected:
            outcome = rejected
        if fault is not None and fault.kind is PaperFault.SLOW:
            latency_s += fault.delay_s
        if latency_s > 0:
            self._sleep(latency_s)
        if fault is not None and fault.kind is PaperFault.TIMEOUT_AFTER_ACCEPT:
            raise BrokerUnavailable(fault.message)
        if isinstance(outcome, BrokerRejected):
            raise outcome
        return outcome

    @contextmanager
    def _session(self) -> Iterator[None]:
        """Hold the lock with the world caught up to now.

        A failing state file (disk full, locked by another process) is BrokerUnavailable: the
        engine then treats the call's outcome as unknown, which is the truth. A call that
        fails part-way may have changed an order in memory without saving it: the book's
        entries are then all made afresh."""
        with self._lock:
            self._ensure_open()
            try:
                self._catch_up()
                yield
            except BrokerRejected:
                raise  # refused before anything changed
            except sqlite3.Error as error:
                self._entries.clear()
                logger.error("paper broker state file failed: %s", error)
                raise BrokerUnavailable(f"paper broker state file failed: {error}") from error
            except BaseException:
                self._entries.clear()
                raise

    def _instrument(self, exchange: Exchange | str, symbol: str) -> Instrument:
        instrument = self._catalog.get(exchange, symbol)
        if instrument is None:
            raise BrokerRejected(f"Symbol {symbol} not found on {exchange}")
        return instrument

    def _last_or(
        self, exchange: Exchange, symbol: str, now: datetime, fallback: Decimal
    ) -> Decimal:
        instrument = self._catalog.get(exchange, symbol)
        return fallback if instrument is None else self._market.last(instrument, now)

    def _save_order(self, order: PaperOrder) -> None:
        """Write a changed order to the state file; its book entry is made afresh on the
        next read. Every change to an order is saved, so none is missed by the book."""
        self._entries.pop(order.order_id, None)
        self._store.save_order(order)

    def _flush_prices(self) -> None:
        changed = self._market.take_dirty()
        if changed:
            with self._store.transaction():
                self._store.save_prices(changed)

    # -- the lifecycle -------------------------------------------------------------------------

    def _catch_up(self) -> None:
        """Walk prices to now and let open orders trigger and fill; persist in one transaction."""
        now = self._now()
        if self._hours is not None:
            self._square_off_mis(self._hours, now)
        changed: list[PaperOrder] = []
        fills: list[PaperFill] = []
        for order in self._account.open_orders():
            instrument = self._catalog.get(order.exchange, order.symbol)
            if instrument is None:
                continue  # the catalog lost it; the order waits, as it would at a broker
            if self._hours is not None and not self._hours.trading(order.exchange, now):
                continue  # the exchange is shut: nothing fills until it opens
            before = (order.state, order.triggered)
            last = self._market.last(instrument, now)
            parts = due_fills(order, instrument, last, now, self._config)
            fills.extend(self._account.apply_fill(order, qty, price, now) for qty, price in parts)
            if parts or before != (order.state, order.triggered):
                changed.append(order)
        prices = self._market.take_dirty()
        if not (changed or prices):
            return
        with self._store.transaction():
            for order in changed:
                self._save_order(order)
            for fill in fills:
                self._store.add_fill(fill)
            for key in {(f.exchange, f.symbol, f.product) for f in fills}:
                self._store.save_position(self._account.client_id, self._account.positions[key])
            self._store.save_prices(prices)

    def _square_off_mis(self, session: PaperSession, now: datetime) -> None:
        """Past the square-off time, close open MIS positions at the market and cancel their
        pending MIS orders, as a broker's RMS does; the orders carry no tag of ours."""
        for key, position in sorted(self._account.positions.items()):
            if position.product is not Product.MIS or position.quantity == 0:
                continue
            due = session.square_off_due(position.exchange, Product.MIS, now)
            instrument = self._catalog.get(position.exchange, position.symbol)
            if due is None or instrument is None:
                continue
            pending = [o for o in self._account.open_orders() if o.position_key == key]
            quantity = abs(position.quantity)
            order = PaperOrder(
                order_id="",
                client_id=self._account.client_id,
                tag=None,
                exchange=position.exchange,
                symbol=position.symbol,
                side=Side.SELL if position.quantity > 0 else Side.BUY,
                quantity=quantity,
                order_type=OrderType.MARKET,
                product=Product.MIS,
                price=None,
                trigger_price=None,
                state=BrokerState.OPEN,
                placed_at=now,
                next_fill_at=now,
                message=f"Squared off by the broker (MIS square-off {_when(due, now)})",
            )
            with self._store.transaction():
                for open_order in pending:
                    open_order.state = BrokerState.CANCELLED
                    open_order.blocked_margin = Decimal(0)
                    self._save_order(open_order)
                order.order_id = self._new_order_id(now)
                fill = self._account.apply_fill(
                    order, quantity, self._market.last(instrument, now), now
                )
                self._save_order(order)
                self._store.add_fill(fill)
                self._store.save_position(self._account.client_id, position)
                self._store.save_prices(self._market.take_dirty())
            self._account.add(order)
            logger.info("paper MIS square-off %s: %s", order.order_id, order.message)

    def _place(self, request: PlaceOrderRequest) -> str:
        instrument = self._instrument(request.exchange, request.symbol)
        now = self._now()
        if self._hours is not None:
            refused = self._hours.rejection(request, now)
            if refused is not None:
                raise BrokerRejected(refused)
        last = self._market.last(instrument, now)
        asked = OrderTerms(
            request.side,
            request.quantity,
            request.order_type,
            request.product,
            request.price,
            request.trigger_price,
        )
        terms = check_terms(instrument, asked, last, self._config)
        order = PaperOrder(
            order_id="",
            client_id=self._account.client_id,
            tag=request.tag,
            exchange=instrument.exchange,
            symbol=instrument.symbol,
            side=terms.side,
            quantity=terms.quantity,
            order_type=terms.order_type,
            product=terms.product,
            price=terms.price,
            trigger_price=terms.trigger_price,
            state=BrokerState.OPEN,
            placed_at=now,
            next_fill_at=now + timedelta(seconds=self._config.fill_latency_s),
        )
        order.settle_state()
        if request.amo and self._hours is not None:
            release = self._hours.release_at(request.exchange, now)
            if release is not None:
                order.next_fill_at = release + timedelta(seconds=self._config.fill_latency_s)
            order.message = self._hours.held_message(request.exchange, now)
        self._block_or_reject(order, instrument, last)
        with self._store.transaction():
            order.order_id = self._new_order_id(now)
            self._save_order(order)
            self._store.save_prices(self._market.take_dirty())
        self._account.add(order)
        logger.info("paper order %s %s: %s", order.order_id, order.tag, order.status_text)
        return order.order_id

    def _block_or_reject(self, order: PaperOrder, instrument: Instrument, last: Decimal) -> None:
        """Block the order's margin, or reject it as the RMS does: after accepting it."""
        required = self._account.order_margin(order, instrument, last)
        available = self._account.available()
        if required > 0 and required > available:
            order.state = BrokerState.REJECTED
            order.message = margin_message(required, available)
        else:
            order.blocked_margin = required

    def _new_order_id(self, now: datetime) -> str:
        """Trading date (YYMMDD, IST) and sequence, like "25112600000001".

        The sequence runs on across days and restarts: an id is never given twice per file."""
        return f"{now.astimezone(IST):%y%m%d}{self._store.next_order_seq():08d}"

    def _open_order(self, broker_order_id: str, verb: str) -> PaperOrder:
        order = self._account.orders.get(broker_order_id)
        if order is None:
            raise BrokerRejected(f"Order {broker_order_id} not found")
        if not order.is_open:
            raise BrokerRejected(
                f"Order {broker_order_id} is already {order.status_text}, cannot {verb}"
            )
        return order

    def _cancel(self, broker_order_id: str) -> None:
        order = self._open_order(broker_order_id, "cancel")
        order.state = BrokerState.CANCELLED
        order.blocked_margin = Decimal(0)
        with self._store.transaction():
            self._save_order(order)
        logger.info("paper order %s cancelled", broker_order_id)

    def _modify(
        self,
        broker_order_id: str,
        quantity: int | None,
        price: Decimal | None,
        trigger_price: Decimal | None,
        order_type: OrderType | None,
    ) -> None:
        order = self._open_order(broker_order_id, "modify")
        instrument = self._instrument(order.exchange, order.symbol)
        now = self._now()
        last = self._market.last(instrument, now)
        new_type = order.order_type if order_type is None else OrderType(order_type)
        rearm = (
            not order.triggered
            or new_type is not order.order_type
            or (trigger_price is not None and trigger_price != order.trigger_price)
        )
        asked = OrderTerms(
            order.side,
            order.quantity if quantity is None else quantity,
            new_type,
            order.product,
            order.price if price is None else price,
            order.trigger_price if trigger_price is None else trigger_price,
        )
        terms = check_terms(instrument, asked, last, self._config, stop_armed=rearm)
        if terms.quantity <= order.filled_qty:
            raise BrokerRejected(
                f"Quantity {terms.quantity} must be more than the filled quantity {order.filled_qty}"
            )
        draft = replace(
            order,
            quantity=terms.quantity,
            order_type=new_type,
            price=terms.price,
            trigger_price=terms.trigger_price,
        )
        required = self._account.order_margin(draft, instrument, last)
        available = self._account.available() + order.blocked_margin
        if required > 0 and required > available:
            raise BrokerRejected(margin_message(required, available))
        order.quantity, order.order_type = terms.quantity, new_type
        order.price, order.trigger_price = terms.price, terms.trigger_price
        order.triggered = order.triggered and not rearm
        order.blocked_margin = required
        order.next_fill_at = max(
            order.next_fill_at, now + timedelta(seconds=self._config.fill_latency_s)
        )
        order.settle_state()
        with self._store.transaction():
            self._save_order(order)
            self._store.save_prices(self._market.take_dirty())
        logger.info("paper order %s modified", broker_order_id)
