"""The day's symbol masters at start-up: fetched from a server on 127.0.0.1 in Shoonya's real
format, checked, cached and swapped in; any failure keeps the list in use and says why."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from engine_support import Harness, ticket
from master_server import MasterServer, Reply, master_server, shoonya_day, write_shoonya_day

from trader_gui.brokers.base import SessionExpired
from trader_gui.domain.enums import Exchange, OrderStatus
from trader_gui.domain.instruments import InstrumentCatalog
from trader_gui.engine.events import Event, EventBus, Level, MastersLoaded, Notice
from trader_gui.engine.master_refresh import KiteMasters, MasterRefresher, ShoonyaMasters
from trader_gui.persistence.instrument_files import load_bundled_instruments
from trader_gui.persistence.instrument_masters import (
    cached_master_count,
    cached_master_date,
    save_master_cache,
)

TODAY = date(2026, 11, 25)  # the FakeClock's day in IST
YESTERDAY = date(2026, 11, 24)
NIFTY_CALL = "NIFTY29DEC2624000CE"
KITE_CSV = (
    "instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,"
    "tick_size,lot_size,instrument_type,segment,exchange\n"
    "779521,3045,SBIN,STATE BANK OF INDIA,812.5,,0.0,0.05,1,EQ,NSE,NSE\n"
    "12345678,48215,NIFTY26DEC24000CE,NIFTY,0.0,2026-12-29,24000.0,0.05,65,CE,NFO-OPT,NFO\n"
)

pytestmark = pytest.mark.asyncio


@pytest.fixture
def catalog() -> InstrumentCatalog:
    """This module's own list: a refresh replaces the contents of the catalog it is given."""
    return InstrumentCatalog(load_bundled_instruments())


@pytest.fixture
def server() -> Iterator[MasterServer]:
    with master_server() as running:
        yield running


class Refresh:
    """A refresher on a catalog holding the bundled sample, with the events it emitted."""

    def __init__(self, catalog: InstrumentCatalog, cache: Path, clock: object, url: str) -> None:
        self.catalog = catalog
        self.cache = cache
        self.events: list[Event] = []
        bus = EventBus()
        bus.subscribe(self.events.append)
        self.refresher = MasterRefresher(
            catalog,
            bus,
            cache_dir=cache,
            source=ShoonyaMasters(url, timeout_s=1.0),
            clock=clock,  # type: ignore[arg-type]
        )

    def notices(self, level: Level | None = None) -> list[str]:
        return [
            e.text
            for e in self.events
            if isinstance(e, Notice) and (level is None or e.level is level)
        ]

    def loaded(self) -> list[MastersLoaded]:
        return [e for e in self.events if isinstance(e, MastersLoaded)]

    async def at_start(self) -> None:
        self.refresher.start()
        try:
            await self.refresher.started()
        finally:
            await self.refresher.stop()


@pytest.fixture
def refresh(
    catalog: InstrumentCatalog, tmp_path: Path, clock: object, server: MasterServer
) -> Refresh:
    return Refresh(catalog, tmp_path / "cache", clock, server.url)


async def test_the_days_masters_are_fetched_checked_cached_and_swapped_in(
    refresh: Refresh, server: MasterServer
) -> None:
    server.serve_day(shoonya_day())
    assert refresh.catalog.get(Exchange.NFO, NIFTY_CALL) is None

    await refresh.at_start()

    call = refresh.catalog.get(Exchange.NFO, NIFTY_CALL)
    assert call is not None
    assert call.broker_symbol("shoonya") == "NIFTY29DEC26C24000"
    assert call.lot_size == 65
    sbin = refresh.catalog.get(Exchange.NSE, "SBIN")
    assert sbin is not None
    assert sbin.tick_size == Decimal("0.05")  # Shoonya's 5 paise
    assert len(refresh.catalog) == 10
    assert sorted(server.requests) == sorted(shoonya_day())
    assert cached_master_date(refresh.cache) == TODAY
    assert cached_master_count(refresh.cache) == 10
    assert [state.text for state in refresh.loaded()] == ["Symbols: 10 from Shoonya, 25 Nov"]
    [sentence] = refresh.notices(Level.INFO)
    assert "Loaded 10 instruments" in sentence
    assert "blank rows: 2" in sentence


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        pytest.param(Reply(body=b"PK\x03\x04 cut off"), "damaged", id="corrupt-zip"),
        pytest.param(
            Reply(500, b"<html>Service under maintenance</html>"),
            "HTTP 500 Internal Server Error",
            id="http-500",
        ),
        pytest.param(Reply(hold=True), "within 1 s", id="timeout"),
        pytest.param(
            Reply(body=b"Exchange,Token,LotSize\nNSE,abc"),
            "NFO_symbols.txt.zip",
            id="not-a-master",
        ),
    ],
)
async def test_a_failed_fetch_keeps_the_list_in_use_and_says_why(
    refresh: Refresh, server: MasterServer, reply: Reply, reason: str
) -> None:
    server.serve_day(shoonya_day())
    server.replies["NFO_symbols.txt.zip"] = reply
    before = refresh.catalog.all()

    await refresh.at_start()

    assert refresh.catalog.all() == before
    assert refresh.refresher.state.count == len(before)
    assert refresh.loaded() == []
    [warning] = refresh.notices(Level.WARNING)
    assert warning.startswith("Symbol masters from Shoonya not refreshed. Kept the")
    assert reason in warning
    assert cached_master_date(refresh.cache) is None


async def test_the_servers_words_reach_the_trader(refresh: Refresh, server: MasterServer) -> None:
    server.serve_day(shoonya_day())
    server.replies["NSE_symbols.txt.zip"] = Reply(503, b"Service under maintenance")

    await refresh.at_start()

    [warning] = refresh.notices(Level.WARNING)
    assert "HTTP 503" in warning
    assert "Service under maintenance" in warning


async def test_a_master_far_shorter_than_yesterdays_is_refused(
    refresh: Refresh, server: MasterServer, tmp_path: Path
) -> None:
    yesterday = write_shoonya_day(tmp_path / "yesterday", strikes=40)
    save_master_cache(refresh.cache, yesterday, YESTERDAY, 47)
    server.serve_day(shoonya_day(strikes=3))  # 10 instruments: an NFO file cut short

    await refresh.at_start()

    assert len(refresh.catalog) == 47  # yesterday's, loaded from the cache, still in use
    assert refresh.catalog.get(Exchange.NFO, "NIFTY29DEC2625950CE") is not None
    [warning] = refresh.notices(Level.WARNING)
    assert "10 instruments, fewer than half of the 47" in warning
    assert "24 Nov" in warning
    assert cached_master_date(refresh.cache) == YESTERDAY
    assert [state.text for state in refresh.loaded()] == ["Symbols: 47 from Shoonya, 24 Nov"]


async def test_a_cache_from_today_is_loaded_and_nothing_is_fetched(
    refresh: Refresh, server: MasterServer, tmp_path: Path
) -> None:
    save_master_cache(refresh.cache, write_shoonya_day(tmp_path / "today"), TODAY, 10)
    server.serve_day(shoonya_day())

    await refresh.at_start()

    assert server.requests == []
    assert refresh.catalog.get(Exchange.NFO, NIFTY_CALL) is not None
    assert refresh.notices() == []
    assert refresh.refresher.state.text == "Symbols: 10 from Shoonya, 25 Nov"


async def test_the_paper_broker_uses_the_cache_and_fetches_nothing(
    catalog: InstrumentCatalog, tmp_path: Path, clock: object, server: MasterServer
) -> None:
    cache = tmp_path / "cache"
    save_master_cache(cache, write_shoonya_day(tmp_path / "old"), YESTERDAY, 10)
    refresher = MasterRefresher(catalog, EventBus(), cache_dir=cache, source=None, clock=clock)  # type: ignore[arg-type]

    refresher.start()
    await refresher.started()
    outcome = await refresher.refresh_now()
    await refresher.stop()

    assert server.requests == []
    assert catalog.get(Exchange.NFO, NIFTY_CALL) is not None
    assert refresher.state.text == "Symbols: 10 from Shoonya, 24 Nov"
    assert not outcome.loaded
    assert "paper broker has no symbol master to fetch" in outcome.sentence


async def test_files_loaded_by_hand_replace_the_list_and_are_cached(
    refresh: Refresh, tmp_path: Path
) -> None:
    files = write_shoonya_day(tmp_path / "downloads")

    outcome = await refresh.refresher.load_files(files)
    await refresh.refresher.stop()

    assert outcome.loaded
    assert refresh.catalog.get(Exchange.MCX, "CRUDEOIL16DEC26FUT") is not None
    assert cached_master_date(refresh.cache) == TODAY
    assert "Left out 3 rows (blank rows: 2, indices: 1)" in outcome.sentence


async def test_a_bad_file_loaded_by_hand_keeps_the_list_with_file_line_and_reason(
    refresh: Refresh, tmp_path: Path
) -> None:
    bad = tmp_path / "NSE_symbols.txt"
    bad.write_text(
        "Exchange,Token,LotSize,Symbol,TradingSymbol,Instrument,TickSize,\n"
        "NSE,3045,abc,SBIN,SBIN-EQ,EQ,5,\n",
        encoding="utf-8",
    )
    before = refresh.catalog.all()

    outcome = await refresh.refresher.load_files([bad])
    await refresh.refresher.stop()

    assert not outcome.loaded
    assert refresh.catalog.all() == before
    assert "NSE_symbols.txt, line 2" in outcome.sentence
    assert "LotSize 'abc'" in outcome.sentence


async def test_kites_instruments_come_through_the_adapter(
    catalog: InstrumentCatalog, tmp_path: Path, clock: object
) -> None:
    events: list[Event] = []
    bus = EventBus()
    bus.subscribe(events.append)
    refresher = MasterRefresher(
        catalog,
        bus,
        cache_dir=tmp_path / "cache",
        source=KiteMasters(lambda: KITE_CSV),
        clock=clock,  # type: ignore[arg-type]
    )

    outcome = await refresher.refresh_now()
    await refresher.stop()

    assert outcome.loaded
    call = catalog.get(Exchange.NFO, NIFTY_CALL)
    assert call is not None
    assert call.broker_symbol("kite") == "NIFTY26DEC24000CE"
    assert refresher.state.text == "Symbols: 2 from Kite, 25 Nov"


async def test_tickets_go_out_while_the_download_hangs(
    harness: Harness, server: MasterServer, tmp_path: Path
) -> None:
    server.serve_day(shoonya_day())
    server.replies["NSE_symbols.txt.zip"] = Reply(
        body=shoonya_day()["NSE_symbols.txt.zip"], hold=True
    )
    runtime = harness.build()
    runtime.masters = MasterRefresher(
        runtime.catalog,
        runtime.events,
        cache_dir=tmp_path / "cache",
        source=ShoonyaMasters(server.url, timeout_s=30.0),
        clock=runtime.clock,
    )

    await runtime.start()  # returns with the download still waiting on the server
    await asyncio.to_thread(server.holding.wait, 10)
    [record] = await runtime.engine.submit_ticket(ticket(quantity=1))
    sent = runtime.repository.get(record.command_id)
    server.release.set()
    await runtime.masters.started()

    assert sent is not None
    assert sent.status is OrderStatus.SENT_TO_BROKER
    assert sent.broker_order_id
    assert runtime.catalog.get(Exchange.NFO, NIFTY_CALL) is not None


async def test_kites_master_waits_for_the_days_login_then_catches_up(
    catalog: InstrumentCatalog, tmp_path: Path, clock: object
) -> None:
    fetches: list[str] = []

    def instruments_csv() -> str:
        fetches.append("instruments")
        if len(fetches) == 1:
            raise SessionExpired("Kite session ended: log in again.")
        return KITE_CSV

    events: list[Event] = []
    bus = EventBus()
    bus.subscribe(events.append)
    refresher = MasterRefresher(
        catalog,
        bus,
        cache_dir=tmp_path / "cache",
        source=KiteMasters(instruments_csv),
        clock=clock,  # type: ignore[arg-type]
    )

    refresher.start()
    await refresher.started()
    before_login = catalog.get(Exchange.NFO, NIFTY_CALL)
    refresher.catch_up()  # the day's login has just succeeded
    refresher.catch_up()  # a second login the same day fetches nothing more
    await refresher.settled()
    await refresher.stop()

    assert before_login is None
    warning = next(e.text for e in events if isinstance(e, Notice) and e.level is Level.WARNING)
    assert "could not fetch Kite's masters: Kite session ended: log in again." in warning
    assert catalog.get(Exchange.NFO, NIFTY_CALL) is not None
    assert fetches == ["instruments", "instruments"]
