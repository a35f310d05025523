"""Settings → Intake: the external order intake's switch, address, approval mode, limits, token.

Saved with the other settings and applied to the running program at once (the intake stops
listening and listens again with the new settings; orders waiting for approval keep waiting).
The host is 127.0.0.1 unless the trader names another, and any other host is shown in amber:
whoever can reach the port and holds the token can place orders.

The token is shown masked; Show, Copy and Regenerate go through the bridge to the keyring. A
regenerated token is in force from the next request: a sender with the old one gets 401.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from trader_gui.credentials import CredentialStoreError, Secret
from trader_gui.engine.intake_config import LOOPBACK, is_loopback
from trader_gui.settings import Settings
from trader_gui.ui.bridge import EngineBridge
from trader_gui.ui.dialogs import answer, question
from trader_gui.ui.tasks import TaskKeeper
from trader_gui.ui.widgets import set_invalid, set_state

DEFAULT_PORT = 8787
"""Shown when the intake is off, so turning it on needs one click."""
INTAKE_FIELDS = (
    "intake_port",
    "intake_host",
    "intake_approval",
    "intake_approval_timeout_s",
    "intake_rate_per_s",
)


def intake_settings(settings: Settings) -> tuple[object, ...]:
    """The settings the intake runs with: when they change, the running intake is told."""
    return tuple(getattr(settings, name) for name in INTAKE_FIELDS)


def host_warning(host: str) -> str:
    """The sentence for a host other than this machine ("" for loopback)."""
    if not host or is_loopback(host):
        return ""
    return (
        f"{host} lets other machines reach the intake: anyone on the network who has the "
        "token can place orders with your money. Use 127.0.0.1 unless you mean it."
    )


class IntakeSettingsPage(QWidget):
    def __init__(
        self,
        settings: Settings,
        *,
        bridge: EngineBridge | None = None,
        tasks: TaskKeeper | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("intakeSettingsPage")
        self._bridge = bridge
        self._tasks = tasks
        self._token: Secret | None = None
        running: set[asyncio.Task[Any]] = set()
        self._running = running
        # the dialog may close while the keyring is asked: its work ends with it
        self.destroyed.connect(lambda *_: [task.cancel() for task in list(running)])
        self.token_question: QMessageBox | None = None
        """The Regenerate confirmation while it is open (tests answer it)."""

        self.enabled = QCheckBox("Take orders from other programs (HTTP intake)")
        self.enabled.setObjectName("intakeEnabled")
        self.enabled.setChecked(settings.intake_port is not None)
        self.port = QSpinBox()
        self.port.setObjectName("intakePort")
        self.port.setRange(1, 65535)
        self.port.setValue(settings.intake_port or DEFAULT_PORT)
        self.host = QLineEdit(settings.intake_host or LOOPBACK)
        self.host.setObjectName("intakeHost")
        self.host.setPlaceholderText(LOOPBACK)
        self.host_error = QLabel()
        self.host_error.setObjectName("hostWarning")
        self.host_error.setWordWrap(True)
        self.host_error.setVisible(False)
        self.approval = QCheckBox("Hold every external order for my approval")
        self.approval.setObjectName("intakeApproval")
        self.approval.setChecked(settings.intake_approval)
        self.approval.setToolTip(
            "External orders wait in the Approvals panel until you approve, edit or reject them"
        )
        self.timeout = QDoubleSpinBox()
        self.timeout.setObjectName("intakeTimeout")
        self.timeout.setRange(5, 3600)
        self.timeout.setDecimals(0)
        self.timeout.setSuffix(" s")
        self.timeout.setValue(settings.intake_approval_timeout_s)
        self.timeout.setToolTip("A waiting order not decided in this time expires, never sent")
        self.rate = QDoubleSpinBox()
        self.rate.setObjectName("intakeRate")
        self.rate.setRange(1, 1000)
        self.rate.setDecimals(0)
        self.rate.setSuffix(" a second")
        self.rate.setValue(settings.intake_rate_per_s)
        self.rate.setToolTip("Requests beyond this are answered 429, so a burst cannot freeze us")

        self.token = QLineEdit()
        self.token.setObjectName("intakeToken")
        self.token.setReadOnly(True)
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.show_token = QPushButton("Show")
        self.show_token.setObjectName("showToken")
        self.show_token.setCheckable(True)
        self.copy_token = QPushButton("Copy")
        self.copy_token.setObjectName("copyToken")
        self.regenerate = QPushButton("Regenerate…")
        self.regenerate.setObjectName("regenerateToken")
        self.token_note = QLabel()
        self.token_note.setObjectName("mutedLabel")
        self.token_note.setWordWrap(True)

        listen = QGroupBox("Intake")
        listen_form = QFormLayout(listen)
        listen_form.addRow(self.enabled)
        listen_form.addRow("Port", self.port)
        host_holder = QVBoxLayout()
        host_holder.setSpacing(1)
        host_holder.addWidget(self.host)
        host_holder.addWidget(self.host_error)
        listen_form.addRow("Host", host_holder)
        listen_form.addRow("Rate limit", self.rate)
        approve = QGroupBox("Approval")
        approve_form = QFormLayout(approve)
        approve_form.addRow(self.approval)
        approve_form.addRow("Expire waiting orders after", self.timeout)
        token = QGroupBox("Token")
        token_form = QVBoxLayout(token)
        token_row = QHBoxLayout()
        token_row.addWidget(self.token, 1)
        for button in (self.show_token, self.copy_token, self.regenerate):
            token_row.addWidget(button)
        token_form.addLayout(token_row)
        token_form.addWidget(self.token_note)
        note = QLabel(
            "Senders POST JSON tickets to /orders with Authorization: Bearer <token>. "
            "Changes apply to the running program when saved."
        )
        note.setObjectName("mutedLabel")
        note.setWordWrap(True)
        self.running = QLabel(self._running_text(bridge))
        self.running.setObjectName("intakeRunning")
        self.running.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addWidget(self.running)
        layout.addWidget(listen)
        layout.addWidget(approve)
        layout.addWidget(token)
        layout.addStretch(1)

        self.enabled.toggled.connect(self._enable_fields)
        self.host.textChanged.connect(self._check_host)
        self.show_token.toggled.connect(self._show_token)
        self.copy_token.clicked.connect(self._copy_token)
        self.regenerate.clicked.connect(self._ask_regenerate)
        self._enable_fields(self.enabled.isChecked())
        self._check_host()
        if bridge is None or tasks is None:
            self._set_token_buttons(False)
            self.token_note.setText("The token can be seen here while the program runs.")
        else:
            self._set_token_buttons(False)
            self.token_note.setText("Reading the token from the keyring…")
            self._spawn(self._load_token(), name="intake token")

    @staticmethod
    def _running_text(bridge: EngineBridge | None) -> str:
        if bridge is None:
            return ""
        if bridge.intake_url is None:
            return "Now: off."
        mode = "orders wait for approval" if bridge.intake_config.approval else "orders go at once"
        return f"Now: listening on {bridge.intake_url}, {mode}."

    # ---- values -----------------------------------------------------------------------------

    def values(self) -> tuple[dict[str, object], list[str]]:
        """The intake settings as typed, and the problems with them."""
        host = self.host.text().strip()
        problems = []
        bad_host = any(char.isspace() for char in host) or "/" in host
        set_invalid(self.host, bad_host)
        if bad_host:
            problems.append(f"Intake host {host!r} is not an address: use 127.0.0.1.")
        values: dict[str, object] = {
            "intake_port": self.port.value() if self.enabled.isChecked() else None,
            "intake_host": None if host in ("", LOOPBACK) else host,
            "intake_approval": self.approval.isChecked(),
            "intake_approval_timeout_s": float(self.timeout.value()),
            "intake_rate_per_s": float(self.rate.value()),
        }
        return values, problems

    def _enable_fields(self, on: bool) -> None:
        for widget in (self.port, self.host, self.rate, self.approval, self.timeout):
            widget.setEnabled(on)

    def _check_host(self) -> None:
        sentence = host_warning(self.host.text().strip())
        self.host_error.setText(sentence)
        self.host_error.setVisible(bool(sentence))
        set_state(self.host, "state", "warn" if sentence else "")

    # ---- token ------------------------------------------------------------------------------

    def _set_token_buttons(self, have: bool) -> None:
        self.show_token.setEnabled(have)
        self.copy_token.setEnabled(have)
        self.regenerate.setEnabled(self._bridge is not None and self._tasks is not None)

    def _put_token(self, token: Secret | None) -> None:
        self._token = token
        self.token.setText(token.reveal() if token is not None else "")
        self._set_token_buttons(token is not None)

    async def _load_token(self) -> None:
        assert self._bridge is not None
        try:
            token = await self._bridge.intake_token()
        except (CredentialStoreError, TimeoutError) as error:  # said, not raised
            self.token_note.setText(f"The token could not be read from the keyring: {error}")
            self._set_token_buttons(False)
            return
        self._put_token(token)
        self.token_note.setText(
            "Kept in the OS keyring, never in the config file."
            if token is not None
            else "No token yet: one is made when the intake first starts."
        )

    def _show_token(self, shown: bool) -> None:
        self.token.setEchoMode(QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password)
        self.show_token.setText("Hide" if shown else "Show")

    def _copy_token(self) -> None:
        if self._token is not None:
            QApplication.clipboard().setText(self._token.reveal())
            self.token_note.setText("Copied to the clipboard.")

    def _spawn(self, coroutine: Coroutine[Any, Any, None], *, name: str) -> None:
        task = self._tasks.spawn(coroutine, name=name) if self._tasks is not None else None
        if task is not None:
            self._running.add(task)
            task.add_done_callback(self._running.discard)
        else:
            coroutine.close()

    def _ask_regenerate(self) -> None:
        self._spawn(self._regenerate(), name="regenerate intake token")

    async def _regenerate(self) -> None:
        assert self._bridge is not None
        box, yes = question(
            self,
            title="New intake token",
            text="Make a new intake token?",
            details=(
                "It is in force at once: every program still sending the old token gets 401 "
                "until it is given the new one."
            ),
            accept="Make a new token",
            reject="Keep the token",
            icon=QMessageBox.Icon.Warning,
            default_accept=False,
        )
        self.token_question = box
        try:
            if not await answer(box, yes):
                return
        finally:
            self.token_question = None
        try:
            # shielded: once asked, the keyring and the running intake change together
            token = await asyncio.shield(self._bridge.regenerate_intake_token())
        except (CredentialStoreError, TimeoutError) as error:  # the old one stays in force
            self.token_note.setText(f"No new token: the keyring refused it ({error}).")
            return
        self._put_token(token)
        self.token_note.setText(
            "New token in force: senders with the old one now get 401. Give them this one."
        )
