"""`trader-gui masters refresh|load FILE...|status`: the symbol masters from the shell.

The same refresher as the window's (engine/master_refresh.py): a master is checked whole
before it replaces the cached one, so a bad file or a failed download leaves the last good
masters for the next start. One line of output; exit 0 when loaded, 2 for bad input (a
file that is missing or cannot be loaded, nothing to fetch), 1 when the broker failed.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

from trader_gui.domain.instruments import InstrumentCatalog
from trader_gui.engine.assembly import LaunchOptions, load_catalog
from trader_gui.engine.events import MONTHS, EventBus
from trader_gui.engine.master_refresh import (
    MasterOutcome,
    MasterRefresher,
    MasterSource,
    master_source,
)
from trader_gui.paths import AppPaths
from trader_gui.persistence.instrument_masters import cached_master_count, cached_master_date
from trader_gui.settings import Settings

BAD_INPUT = 2
FAILED = 1


def run_masters(args: Any, settings: Settings, paths: AppPaths, options: LaunchOptions) -> int:
    action = args.masters_action
    if action == "status":
        return _status(paths)
    if action == "load":
        missing = [str(path) for path in args.files if not Path(path).is_file()]
        if missing:
            return _fail(f"no such file: {', '.join(missing)}", BAD_INPUT)
        outcome = asyncio.run(_load(paths, list(args.files)))
        return _report(outcome, BAD_INPUT)
    broker = options.broker or settings.broker
    if broker == "paper":
        return _fail(
            "the paper broker has no symbol master to fetch: load files you downloaded with "
            "`trader-gui masters load FILE...`",
            BAD_INPUT,
        )
    outcome = asyncio.run(_refresh(settings, paths, options, broker))
    return _report(outcome, FAILED)


async def _load(paths: AppPaths, files: list[Path]) -> MasterOutcome:
    refresher = _refresher(load_catalog(), paths, None)
    try:
        return await refresher.load_files(files)
    finally:
        await refresher.stop()


async def _refresh(
    settings: Settings, paths: AppPaths, options: LaunchOptions, broker_name: str
) -> MasterOutcome:
    catalog = load_catalog()
    kite = None
    if broker_name == "kite":  # Kite's master comes through the logged-in adapter
        from trader_gui.brokers.registry import BrokerOptions, create_broker

        kite = create_broker(
            BrokerOptions(
                name=broker_name,
                client_id=options.client_id or settings.client_id,
                url=options.broker_url or settings.broker_url,
                timeout_s=settings.symbol_master_timeout_s,
            ),
            catalog,
        )
    source = master_source(
        broker_name,
        shoonya_url=settings.symbol_master_url,
        timeout_s=settings.symbol_master_timeout_s,
        kite_instruments=getattr(kite, "instruments_csv", None),
    )
    if source is None:
        return MasterOutcome(False, f"no symbol master is known for broker {broker_name!r}")
    refresher = _refresher(catalog, paths, source)
    try:
        return await refresher.refresh_now()
    finally:
        await refresher.stop()
        if kite is not None:
            kite.close()


def _refresher(
    catalog: InstrumentCatalog, paths: AppPaths, source: MasterSource | None
) -> MasterRefresher:
    paths.cache_dir.mkdir(parents=True, exist_ok=True)
    return MasterRefresher(catalog, EventBus(), cache_dir=paths.cache_dir, source=source)


def _status(paths: AppPaths) -> int:
    day = cached_master_date(paths.cache_dir)
    count = cached_master_count(paths.cache_dir)
    if day is None:
        print("no symbol masters cached: the bundled sample is used")
        return 0
    counted = f"{count:,} instruments" if count is not None else "symbol masters"
    print(f"{counted} cached on {day.day} {MONTHS[day.month - 1]} {day.year} in {paths.cache_dir}")
    return 0


def _report(outcome: MasterOutcome, failure_code: int) -> int:
    if outcome.loaded:
        print(_one_line(outcome.sentence))
        return 0
    return _fail(outcome.sentence, failure_code)


def _fail(sentence: str, code: int) -> int:
    print(f"trader-gui: {_one_line(sentence)}", file=sys.stderr)
    return code


def _one_line(text: str) -> str:
    return " ".join(text.split())
