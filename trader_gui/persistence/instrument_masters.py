"""The brokers' full symbol masters as the program's instrument list, refreshed daily.

The bundled sample (instrument_files.py) lists 190 instruments; a trader needs every contract
the exchange lists today, with each broker's spelling and token. This module is the one door:

- `load_master(path)`: one file, zipped or plain, Shoonya's or Kite's (told apart by its
  header), as a `MasterLoadResult`. A file that cannot be loaded raises `InstrumentFileError`
  (a `MasterFileError`) naming the file, the line and the reason.
- `merge_masters(shoonya, kite)`: one instrument per contract, with both brokers' symbols.
- `refresh_catalog(catalog, paths)`: loads, merges, sets freeze quantities and replaces the
  catalog's contents, or leaves the catalog as it was and says why, so the trader keeps
  trading on yesterday's list rather than on none.
- `save_master_cache`, `cached_master_paths`, `needs_refresh`: the last good masters kept in
  the cache folder with their date, so a start-up loads them at once and a daily refresh
  knows whether today's are in.

The readers live in `master_shoonya`, `master_kite`, `master_merge` and `master_common`.
Downloading the files from the broker is not done here (no network in this layer yet); the
addresses are in `SHOONYA_MASTER_URLS` and `KITE_INSTRUMENTS_URL`.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from trader_gui.domain.enums import Exchange
from trader_gui.domain.instruments import Instrument, InstrumentCatalog
from trader_gui.persistence.instrument_files import InstrumentFileError
from trader_gui.persistence.master_common import (
    EXCHANGE_TOKEN,
    KITE,
    SHOONYA,
    CsvTable,
    MasterFileError,
    MasterLoadResult,
    common_underlying,
    read_master_texts,
    skipped_summary,
)
from trader_gui.persistence.master_kite import is_kite_header, parse_kite
from trader_gui.persistence.master_merge import (
    apply_freeze_quantities,
    combine,
    load_freeze_quantities,
    merge_masters,
    merge_results,
    merge_with_warnings,
)
from trader_gui.persistence.master_shoonya import parse_shoonya, tick_sizes_in_paise

__all__ = [
    "EXCHANGE_TOKEN",
    "KITE",
    "KITE_INSTRUMENTS_URL",
    "SHOONYA",
    "SHOONYA_MASTER_URLS",
    "CatalogRefresh",
    "InstrumentFileError",
    "MasterFileError",
    "MasterLoadResult",
    "apply_freeze_quantities",
    "cached_master_count",
    "cached_master_date",
    "cached_master_paths",
    "common_underlying",
    "load_freeze_quantities",
    "load_master",
    "load_masters",
    "merge_masters",
    "merge_with_warnings",
    "needs_refresh",
    "prepare_refresh",
    "refresh_catalog",
    "save_master_cache",
    "tick_sizes_in_paise",
]

SHOONYA_MASTER_URLS: Mapping[Exchange, str] = {
    exchange: f"https://api.shoonya.com/{exchange.value}_symbols.txt.zip" for exchange in Exchange
}
"""Where Shoonya publishes each exchange's master (public, refreshed before the market opens)."""
KITE_INSTRUMENTS_URL = "https://api.kite.trade/instruments"
"""Kite's instruments CSV (needs the API key and an access token in the header)."""

SUMMARY_REASONS = 4
"""How many reasons for left-out rows the sentence names; the rest are counted together."""
CACHE_FOLDER = "instrument_masters"
MANIFEST = "manifest.json"


def load_master(path: str | Path) -> MasterLoadResult:
    """Every instrument this program trades in one master file.

    Accepts Shoonya's per-exchange files and Kite's instruments CSV, zipped or plain; a zip
    holding several files is read whole. Raises `InstrumentFileError` (file, line, reason)
    when the file cannot be read or a row cannot be trusted.
    """
    path = Path(path)
    results = [_parse(text.source, text.text, text.warnings) for text in read_master_texts(path)]
    if len({result.broker for result in results}) > 1:
        raise MasterFileError(path.name, 0, "mixes Shoonya and Kite files in one archive")
    return results[0] if len(results) == 1 else combine(results)


def _parse(source: str, text: str, read_warnings: Sequence[str]) -> MasterLoadResult:
    table = CsvTable(source, text)
    if is_kite_header(table.header):
        result = parse_kite(table)
    elif {"token", "tradingsymbol"} <= {name.lower() for name in table.header}:
        result = parse_shoonya(table)
    else:
        raise MasterFileError(
            source,
            table.line,
            "is neither a Shoonya symbol file (Exchange,Token,LotSize,Symbol,TradingSymbol,...) "
            "nor a Kite instruments CSV (instrument_token,exchange_token,tradingsymbol,...)",
        )
    if read_warnings:
        result.warnings[:0] = list(read_warnings)
    return result


def load_masters(
    paths: Iterable[str | Path], freeze_quantities: Mapping[str, int] | None = None
) -> MasterLoadResult:
    """Every file loaded, the brokers' lists merged, freeze quantities set.

    `freeze_quantities` defaults to the shipped resources/freeze_quantities.csv.
    """
    merged = merge_results([load_master(path) for path in paths])
    quantities = load_freeze_quantities() if freeze_quantities is None else freeze_quantities
    return MasterLoadResult(
        instruments=apply_freeze_quantities(merged.instruments, quantities),
        skipped_rows=merged.skipped_rows,
        warnings=merged.warnings,
        broker=merged.broker,
        sources=merged.sources,
        skipped_by_reason=merged.skipped_by_reason,
    )


@dataclass(frozen=True, slots=True)
class CatalogRefresh:
    """What a refresh found: the new instruments (None: keep the catalog) and the sentence."""

    instruments: list[Instrument] | None
    sentence: str
    broker: str = ""
    """Whose masters were loaded: `shoonya`, `kite` or `shoonya+kite` (empty when none)."""


def prepare_refresh(
    catalog: InstrumentCatalog,
    paths: Iterable[str | Path],
    *,
    freeze_quantities: Mapping[str, int] | None = None,
    cache_dir: Path | None = None,
    today: date | None = None,
) -> CatalogRefresh:
    """Everything of a refresh but the swap: safe on a worker thread (it only reads the catalog).

    Loading 100,000 contracts takes seconds; the window must not freeze for them. Run this
    off the loop thread, then `catalog.replace_all(refresh.instruments)` on it when they are
    not None. With `cache_dir` and `today`, the files of a good load are cached.
    """
    files = [Path(path) for path in paths]
    kept = f"Kept the {len(catalog):,} instruments in use"
    if not files:
        return CatalogRefresh(None, f"{kept}: no master file was given.")
    try:
        result = load_masters(files, freeze_quantities)
    except InstrumentFileError as error:
        return CatalogRefresh(None, f"{kept}: could not load {error}.")
    names = _names([path.name for path in files])
    if not result.instruments:
        return CatalogRefresh(None, f"{kept}: {names} listed no instrument this program trades.")
    sentence = f"Loaded {len(result.instruments):,} instruments from {names}."
    if result.skipped_rows:
        sentence += (
            f" Left out {result.skipped_rows:,} row{'' if result.skipped_rows == 1 else 's'} "
            f"({skipped_summary(result.skipped_by_reason, SUMMARY_REASONS)})."
        )
    if result.warnings:
        sentence += " " + " ".join(f"{warning}." for warning in result.warnings)
    if cache_dir is not None and today is not None:
        try:
            save_master_cache(cache_dir, files, today, len(result.instruments))
        except OSError as error:
            sentence += f" They could not be cached for the next start: {error}."
    return CatalogRefresh(
        _with_known_prices(result.instruments, catalog), sentence, broker=result.broker
    )


def refresh_catalog(
    catalog: InstrumentCatalog,
    paths: Iterable[str | Path],
    *,
    freeze_quantities: Mapping[str, int] | None = None,
    cache_dir: Path | None = None,
    today: date | None = None,
) -> str:
    """Load the masters into the catalog, or keep the catalog as it was; a sentence either way.

    On success the catalog's contents are replaced (`replace_all`) and the sentence reads
    "Loaded N instruments from ...". On any failure the catalog is left untouched, so the
    trader keeps the list in use, and the sentence says which file, which line and why.
    With `cache_dir` and `today`, the files of a good load are cached for the next start-up.
    Blocks for as long as the load takes: from the window, use `prepare_refresh` on a worker.
    """
    refresh = prepare_refresh(
        catalog, paths, freeze_quantities=freeze_quantities, cache_dir=cache_dir, today=today
    )
    if refresh.instruments is not None:
        catalog.replace_all(refresh.instruments)
    return refresh.sentence


def _with_known_prices(
    instruments: list[Instrument], catalog: InstrumentCatalog
) -> list[Instrument]:
    """Keep the reference price the catalog had for a contract the master gave no price for.

    Shoonya's masters carry no price and Kite's often a zero, so the loaders put the tick
    there; the paper broker starts its simulated price at the reference, and SBIN at 0.05
    would be useless. A live broker's quote never depends on it.
    """
    known = {(i.exchange, i.symbol): i for i in catalog if i.reference_price > i.tick_size}
    kept: list[Instrument] = []
    for instrument in instruments:
        previous = known.get((instrument.exchange, instrument.symbol))
        if (
            previous is not None
            and instrument.reference_price <= instrument.tick_size
            and previous.reference_price > instrument.reference_price
        ):
            instrument = replace(instrument, reference_price=previous.reference_price)
        kept.append(instrument)
    return kept


def _names(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def save_master_cache(
    cache_dir: Path, paths: Sequence[Path], today: date, instrument_count: int
) -> Path:
    """Keep copies of the masters just loaded, with their date, as the last good ones.

    Written beside the old copy and swapped in by renames, so a crash part-way leaves either
    the old masters or the new ones, never a mixture of the two days.
    """
    cache_dir.mkdir(parents=True, exist_ok=True)
    folder = cache_dir / CACHE_FOLDER
    staging = Path(tempfile.mkdtemp(prefix=".masters-new-", dir=cache_dir))
    try:
        files = []
        for number, path in enumerate(paths):
            stored = f"{number:02d}-{path.name}"
            shutil.copyfile(path, staging / stored)
            files.append({"file": stored, "name": path.name})
        manifest = {"date": today.isoformat(), "instruments": instrument_count, "files": files}
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        old = cache_dir / f".masters-old-{uuid.uuid4().hex}"
        if folder.exists():
            folder.rename(old)
        staging.rename(folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    shutil.rmtree(old, ignore_errors=True)
    return folder


def _manifest(cache_dir: Path) -> dict[str, object] | None:
    try:
        data = json.loads((cache_dir / CACHE_FOLDER / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def cached_master_paths(cache_dir: Path) -> list[Path]:
    """The cached masters to load at start-up, or [] when there is no complete copy."""
    manifest = _manifest(cache_dir)
    files = manifest.get("files") if manifest else None
    if not isinstance(files, list) or not files:
        return []
    folder = cache_dir / CACHE_FOLDER
    paths = [folder / str(entry.get("file", "")) for entry in files if isinstance(entry, dict)]
    return paths if paths and all(path.is_file() for path in paths) else []


def cached_master_date(cache_dir: Path) -> date | None:
    """The day the cached masters were loaded, or None when there are none."""
    manifest = _manifest(cache_dir)
    try:
        return date.fromisoformat(str(manifest["date"])) if manifest else None
    except (KeyError, ValueError):
        return None


def cached_master_count(cache_dir: Path) -> int | None:
    """How many instruments the cached masters gave when they were loaded, or None."""
    manifest = _manifest(cache_dir)
    count = manifest.get("instruments") if manifest else None
    return count if isinstance(count, int) and not isinstance(count, bool) else None


def needs_refresh(cache_dir: Path, today: date) -> bool:
    """Whether today's masters still have to be loaded: no cache, a broken one, or an old one.

    Brokers publish a new master every trading day (contracts expire, strikes are added), so
    a cache from any earlier day is stale even if nothing in it looks wrong.
    """
    return cached_master_date(cache_dir) != today or not cached_master_paths(cache_dir)
