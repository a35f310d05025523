"""How the paper broker behaves: money, margin, latency, fills and prices, in one frozen value."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType

from trader_gui.domain.enums import InstrumentKind, Product

DEFAULT_LEVERAGE: Mapping[tuple[Product, InstrumentKind], Decimal] = MappingProxyType(
    {
        (Product.MIS, InstrumentKind.EQ): Decimal(5),
        (Product.CNC, InstrumentKind.EQ): Decimal(1),
        (Product.MIS, InstrumentKind.FUT): Decimal(10),
        (Product.NRML, InstrumentKind.FUT): Decimal(10),
        # Option buys pay the whole premium; option sells use `option_sell_margin_pct`.
        (Product.MIS, InstrumentKind.CE): Decimal(1),
        (Product.NRML, InstrumentKind.CE): Decimal(1),
        (Product.MIS, InstrumentKind.PE): Decimal(1),
        (Product.NRML, InstrumentKind.PE): Decimal(1),
    }
)
"""Exposure allowed per rupee of margin, by (product, instrument kind); missing pairs are 1x."""

DEFAULT_PRICE_BAND_PCT: Mapping[InstrumentKind, Decimal] = MappingProxyType(
    {
        InstrumentKind.EQ: Decimal(20),
        InstrumentKind.FUT: Decimal(40),
        InstrumentKind.CE: Decimal(40),
        InstrumentKind.PE: Decimal(40),
    }
)
"""How far (percent of the reference price) a LIMIT/SL price or a trigger may be, by kind."""


@dataclass(frozen=True)
class PaperConfig:
    """Everything tunable about the simulated broker. Times are seconds.

    `ack_latency_s` is real time (the place_order call blocks its thread, as a slow broker
    does); every other time is broker-clock time, so tests drive it with a fake clock.
    """

    capital: Decimal = Decimal(1_000_000)
    """Funds of a new account. An account already in the state file keeps its own capital."""
    leverage: Mapping[tuple[Product, InstrumentKind], Decimal] = field(
        default_factory=lambda: DEFAULT_LEVERAGE
    )
    option_sell_margin_pct: Decimal = Decimal(15)
    """Option writing blocks this share of strike x quantity: a simple stand-in for SPAN."""
    ack_latency_s: float = 0.0
    fill_latency_s: float = 0.3
    """Broker-clock time before an order can fill, and between the parts of a large order.

    Zero means an order fills on the first call after it is placed, all parts at once."""
    slippage_ticks: int = 1
    """A market fill is this many ticks worse than the last price, as crossing the spread is."""
    partial_fill_lots: int = 10
    """Orders of more lots than this fill in parts of this many lots; zero turns parts off."""
    max_fill_parts: int = 5
    """No order fills in more parts than this: parts grow (in whole lots) for big orders, so
    1,000 shares of a lot-size-1 stock fill in 5 parts of 200, not 100 parts of 10."""
    volatility: float = 0.0004
    """Relative standard deviation of one random-walk step; zero freezes prices."""
    step_s: float = 0.25
    wander_pct: float | None = 5.0
    """Long-run spread (one standard deviation, percent) of prices around the reference.

    A pure random walk drifts out of the price band within days when the program runs around
    the clock, and every LIMIT at the market would then be refused; a weak pull back to the
    reference keeps the simulation usable forever. None gives the pure random walk."""
    price_band_pct: Mapping[InstrumentKind, Decimal] = field(
        default_factory=lambda: DEFAULT_PRICE_BAND_PCT
    )
    around_the_clock: bool = True
    """Markets never close (session timings are a later feature)."""

    def __post_init__(self) -> None:
        if self.step_s <= 0:
            raise ValueError(f"step_s must be positive, got {self.step_s}")
        if min(self.ack_latency_s, self.fill_latency_s, self.volatility) < 0:
            raise ValueError("latencies and volatility cannot be negative")
        if self.slippage_ticks < 0 or self.partial_fill_lots < 0:
            raise ValueError("slippage_ticks and partial_fill_lots cannot be negative")
        if self.max_fill_parts < 1:
            raise ValueError("max_fill_parts must be at least 1")
        if self.wander_pct is not None and self.wander_pct <= 0:
            raise ValueError("wander_pct must be positive or None")
        if self.capital < 0:
            raise ValueError("capital cannot be negative")

    def leverage_for(self, product: Product, kind: InstrumentKind) -> Decimal:
        return self.leverage.get((product, kind), Decimal(1))

    def band_pct_for(self, kind: InstrumentKind) -> Decimal:
        return self.price_band_pct.get(kind, Decimal(20))
