"""The instrument list kept current: the day's symbol masters, at start-up and on request.

Brokers publish a new master every trading day (contracts expire, strikes are added). At
start-up the refresher puts the last good masters from the cache into the catalog and, when
they are from an earlier day (IST), fetches the day's: Shoonya's public zips, or Kite's
instruments through the adapter. All of it runs on the refresher's own thread, never on the
loop and never on the engine's database or broker threads: the window paints and tickets go
out meanwhile, on the list already in use.

A new list must load (every file, every row checked) and must not be far shorter than the
last good one (a truncated download still parses). Only then is it cached and swapped into
the catalog in one step (`InstrumentCatalog.replace_all`). Anything less keeps the list in
use and says why in a notice, with the source and the server's or the reader's words.

The paper broker fetches nothing: it uses the cached masters when there are any (the trader
may load files by hand), else the bundled sample.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import logging
import shutil
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import ParamSpec, Protocol, TypeVar

from trader_gui.brokers.base import BrokerError
from trader_gui.domain.instruments import InstrumentCatalog
from trader_gui.domain.market_time import IST, utc_now
from trader_gui.engine.events import MONTHS, EventBus, Level, MastersLoaded, Notice
from trader_gui.persistence.instrument_masters import (
    KITE,
    SHOONYA,
    CatalogRefresh,
    cached_master_count,
    cached_master_date,
    cached_master_paths,
    needs_refresh,
    prepare_refresh,
    save_master_cache,
)
from trader_gui.persistence.master_download import (
    DOWNLOAD_TIMEOUT_S,
    SHOONYA_MASTER_BASE,
    MasterDownloadError,
    download_shoonya_masters,
)

log = logging.getLogger(__name__)
P = ParamSpec("P")
T = TypeVar("T")

SMALLEST_SHARE = 0.5
"""A fetched master listing fewer than half the instruments of the last good one is refused:
a day's listings change by a few percent, a cut-off download or a missing file by far more."""
SAMPLE = "the bundled sample"
BROKER_NAMES = {SHOONYA: "Shoonya", KITE: "Kite", f"{SHOONYA}+{KITE}": "Shoonya and Kite"}


class MasterSource(Protocol):
    """Where the day's masters come from; `fetch` blocks, and raises with a sentence."""

    @property
    def name(self) -> str: ...

    def fetch(self, folder: Path) -> list[Path]:
        """The day's master files saved in `folder`. Raises `MasterDownloadError`,
        `BrokerError` or `OSError` with the reason."""
        ...


@dataclass(frozen=True, slots=True)
class ShoonyaMasters:
    """Shoonya's per-exchange zips from the address it publishes them at (no login needed)."""

    base_url: str = SHOONYA_MASTER_BASE
    timeout_s: float = DOWNLOAD_TIMEOUT_S

    @property
    def name(self) -> str:
        return "Shoonya"

    def fetch(self, folder: Path) -> list[Path]:
        return download_shoonya_masters(folder, base_url=self.base_url, timeout_s=self.timeout_s)


@dataclass(frozen=True, slots=True)
class KiteMasters:
    """Kite's instruments CSV, through the logged-in adapter (`KiteBroker.instruments_csv`)."""

    instruments_csv: Callable[[], str]

    @property
    def name(self) -> str:
        return "Kite"

    def fetch(self, folder: Path) -> list[Path]:
        path = folder / "instruments.csv"
        path.write_text(self.instruments_csv(), encoding="utf-8")
        return [path]


@dataclass(frozen=True, slots=True)
class MasterOutcome:
    """What a refresh did: `loaded` when the catalog now holds the new list; the sentence."""

    loaded: bool
    sentence: str


@dataclass(frozen=True, slots=True)
class _Swapped:
    """A refresh done on the refresher's thread: the outcome and, when loaded, the new state."""

    outcome: MasterOutcome
    state: MastersLoaded | None = None


def collector_paused(function: Callable[P, T]) -> Callable[P, T]:
    """Run a load with Python's cycle collector paused, then freeze what is alive after it.

    Building 100,000 instruments triggers full collections that each walk every object in
    the process while holding the interpreter, stalling the loop thread for a third of a
    second and more (benchmarks/master_refresh.py). The instruments hold no reference
    cycles, so pausing loses nothing; freezing them afterwards keeps every later full
    collection of the day from walking the list again. Replaced lists are still freed by
    reference counting.
    """

    @functools.wraps(function)
    def paused(*args: P.args, **kwargs: P.kwargs) -> T:
        enabled = gc.isenabled()
        gc.disable()
        try:
            return function(*args, **kwargs)
        finally:
            gc.freeze()
            if enabled:
                gc.enable()

    return paused


def ist_date(now: datetime) -> date:
    return now.astimezone(IST).date()


class MasterRefresher:
    """Keeps the catalog on the day's masters; one refresh at a time, on its own thread."""

    def __init__(
        self,
        catalog: InstrumentCatalog,
        events: EventBus,
        *,
        cache_dir: Path,
        source: MasterSource | None,
        clock: Callable[[], datetime] = utc_now,
        initial_source: str = SAMPLE,
    ) -> None:
        self._catalog = catalog
        self._events = events
        self._cache_dir = cache_dir
        self._source = source
        self._clock = clock
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="trader-masters")
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._later: set[asyncio.Task[None]] = set()
        self.state = MastersLoaded(len(catalog), initial_source)
        """The list in use, as the status bar shows it."""

    @property
    def source_name(self) -> str | None:
        """Whose masters a refresh fetches; None for the paper broker (nothing to fetch)."""
        return self._source.name if self._source is not None else None

    # ---- start and stop ---------------------------------------------------------------------

    def start(self) -> None:
        """Begin the start-up refresh in the background; returns at once."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(
                self._at_start(), name="symbol masters at start"
            )

    async def started(self) -> None:
        """Until the start-up refresh has finished (the CLI and tests wait for it)."""
        if self._task is not None:
            await asyncio.shield(self._task)

    def catch_up(self) -> None:
        """After the day's login (Kite's session ends every night): fetch today's masters in
        the background when they are not in yet. Returns at once."""
        if self._source is None:
            return
        task = asyncio.get_running_loop().create_task(
            self._catch_up(self._source), name="symbol masters after login"
        )
        self._later.add(task)
        task.add_done_callback(self._later.discard)

    async def settled(self) -> None:
        """Until every background refresh (start-up, after a login) has finished."""
        await self.started()
        while self._later:
            await asyncio.shield(next(iter(self._later)))

    async def _catch_up(self, source: MasterSource) -> None:
        try:
            async with self._lock:
                today = ist_date(self._clock())
                if await self._off_loop(needs_refresh, self._cache_dir, today):
                    self._finish(await self._off_loop(self._fetch, source, today))
        except asyncio.CancelledError:
            raise
        except Exception as error:  # never a silent end: the trader is told, the list stays
            log.exception("symbol masters after login")
            self._tell(Level.WARNING, f"Symbol masters not refreshed: {error}")

    async def stop(self) -> None:
        """Stop waiting for a refresh; a download under way ends by its own time limit."""
        tasks = [task for task in (self._task, *self._later) if task is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._thread.shutdown(wait=False, cancel_futures=True)

    async def _at_start(self) -> None:
        try:
            async with self._lock:
                cached = await self._off_loop(cached_master_paths, self._cache_dir)
                if cached:
                    swapped = await self._off_loop(self._load_cache, cached)
                    self._finish(swapped, notice=not swapped.outcome.loaded)
                if self._source is None:
                    return
                today = ist_date(self._clock())
                if not await self._off_loop(needs_refresh, self._cache_dir, today):
                    log.info("symbol masters of %s are in the cache: nothing to fetch", today)
                    return
                self._finish(await self._off_loop(self._fetch, self._source, today))
        except asyncio.CancelledError:
            raise
        except Exception as error:  # never a silent end: the trader is told, the list stays
            log.exception("symbol masters at start")
            self._tell(Level.WARNING, f"Symbol masters not refreshed: {error}")

    # ---- on request -------------------------------------------------------------------------

    async def refresh_now(self) -> MasterOutcome:
        """Fetch the day's masters from the broker now, whatever the cache holds."""
        source = self._source
        if source is None:
            outcome = MasterOutcome(
                False,
                "The paper broker has no symbol master to fetch: load master files you "
                "downloaded instead.",
            )
            self._tell(Level.WARNING, outcome.sentence)
            return outcome
        async with self._lock:
            swapped = await self._off_loop(self._fetch, source, ist_date(self._clock()))
        return self._finish(swapped)

    async def load_files(self, paths: Sequence[str | Path]) -> MasterOutcome:
        """Load master files the trader downloaded (zip, txt or csv; Shoonya's or Kite's)."""
        files = [Path(path) for path in paths]
        async with self._lock:
            swapped = await self._off_loop(self._load_files, files, ist_date(self._clock()))
        return self._finish(swapped)

    # ---- on the refresher's thread ----------------------------------------------------------

    @collector_paused
    def _load_cache(self, paths: list[Path]) -> _Swapped:
        day = cached_master_date(self._cache_dir)
        refresh = prepare_refresh(self._catalog, paths)
        if refresh.instruments is None:
            return _Swapped(
                MasterOutcome(
                    False, f"The cached symbol masters could not be used. {refresh.sentence}"
                )
            )
        return self._swap(refresh, day)

    @collector_paused
    def _fetch(self, source: MasterSource, today: date) -> _Swapped:
        kept = f"Kept the {len(self._catalog):,} instruments in use"
        staging = Path(tempfile.mkdtemp(prefix=".masters-download-", dir=self._mkdir()))
        try:
            try:
                files = source.fetch(staging)
            except (MasterDownloadError, BrokerError, OSError) as error:
                reason = getattr(error, "message", None) or str(error)
                return self._failed(
                    source.name, f"{kept}: could not fetch {source.name}'s masters: {reason}"
                )
            refresh = prepare_refresh(self._catalog, files)
            if refresh.instruments is None:
                return self._failed(source.name, refresh.sentence)
            count = len(refresh.instruments)
            previous = cached_master_count(self._cache_dir)
            if previous and count < previous * SMALLEST_SHARE:
                day = cached_master_date(self._cache_dir)
                of_day = f" of {day.day} {MONTHS[day.month - 1]}" if day else ""
                return self._failed(
                    source.name,
                    f"{kept}: today's masters list {count:,} instruments, fewer than half of "
                    f"the {previous:,} in the last good ones{of_day} (a cut-off download?).",
                )
            return self._swap(self._cached(refresh, files, today, count), today)
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    @collector_paused
    def _load_files(self, files: list[Path], today: date) -> _Swapped:
        refresh = prepare_refresh(self._catalog, files)
        if refresh.instruments is None:
            return _Swapped(MasterOutcome(False, f"Symbol masters not loaded. {refresh.sentence}"))
        return self._swap(self._cached(refresh, files, today, len(refresh.instruments)), today)

    def _cached(
        self, refresh: CatalogRefresh, files: Sequence[Path], today: date, count: int
    ) -> CatalogRefresh:
        """The last good masters kept for the next start; a cache that cannot be written is said."""
        try:
            save_master_cache(self._mkdir(), list(files), today, count)
        except OSError as error:
            return CatalogRefresh(
                refresh.instruments,
                f"{refresh.sentence} They could not be kept for the next start: {error}.",
                broker=refresh.broker,
            )
        return refresh

    def _swap(self, refresh: CatalogRefresh, day: date | None) -> _Swapped:
        assert refresh.instruments is not None
        self._catalog.replace_all(refresh.instruments)  # one assignment: searches see old or new
        source = BROKER_NAMES.get(refresh.broker, refresh.broker or "files")
        state = MastersLoaded(len(self._catalog), source, day)
        return _Swapped(MasterOutcome(True, refresh.sentence), state)

    def _failed(self, source: str, sentence: str) -> _Swapped:
        return _Swapped(
            MasterOutcome(False, f"Symbol masters from {source} not refreshed. {sentence}")
        )

    def _mkdir(self) -> Path:
        self._cache_dir.mkdir(parents=True, exist_ok=True)
        return self._cache_dir

    # ---- on the loop ------------------------------------------------------------------------

    async def _off_loop(self, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._thread, functools.partial(function, *args, **kwargs)
        )

    def _finish(self, swapped: _Swapped, *, notice: bool = True) -> MasterOutcome:
        outcome = swapped.outcome
        if swapped.state is not None:
            self.state = swapped.state
            self._events.emit(swapped.state)
            log.info("%s", swapped.state.text)
        if notice:
            self._tell(Level.INFO if outcome.loaded else Level.WARNING, outcome.sentence)
        elif outcome.loaded:
            log.info("%s", outcome.sentence)
        return outcome

    def _tell(self, level: Level, sentence: str) -> None:
        self._events.emit(Notice(level, sentence))


def master_source(
    broker_name: str,
    *,
    shoonya_url: str | None = None,
    timeout_s: float = DOWNLOAD_TIMEOUT_S,
    kite_instruments: Callable[[], str] | None = None,
) -> MasterSource | None:
    """The source of the day's masters for a broker; None for the paper broker."""
    if broker_name == SHOONYA:
        return ShoonyaMasters(shoonya_url or SHOONYA_MASTER_BASE, timeout_s)
    if broker_name == KITE and kite_instruments is not None:
        return KiteMasters(kite_instruments)
    return None
