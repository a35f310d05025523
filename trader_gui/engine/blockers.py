"""Step 2: the checks an order must pass before anything is sent, each with its sentence.

Order: the ticket itself, the market's hours (closed: an AMO or refused; MIS after the
broker's cut-off: refused), then the kill switch, the risk manager, the execution guard and the
duplicate detector. EXIT orders skip the kill switch, the loss limits and the guard, because
the trader must always be able to get flat; the duplicate detector still stops a double exit.
These run on the database thread, under the account's lock, so two tickets cannot both pass
on the same stale view.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from trader_gui.domain.enums import ExecutionType, OrderStatus, Product, Source, Tag
from trader_gui.domain.instruments import InstrumentCatalog
from trader_gui.domain.market_time import IST, trading_day_start
from trader_gui.domain.order import OrderCommand, OrderRecord
from trader_gui.domain.price_bands import check_band
from trader_gui.domain.validation import summarise, validate_command
from trader_gui.engine.market_hours import OPEN, Clearance, MarketHours
from trader_gui.engine.risk import RiskManager
from trader_gui.persistence.repository import OrderRepository


@dataclass(frozen=True, slots=True)
class Block:
    tag: Tag
    detail: str


@dataclass(frozen=True, slots=True)
class StepTwo:
    """Step 2's answer: the first block, if any, and how the market's hours let it go."""

    block: Block | None
    session: Clearance = OPEN


Check = Callable[[OrderCommand], Block | None]


class Blockers:
    def __init__(
        self,
        repository: OrderRepository,
        catalog: InstrumentCatalog,
        risk: RiskManager,
        clock: Callable[[], datetime],
        market: MarketHours | None = None,
    ) -> None:
        self._repository = repository
        self._catalog = catalog
        self._risk = risk
        self._clock = clock
        self.market = market
        """None: the hours are not kept, every exchange is taken as open (the paper broker
        outside its session mode; tests that do not test the hours)."""

    def first_block(self, command: OrderCommand, last_price: Decimal | None = None) -> Block | None:
        """The first reason the order may not go, or None. Runs on the database thread."""
        return self.step_two(command, last_price).block

    def step_two(self, command: OrderCommand, last_price: Decimal | None = None) -> StepTwo:
        """The first block, and whether the order goes as an AMO. Runs on the database thread.

        `last_price` is the broker's quote, fetched before the lock when a check needs one.
        """
        session = self.market.clearance(command) if self.market is not None else OPEN

        def hours(_order: OrderCommand) -> Block | None:
            return Block(session.tag, session.sentence) if session.tag is not None else None

        def ticket(order: OrderCommand) -> Block | None:
            return self.ticket(order, last_price)

        def risk(order: OrderCommand) -> Block | None:
            return self.risk(order, last_price)

        checks: list[Check] = [ticket, hours, risk, self.duplicate]
        if command.execution_type is ExecutionType.ENTRY:
            checks = [ticket, hours, self.kill_switch, risk, self.guard, self.duplicate]
        for check in checks:
            block = check(command)
            if block is not None:
                return StepTwo(block, session)
        self._risk.sends.note(command.client_id)
        return StepTwo(None, session)

    def ticket(self, command: OrderCommand, last_price: Decimal | None = None) -> Block | None:
        """The ticket's own rules, then the exchange's price band for F&O limit prices."""
        errors = validate_command(command, self._catalog)
        if not errors:
            instrument = self._catalog.get(command.exchange, command.symbol)
            band_error = check_band(command, instrument, last_price) if instrument else None
            errors = [band_error] if band_error else []
        return Block(Tag.VALIDATION_FAILED, summarise(errors)) if errors else None

    def kill_switch(self, command: OrderCommand) -> Block | None:
        state = self._repository.kill_switch(command.client_id)
        if not state.active:
            return None
        why = f" ({state.reason})" if state.reason else ""
        return Block(
            Tag.KILL_SWITCH_ACTIVE,
            f"Kill switch is on since {state.changed_at.astimezone(IST):%H:%M:%S} IST, set by {state.changed_by}"
            f"{why}: no new ENTRY orders; EXIT orders and cancels still go.",
        )

    def risk(self, command: OrderCommand, last_price: Decimal | None = None) -> Block | None:
        """Loss limits stop ENTRY only; rate, size and fat-finger limits stop any order."""
        now = self._clock()
        limits = self._risk.limits
        client_id = command.client_id
        verdict = self._risk.verdict(
            command,
            now,
            last_price=last_price,
            # each count is a query: only asked when its limit is on
            open_orders=self._repository.count_at_broker(client_id)
            if limits.max_open_orders is not None
            else 0,
            orders_last_minute=self._orders_last_minute(client_id, now)
            if limits.max_orders_per_minute is not None
            else 0,
            is_flatten=command.source is Source.FLATTEN,
        )
        if verdict.blocked_sentence:
            return Block(Tag.RISK_LIMITS_EXCEEDED, verdict.blocked_sentence)
        return None

    def _orders_last_minute(self, client_id: str, now: datetime) -> int:
        """The database's count (spans a restart) but never under this process's own count on
        the monotonic clock (a wall clock jumping forward would empty the window)."""
        recorded = self._repository.count_sent_since(client_id, now - timedelta(seconds=60), now)
        return max(recorded, self._risk.sends.count(client_id))

    def guard(self, command: OrderCommand) -> Block | None:
        """A strategy cannot enter a leg it already holds or is entering."""
        legs = self._repository.strategy_leg_orders(
            command.client_id, command.strategy, command.exchange, command.symbol
        )
        day_start = trading_day_start(self._clock())
        relevant = [
            order
            for order in legs
            if order.command_id != command.command_id
            and (order.command.product is not Product.MIS or order.created_at >= day_start)
        ]
        for order in relevant:
            if _same_ticket(order, command):
                continue  # the earlier slices of this very ticket
            if order.command.is_entry and order.status is OrderStatus.SENT_TO_BROKER:
                return Block(
                    Tag.EXECUTION_GUARD_BLOCKED,
                    f"Strategy '{command.strategy}' is already entering {command.symbol}: "
                    f"ENTRY {order.command_id} is still open at the broker.",
                )
        held = net_position([o for o in relevant if not _same_ticket(o, command)])
        if held:
            return Block(
                Tag.EXECUTION_GUARD_BLOCKED,
                f"Strategy '{command.strategy}' already holds {held:+d} {command.symbol}: "
                "exit that position before entering again.",
            )
        return None

    def duplicate(self, command: OrderCommand) -> Block | None:
        twin = self._repository.open_duplicate(command)
        if twin is None:
            return None
        return Block(
            Tag.DUPLICATE_ORDER_BLOCKED,
            f"An order for the same strategy, symbol and side is already open: {twin.command_id} "
            f"({twin.command.side} {twin.command.quantity} {twin.command.symbol}, "
            f"{twin.broker_status or twin.status}).",
        )


def _same_ticket(order: OrderRecord, command: OrderCommand) -> bool:
    return command.ticket_id is not None and order.command.ticket_id == command.ticket_id


def net_position(orders: list[OrderRecord]) -> int:
    """The strategy's own filled quantity on a leg: its entries less its exits."""
    return sum(order.signed_filled_qty for order in orders)
