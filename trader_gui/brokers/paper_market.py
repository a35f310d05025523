"""Simulated prices: one seeded random walk per instrument, advanced lazily by the broker clock.

Time is cut into steps of `step_s` counted from a fixed epoch (persisted with the state), so
the price only depends on which step it is, never on how often it is asked for: a clock that
does not move leaves prices where they are. Each step's shock is a pure function of
(seed, instrument, step), which makes the path the same whichever calls looked at it.

The walk runs on the logarithm of the price (so prices stay positive) with a weak pull back to
the instrument's reference price (see `PaperConfig.wander_pct`). Gaps longer than
`EXACT_STEP_LIMIT` steps (a restart the next morning) are crossed with one draw from the exact
distribution of the whole gap instead of step by step.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from trader_gui.domain.enums import Exchange
from trader_gui.domain.instruments import Instrument
from trader_gui.domain.prices import round_to_tick

EXACT_STEP_LIMIT = 4096
"""Up to this many steps are walked one by one; a longer gap is crossed in one draw."""

_TWO_64 = float(2**64)

PriceKey = tuple[Exchange, str]


@dataclass(slots=True)
class WalkState:
    """Where one instrument's walk stands: the unrounded price and the step it belongs to.

    The unrounded price is kept because a step is often smaller than half a tick: rounding
    after every step would pin the price to its tick forever."""

    raw: float
    step: int


def standard_normal(seed: int, key: PriceKey, *salt: int | str) -> float:
    """A N(0, 1) draw fixed by its arguments (Box-Muller on a keyed hash)."""
    text = "|".join([str(seed), key[0].value, key[1], *map(str, salt)])
    digest = hashlib.blake2b(text.encode(), digest_size=16).digest()
    u1 = (int.from_bytes(digest[:8], "big") + 0.5) / _TWO_64
    u2 = int.from_bytes(digest[8:], "big") / _TWO_64
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


class PaperMarket:
    """Last prices for the paper broker. Not thread-safe: the broker's lock guards it."""

    def __init__(
        self,
        *,
        seed: int,
        epoch: datetime,
        step_s: float,
        volatility: float,
        wander_pct: float | None,
        states: Mapping[PriceKey, WalkState] = {},
    ) -> None:
        self._seed = seed
        self._epoch = epoch
        self._step_us = max(1, round(step_s * 1_000_000))
        self._sigma = volatility
        self._theta = _pull_per_step(volatility, wander_pct)
        self._states: dict[PriceKey, WalkState] = dict(states)
        self._dirty: set[PriceKey] = set()

    def step_at(self, now: datetime) -> int:
        elapsed = now - self._epoch
        micros = (elapsed.days * 86_400 + elapsed.seconds) * 1_000_000 + elapsed.microseconds
        return max(0, micros // self._step_us)

    def last(self, instrument: Instrument, now: datetime) -> Decimal:
        """The last price at `now`, on the instrument's tick and at least one tick."""
        state = self._state(instrument, now)
        self._advance(instrument, state, self.step_at(now))
        return _on_tick(state.raw, instrument.tick_size)

    def set_price(self, instrument: Instrument, price: Decimal, now: datetime) -> Decimal:
        """Move the market to exactly `price` (rounded to the tick) as of `now`."""
        if price <= 0:
            raise ValueError(f"price must be positive, got {price}")
        state = self._state(instrument, now)
        state.raw = float(round_to_tick(price, instrument.tick_size))
        state.step = max(state.step, self.step_at(now))
        self._dirty.add(instrument.key)
        return _on_tick(state.raw, instrument.tick_size)

    def take_dirty(self) -> dict[PriceKey, WalkState]:
        """The walks changed since the last call, to persist; the dirty set is emptied."""
        changed = {key: self._states[key] for key in self._dirty}
        self._dirty.clear()
        return changed

    def _state(self, instrument: Instrument, now: datetime) -> WalkState:
        state = self._states.get(instrument.key)
        if state is None:
            start = max(instrument.reference_price, instrument.tick_size)
            state = WalkState(raw=float(start), step=self.step_at(now))
            self._states[instrument.key] = state
            self._dirty.add(instrument.key)
        return state

    def _advance(self, instrument: Instrument, state: WalkState, to_step: int) -> None:
        gap = to_step - state.step
        if gap <= 0:
            return
        if self._sigma > 0:
            state.raw = math.exp(self._walk(instrument, state, gap))
        state.step = to_step
        self._dirty.add(instrument.key)

    def _walk(self, instrument: Instrument, state: WalkState, gap: int) -> float:
        """The log price `gap` steps after `state`."""
        key = instrument.key
        x = math.log(state.raw)
        mu = math.log(float(max(instrument.reference_price, instrument.tick_size)))
        theta, sigma = self._theta, self._sigma
        if gap <= EXACT_STEP_LIMIT:
            for step in range(state.step + 1, state.step + gap + 1):
                x += theta * (mu - x) + sigma * standard_normal(self._seed, key, step)
            return x
        shock = standard_normal(self._seed, key, "gap", state.step, state.step + gap)
        if theta == 0:
            return x + sigma * math.sqrt(gap) * shock
        keep = (1.0 - theta) ** gap
        spread = sigma * math.sqrt((1.0 - keep * keep) / (1.0 - (1.0 - theta) ** 2))
        return mu + (x - mu) * keep + spread * shock


def _pull_per_step(volatility: float, wander_pct: float | None) -> float:
    """The mean-reversion rate whose long-run spread is `wander_pct` (AR(1): s² = σ²/(2θ))."""
    if wander_pct is None or volatility == 0:
        return 0.0
    spread = wander_pct / 100.0
    return min(0.5, volatility * volatility / (2.0 * spread * spread))


def _on_tick(raw: float, tick: Decimal) -> Decimal:
    return max(tick, round_to_tick(Decimal(repr(raw)), tick))
