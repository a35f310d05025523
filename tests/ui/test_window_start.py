"""Start-up: a window is on screen before the engine is imported or built, tickets wait until
the engine is ready, the intake's and Telegram's libraries stay unloaded while they are off,
closing the starting window ends the start, and a second window on the same database is
refused with a sentence."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QApplication, QMainWindow, QMessageBox
from ui_support import OPTION, TEST_SETTINGS, TerminalFactory, submit, type_ticket, wait_for

from trader_gui import app
from trader_gui.domain.enums import OrderStatus, Side
from trader_gui.engine.assembly import open_repository
from trader_gui.engine.launch_options import LaunchOptions
from trader_gui.paths import AppPaths
from trader_gui.persistence.database import sqlite_url
from trader_gui.ui.starting_window import LAYOUT_FILE, StartingWindow
from trader_gui.ui.startup_probe import ENVIRONMENT

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def program_start(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One real `python -m trader_gui` (paper broker, intake and Telegram off) to ready; the
    start-up probe reports its stages and the libraries loaded at each, then closes it."""
    home = tmp_path_factory.mktemp("home")
    probe = home / "probe.json"
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_STATE_HOME": str(home / "state"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "QT_QPA_PLATFORM": "offscreen",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",  # never the real keyring
        "PYTHONPATH": os.pathsep.join([str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")]),
        ENVIRONMENT: str(probe),
    }
    done = subprocess.run(
        [sys.executable, "-m", "trader_gui"],
        env=env,
        cwd=home,
        capture_output=True,
        text=True,
        timeout=100,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report: dict[str, Any] = json.loads(probe.read_text(encoding="utf-8"))
    return report


def test_the_window_paints_before_the_engine_is_imported_or_built(
    program_start: dict[str, Any],
) -> None:
    marks = program_start["marks"]
    assert "sqlalchemy" not in program_start["heavy_modules_loaded"]["first_paint"]
    assert marks["first_paint"] <= marks["imported"] <= marks["engine_built"] <= marks["ready"]


def test_once_started_a_full_collection_walks_only_what_came_after_start_up(
    program_start: dict[str, Any],
) -> None:
    """Start-up's objects are frozen once the chart is built: a full collection during a
    burst of orders then walks the day's objects, not the program's hundred thousand."""
    assert program_start["objects_frozen"] > 50_000
    assert program_start["objects_collectable"] < program_start["objects_frozen"] / 5


def test_a_start_with_intake_and_telegram_off_never_imports_their_libraries(
    program_start: dict[str, Any],
) -> None:
    at_ready = program_start["heavy_modules_loaded"]["ready"]
    assert "sqlalchemy" in at_ready  # the engine is up: the list is not empty by accident
    assert "aiohttp" not in at_ready
    assert "httpx" not in at_ready


def test_a_ticket_waits_until_the_engine_is_ready(qtbot: Any, terminals: TerminalFactory) -> None:
    terminal = terminals.open(start=False)
    entry = terminal.entry
    type_ticket(qtbot, entry, symbol=OPTION.lower(), quantity="2", side=Side.BUY)

    assert not entry.submit_button.isEnabled()
    assert entry.form_hint.text() == "Waiting for the engine: reconciling with the broker…"

    terminal.window.start()
    wait_for(qtbot, lambda: terminal.bridge.is_ready)
    assert entry.submit_button.isEnabled()
    assert submit(qtbot, entry).status in (OrderStatus.SENT_TO_BROKER, OrderStatus.EXECUTED)


def test_closing_the_starting_window_ends_the_start_before_the_database_opens(
    qtbot: Any, qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    paths = AppPaths.under(tmp_path)
    starting = StartingWindow("paper", "DEMO", config_dir=paths.config_dir)
    qtbot.addWidget(starting)
    starting.show()
    starting.close()

    task = qloop.create_task(app._start_engine(TEST_SETTINGS, paths, LaunchOptions(), starting))
    wait_for(qtbot, task.done)

    assert task.result() is None
    assert not paths.database_file.exists()


def test_the_starting_window_takes_the_place_the_main_window_was_left_at(
    qtbot: Any, tmp_path: Path
) -> None:
    left = QMainWindow()
    qtbot.addWidget(left)
    left.resize(620, 430)
    store = QSettings(str(tmp_path / LAYOUT_FILE), QSettings.Format.IniFormat)
    store.setValue("geometry", left.saveGeometry())
    store.sync()
    assert isinstance(store.value("geometry"), QByteArray | bytes)

    starting = StartingWindow("paper", "DEMO", config_dir=tmp_path)
    qtbot.addWidget(starting)

    assert (starting.width(), starting.height()) == (620, 430)
    assert "starting" in starting.windowTitle()


def test_a_second_window_on_the_same_database_is_refused_with_a_sentence(
    qtbot: Any, qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    paths = AppPaths.under(tmp_path)
    paths.ensure()
    first = open_repository(sqlite_url(paths.database_file), single_instance=True)
    try:
        task = qloop.create_task(app._build_or_log_in(TEST_SETTINGS, paths, LaunchOptions()))

        wait_for(qtbot, lambda: _visible_box() is not None)
        box = _visible_box()
        assert box is not None
        assert box.windowTitle() == "trader-gui cannot start"
        assert "another trader-gui" in box.text()
        assert "is already running" in box.text()
        box.button(QMessageBox.StandardButton.Close).click()
        wait_for(qtbot, task.done)
        assert task.result() is None
    finally:
        first.close()


def _visible_box() -> QMessageBox | None:
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, QMessageBox) and widget.isVisible():
            return widget
    return None
