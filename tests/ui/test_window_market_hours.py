"""The market's clock in the window: the status bar's market state, the order form's AMO line
before Buy/Sell, the AMO marker in the orders and lifecycle panels, and the MIS square-off
countdown in the positions panel, amber under 15 minutes and red under 5.

Each terminal runs on a fake clock set to an IST moment, with the bundled calendar: the
engine keeps the market's hours and the paper broker is in session mode."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from clocks import FakeClock
from PySide6.QtCore import Qt
from ui_support import OPTION, Terminal, TerminalFactory, submit, type_ticket, wait_for

from trader_gui.domain.enums import Tag
from trader_gui.domain.market_time import IST
from trader_gui.persistence.calendar_file import load_bundled_calendar
from trader_gui.settings import load_settings

CALENDAR = load_bundled_calendar()


def ist(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=IST)


def open_at(terminals: TerminalFactory, moment: datetime) -> tuple[Terminal, FakeClock]:
    clock = FakeClock(moment)
    return terminals.open(clock=clock, calendar=CALENDAR), clock


def test_the_status_bar_shows_the_market_open_with_its_close(
    qtbot: Any, terminals: TerminalFactory
) -> None:
    terminal, _clock = open_at(terminals, ist(25, 10))
    market = terminal.window.status.market

    assert market.isVisibleTo(terminal.window)
    assert market.text() == "NSE open · closes 15:30 | NFO open · closes 15:30"
    assert market.property("state") == "ok"
    assert "NSE is open until 15:30." in market.toolTip()


def test_the_status_bar_names_a_holiday_and_the_next_open_and_moves_with_the_clock(
    qtbot: Any, terminals: TerminalFactory
) -> None:
    terminal, clock = open_at(terminals, ist(24, 11))  # Prakash Gurpurb, a Tuesday
    market = terminal.window.status.market

    assert market.text().startswith(
        "NSE holiday: Prakash Gurpurb Sri Guru Nanak Dev · opens Wed 09:15"
    )
    assert market.property("state") == "off"
    clock.jump_to(ist(28, 11))  # Saturday
    terminal.window.market_clock.refresh()  # what its timer does every few seconds
    assert market.text() == "NSE closed · opens Mon 09:15 | NFO closed · opens Mon 09:15"


def test_a_saturday_ticket_says_amo_before_sending_and_is_marked_amo_after(
    qtbot: Any, terminals: TerminalFactory
) -> None:
    terminal, _clock = open_at(terminals, ist(28, 11))
    entry = terminal.entry

    type_ticket(qtbot, entry, symbol=OPTION, quantity="1", order_type="LIMIT", price="100")
    wait_for(qtbot, lambda: entry.session_note)

    assert entry.session_note == (
        "Market closed: this order will go as an AMO (opens Mon 30 Nov 09:15)."
    )
    assert "takes after-market orders at any hour" in entry.session_label.toolTip()
    assert entry.session_label.property("state") == ""
    record = submit(qtbot, entry)
    assert record.amo
    model = terminal.window.orders.model
    wait_for(qtbot, lambda: model.get(record.command_id) is not None)
    row = model.row_of(record.command_id)
    cell = model.index(row, model.column_index("order_type"))
    assert model.data(cell, Qt.ItemDataRole.DisplayRole) == "LIMIT · AMO"
    lifecycle = terminal.window.lifecycle
    lifecycle.show_order(model.get(record.command_id))
    assert "AMO" in lifecycle.title.text()


def test_a_mis_ticket_after_the_cutoff_says_it_will_be_refused_and_is(
    qtbot: Any, terminals: TerminalFactory
) -> None:
    terminal, _clock = open_at(terminals, ist(25, 15, 17))
    entry = terminal.entry

    type_ticket(qtbot, entry, symbol="SBIN", quantity="1")
    entry.product.setCurrentText("MIS")
    wait_for(qtbot, lambda: entry.session_note)

    assert entry.session_note.startswith("Will be refused: New MIS orders are refused after 15:15")
    assert entry.session_label.property("state") == "bad"
    record = submit(qtbot, entry)
    assert record.tag is Tag.MIS_CUTOFF


def test_an_open_mis_position_counts_down_to_the_square_off_amber_then_red(
    qtbot: Any, terminals: TerminalFactory
) -> None:
    terminal, clock = open_at(terminals, ist(25, 15, 1))
    entry = terminal.entry
    type_ticket(qtbot, entry, symbol="SBIN", quantity="1")
    entry.product.setCurrentText("MIS")
    submit(qtbot, entry)
    panel = terminal.window.positions
    wait_for(qtbot, lambda: panel.position("NSE", "SBIN") is not None)
    position = panel.position("NSE", "SBIN")
    model = panel.model
    cell = model.index(model.row_of(("NSE", "SBIN", "MIS")), model.column_index("square_off"))

    def shown() -> tuple[str, str | None]:
        colour = model.data(cell, Qt.ItemDataRole.ForegroundRole)
        return model.data(cell, Qt.ItemDataRole.DisplayRole), colour and colour.color().name()

    theme = panel._theme
    assert shown() == ("auto square-off in 19:00", None)
    assert panel.square_off(position) == ("auto square-off in 19:00", "ok")
    assert panel.countdown.isActive()
    clock.jump_to(ist(25, 15, 10))
    assert shown() == ("auto square-off in 10:00", theme.warning)
    clock.jump_to(datetime(2026, 11, 25, 15, 16, 30, tzinfo=IST))
    assert shown() == ("auto square-off in 03:30", theme.loss)


def test_the_paper_session_mode_is_a_setting_that_applies_on_restart(
    terminals: TerminalFactory,
) -> None:
    terminal = terminals.open()
    window = terminal.window
    dialog = window.open_settings()
    assert not dialog.paper_session.isChecked()

    dialog.paper_session.setChecked(True)
    dialog.save()

    assert load_settings(terminal.paths.config_file).paper_session_mode is True
    assert "paper broker session mode change applies on restart" in (window.status.currentMessage())


def test_a_year_without_a_holiday_list_is_said_in_the_status_bar(
    qtbot: Any, terminals: TerminalFactory
) -> None:
    terminal, _clock = open_at(terminals, datetime(2027, 1, 26, 11, tzinfo=IST))  # Republic Day
    market = terminal.window.status.market

    assert market.text().endswith("· no 2027 holiday list")
    assert market.property("state") == "warn"
    assert "lists no holidays for 2027" in market.toolTip()
