"""Settings → Intake: the external order intake's switch, address, approval mode, limits, token.

Saved with the other settings and applied to the running program at once (the intake stops
listening and listens again with the new settings; orders waiting for approval keep waiting).
The host is 127.0.0.1 unless the trader names another, and any other host is shown in amber:
whoever can reach the port and holds the token can place orders.

Senders: each program that sends orders has a name and a token of its own, and its own
approval rule (as the switch says, always, never). `default` is the intake's first token. The
chosen sender's token is shown masked; Show, Copy and Regenerate go through the bridge to the
keyring. A regenerated token is in force from the next request: a sender with the old one gets
401. Adding a sender makes its token; removing one (after a confirmation) refuses its token at
once and deletes it. Both change the running intake at once and save the sender list at once
(`senders_changed`), like the keyring they touch; approval rules are saved with the dialog.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from trader_gui.credentials import CredentialStoreError, Secret
from trader_gui.domain.senders import (
    DEFAULT_SENDER,
    SENDER_NAME_MAX,
    SenderApproval,
    sender_name,
)
from trader_gui.engine.intake import SenderError
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
    "intake_senders",
)
APPROVAL_CHOICES = (
    ("As the switch says", SenderApproval.GLOBAL),
    ("Always wait", SenderApproval.ALWAYS),
    ("Never wait", SenderApproval.NEVER),
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
    senders_changed = Signal(object)
    """A sender was added or removed: the sender list (name -> approval word) to save now."""

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
        self.sender_question: QMessageBox | None = None
        """The Remove confirmation while it is open (tests answer it)."""
        self._tokens: dict[str, Secret] = {}
        self._selected = DEFAULT_SENDER

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

        self.senders = QTableWidget(0, 2)
        self.senders.setObjectName("intakeSenders")
        self.senders.setHorizontalHeaderLabels(["Sender", "Orders wait for approval"])
        self.senders.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.senders.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.senders.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.senders.verticalHeader().setVisible(False)
        self.senders.horizontalHeader().setStretchLastSection(True)
        self.senders.setToolTip(
            "Each program that sends orders has a token of its own: the token, not anything "
            "in the order, says who sent it"
        )
        rules = dict(settings.intake_senders)
        self._add_row(DEFAULT_SENDER, SenderApproval(rules.pop(DEFAULT_SENDER, "global")))
        for name, word in rules.items():
            self._add_row(name, SenderApproval(word))
        self.new_sender = QLineEdit()
        self.new_sender.setObjectName("newSender")
        self.new_sender.setMaxLength(SENDER_NAME_MAX)
        self.new_sender.setPlaceholderText("new sender, like tradingview")
        self.add_sender = QPushButton("Add")
        self.add_sender.setObjectName("addSender")
        self.remove_sender = QPushButton("Remove…")
        self.remove_sender.setObjectName("removeSender")
        self.sender_note = QLabel()
        self.sender_note.setObjectName("senderNote")
        self.sender_note.setWordWrap(True)
        self.token_label = QLabel()
        self.token_label.setObjectName("tokenLabel")

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
        token = QGroupBox("Senders and their tokens")
        token_form = QVBoxLayout(token)
        token_form.addWidget(self.senders)
        add_row = QHBoxLayout()
        add_row.addWidget(self.new_sender, 1)
        add_row.addWidget(self.add_sender)
        add_row.addWidget(self.remove_sender)
        token_form.addLayout(add_row)
        token_form.addWidget(self.sender_note)
        token_form.addWidget(self.token_label)
        token_row = QHBoxLayout()
        token_row.addWidget(self.token, 1)
        for button in (self.show_token, self.copy_token, self.regenerate):
            token_row.addWidget(button)
        token_form.addLayout(token_row)
        token_form.addWidget(self.token_note)
        note = QLabel(
            "Senders POST JSON tickets to /orders with Authorization: Bearer <token>, each "
            "with its own token. Changes apply to the running program when saved; adding or "
            "removing a sender applies and is saved at once."
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
        self.add_sender.clicked.connect(self._ask_add)
        self.new_sender.returnPressed.connect(self._ask_add)
        self.new_sender.textEdited.connect(lambda _text: self._sender_problem(""))
        self.remove_sender.clicked.connect(self._ask_remove)
        self.senders.itemSelectionChanged.connect(self._selection_changed)
        self._enable_fields(self.enabled.isChecked())
        self._check_host()
        live = bridge is not None and tasks is not None
        self.add_sender.setEnabled(live)
        self.new_sender.setEnabled(live)
        if not live:
            self.new_sender.setPlaceholderText("senders are added while the program runs")
        self.senders.selectRow(0)
        self._selection_changed()

    @staticmethod
    def _running_text(bridge: EngineBridge | None) -> str:
        if bridge is None:
            return ""
        if bridge.intake_url is None:
            return "Now: off."
        return f"Now: listening on {bridge.intake_url}, {bridge.intake_config.approval_text}."

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
            "intake_senders": self.sender_rules(),
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

    # ---- senders ----------------------------------------------------------------------------

    def sender_names(self) -> list[str]:
        """The senders as listed, `default` first."""
        return [self._name_at(row) for row in range(self.senders.rowCount())]

    def approval_box(self, name: str) -> QComboBox:
        box = self.senders.cellWidget(self.sender_names().index(name), 1)
        assert isinstance(box, QComboBox)
        return box

    def sender_rules(self) -> dict[str, str]:
        """The `intake_senders` setting: each named sender's rule (`default` only when it has
        one of its own)."""
        rules: dict[str, str] = {}
        for name in self.sender_names():
            rule = SenderApproval(self.approval_box(name).currentData())
            if name != DEFAULT_SENDER or rule is not SenderApproval.GLOBAL:
                rules[name] = rule.value
        return rules

    def select_sender(self, name: str) -> None:
        self.senders.selectRow(self.sender_names().index(name))

    def _name_at(self, row: int) -> str:
        item = self.senders.item(row, 0)
        return item.text() if item is not None else ""

    def _add_row(self, name: str, rule: SenderApproval) -> None:
        row = self.senders.rowCount()
        self.senders.insertRow(row)
        self.senders.setItem(row, 0, QTableWidgetItem(name))
        box = QComboBox()
        box.setObjectName("senderApproval")
        for text, choice in APPROVAL_CHOICES:
            box.addItem(text, choice.value)
        box.setCurrentIndex(box.findData(rule.value))
        box.setToolTip("Saved with the dialog; in force for this sender's next order")
        self.senders.setCellWidget(row, 1, box)

    def _selection_changed(self) -> None:
        rows = self.senders.selectionModel().selectedRows()
        name = self._name_at(rows[0].row()) if rows else DEFAULT_SENDER
        self._selected = name
        self.remove_sender.setEnabled(
            name != DEFAULT_SENDER and self._bridge is not None and self._tasks is not None
        )
        self.remove_sender.setToolTip(
            "The default sender stays; regenerate its token instead"
            if name == DEFAULT_SENDER
            else f"Refuse {name}'s token from now on and delete it from the keyring"
        )
        self.token_label.setText(f"Token of {name}")
        if name in self._tokens:
            self._put_token(name, self._tokens[name])
            return
        self._put_token(name, None)
        if self._bridge is None or self._tasks is None:
            self.token_note.setText("The token can be seen here while the program runs.")
            return
        self.token_note.setText("Reading the token from the keyring…")
        self._spawn(self._load_token(name), name="intake token")

    def _sender_problem(self, sentence: str) -> None:
        set_invalid(self.new_sender, bool(sentence))
        self.sender_note.setText(sentence)

    def _ask_add(self) -> None:
        try:
            name = sender_name(self.new_sender.text())
        except ValueError as error:
            self._sender_problem(f"{str(error)[:1].upper()}{str(error)[1:]}.")
            return
        if name in self.sender_names():
            self._sender_problem(f"There is already a sender {name!r}.")
            return
        self._sender_problem("")
        self.add_sender.setEnabled(False)
        self._spawn(self._add(name), name="add intake sender")

    async def _add(self, name: str) -> None:
        assert self._bridge is not None
        try:
            # shielded: once asked, the keyring and the running intake change together
            kept, token = await asyncio.shield(self._bridge.add_intake_sender(name))
        except SenderError as error:
            self._sender_problem(str(error))
            return
        except (CredentialStoreError, TimeoutError) as error:
            self._sender_problem(f"No sender added: the keyring refused its token ({error}).")
            return
        finally:
            self.add_sender.setEnabled(True)
        self._tokens[kept] = token
        self._add_row(kept, SenderApproval.GLOBAL)
        self.new_sender.clear()
        self.select_sender(kept)
        self.sender_note.setText(f"Sender {kept} added: give it the token below.")
        self.senders_changed.emit(self.sender_rules())

    def _ask_remove(self) -> None:
        if self._selected != DEFAULT_SENDER:
            self._spawn(self._remove(self._selected), name="remove intake sender")

    async def _remove(self, name: str) -> None:
        assert self._bridge is not None
        box, yes = question(
            self,
            title="Remove sender",
            text=f"Remove the sender {name}?",
            details=(
                f"Its token is refused at once and deleted from the keyring: {name} can send "
                "no more orders. Orders it already sent stay as they are."
            ),
            accept="Remove",
            reject="Keep it",
            icon=QMessageBox.Icon.Warning,
            default_accept=False,
        )
        self.sender_question = box
        try:
            if not await answer(box, yes):
                return
        finally:
            self.sender_question = None
        try:
            await asyncio.shield(self._bridge.remove_intake_sender(name))
        except SenderError as error:
            self._sender_problem(str(error))
            return
        except (CredentialStoreError, TimeoutError) as error:
            # refused already; only the keyring entry may be left behind
            self.sender_note.setText(
                f"{name}'s token is refused, but the keyring did not delete it ({error})."
            )
        else:
            self.sender_note.setText(f"Sender {name} removed: its token is refused.")
        self._tokens.pop(name, None)
        if name in self.sender_names():
            self.senders.removeRow(self.sender_names().index(name))
        self.select_sender(DEFAULT_SENDER)
        self.senders_changed.emit(self.sender_rules())

    # ---- token ------------------------------------------------------------------------------

    def _set_token_buttons(self, have: bool) -> None:
        self.show_token.setEnabled(have)
        self.copy_token.setEnabled(have)
        self.regenerate.setEnabled(self._bridge is not None and self._tasks is not None)

    def _put_token(self, sender: str, token: Secret | None) -> None:
        if token is not None:
            self._tokens[sender] = token
        if sender != self._selected:
            return
        self._token = token
        self.token.setText(token.reveal() if token is not None else "")
        self._set_token_buttons(token is not None)

    async def _load_token(self, sender: str) -> None:
        assert self._bridge is not None
        try:
            token = await self._bridge.intake_token(sender)
        except (CredentialStoreError, TimeoutError) as error:  # said, not raised
            if sender == self._selected:
                self.token_note.setText(f"The token could not be read from the keyring: {error}")
                self._set_token_buttons(False)
            return
        self._put_token(sender, token)
        if sender == self._selected:
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
        self._spawn(self._regenerate(self._selected), name="regenerate intake token")

    async def _regenerate(self, sender: str) -> None:
        assert self._bridge is not None
        whose = "" if sender == DEFAULT_SENDER else f" for {sender}"
        box, yes = question(
            self,
            title="New intake token",
            text=f"Make a new intake token{whose}?",
            details=(
                "It is in force at once: a program still sending the old one gets 401 "
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
            token = await asyncio.shield(self._bridge.regenerate_intake_token(sender))
        except (SenderError, CredentialStoreError, TimeoutError) as error:  # the old one stays
            self.token_note.setText(f"No new token: {error}")
            return
        self._put_token(sender, token)
        if sender == self._selected:
            self.token_note.setText(
                "New token in force: whoever has the old one now gets 401. Give them this one."
            )
