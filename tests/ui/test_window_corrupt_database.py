"""A damaged database at start-up: the window says so and offers to move it aside."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication, QMessageBox
from ui_support import run

from trader_gui import app
from trader_gui.engine.assembly import LaunchOptions
from trader_gui.paths import AppPaths
from trader_gui.settings import Settings


def _damaged_database(tmp_path: Path) -> AppPaths:
    paths = AppPaths.under(tmp_path)
    paths.ensure()
    paths.database_file.write_bytes(b"this is not a database, it is a shopping list\n" * 50)
    return paths


def _answer(qtbot: Any, button_text: str) -> None:
    """Click a button of the message box once it shows (a person's click, not a shortcut)."""

    def box() -> QMessageBox | None:
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, QMessageBox) and widget.isVisible():
                return widget
        return None

    qtbot.waitUntil(lambda: box() is not None, timeout=5_000)
    found = box()
    assert found is not None
    assert "cannot open the database" in found.text()
    [button] = [b for b in found.buttons() if b.text() == button_text]
    button.click()


def test_moving_a_damaged_database_aside_starts_on_a_new_one(
    qtbot: Any, qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    paths = _damaged_database(tmp_path)
    original = paths.database_file.read_bytes()
    task = qloop.create_task(app._build_or_log_in(Settings(), paths, LaunchOptions()))

    _answer(qtbot, "Move aside and start")
    qtbot.waitUntil(task.done, timeout=10_000)
    runtime = task.result()

    assert runtime is not None
    run(qtbot, runtime.stop())
    [kept] = [p for p in paths.data_dir.iterdir() if ".corrupt-" in p.name and p.suffix != "-"]
    assert kept.read_bytes() == original  # renamed, never deleted or overwritten
    assert paths.database_file.read_bytes().startswith(b"SQLite format 3\x00")


def test_declining_leaves_the_file_as_it_was_and_does_not_start(
    qtbot: Any, qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    paths = _damaged_database(tmp_path)
    original = paths.database_file.read_bytes()
    task = qloop.create_task(app._build_or_log_in(Settings(), paths, LaunchOptions()))

    _answer(qtbot, "Close")
    qtbot.waitUntil(task.done, timeout=10_000)

    assert task.result() is None
    assert paths.database_file.read_bytes() == original


pytestmark = pytest.mark.usefixtures("qapp")
