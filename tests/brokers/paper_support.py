"""Shared helpers for the paper broker tests: a clock the test moves, a tiny catalog, tickets."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from trader_gui.brokers.base import PlaceOrderRequest
from trader_gui.brokers.paper import PaperBroker, PaperConfig
from trader_gui.domain.enums import Exchange, InstrumentKind, OrderType, Product, Side
from trader_gui.domain.instruments import Instrument, InstrumentCatalog

START = datetime(2025, 11, 26, 4, 0, tzinfo=UTC)  # 09:30 IST

EQUITY = Instrument(
    symbol="ITC",
    exchange=Exchange.NSE,
    kind=InstrumentKind.EQ,
    underlying="ITC",
    lot_size=1,
    tick_size=Decimal("0.05"),
    reference_price=Decimal("329.00"),
)
OPTION = Instrument(
    symbol="NIFTY28NOV2524000CE",
    exchange=Exchange.NFO,
    kind=InstrumentKind.CE,
    underlying="NIFTY",
    lot_size=65,
    tick_size=Decimal("0.05"),
    reference_price=Decimal("150.00"),
    freeze_qty=1755,
    expiry=date(2025, 11, 28),
    strike=Decimal("24000"),
)
FUTURE = Instrument(
    symbol="NIFTY30DEC25FUT",
    exchange=Exchange.NFO,
    kind=InstrumentKind.FUT,
    underlying="NIFTY",
    lot_size=75,
    tick_size=Decimal("0.10"),
    reference_price=Decimal("24000.00"),
    freeze_qty=1800,
    expiry=date(2025, 12, 30),
)

QUIET = PaperConfig(volatility=0.0)
"""Prices move only when a test moves them."""


class FakeClock:
    """The broker clock, moved by hand."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class FakeSleep:
    """Records the real-time waits the broker asks for instead of waiting."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def catalog() -> InstrumentCatalog:
    return InstrumentCatalog([EQUITY, OPTION, FUTURE])


def make_broker(
    clock: FakeClock,
    *,
    config: PaperConfig = QUIET,
    state_path: str = ":memory:",
    seed: int = 7,
    sleep: FakeSleep | None = None,
) -> PaperBroker:
    return PaperBroker(
        catalog(),
        state_path=state_path,
        config=config,
        clock=clock,
        seed=seed,
        sleep=sleep or FakeSleep(),
    )


def ticket(
    instrument: Instrument = EQUITY,
    *,
    side: Side = Side.BUY,
    quantity: int = 10,
    order_type: OrderType = OrderType.MARKET,
    product: Product | None = None,
    price: str | None = None,
    trigger: str | None = None,
    tag: str = "CMD0000000000000001",
) -> PlaceOrderRequest:
    if product is None:
        product = Product.MIS
    return PlaceOrderRequest(
        tag=tag,
        symbol=instrument.symbol,
        exchange=instrument.exchange,
        side=side,
        quantity=quantity,
        order_type=order_type,
        product=product,
        price=None if price is None else Decimal(price),
        trigger_price=None if trigger is None else Decimal(trigger),
    )
