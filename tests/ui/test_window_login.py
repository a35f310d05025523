"""File → Log in to broker…: credentials go to the OS keyring through the credential store,
masked while typed, and are never shown again; a store that cannot keep them says so."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from keyring_doubles import MemoryKeyring, PlaintextKeyring, keyring_in_use
from PySide6.QtWidgets import QLabel, QLineEdit
from ui_support import Terminal, TerminalFactory, wait_for

import trader_gui.credentials
from trader_gui.credentials import NO_SECURE_STORE
from trader_gui.ui.login_dialog import BrokerLoginDialog

SECRETS = {
    "password": "hunter2-Pa55",
    "totp_secret": "JBSWY3DPEHPK3PXPJBSWY3DP",
    "vendor_code": "FA12345_U",
    "api_secret": "a9f0c3e1b2d4-secret",
}


def everything_shown(dialog: BrokerLoginDialog) -> str:
    """Every text the dialog shows or holds: labels and fields."""
    texts = [label.text() for label in dialog.findChildren(QLabel)]
    texts += [edit.text() for edit in dialog.findChildren(QLineEdit)]
    return "\n".join(texts)


def open_login(qtbot: Any, terminal: Terminal) -> BrokerLoginDialog:
    window = terminal.window
    window.login_action.trigger()
    dialog = window.login_dialog
    assert dialog is not None
    assert dialog.isVisible()
    wait_for(qtbot, lambda: dialog.backend is not None)
    return dialog


def test_credentials_are_stored_in_the_keyring_and_never_shown_again(
    qtbot: Any,
    terminal: Terminal,
    keyring_backend: MemoryKeyring,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    window = terminal.window
    assert window.login_action in window.menuBar().actions()[0].menu().actions()
    dialog = open_login(qtbot, terminal)
    assert dialog.backend_label.text() == f"Credentials are kept in {dialog.backend.name}."
    dialog.broker.setCurrentText("shoonya")
    qtbot.keyClicks(dialog.client, "fa12345")
    edits = dialog.field_edits
    assert list(edits) == [
        "user",
        "password",
        "totp_secret",
        "vendor_code",
        "api_secret",
        "imei",
        "access_token",
    ]
    for name in ("password", "totp_secret", "api_secret", "access_token"):
        assert edits[name].echoMode() is QLineEdit.EchoMode.Password
    for name in ("user", "vendor_code", "imei"):
        assert edits[name].echoMode() is QLineEdit.EchoMode.Normal

    qtbot.keyClicks(edits["password"], SECRETS["password"])
    dialog.save()
    wait_for(qtbot, lambda: dialog.error.isVisible())
    assert dialog.error.text() == (
        "shoonya needs password, totp_secret, vendor_code, api_secret (or access_token); "
        "missing: totp_secret, vendor_code, api_secret"
    )
    assert edits["totp_secret"].property("invalid") is True
    assert edits["password"].property("invalid") is False
    assert keyring_backend.entries == {}

    qtbot.keyClicks(edits["totp_secret"], "123456")  # a code, not the key
    qtbot.keyClicks(edits["vendor_code"], SECRETS["vendor_code"])
    qtbot.keyClicks(edits["api_secret"], SECRETS["api_secret"])
    dialog.save()
    wait_for(qtbot, lambda: "not a valid TOTP key" in dialog.error.text())
    assert edits["totp_secret"].property("invalid") is True
    assert keyring_backend.entries == {}

    edits["totp_secret"].clear()
    qtbot.keyClicks(edits["totp_secret"], SECRETS["totp_secret"])
    dialog.save()
    wait_for(qtbot, lambda: dialog.result.isVisible())

    stored = json.loads(keyring_backend.entries[("trader-gui-ui-test", "shoonya:FA12345")])
    assert stored == {**SECRETS, "user": "FA12345"}
    assert dialog.result.text() == (
        f"Stored shoonya credentials for FA12345 in {dialog.backend.name}: "
        "user, password, totp_secret, vendor_code, api_secret. They are used from the next start."
    )
    assert all(edit.text() == "" for edit in edits.values())
    wait_for(qtbot, lambda: dialog.stored_label.text().startswith("Stored for FA12345:"))
    assert not dialog.error.isVisible()
    shown = everything_shown(dialog)
    assert not any(secret in shown for secret in SECRETS.values())
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "stored shoonya credentials for FA12345" in logged
    assert not any(secret in logged for secret in SECRETS.values())
    panel = "\n".join(window.log_panel.lines())
    assert not any(secret in panel for secret in SECRETS.values())
    assert not any(secret in window.status.currentMessage() for secret in SECRETS.values())

    dialog.close()
    wait_for(qtbot, lambda: window.login_dialog is None)
    again = open_login(qtbot, terminal)
    again.broker.setCurrentText("shoonya")
    again.client.setText("FA12345")
    again.client.editingFinished.emit()
    wait_for(qtbot, lambda: again.stored_label.text().startswith("Stored for FA12345:"))
    assert again.stored_label.text() == (
        "Stored for FA12345: api_secret, password, totp_secret, user, vendor_code. "
        "Storing again replaces them."
    )
    assert all(edit.text() == "" for edit in again.field_edits.values())
    assert not any(secret in everything_shown(again) for secret in SECRETS.values())


def test_kite_asks_for_its_api_key_and_secret(qtbot: Any, terminal: Terminal) -> None:
    dialog = open_login(qtbot, terminal)
    dialog.broker.setCurrentText("kite")
    assert list(dialog.field_edits) == ["api_key", "api_secret"]
    assert dialog.field_edits["api_secret"].echoMode() is QLineEdit.EchoMode.Password
    assert "browser login" in dialog.note.text()


def test_no_secure_store_is_said_once_at_start(
    qtbot: Any, terminals: TerminalFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    trader_gui.credentials.default_store.cache_clear()
    with keyring_in_use(PlaintextKeyring()):
        terminal = terminals.open()
        window = terminal.window
        wait_for(qtbot, lambda: window.credential_warning is not None)
        assert window.credential_warning == NO_SECURE_STORE
        wait_for(qtbot, lambda: any(NO_SECURE_STORE in line for line in window.log_panel.lines()))
        assert sum(NO_SECURE_STORE in line for line in window.log_panel.lines()) == 1

        dialog = open_login(qtbot, terminal)
        assert dialog.backend_label.text() == f"Warning: {NO_SECURE_STORE}."
        assert dialog.backend_label.property("state") == "bad"
    trader_gui.credentials.default_store.cache_clear()
