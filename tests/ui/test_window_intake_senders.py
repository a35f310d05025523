"""Settings → Intake's senders: adding one makes its token, which works at once and names the
sender on its orders; removing one (after asking) refuses its token at once; each sender's
approval rule is saved with the dialog and decides whether its orders wait."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit
from ui_support import Terminal, TerminalFactory, wait_for
from window_intake_support import Sender, stored_token, ticket

from trader_gui import credentials
from trader_gui.domain.enums import OrderStatus
from trader_gui.engine.intake_token import read_token, token_name
from trader_gui.settings import load_settings
from trader_gui.ui.intake_settings import IntakeSettingsPage

pytestmark = pytest.mark.gui


def intake_page(terminal: Terminal) -> IntakeSettingsPage:
    dialog = terminal.window.open_settings()
    dialog.tabs.setCurrentWidget(dialog.intake_page)
    return dialog.intake_page


def add(qtbot: Any, page: IntakeSettingsPage, name: str) -> None:
    page.new_sender.clear()
    qtbot.keyClicks(page.new_sender, name)
    qtbot.mouseClick(page.add_sender, Qt.MouseButton.LeftButton)


def source_cell(terminal: Terminal, command_id: str) -> str:
    model = terminal.window.orders.model
    return str(model.index_of(command_id, model.column_index("source")).data())


@pytest.fixture
def listening(terminals: TerminalFactory) -> Terminal:
    """Listening on a port of its own: the sender list is saved with the port in the file."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    return terminals.open(intake_port=port)


def test_an_added_sender_gets_a_token_that_works_at_once(qtbot: Any, listening: Terminal) -> None:
    page = intake_page(listening)
    wait_for(qtbot, lambda: page.token.text() == stored_token())
    assert page.sender_names() == ["default"]

    add(qtbot, page, "TradingView")

    wait_for(qtbot, lambda: page.sender_names() == ["default", "tradingview"])
    wait_for(qtbot, lambda: page.token.text() not in ("", stored_token()))
    assert page.token_label.text() == "Token of tradingview"
    assert page.token.echoMode() is QLineEdit.EchoMode.Password
    qtbot.mouseClick(page.show_token, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(page.copy_token, Qt.MouseButton.LeftButton)
    token = page.token.text()
    assert QApplication.clipboard().text() == token
    assert read_token(sender="tradingview").reveal() == token  # type: ignore[union-attr]
    assert load_settings(listening.paths.config_file).intake_senders == {"tradingview": "global"}
    assert token not in listening.paths.config_file.read_text(encoding="utf-8")

    reply = Sender(qtbot, listening).post(ticket(client_order_id="tv-1"), token=token)

    assert reply.status == 201, reply.body
    command_id = reply.body["command_id"]
    wait_for(
        qtbot, lambda: (r := listening.record(command_id)) and r.status is OrderStatus.EXECUTED
    )
    assert listening.record(command_id).command.sender == "tradingview"  # type: ignore[union-attr]
    assert source_cell(listening, command_id) == "EXTERNAL · tradingview"
    listening.window.orders.select(command_id)
    wait_for(qtbot, lambda: "EXTERNAL · tradingview" in listening.window.lifecycle.title.text())


def test_a_bad_or_taken_name_is_marked_and_nothing_is_added(
    qtbot: Any, listening: Terminal
) -> None:
    page = intake_page(listening)

    add(qtbot, page, "my bot!")

    assert page.new_sender.property("invalid") is True
    assert "not a sender name" in page.sender_note.text()
    add(qtbot, page, "default")
    assert "already a sender 'default'" in page.sender_note.text()
    assert page.sender_names() == ["default"]
    assert not page.remove_sender.isEnabled()  # the default sender stays


def test_removing_a_sender_asks_then_refuses_its_token_at_once(
    qtbot: Any, listening: Terminal
) -> None:
    page = intake_page(listening)
    add(qtbot, page, "friendbot")
    wait_for(qtbot, lambda: "friendbot" in page.sender_names() and page.token.text() != "")
    token = page.token.text()
    sender = Sender(qtbot, listening)
    assert sender.post(ticket(client_order_id="f1"), token=token).status == 201

    qtbot.mouseClick(page.remove_sender, Qt.MouseButton.LeftButton)
    wait_for(qtbot, lambda: page.sender_question is not None)
    box = page.sender_question
    assert box is not None
    assert box.defaultButton().text() == "Keep it"
    remove = next(b for b in box.buttons() if b.text() == "Remove")
    qtbot.mouseClick(remove, Qt.MouseButton.LeftButton)

    wait_for(qtbot, lambda: page.sender_names() == ["default"])
    refused = sender.post(ticket(client_order_id="f2", strategy="ext2"), token=token)
    assert refused.status == 401
    assert listening.window.orders.model.rowCount() == 1  # only the order sent before
    assert credentials.default_store().get_secret(token_name("friendbot")) is None
    assert load_settings(listening.paths.config_file).intake_senders == {}
    assert sender.post(ticket(strategy="ext3")).status == 201  # the default token still works


def test_a_senders_approval_rule_is_saved_and_holds_its_orders(
    qtbot: Any, listening: Terminal
) -> None:
    page = intake_page(listening)
    add(qtbot, page, "friendbot")
    wait_for(qtbot, lambda: "friendbot" in page.sender_names() and page.token.text() != "")
    token = page.token.text()
    box = page.approval_box("friendbot")
    box.setCurrentIndex(box.findData("always"))

    listening.window.settings_dialog.save()  # type: ignore[union-attr]

    assert load_settings(listening.paths.config_file).intake_senders == {"friendbot": "always"}
    sender = Sender(qtbot, listening)
    wait_for(qtbot, lambda: listening.bridge.intake_config.waits("friendbot"))
    held = sender.post(ticket(client_order_id="h1"), token=token)
    sent = sender.post(ticket(client_order_id="h1", strategy="ext2"))
    assert (held.status, sent.status) == (202, 201)
    panel = listening.window.approvals
    wait_for(qtbot, lambda: panel.model.get(held.body["command_id"]) is not None)
    sender_column = panel.model.column_index("sender")
    assert panel.model.index(0, sender_column).data() == "friendbot"
    assert "orders from friendbot wait here for you" in panel.intake_state.text()
