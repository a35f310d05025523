"""Log in to a broker: the trader types an account's credentials once, and they go to the OS
keyring through `trader_gui.credentials`.

A secret is never shown again once typed: secret fields are masked (and Qt refuses to copy
them), every field is emptied as soon as the credentials are stored, and afterwards only the
names of the stored fields are ever displayed. Nothing typed here reaches a log line: the
values travel as `Secret`, whose text is masked, and the store logs field names only. The
keyring may be slow (or wait for its unlock prompt), so it is called on a thread of its own.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from trader_gui.credentials import (
    BackendStatus,
    CredentialError,
    CredentialStore,
    CredentialStoreError,
    Secret,
    broker_fields,
    default_store,
)
from trader_gui.ui.dialogs import finished
from trader_gui.ui.tasks import TaskKeeper, in_thread
from trader_gui.ui.widgets import set_invalid, set_state

log = logging.getLogger(__name__)

LOGIN_BROKERS = ("shoonya", "kite")
SECRET_FIELDS = frozenset({"password", "totp_secret", "api_secret", "access_token"})
"""Typed masked; every field is emptied once stored anyway."""
SHOWN_FIELDS = {
    "shoonya": (
        "user",
        "password",
        "totp_secret",
        "vendor_code",
        "api_secret",
        "imei",
        "access_token",
    ),
    # The day's Kite access token comes from its browser login, not from this dialog.
    "kite": ("api_key", "api_secret"),
}
FIELD_TITLES = {
    "user": "User id",
    "password": "Password",
    "totp_secret": "TOTP secret",
    "vendor_code": "Vendor code",
    "api_secret": "API secret",
    "imei": "IMEI",
    "access_token": "Access token",
    "api_key": "API key",
}
FIELD_HINTS = {
    "user": "empty: the client id",
    "password": "",
    "totp_secret": "the base32 key from the 2FA set-up, not a 6-digit code",
    "vendor_code": "",
    "api_secret": "",
    "imei": "optional",
    "access_token": "instead of password and TOTP (OAuth login)",
    "api_key": "",
}
BROKER_NOTES = {
    "shoonya": (
        "Password, TOTP secret, vendor code and API secret; or an access token from "
        "Shoonya's OAuth login instead of the password and TOTP secret."
    ),
    "kite": (
        "API key and API secret of your Kite Connect app. The day's access token comes from "
        "the browser login (`trader-gui login kite`) each trading day."
    ),
}


class BrokerLoginDialog(QDialog):
    stored = Signal(str, str, list)
    """(broker, client id, names of the fields stored) once they are in the store."""

    def __init__(
        self,
        tasks: TaskKeeper,
        *,
        broker: str,
        client_id: str,
        store: Callable[[], CredentialStore] = default_store,
        reason: str = "",
        close_when_stored: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("brokerLoginDialog")
        self.setWindowTitle("Log in to broker")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._tasks = tasks
        self._store = store
        self._saving = False
        self._close_when_stored = close_when_stored
        self.backend: BackendStatus | None = None
        self.reason = QLabel(reason)
        self.reason.setObjectName("loginReason")
        self.reason.setWordWrap(True)
        self.reason.setVisible(bool(reason))
        set_state(self.reason, "state", "bad")

        self.broker = QComboBox()
        self.broker.setObjectName("loginBroker")
        self.broker.addItems(list(LOGIN_BROKERS))
        self.broker.setCurrentText(broker if broker in LOGIN_BROKERS else LOGIN_BROKERS[0])
        self.client = QLineEdit(client_id if broker in LOGIN_BROKERS else "")
        self.client.setObjectName("loginClient")
        self.client.setPlaceholderText("client id, e.g. FA12345")
        self.backend_label = QLabel("Checking the credential store…")
        self.backend_label.setObjectName("backendStatus")
        self.backend_label.setWordWrap(True)
        self.note = QLabel()
        self.note.setObjectName("mutedLabel")
        self.note.setWordWrap(True)
        self.stored_label = QLabel()
        self.stored_label.setObjectName("storedFields")
        self.stored_label.setWordWrap(True)
        self.fields_form = QFormLayout()
        self.field_edits: dict[str, QLineEdit] = {}
        self.error = QLabel()
        self.error.setObjectName("fieldError")
        self.error.setWordWrap(True)
        self.error.setVisible(False)
        self.result = QLabel()
        self.result.setObjectName("loginResult")
        self.result.setWordWrap(True)
        self.result.setVisible(False)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Close
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setText("Store credentials")
        self.save_button.setDefault(True)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.close)

        account = QFormLayout()
        account.addRow("Broker", self.broker)
        account.addRow("Account (client id)", self.client)
        layout = QVBoxLayout(self)
        layout.addWidget(self.reason)
        layout.addWidget(self.backend_label)
        layout.addLayout(account)
        layout.addWidget(self.note)
        layout.addLayout(self.fields_form)
        layout.addWidget(self.stored_label)
        layout.addWidget(self.error)
        layout.addWidget(self.result)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(520)

        self.broker.currentTextChanged.connect(self._broker_changed)
        self.client.editingFinished.connect(self._inspect)
        self._broker_changed(self.broker.currentText())

    # ---- the form ---------------------------------------------------------------------------

    def _broker_changed(self, broker: str) -> None:
        self._clear_fields()
        while self.fields_form.rowCount():
            self.fields_form.removeRow(0)
        self.field_edits = {}
        known = broker_fields(broker).names
        for name in SHOWN_FIELDS[broker]:
            if name not in known:
                continue
            edit = QLineEdit()
            edit.setObjectName(f"login_{name}")
            edit.setPlaceholderText(FIELD_HINTS.get(name, ""))
            if name in SECRET_FIELDS:
                edit.setEchoMode(QLineEdit.EchoMode.Password)
            edit.textEdited.connect(lambda *_: self._edited())
            self.field_edits[name] = edit
            self.fields_form.addRow(FIELD_TITLES.get(name, name), edit)
        self.note.setText(BROKER_NOTES.get(broker, ""))
        self.error.setVisible(False)
        self._inspect()

    def _edited(self) -> None:
        self.result.setVisible(False)

    def _clear_fields(self) -> None:
        """Empty every field: what was typed is not kept on screen or in the widgets."""
        for edit in self.field_edits.values():
            edit.clear()
            set_invalid(edit, False)

    def typed_fields(self) -> dict[str, Secret]:
        """What the trader typed, wrapped so that no repr or log line can show it."""
        return {
            name: Secret(edit.text())
            for name, edit in self.field_edits.items()
            if edit.text().strip()
        }

    # ---- the store --------------------------------------------------------------------------

    def _inspect(self) -> None:
        """Say where credentials go and which fields are stored already (names only)."""
        self._tasks.spawn(
            self._read_store(self.broker.currentText(), self.client.text()), name="credentials"
        )

    async def _read_store(self, broker: str, client_id: str) -> None:
        def read() -> tuple[BackendStatus, list[str] | None]:
            store = self._store()
            status = store.backend_status()
            if not client_id.strip():
                return status, None
            try:
                stored = store.load(broker, client_id)
            except (CredentialError, CredentialStoreError):
                return status, None
            return status, sorted(stored) if stored else []

        status, stored = await in_thread(read, name="trader-keyring")
        self._show_backend(status)
        if broker != self.broker.currentText() or client_id != self.client.text():
            return
        if stored is None:
            self.stored_label.setText("")
        elif stored:
            self.stored_label.setText(
                f"Stored for {client_id.strip().upper()}: {', '.join(stored)}. "
                "Storing again replaces them."
            )
        else:
            self.stored_label.setText(f"Nothing stored for {client_id.strip().upper()} yet.")

    def _show_backend(self, status: BackendStatus) -> None:
        self.backend = status
        if status.secure:
            self.backend_label.setText(f"Credentials are kept in {status.name}.")
            set_state(self.backend_label, "state", "ok")
        else:
            self.backend_label.setText(f"Warning: {status.sentence}.")
            set_state(self.backend_label, "state", "bad")

    def save(self) -> None:
        if self._saving:
            return
        broker = self.broker.currentText()
        client_id = self.client.text()
        fields = self.typed_fields()
        self._saving = True
        self.save_button.setEnabled(False)
        self._tasks.spawn(self._save(broker, client_id, fields), name="store credentials")

    async def _save(self, broker: str, client_id: str, fields: dict[str, Secret]) -> None:
        try:
            store = await in_thread(self._store, name="trader-keyring")
            names = await in_thread(store.save, broker, client_id, fields, name="trader-keyring")
        except (CredentialError, CredentialStoreError) as error:
            self._show_problem(str(error))
            return
        finally:
            self._saving = False
            self.save_button.setEnabled(True)
        self._clear_fields()
        self.error.setVisible(False)
        client = client_id.strip().upper()
        status = store.backend_status()
        where = (
            f"in {status.name}" if status.secure else "in memory for this session only (not saved)"
        )
        self.result.setText(
            f"Stored {broker} credentials for {client} {where}: {', '.join(names)}. "
            "They are used from the next start."
        )
        set_state(self.result, "state", "ok" if status.secure else "warn")
        self.result.setVisible(True)
        self.stored.emit(broker, client, names)
        if self._close_when_stored:
            self.accept()
            return
        await self._read_store(broker, client_id)

    def _show_problem(self, sentence: str) -> None:
        """The store's sentence names fields, never their values; mark the fields it names."""
        self.error.setText(sentence)
        self.error.setVisible(True)
        self.result.setVisible(False)
        named = sentence.split("missing:", 1)[1] if "missing:" in sentence else sentence
        for name, edit in self.field_edits.items():
            set_invalid(edit, re.search(rf"\b{name}\b", named) is not None)
        set_invalid(self.client, "client id" in sentence)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self._clear_fields()
        super().closeEvent(event)


async def log_in_first(
    tasks: TaskKeeper,
    *,
    reason: str,
    broker: str,
    client_id: str,
    store: Callable[[], CredentialStore] = default_store,
) -> bool:
    """Before the window: the account has no credentials yet. The dialog says why it is open
    and closes once they are stored; True when they were (the caller tries again)."""
    dialog = BrokerLoginDialog(
        tasks,
        broker=broker,
        client_id=client_id,
        store=store,
        reason=reason,
        close_when_stored=True,
    )
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
    stored: list[str] = []
    dialog.stored.connect(lambda _broker, _client, names: stored.extend(names))
    try:
        await finished(dialog)
    finally:
        dialog.deleteLater()
    return bool(stored)
