"""Symbol masters in the window: loaded by hand from files, refreshed from the broker while
tickets keep going out, the count and day in the status bar, the reason when nothing changed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import ui_support
from master_server import MasterServer, Reply, master_server, shoonya_day, write_shoonya_day
from ui_support import Terminal, TerminalFactory, submit, type_ticket, wait_for

from trader_gui.domain.enums import Exchange, OrderStatus
from trader_gui.domain.instruments import InstrumentCatalog
from trader_gui.domain.market_time import utc_now
from trader_gui.engine.events import MONTHS, MastersLoaded
from trader_gui.engine.master_refresh import MasterRefresher, ShoonyaMasters, ist_date

pytestmark = pytest.mark.gui

NIFTY_CALL = "NIFTY29DEC2624000CE"


@pytest.fixture
def server() -> Iterator[MasterServer]:
    with master_server() as running:
        yield running


@pytest.fixture
def terminal(
    terminals: TerminalFactory, monkeypatch: pytest.MonkeyPatch, server: MasterServer
) -> Terminal:
    """A window on its own copy of the catalog (the masters replace its contents), with a
    refresher that fetches Shoonya's masters from the local server."""
    monkeypatch.setattr(ui_support, "CATALOG", InstrumentCatalog(ui_support.CATALOG.all()))
    opened = terminals.open()
    runtime = opened.runtime
    runtime.masters = MasterRefresher(
        runtime.catalog,
        runtime.events,
        cache_dir=opened.paths.cache_dir,
        source=ShoonyaMasters(server.url, timeout_s=30.0),
    )
    return opened


def today_text() -> str:
    today = ist_date(utc_now())
    return f"{today.day} {MONTHS[today.month - 1]}"


def suggestions(qtbot: Any, terminal: Terminal, prefix: str) -> list[str]:
    entry = terminal.entry
    entry.symbol.clear()
    qtbot.keyClicks(entry.symbol, prefix)
    entry.completer.popup().hide()
    model = entry.completer.instruments
    return [model.index(row).data().split()[0] for row in range(model.rowCount())]


def test_files_chosen_in_the_dialog_load_and_the_status_bar_says_how_many(
    qtbot: Any, terminal: Terminal, tmp_path: Path
) -> None:
    window = terminal.window
    files = write_shoonya_day(tmp_path / "downloads")
    assert window.status.masters.text().startswith("Symbols: ")
    assert NIFTY_CALL not in suggestions(qtbot, terminal, "NIFTY29DEC2624")

    window.masters.load_action.trigger()
    dialog = window.masters.file_dialog
    assert dialog is not None
    assert dialog.isVisible()
    dialog.filesSelected.emit([str(path) for path in files])
    wait_for(qtbot, lambda: window.masters.result_box is not None)

    box = window.masters.result_box
    assert box is not None
    assert "Loaded 10 instruments from" in box.text()
    assert "blank rows: 2" in box.text()
    assert window.status.masters.text() == f"Symbols: 10 from Shoonya, {today_text()}"
    assert NIFTY_CALL in suggestions(qtbot, terminal, "NIFTY29DEC2624")
    dialog.close()


def test_a_bad_file_keeps_the_list_and_says_which_line_and_why(
    qtbot: Any, terminal: Terminal, tmp_path: Path
) -> None:
    window = terminal.window
    bad = tmp_path / "NFO_symbols.txt"
    bad.write_text(
        "Exchange,Token,LotSize,Symbol,TradingSymbol,Expiry,Instrument,OptionType,StrikePrice,TickSize,\n"
        "NFO,43650,65,NIFTY,NIFTY29DEC26F,31-FOO-2026,FUTIDX,XX,0,0.10,\n",
        encoding="utf-8",
    )
    label = window.status.masters.text()
    count = len(terminal.runtime.catalog)

    window.masters.load([str(bad)])
    wait_for(qtbot, lambda: window.masters.result_box is not None)

    box = window.masters.result_box
    assert box is not None
    assert "NFO_symbols.txt, line 2" in box.text()
    assert "31-FOO-2026" in box.text()
    assert len(terminal.runtime.catalog) == count
    assert window.status.masters.text() == label


def test_a_ticket_goes_out_while_the_refresh_waits_on_the_broker(
    qtbot: Any, terminal: Terminal, server: MasterServer
) -> None:
    window = terminal.window
    server.serve_day(shoonya_day())
    server.replies["NFO_symbols.txt.zip"] = Reply(
        body=shoonya_day()["NFO_symbols.txt.zip"], hold=True
    )

    window.masters.refresh_action.trigger()
    wait_for(qtbot, server.holding.is_set)
    type_ticket(qtbot, terminal.entry, symbol="SBIN", quantity="1")
    record = submit(qtbot, terminal.entry)
    assert record.status in (OrderStatus.SENT_TO_BROKER, OrderStatus.EXECUTED)
    assert record.broker_order_id  # placed at the broker while the download hangs
    assert window.masters.result_box is None
    assert not window.masters.refresh_action.isEnabled()
    server.release.set()
    wait_for(qtbot, lambda: window.masters.result_box is not None)

    assert window.status.masters.text() == f"Symbols: 10 from Shoonya, {today_text()}"
    assert terminal.runtime.catalog.get(Exchange.NFO, NIFTY_CALL) is not None
    assert window.masters.refresh_action.isEnabled()


def test_a_failed_refresh_is_shown_with_the_servers_words(
    qtbot: Any, terminal: Terminal, server: MasterServer
) -> None:
    window = terminal.window
    server.serve_day(shoonya_day())
    server.replies["MCX_symbols.txt.zip"] = Reply(500, b"Internal error: try later")
    count = len(terminal.runtime.catalog)

    window.masters.refresh_action.trigger()
    wait_for(qtbot, lambda: window.masters.result_box is not None)

    box = window.masters.result_box
    assert box is not None
    assert "not refreshed" in box.text()
    assert "HTTP 500" in box.text()
    assert "Internal error: try later" in box.text()
    assert len(terminal.runtime.catalog) == count
    assert "not refreshed" in window.status.currentMessage()


def test_masters_of_an_earlier_day_are_marked_in_the_status_bar(terminal: Terminal) -> None:
    status = terminal.window.status
    today = ist_date(utc_now())

    status.show_masters(MastersLoaded(98_412, "Shoonya", today - timedelta(days=1)))
    stale = (status.masters.property("state"), status.masters.toolTip())
    status.show_masters(MastersLoaded(98_412, "Shoonya", today))

    assert stale[0] == "warn"
    assert "These masters are not today's" in stale[1]
    assert status.masters.property("state") == "ok"
    assert status.masters.text() == f"Symbols: 98,412 from Shoonya, {today_text()}"
