"""Kill and flatten: switch on, cancel every open order, square off every position.

The exits are ordinary EXIT MARKET orders through the same six steps, so each shows in the
orders and lifecycle panels. Each exit is booked to the strategy that holds the leg, so the
execution guard sees the strategy flat afterwards; what no strategy of ours holds (orders
placed elsewhere) is booked to "FLATTEN". A flatten never cancels its own exits, and an exit
that fails is tried again, loudly, a bounded number of rounds; except an exit refused because
its exchange is closed (step 2 never turns a flatten into an after-market order): trying again
cannot help, so the position is reported still open with the reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from trader_gui.brokers.base import BrokerPosition
from trader_gui.domain.enums import Exchange, ExecutionType, OrderType, Product, Side, Source, Tag
from trader_gui.domain.ids import new_command_id
from trader_gui.domain.market_time import trading_day_start
from trader_gui.domain.order import OrderCommand, OrderRecord
from trader_gui.engine.events import Event, Level, Notice, OrderUpdated
from trader_gui.engine.order_engine import OrderEngine
from trader_gui.engine.watcher import Watcher

log = logging.getLogger(__name__)
FLATTEN_STRATEGY = "FLATTEN"


@dataclass
class FlattenReport:
    cancelled: list[str] = field(default_factory=list)
    cancel_failures: list[str] = field(default_factory=list)
    exits: dict[str, OrderRecord] = field(default_factory=dict)
    still_open: list[str] = field(default_factory=list)
    market_closed: list[str] = field(default_factory=list)
    """Why exits were not sent: their exchange is closed (one sentence per position)."""
    rounds: int = 0

    @property
    def flat(self) -> bool:
        return not self.still_open

    def summary(self) -> str:
        done = [r for r in self.exits.values() if r.status.value == "EXECUTED"]
        failed = [r for r in self.exits.values() if r.status.value == "FAILED"]
        text = (
            f"Flatten: {len(self.cancelled)} open order(s) cancelled, {len(done)} position "
            f"exit(s) done, {len(failed)} failed"
        )
        if self.cancel_failures:
            text += f"; cancels refused: {'; '.join(self.cancel_failures)}"
        if self.still_open:
            text += f". STILL OPEN: {', '.join(self.still_open)}. Take over manually."
            if self.market_closed:
                text += f" {' '.join(dict.fromkeys(self.market_closed))}"
        else:
            text += ". The account is flat."
        return text


class Flattener:
    def __init__(
        self, engine: OrderEngine, watcher: Watcher, *, rounds: int = 3, wait_s: float = 15.0
    ) -> None:
        self.engine = engine
        self.watcher = watcher
        self.rounds = rounds
        self.wait_s = wait_s
        self._running: asyncio.Lock = asyncio.Lock()

    async def kill_and_flatten(self, *, by: str, reason: str = "") -> FlattenReport:
        await self.engine.set_kill_switch(True, by=by, reason=reason or "kill and flatten")
        async with self._running:  # a second press waits for the first, never doubles exits
            report = await self._flatten()
        level = Level.WARNING if report.flat else Level.ERROR
        self.engine.events.emit(Notice(level, report.summary()))
        log.warning("%s", report.summary())
        return report

    async def _flatten(self) -> FlattenReport:
        engine = self.engine
        report = FlattenReport()
        closed: set[tuple[Exchange, str, Product]] = set()
        for round_number in range(1, self.rounds + 1):
            report.rounds = round_number
            await self._cancel_open_orders(report)
            positions = await self._open_positions()
            report.still_open = [f"{p.quantity:+d} {p.symbol} ({p.product})" for p in positions]
            to_exit = [p for p in positions if (p.exchange, p.symbol, p.product) not in closed]
            if not to_exit:
                return report
            exits = []
            for command in await self._exit_commands(to_exit):
                for record in await engine.submit_ticket(command):  # sliced like any ticket
                    report.exits[record.command_id] = record
                    if record.tag is Tag.MARKET_CLOSED:
                        closed.add((command.exchange, command.symbol, command.product))
                        report.market_closed.append(record.detail)
                        continue
                    exits.append(record.command_id)
            await self._wait_terminal(exits, report.exits)
        positions = await self._open_positions()
        report.still_open = [f"{p.quantity:+d} {p.symbol} ({p.product})" for p in positions]
        return report

    async def _cancel_open_orders(self, report: FlattenReport) -> None:
        engine = self.engine
        records = await engine.workers.db(engine.repository.non_terminal, engine.config.client_id)
        targets = [
            r for r in records if r.command.source is not Source.FLATTEN and r.broker_order_id
        ]
        for record in targets:
            result = await engine.cancel(record.command_id)
            if not result.ok:
                report.cancel_failures.append(result.sentence)
            else:
                report.cancelled.append(record.command_id)
        await self._wait_terminal([r.command_id for r in targets], {})

    async def _open_positions(self) -> list[BrokerPosition]:
        engine = self.engine
        positions = await engine.workers.broker(
            engine.config.broker_timeout_s, engine.broker.positions
        )
        return [p for p in positions if p.quantity != 0]

    async def _exit_commands(self, positions: Iterable[BrokerPosition]) -> list[OrderCommand]:
        engine = self.engine
        commands = []
        for position in positions:
            held = await engine.workers.db(self._strategy_holdings, position)
            for strategy, quantity in held:
                commands.append(_exit_for(engine.config.client_id, position, strategy, quantity))
        return commands

    def _strategy_holdings(self, position: BrokerPosition) -> list[tuple[str, int]]:
        """Split the position among the strategies that hold it; the rest is FLATTEN's."""
        engine = self.engine
        day_start = trading_day_start(engine.clock())
        orders = engine.repository.orders_for_symbol(
            engine.config.client_id, position.exchange, position.symbol
        )
        by_strategy: dict[str, int] = defaultdict(int)
        for order in orders:
            command = order.command
            if command.source is Source.BROKER or command.product is not position.product:
                continue
            if command.product is Product.MIS and order.created_at < day_start:
                continue
            by_strategy[command.strategy] += order.signed_filled_qty
        remaining = position.quantity
        holdings: list[tuple[str, int]] = []
        for strategy, quantity in sorted(by_strategy.items()):
            if quantity == 0 or (quantity > 0) != (remaining > 0):
                continue
            share = min(abs(quantity), abs(remaining))
            holdings.append((strategy, share))
            remaining -= share if remaining > 0 else -share
            if remaining == 0:
                break
        if remaining:
            holdings.append((FLATTEN_STRATEGY, abs(remaining)))
        return holdings

    async def _wait_terminal(self, command_ids: list[str], into: dict[str, OrderRecord]) -> None:
        """Poll until each order is final or the wait ends; what is still open is reported."""
        if not command_ids:
            return
        pending = set(command_ids)
        changed = asyncio.Event()

        def watch(event: Event) -> None:
            if isinstance(event, OrderUpdated) and event.record.command_id in pending:
                if event.record.command_id in into:
                    into[event.record.command_id] = event.record
                if event.record.is_terminal:
                    pending.discard(event.record.command_id)
                    changed.set()

        unsubscribe = self.engine.events.subscribe(watch)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.wait_s
        try:
            current = await self.engine.workers.db(self._terminal_of, list(pending))
            pending -= current
            while pending and loop.time() < deadline:
                changed.clear()
                await self.watcher.poll_once()
                if not pending:
                    break
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        changed.wait(),
                        min(self.engine.config.poll_interval_s, max(0.0, deadline - loop.time())),
                    )
        finally:
            unsubscribe()

    def _terminal_of(self, command_ids: list[str]) -> set[str]:
        done = set()
        for command_id in command_ids:
            record = self.engine.repository.get(command_id)
            if record is not None and record.is_terminal:
                done.add(command_id)
        return done


def _exit_for(
    client_id: str, position: BrokerPosition, strategy: str, quantity: int
) -> OrderCommand:
    return OrderCommand(
        command_id=new_command_id(),
        client_id=client_id,
        symbol=position.symbol,
        exchange=position.exchange,
        side=Side.SELL if position.quantity > 0 else Side.BUY,
        quantity=quantity,
        order_type=OrderType.MARKET,
        product=position.product,
        strategy=strategy,
        execution_type=ExecutionType.EXIT,
        source=Source.FLATTEN,
    )
