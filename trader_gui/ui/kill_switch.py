"""The kill switch: always in sight, one click and a confirmation to turn on, deliberately
harder to turn off (the trader types UNLOCK), and after a max-loss trip refused by the engine
until the next trading day (its sentence is shown). The engine persists it and every change
(who or what, when, why), which the history dialog lists; this only shows it and asks for
changes."""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QSizePolicy,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from trader_gui.domain.kill_switch import KillSwitchState
from trader_gui.engine.order_engine import KillSwitchLockedError
from trader_gui.ui.bridge import EngineBridge
from trader_gui.ui.dialogs import answer, finished, question
from trader_gui.ui.formatting import ist, ist_stamp
from trader_gui.ui.tasks import TaskKeeper
from trader_gui.ui.widgets import set_state

log = logging.getLogger(__name__)

UNLOCK_WORD = "UNLOCK"


def describe(state: KillSwitchState) -> str:
    if not state.active:
        return "Kill switch off: orders flow normally."
    why = f" ({state.reason})" if state.reason else ""
    return (
        f"Kill switch ON since {ist(state.changed_at):%H:%M:%S} IST, set by {state.changed_by}"
        f"{why}: new ENTRY orders are blocked; EXIT orders and cancels still go."
    )


class UnlockDialog(QDialog):
    """Turning the switch off lets new entries through again: the trader types UNLOCK."""

    def __init__(self, state: KillSwitchState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("unlockDialog")
        self.setWindowTitle("Turn the kill switch off")
        text = QLabel(
            f"{describe(state)}\n\nTurning it off lets new ENTRY orders through again.\n"
            f"Type {UNLOCK_WORD} to confirm."
        )
        text.setWordWrap(True)
        self.word = QLineEdit()
        self.word.setObjectName("unlockWord")
        self.word.setPlaceholderText(UNLOCK_WORD)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Turn kill switch OFF")
        self.ok_button.setEnabled(False)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setDefault(True)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.word.textChanged.connect(
            lambda text: self.ok_button.setEnabled(text.strip() == UNLOCK_WORD)
        )
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(self.word)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(420)

    def accept(self) -> None:
        if self.word.text().strip() == UNLOCK_WORD:
            super().accept()


HISTORY_COLUMNS = ("When (IST)", "Switch", "By", "Why")


class KillSwitchHistoryDialog(QDialog):
    """Every change of the account's kill switch, newest first: when, on or off, who or what
    changed it, and why. Not modal; it follows changes while it is open."""

    def __init__(self, bridge: EngineBridge, tasks: TaskKeeper, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("killSwitchHistory")
        self.setWindowTitle(f"Kill switch history — {bridge.client_id}")
        self.setModal(False)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._bridge = bridge
        self._tasks = tasks
        self._history: list[KillSwitchState] = []
        self.summary = QLabel("Reading the history…")
        self.summary.setObjectName("mutedLabel")
        self.summary.setWordWrap(True)
        self.tree = QTreeWidget()
        self.tree.setObjectName("killSwitchHistoryTree")
        self.tree.setHeaderLabels(HISTORY_COLUMNS)
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.tree.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.tree, 1)
        layout.addWidget(buttons)
        self.resize(760, 360)
        bridge.kill_switch_changed.connect(self._changed)
        self.refresh()

    def refresh(self) -> None:
        self._tasks.spawn(self._load(), name="kill switch history")

    async def _load(self) -> None:
        history = await self._bridge.kill_switch_history()
        self.show_history(history)

    def _changed(self, *_: object) -> None:
        if self.isVisible():
            self.refresh()

    def show_history(self, history: list[KillSwitchState]) -> None:
        self._history = list(history)
        self.tree.clear()
        for state in history:
            item = QTreeWidgetItem(
                [
                    ist_stamp(state.changed_at),
                    "ON" if state.active else "off",
                    state.changed_by,
                    state.reason or "—",
                ]
            )
            item.setToolTip(3, state.reason)
            if state.active:
                font = item.font(1)
                font.setBold(True)
                item.setFont(1, font)
            self.tree.addTopLevelItem(item)
        if history:
            count = len(history)
            self.summary.setText(
                f"{count} change{'s' if count != 1 else ''}, newest first. {describe(history[0])}"
            )
        else:
            self.summary.setText("The kill switch has never been changed on this account.")

    def entries(self) -> list[tuple[str, str, str, str]]:
        """The rows as shown: (when, switch, by, why)."""
        rows = []
        for number in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(number)
            rows.append((item.text(0), item.text(1), item.text(2), item.text(3)))
        return rows


class KillSwitchControl(QObject):
    """Owns the toolbar button and the state shown everywhere else (`changed`)."""

    changed = Signal(object)
    """KillSwitchState"""
    status_message = Signal(str)

    def __init__(self, bridge: EngineBridge, tasks: TaskKeeper, parent: QWidget) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._tasks = tasks
        self._window = parent
        self._busy = False
        self.state: KillSwitchState = KillSwitchState.off()
        self.dialog: QDialog | None = None
        """The confirmation or unlock dialog while one is open (tests drive it)."""
        self.button = QToolButton()
        self.button.setObjectName("killSwitch")
        self.button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.button.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        self.button.setMinimumWidth(190)
        self.button.clicked.connect(self.request_toggle)
        self.flatten_action = QAction("Kill and flatten…", self)
        self.flatten_action.setObjectName("flattenAction")
        self.flatten_action.setToolTip(
            "Kill switch on, cancel every open order, square off every position at market"
        )
        self.flatten_action.triggered.connect(self.request_flatten)
        self.history_action = QAction("Kill switch history…", self)
        self.history_action.setObjectName("killSwitchHistoryAction")
        self.history_action.setToolTip("Who or what turned the switch on or off, when and why")
        self.history_action.triggered.connect(self.open_history)
        self.history_dialog: KillSwitchHistoryDialog | None = None
        menu = QMenu(self.button)
        menu.addAction(self.flatten_action)
        menu.addSeparator()
        menu.addAction(self.history_action)
        self.button.setMenu(menu)
        self.button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        bridge.kill_switch_changed.connect(self.show_state)
        self.show_state(self.state)

    def set_shortcut_text(self, shortcut: str) -> None:
        self._shortcut = shortcut
        self.show_state(self.state)

    def show_state(self, state: KillSwitchState) -> None:
        self.state = state
        shortcut = getattr(self, "_shortcut", "")
        hint = f" ({shortcut})" if shortcut else ""
        if state.active:
            self.button.setText("KILL SWITCH ON\nclick to unlock")
        else:
            self.button.setText(f"KILL SWITCH\noff{hint}")
        self.button.setToolTip(describe(state))
        set_state(self.button, "state", "on" if state.active else "off")
        self.changed.emit(state)

    async def load(self) -> None:
        self.show_state(await self._bridge.kill_switch())

    def request_toggle(self) -> None:
        if self._busy:
            if self.dialog is not None:
                self.dialog.raise_()
            return
        self._tasks.spawn(self._toggle(), name="kill switch")

    async def _toggle(self) -> None:
        self._busy = True
        try:
            if self.state.active:
                await self._turn_off()
            else:
                await self._turn_on()
        finally:
            self._busy = False
            self.dialog = None

    async def _turn_on(self) -> None:
        confirmed = await self._ask_on()
        if not confirmed:
            return
        state = await self._bridge.set_kill_switch(True, reason="from the window")
        self.show_state(state)
        self.status_message.emit(describe(state))

    async def _ask_on(self) -> bool:
        box, yes = question(
            self._window,
            title="Turn the kill switch ON?",
            text="Turn the kill switch ON?",
            details=(
                "Every new ENTRY order will be blocked (KILL_SWITCH_ACTIVE) until you turn it "
                "off. EXIT orders and cancels still go. Open orders are not cancelled."
            ),
            accept="Turn kill switch ON",
            reject="Keep trading",
            icon=QMessageBox.Icon.Warning,
            default_accept=True,
        )
        self.dialog = box
        return await answer(box, yes)

    def request_flatten(self) -> None:
        if self._busy:
            if self.dialog is not None:
                self.dialog.raise_()
            return
        self._tasks.spawn(self._flatten(), name="kill and flatten")

    async def _flatten(self) -> None:
        self._busy = True
        try:
            box, yes = question(
                self._window,
                title="Kill and flatten?",
                text="Kill switch ON, cancel every open order, and square off every position?",
                details=(
                    "Each open position is closed with an EXIT MARKET order through the usual "
                    "steps (shown in the orders panel). Failed exits are retried a few times and "
                    "reported; anything still open afterwards is yours to take over."
                ),
                accept="Kill and flatten",
                reject="Cancel",
                icon=QMessageBox.Icon.Warning,
                default_accept=False,
            )
            self.dialog = box
            confirmed = await answer(box, yes)
            self.dialog = None
            if not confirmed:
                return
            self.status_message.emit("Flattening: cancelling open orders and squaring off…")
            summary = await self._bridge.kill_and_flatten(reason="kill and flatten from the window")
            self.status_message.emit(summary)
        finally:
            self._busy = False
            self.dialog = None

    async def _turn_off(self) -> None:
        dialog = UnlockDialog(self.state, self._window)
        self.dialog = dialog
        try:
            result = await finished(dialog)
        finally:
            dialog.deleteLater()
        if result != QDialog.DialogCode.Accepted:
            return
        try:
            state = await self._bridge.set_kill_switch(False, reason="unlocked from the window")
        except KillSwitchLockedError as refused:
            await self._show_refusal(str(refused))
            return
        self.show_state(state)
        self.status_message.emit(describe(state))

    async def _show_refusal(self, sentence: str) -> None:
        """The engine keeps the switch on (a max-loss trip today): its sentence, no more."""
        log.warning("kill switch stays on: %s", sentence)
        self.status_message.emit(f"Kill switch stays ON: {sentence}")
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Kill switch stays ON",
            sentence,
            QMessageBox.StandardButton.Ok,
            self._window,
        )
        box.setObjectName("killSwitchRefused")
        box.setTextFormat(Qt.TextFormat.PlainText)
        self.dialog = box
        try:
            await finished(box)
        finally:
            box.deleteLater()

    def open_history(self) -> KillSwitchHistoryDialog:
        """The history dialog (one at a time; opening it again brings it forward)."""
        if self.history_dialog is not None:
            self.history_dialog.refresh()
            self.history_dialog.raise_()
            self.history_dialog.activateWindow()
            return self.history_dialog
        dialog = KillSwitchHistoryDialog(self._bridge, self._tasks, self._window)
        dialog.destroyed.connect(lambda *_: setattr(self, "history_dialog", None))
        self.history_dialog = dialog
        dialog.show()
        return dialog

    def close_dialogs(self) -> None:
        if self.history_dialog is not None:
            self.history_dialog.close()
