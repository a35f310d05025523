"""Settings → Intake: saved to the config file and applied to the running intake; a host
beyond this machine is warned about in the dialog and in the window; the token is shown
masked, copied, and regenerated with effect at once."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit
from ui_support import Terminal, TerminalFactory, wait_for
from window_intake_support import Sender, stored_token, ticket

from trader_gui.settings import load_settings
from trader_gui.ui.settings_dialog import SettingsDialog

pytestmark = pytest.mark.gui


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def intake_tab(terminal: Terminal) -> SettingsDialog:
    dialog = terminal.window.open_settings()
    dialog.tabs.setCurrentWidget(dialog.intake_page)
    return dialog


def test_the_intake_tab_saves_and_turns_the_intake_on_in_the_running_program(
    qtbot: Any, terminal: Terminal
) -> None:
    assert terminal.bridge.intake_url is None
    port = free_port()
    page = intake_tab(terminal).intake_page
    assert not page.enabled.isChecked()
    assert not page.port.isEnabled()  # nothing to set while it is off

    page.enabled.setChecked(True)
    page.port.setValue(port)
    page.approval.setChecked(True)
    page.timeout.setValue(90)
    page.rate.setValue(5)
    terminal.window.settings_dialog.save()  # type: ignore[union-attr]

    saved = load_settings(terminal.paths.config_file)
    assert saved.intake_port == port
    assert saved.intake_host is None  # 127.0.0.1
    assert saved.intake_approval is True
    assert (saved.intake_approval_timeout_s, saved.intake_rate_per_s) == (90.0, 5.0)
    wait_for(qtbot, lambda: terminal.bridge.intake_url == f"http://127.0.0.1:{port}")
    reply = Sender(qtbot, terminal).post(ticket())
    assert reply.status == 202  # approval applies at once
    assert "waits here" in terminal.window.approvals.intake_state.text()
    assert not terminal.window.intake_warning.isVisible()


def test_a_host_beyond_this_machine_is_warned_about_in_the_dialog(
    qtbot: Any, terminal: Terminal
) -> None:
    page = intake_tab(terminal).intake_page
    page.enabled.setChecked(True)
    assert not page.host_error.isVisible()

    page.host.clear()
    qtbot.keyClicks(page.host, "0.0.0.0")

    assert page.host_error.isVisible()
    assert "lets other machines reach the intake" in page.host_error.text()
    assert page.host.property("state") == "warn"
    page.host.setText("localhost")
    assert not page.host_error.isVisible()
    page.host.setText("not an address")
    terminal.window.settings_dialog.save()  # type: ignore[union-attr]
    assert page.host.property("invalid") is True
    assert terminal.window.settings_dialog is not None  # not saved, nothing lost
    assert page.host.text() == "not an address"


def test_the_window_warns_while_the_intake_listens_beyond_this_machine(
    qtbot: Any, terminals: TerminalFactory
) -> None:
    terminal = terminals.open(intake_port=0, intake_host="0.0.0.0")
    warning = terminal.window.intake_warning

    wait_for(qtbot, warning.isVisible)
    assert "0.0.0.0" in warning.text()
    assert "open to the network" in warning.text()

    page = intake_tab(terminal).intake_page
    page.host.setText("127.0.0.1")
    page.port.setValue(free_port())
    terminal.window.settings_dialog.save()  # type: ignore[union-attr]

    wait_for(qtbot, lambda: not warning.isVisible())
    assert (terminal.bridge.intake_url or "").startswith("http://127.0.0.1:")


def test_regenerating_the_token_refuses_the_old_one_at_once(
    qtbot: Any, terminals: TerminalFactory
) -> None:
    terminal = terminals.open(intake_port=0)
    old = stored_token()
    page = intake_tab(terminal).intake_page
    wait_for(qtbot, lambda: page.token.text() == old)
    assert page.token.echoMode() is QLineEdit.EchoMode.Password
    qtbot.mouseClick(page.show_token, Qt.MouseButton.LeftButton)
    assert page.token.echoMode() is QLineEdit.EchoMode.Normal
    qtbot.mouseClick(page.copy_token, Qt.MouseButton.LeftButton)
    assert QApplication.clipboard().text() == old

    qtbot.mouseClick(page.regenerate, Qt.MouseButton.LeftButton)
    wait_for(qtbot, lambda: page.token_question is not None)
    box = page.token_question
    assert box is not None
    assert box.defaultButton().text() == "Keep the token"
    make = next(b for b in box.buttons() if b.text() == "Make a new token")
    qtbot.mouseClick(make, Qt.MouseButton.LeftButton)
    wait_for(qtbot, lambda: page.token.text() not in ("", old))

    new = page.token.text()
    assert stored_token() == new
    sender = Sender(qtbot, terminal)
    refused = sender.post(ticket(client_order_id="old-token"), token=old)
    assert refused.status == 401
    assert terminal.window.orders.model.rowCount() == 0  # nothing recorded
    accepted = sender.post(ticket(client_order_id="new-token"), token=new)
    assert accepted.status == 201
    wait_for(qtbot, lambda: terminal.record(accepted.body["command_id"]) is not None)


def test_a_port_in_use_is_said_and_the_intake_stays_off(qtbot: Any, terminal: Terminal) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        page = intake_tab(terminal).intake_page
        page.enabled.setChecked(True)
        page.port.setValue(port)
        terminal.window.settings_dialog.save()  # type: ignore[union-attr]

        wait_for(qtbot, lambda: terminal.window.error_box is not None)
    assert f"cannot listen on 127.0.0.1:{port}" in terminal.window.error_box.text()  # type: ignore[union-attr]
    assert terminal.bridge.intake_url is None
    assert "intake is off" in terminal.window.approvals.intake_state.text()
