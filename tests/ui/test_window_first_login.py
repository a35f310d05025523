"""A first start on a real broker without credentials: the login dialog comes first, says
why, and the engine is built once the credentials are stored (no command line needed)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from keyring_doubles import MemoryKeyring
from PySide6.QtWidgets import QApplication
from ui_support import TEST_SETTINGS, run, wait_for

from trader_gui.app import _build_or_log_in
from trader_gui.engine.assembly import LaunchOptions
from trader_gui.paths import AppPaths
from trader_gui.ui.login_dialog import BrokerLoginDialog

SHOONYA = replace(TEST_SETTINGS, broker="shoonya", client_id="FA12345")


def login_dialog() -> BrokerLoginDialog | None:
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, BrokerLoginDialog) and widget.isVisible():
            return widget
    return None


def test_the_login_dialog_comes_first_then_the_engine_starts(
    qtbot: Any, qloop: asyncio.AbstractEventLoop, tmp_path: Path, keyring_backend: MemoryKeyring
) -> None:
    building = qloop.create_task(
        _build_or_log_in(SHOONYA, AppPaths.under(tmp_path), LaunchOptions())
    )
    wait_for(qtbot, lambda: login_dialog() is not None)
    dialog = login_dialog()
    assert dialog is not None
    assert dialog.reason.text().startswith("No shoonya credentials for FA12345")
    assert dialog.broker.currentText() == "shoonya"
    assert dialog.client.text() == "FA12345"
    for name, value in {
        "password": "pw-1",
        "totp_secret": "JBSWY3DPEHPK3PXPJBSWY3DP",
        "vendor_code": "FA12345_U",
        "api_secret": "api-2",
    }.items():
        qtbot.keyClicks(dialog.field_edits[name], value)
    dialog.save()

    wait_for(qtbot, building.done)
    runtime = building.result()
    assert runtime is not None
    assert runtime.broker.name == "shoonya"
    stored = json.loads(keyring_backend.entries[("trader-gui-ui-test", "shoonya:FA12345")])
    assert stored["vendor_code"] == "FA12345_U"
    assert login_dialog() is None
    run(qtbot, runtime.stop())


def test_closing_the_login_dialog_does_not_start(
    qtbot: Any, qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    building = qloop.create_task(
        _build_or_log_in(SHOONYA, AppPaths.under(tmp_path), LaunchOptions())
    )
    wait_for(qtbot, lambda: login_dialog() is not None)
    dialog = login_dialog()
    assert dialog is not None
    dialog.close()
    wait_for(qtbot, building.done)
    assert building.result() is None
