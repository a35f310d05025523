"""One instrument list from several masters: Shoonya's and Kite's, and freeze quantities.

A contract listed by both brokers becomes one instrument carrying both broker symbols and both
tokens, so the trader picks `NIFTY29DEC26FUT` once and each broker adapter sends its own
spelling. The same contract is found by the exchange's number for it first (Shoonya's token,
Kite's `exchange_token`), then by the common symbol.

Where the two disagree on what an order must respect, the merge does not guess:

- Lot size differs (Kite's MCX lot is 1 because Kite takes MCX quantities in lots; a stale
  file): the Shoonya instrument is kept and Kite's symbol is left off it, so no order goes to
  Kite sized by the other broker's lot; a warning says which.
- Tick differs: the coarser tick is kept when it is a multiple of the finer (a price on it is
  on both); otherwise as for the lot.

Freeze quantities do not appear in either master; they come from `resources/
freeze_quantities.csv` and are set on every future and option of the underlyings listed.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from trader_gui.domain.enums import Exchange, InstrumentKind
from trader_gui.domain.instruments import Instrument
from trader_gui.persistence.master_common import (
    EXCHANGE_TOKEN,
    KITE,
    SHOONYA,
    MasterFileError,
    MasterLoadResult,
    terms,
)
from trader_gui.resource_files import resource

log = logging.getLogger(__name__)

FREEZE_FILE = "freeze_quantities.csv"
EXAMPLES = 3
"""How many instruments a merge warning names; the count says how many there are in all."""


@dataclass(slots=True)
class _Issues:
    """Disagreements of one kind, counted, with the first few named."""

    sentence: str
    count: int = 0
    examples: list[str] = field(default_factory=list)

    def add(self, example: str) -> None:
        self.count += 1
        if len(self.examples) < EXAMPLES:
            self.examples.append(example)

    def text(self) -> str:
        return f"{self.count:,} {self.sentence} (e.g. {'; '.join(self.examples)})"


def merge_masters(shoonya: list[Instrument], kite: list[Instrument]) -> list[Instrument]:
    """Shoonya's and Kite's instruments as one list; disagreements are logged as warnings."""
    instruments, warnings = merge_with_warnings(shoonya, kite)
    for warning in warnings:
        log.warning("%s", warning)
    return instruments


def merge_with_warnings(
    shoonya: Sequence[Instrument], kite: Sequence[Instrument]
) -> tuple[list[Instrument], list[str]]:
    """The merged list and one sentence per kind of disagreement found."""
    lot = _Issues("contracts have another lot size at Kite; their Kite symbol was left off")
    tick = _Issues(
        "contracts have a tick at Kite that does not divide Shoonya's; Kite symbol left off"
    )
    coarser = _Issues("contracts have different ticks at the two brokers; the coarser is kept")
    renamed = _Issues("contracts are spelt differently by the two brokers; Shoonya's name is kept")
    clashing = _Issues("Kite contracts share a symbol with another contract and were left out")

    by_token = {
        (instrument.exchange, token): instrument
        for instrument in kite
        if (token := instrument.tokens.get(EXCHANGE_TOKEN))
    }
    by_key = {instrument.key: instrument for instrument in kite}
    used: set[int] = set()
    merged: list[Instrument] = []
    for ours in shoonya:
        token = ours.tokens.get(EXCHANGE_TOKEN)
        theirs = by_token.get((ours.exchange, token)) if token else None
        if theirs is None:
            theirs = by_key.get(ours.key)
            their_token = theirs.tokens.get(EXCHANGE_TOKEN) if theirs is not None else None
            if theirs is not None and token and their_token and their_token != token:
                theirs = None  # the same name for two exchange numbers: not the same contract
        if theirs is None or id(theirs) in used:
            merged.append(ours)
            continue
        used.add(id(theirs))
        if theirs.symbol != ours.symbol:
            renamed.add(f"{ours.symbol} is {theirs.symbol} from Kite's master")
        merged.append(_pair(ours, theirs, lot, tick, coarser))
    keys = {instrument.key for instrument in merged}
    for theirs in kite:
        if id(theirs) in used:
            continue
        if theirs.key in keys:
            clashing.add(f"{theirs.symbol} ({theirs.broker_symbol(KITE)})")
            continue
        keys.add(theirs.key)
        merged.append(theirs)
    warnings = [issue.text() for issue in (lot, tick, coarser, renamed, clashing) if issue.count]
    return merged, warnings


def _pair(
    ours: Instrument, theirs: Instrument, lot: _Issues, tick: _Issues, coarser: _Issues
) -> Instrument:
    if ours.lot_size != theirs.lot_size:
        lot.add(f"{ours.symbol}: {ours.lot_size} at Shoonya, {theirs.lot_size} at Kite")
        return ours
    tick_size = ours.tick_size
    if theirs.tick_size != ours.tick_size:
        fine, coarse = sorted((ours.tick_size, theirs.tick_size))
        if coarse % fine != 0:
            tick.add(f"{ours.symbol}: {ours.tick_size} and {theirs.tick_size}")
            return ours
        coarser.add(f"{ours.symbol}: {ours.tick_size} and {theirs.tick_size}")
        tick_size = coarse
    return Instrument(  # not dataclasses.replace: a third faster, and this runs 100,000 times
        symbol=ours.symbol,
        exchange=ours.exchange,
        kind=ours.kind,
        underlying=ours.underlying,
        lot_size=ours.lot_size,
        tick_size=tick_size,
        reference_price=max(ours.reference_price, theirs.reference_price, tick_size),
        freeze_qty=ours.freeze_qty if ours.freeze_qty is not None else theirs.freeze_qty,
        expiry=ours.expiry,
        strike=ours.strike,
        broker_symbols={**theirs.broker_symbols, **ours.broker_symbols},
        tokens={**theirs.tokens, **ours.tokens},
        name=theirs.name if ours.kind is InstrumentKind.EQ and theirs.name else ours.name,
    )


def combine(results: Sequence[MasterLoadResult]) -> MasterLoadResult:
    """Several files of one broker (its NSE, NFO, MCX files) as one result.

    A contract in two files with the same terms is kept once; with other terms the load is
    refused, as within one file.
    """
    if len(results) == 1:
        return results[0]
    instruments: dict[tuple[Exchange, str], tuple[Instrument, str]] = {}
    skipped: dict[str, int] = {}
    warnings: list[str] = []
    for result in results:
        source = ", ".join(result.sources)
        for instrument in result.instruments:
            held = instruments.get(instrument.key)
            if held is None:
                instruments[instrument.key] = (instrument, source)
            elif terms(held[0]) != terms(instrument):
                raise MasterFileError(
                    source,
                    0,
                    f"{instrument.symbol} has other terms than in {held[1]} "
                    f"(lot {held[0].lot_size} vs {instrument.lot_size}, "
                    f"tick {held[0].tick_size} vs {instrument.tick_size})",
                )
        for reason, count in result.skipped_by_reason.items():
            skipped[reason] = skipped.get(reason, 0) + count
        warnings.extend(result.warnings)
    return MasterLoadResult(
        instruments=[instrument for instrument, _ in instruments.values()],
        skipped_rows=sum(result.skipped_rows for result in results),
        warnings=warnings,
        broker=results[0].broker if results else "",
        sources=tuple(source for result in results for source in result.sources),
        skipped_by_reason=skipped,
    )


def merge_results(results: Sequence[MasterLoadResult]) -> MasterLoadResult:
    """Any mix of Shoonya and Kite files: each broker's combined, then the two merged."""
    shoonya = combine([result for result in results if result.broker == SHOONYA])
    kite = combine([result for result in results if result.broker == KITE])
    instruments, warnings = merge_with_warnings(shoonya.instruments, kite.instruments)
    return MasterLoadResult(
        instruments=instruments,
        skipped_rows=shoonya.skipped_rows + kite.skipped_rows,
        warnings=[*shoonya.warnings, *kite.warnings, *warnings],
        broker="+".join(b for b in (SHOONYA, KITE) if any(r.broker == b for r in results)),
        sources=tuple(source for result in results for source in result.sources),
        skipped_by_reason={
            reason: shoonya.skipped_by_reason.get(reason, 0) + kite.skipped_by_reason.get(reason, 0)
            for reason in {*shoonya.skipped_by_reason, *kite.skipped_by_reason}
        },
    )


def load_freeze_quantities(path: str | Path | None = None) -> dict[str, int]:
    """Underlying -> the largest quantity the exchange takes in one order.

    From `path`, or the file shipped in resources/. A bad file is refused with its line: a
    freeze quantity set too high gets every slice of a large ticket refused.
    """
    if path is None:
        source, text = FREEZE_FILE, resource(FREEZE_FILE).read_text(encoding="utf-8")
    else:
        source = Path(path).name
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as error:
            raise MasterFileError(source, 0, f"cannot be read: {error.strerror or error}") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if reader.fieldnames is None or not {"underlying", "freeze_qty"} <= set(reader.fieldnames):
        raise MasterFileError(source, 1, "the header must name underlying and freeze_qty")
    quantities: dict[str, int] = {}
    for row in reader:
        underlying = (row.get("underlying") or "").strip().upper()
        text_qty = (row.get("freeze_qty") or "").strip()
        if not underlying and not text_qty:
            continue
        if not underlying or not text_qty.isdigit() or int(text_qty) <= 0:
            raise MasterFileError(
                source,
                reader.line_num,
                f"needs an underlying and a whole freeze_qty above zero, got {underlying!r}, {text_qty!r}",
            )
        if underlying in quantities:
            raise MasterFileError(source, reader.line_num, f"{underlying} is listed twice")
        quantities[underlying] = int(text_qty)
    return quantities


def apply_freeze_quantities(
    instruments: Iterable[Instrument], quantities: Mapping[str, int]
) -> list[Instrument]:
    """Every future and option of a listed underlying with its freeze quantity set.

    Equities have no freeze quantity (their limit is in value, not units); derivatives of an
    underlying not listed keep theirs (None: not sliced, and the exchange decides).
    """
    applied: list[Instrument] = []
    for instrument in instruments:
        quantity = quantities.get(instrument.underlying)
        if (
            quantity is not None
            and instrument.kind is not InstrumentKind.EQ
            and instrument.freeze_qty != quantity
        ):
            instrument = replace(instrument, freeze_qty=quantity)
        applied.append(instrument)
    return applied
