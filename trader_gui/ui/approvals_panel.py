"""External orders waiting for the trader's approval, and the recent decisions.

With approval mode on, an order from the intake is not an order yet: it waits here, with what
the sender asked and how long is left before it expires (an order decided late is an order at
a price nobody chose). The trader approves it, edits then approves it, or rejects it, one at a
time or all at once (with a confirmation); each decision is recorded by the engine and listed
below. The panel follows the queue live through the bridge's `approvals_changed` signal and
never calls the engine itself.

Keys, while the panel has the focus (never from elsewhere in the window, so a stray key
cannot send someone else's order): arrows choose an order; Alt+A approves it, Alt+E edits
it, Alt+R rejects it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from trader_gui.domain.enums import OrderStatus
from trader_gui.domain.order import OrderRecord
from trader_gui.engine.intake_approvals import ApprovalError, Decision, Outcome, WaitingOrder
from trader_gui.ui.approval_edit_dialog import ApprovalEditDialog
from trader_gui.ui.bridge import EngineBridge
from trader_gui.ui.columns import CellKind, Column, KeyedTableModel
from trader_gui.ui.dialogs import finished, question
from trader_gui.ui.formatting import local
from trader_gui.ui.tasks import TaskKeeper
from trader_gui.ui.theme import LIGHT, ThemeColors
from trader_gui.ui.widgets import fit_columns, heading, set_state

DECISIONS_SHOWN = 200
SOON_S = 30
"""Below this many seconds left, the countdown turns amber."""


def time_left(entry: WaitingOrder, now: datetime) -> str:
    """`1:45 · 14:03:07`: minutes and seconds left, and the local time it expires."""
    until = f"{local(entry.expires_at):%H:%M:%S}"
    seconds = int((entry.expires_at - now).total_seconds())
    if seconds <= 0:
        return f"expiring · {until}"
    minutes, seconds = divmod(seconds, 60)
    return f"{minutes}:{seconds:02d} · {until}"


def outcome_sentence(command_id: str, records: list[OrderRecord]) -> tuple[str, str]:
    """What became of an approved order after step 5, and ok / warn / bad."""
    if not records:
        return f"Approved {command_id}.", "ok"
    failed = [r for r in records if r.status is OrderStatus.FAILED]
    if failed:
        first = failed[0]
        tag = first.tag.label if first.tag else "failed"
        return f"Approved {command_id}, but it did not go: {tag}. {first.detail}", "bad"
    statuses = ", ".join(sorted({str(r.status) for r in records}))
    slices = f" in {len(records)} slices" if len(records) > 1 else ""
    return f"Approved {command_id}: {statuses}{slices}.", "ok"


class RejectDialog(QDialog):
    """The reason for a rejection (optional): it is recorded with the decision."""

    def __init__(self, what: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("rejectDialog")
        self.setWindowTitle("Reject external order")
        text = QLabel(what)
        text.setWordWrap(True)
        self.reason = QLineEdit()
        self.reason.setObjectName("rejectReason")
        self.reason.setPlaceholderText("Reason (optional), kept with the decision")
        self.reason.setMaxLength(200)
        buttons = QDialogButtonBox()
        self.reject_button = buttons.addButton("&Reject", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton("&Keep waiting", QDialogButtonBox.ButtonRole.RejectRole)
        self.reject_button.setDefault(True)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(self.reason)
        layout.addWidget(buttons)
        self.reason.setFocus()


class ApprovalsPanel(QWidget):
    waiting_count_changed = Signal(int)
    order_waiting = Signal(str)
    """A new external order started waiting (its summary): the window makes it noticed."""
    status_message = Signal(str)

    def __init__(self, bridge: EngineBridge, tasks: TaskKeeper, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("approvalsPanel")
        self._bridge = bridge
        self._tasks = tasks
        self._theme: ThemeColors = LIGHT
        self._deciding = False
        self.dialog: QDialog | None = None
        """The reject or confirm dialog while it is open (tests answer it)."""
        self.edit_dialog: ApprovalEditDialog | None = None

        self.intake_state = QLabel()
        self.intake_state.setObjectName("intakeState")
        self.intake_state.setWordWrap(True)
        self.intake_state.setTextFormat(Qt.TextFormat.PlainText)
        self.intake_state.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.model: KeyedTableModel[WaitingOrder] = KeyedTableModel(
            self._waiting_columns(), lambda e: e.command_id, styler=self._style, parent=self
        )
        self.table = self._table("approvalsTable", self.model)
        fit_columns(
            self.table.horizontalHeader(),
            {
                self.model.column_index(key): sample
                for key, sample in {
                    "received": "00:00:00.000",
                    "left": "expiring · 00:00:00",
                    "side": "SELL",
                    "quantity": "10,000",
                    "symbol": "NIFTY01DEC2625500CE",
                    "order_type": "MARKET",
                    "price": "25,000.00",
                    "product": "NRML",
                    "strategy": "nifty-scalp",
                    "sender": "tradingview-alerts",
                }.items()
            },
        )
        self.approve_button = QPushButton("Approve")
        self.approve_button.setObjectName("approveButton")
        self.approve_button.setToolTip(
            "Send the chosen order through the six steps as it is (Alt+A in this panel)"
        )
        self.edit_button = QPushButton("Edit…")
        self.edit_button.setObjectName("editApprovalButton")
        self.edit_button.setToolTip(
            "Change quantity, type, price or product, then approve (Alt+E in this panel)"
        )
        self.reject_button = QPushButton("Reject…")
        self.reject_button.setToolTip("Never send the chosen order (Alt+R in this panel)")
        self.reject_button.setObjectName("rejectButton")
        self.approve_all_button = QPushButton("Approve all…")
        self.approve_all_button.setObjectName("approveAllButton")
        self.reject_all_button = QPushButton("Reject all…")
        self.reject_all_button.setObjectName("rejectAllButton")
        buttons = QHBoxLayout()
        for button in (self.approve_button, self.edit_button, self.reject_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.approve_all_button)
        buttons.addWidget(self.reject_all_button)
        self.result = QLabel()
        self.result.setObjectName("approvalResult")
        self.result.setWordWrap(True)
        self.result.setTextFormat(Qt.TextFormat.PlainText)  # engine sentences, verbatim
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.result.setVisible(False)
        self.decisions: KeyedTableModel[Decision] = KeyedTableModel(
            self._decision_columns(),
            lambda d: d.command_id,
            styler=self._style_decision,
            newest_on_top=True,
            parent=self,
        )
        self.decisions_table = self._table("decisionsTable", self.decisions)
        fit_columns(
            self.decisions_table.horizontalHeader(),
            {
                self.decisions.column_index(key): sample
                for key, sample in {
                    "at": "00:00:00.000",
                    "outcome": "APPROVED",
                    "by": "program",
                    "detail": "Rejected by trader: a reason of a few words; not sent.",
                    "summary": "ENTRY BUY 10 SBIN NSE MARKET MIS, strategy ext1",
                }.items()
            },
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.intake_state)
        layout.addWidget(heading("Waiting for your approval"))
        layout.addWidget(self.table, 3)
        layout.addLayout(buttons)
        layout.addWidget(self.result)
        layout.addWidget(heading("Recent decisions"))
        layout.addWidget(self.decisions_table, 2)

        self._countdown = QTimer(self)
        self._countdown.setInterval(1000)
        self._countdown.timeout.connect(self.model.refresh_all)
        for key, slot in (
            ("Alt+A", self.approve_selected),
            ("Alt+E", self.edit_selected),
            ("Alt+R", self.reject_selected),
        ):
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)
        self.approve_button.clicked.connect(self.approve_selected)
        self.edit_button.clicked.connect(self.edit_selected)
        self.reject_button.clicked.connect(self.reject_selected)
        self.approve_all_button.clicked.connect(self.approve_all)
        self.reject_all_button.clicked.connect(self.reject_all)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._update_buttons())
        self.table.doubleClicked.connect(lambda *_: self.edit_selected())
        bridge.approvals_changed.connect(self.refresh)
        bridge.intake_changed.connect(self.show_intake_state)
        bridge.busy_changed.connect(lambda *_: self._update_buttons())
        self.show_intake_state()
        self.refresh()

    # ---- building ---------------------------------------------------------------------------

    def _table(self, name: str, model: KeyedTableModel[Any]) -> QTableView:
        table = QTableView()
        table.setObjectName(name)
        table.setModel(model)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setAlternatingRowColors(True)
        table.setWordWrap(False)
        table.verticalHeader().setVisible(False)
        table.verticalHeader().setDefaultSectionSize(24)
        header = table.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        return table

    def _waiting_columns(self) -> tuple[Column[WaitingOrder], ...]:
        return (
            Column("received", "Received", CellKind.TIME, lambda e: e.received_at),
            Column(
                "left",
                "Expires in",
                CellKind.TEXT,
                lambda e: time_left(e, self._bridge.now()),
                tooltip="Not decided by then, the order expires and is never sent",
            ),
            Column("side", "Side", CellKind.SIDE, lambda e: e.command.side),
            Column("quantity", "Qty", CellKind.INT, lambda e: e.command.quantity),
            Column("symbol", "Symbol", CellKind.TEXT, lambda e: e.command.symbol),
            Column("exchange", "Exch", CellKind.TEXT, lambda e: e.command.exchange),
            Column("order_type", "Type", CellKind.TEXT, lambda e: e.command.order_type),
            Column("price", "Price", CellKind.PRICE, lambda e: e.command.price),
            Column("trigger", "Trigger", CellKind.PRICE, lambda e: e.command.trigger_price),
            Column("product", "Product", CellKind.TEXT, lambda e: e.command.product),
            Column(
                "execution_type", "Entry/exit", CellKind.TEXT, lambda e: e.command.execution_type
            ),
            Column("strategy", "Strategy", CellKind.TEXT, lambda e: e.command.strategy),
            Column("source", "Source", CellKind.TEXT, lambda e: e.command.source),
            Column(
                "sender",
                "Sender",
                CellKind.TEXT,
                lambda e: e.sender,
                tooltip="The intake sender whose token brought the order",
            ),
            Column(
                "client_order_id",
                "Sender's id",
                CellKind.TEXT,
                lambda e: e.client_order_id,
                tooltip="The client_order_id the sender gave (its idempotency key)",
            ),
            Column("command_id", "Command id", CellKind.TEXT, lambda e: e.command_id),
        )

    def _decision_columns(self) -> tuple[Column[Decision], ...]:
        return (
            Column("at", "Decided", CellKind.TIME, lambda d: d.at),
            Column("outcome", "Outcome", CellKind.TEXT, lambda d: d.outcome),
            Column("by", "By", CellKind.TEXT, lambda d: d.by),
            Column("sender", "Sender", CellKind.TEXT, lambda d: d.sender),
            Column("detail", "Why", CellKind.DETAIL, lambda d: d.detail),
            Column("summary", "Order", CellKind.DETAIL, lambda d: d.summary),
            Column("command_id", "Command id", CellKind.TEXT, lambda d: d.command_id),
        )

    def set_theme(self, theme: ThemeColors) -> None:
        self._theme = theme
        self.model.refresh_all()
        self.decisions.refresh_all()

    # ---- following the queue ----------------------------------------------------------------

    @property
    def waiting_count(self) -> int:
        return self.model.rowCount()

    def refresh(self) -> None:
        """Make both tables match the queue; a new waiting order is announced."""
        before = {entry.command_id for entry in self.model.records()}
        waiting = self._bridge.waiting_approvals()
        self.model.sync(waiting)
        self.decisions.sync(self._bridge.approval_decisions()[-DECISIONS_SHOWN:])
        fresh = [entry for entry in waiting if entry.command_id not in before]
        if waiting and not self.table.selectionModel().currentIndex().isValid():
            self.table.selectRow(0)
        if waiting and not self._countdown.isActive():
            self._countdown.start()
        elif not waiting:
            self._countdown.stop()
        if self.edit_dialog is not None:
            command_id = self.edit_dialog.entry.command_id
            if all(entry.command_id != command_id for entry in waiting):
                decision = self.decisions.get(command_id)
                self.edit_dialog.order_gone(
                    decision.detail if decision else "This order is no longer waiting."
                )
        self._update_buttons()
        self.waiting_count_changed.emit(len(waiting))
        for entry in fresh:
            self.order_waiting.emit(entry.summary)

    def show_intake_state(self) -> None:
        config = self._bridge.intake_config
        url = self._bridge.intake_url
        if url is None:
            text = (
                "The external order intake is off: no order comes from outside the window. "
                "Turn it on in Settings → Intake."
            )
            state = "off"
        elif others := [n for n in config.sender_names if config.waits(n) != config.approval]:
            named = ", ".join(others)
            text = (
                f"Intake on {url}: external orders wait here for you, except from {named} "
                "(they go at once)."
                if config.approval
                else f"Intake on {url}: orders from {named} wait here for you; other external "
                "orders go at once."
            )
            state = "on"
        elif config.approval:
            text = f"Intake on {url}: every external order waits here for you."
            state = "on"
        else:
            text = (
                f"Intake on {url}: external orders go at once (approval is off in "
                "Settings → Intake)."
            )
            state = "on"
        self.intake_state.setText(text)
        set_state(self.intake_state, "state", state)

    def selected(self) -> WaitingOrder | None:
        index = self.table.selectionModel().currentIndex()
        if not index.isValid() or index.row() >= self.model.rowCount():
            return None
        return self.model.record(index.row())

    def select(self, command_id: str) -> bool:
        row = self.model.row_of(command_id)
        if row is None:
            return False
        self.table.selectRow(row)
        return True

    def _update_buttons(self) -> None:
        chosen = self.selected() is not None and not self._deciding
        for button in (self.approve_button, self.edit_button, self.reject_button):
            button.setEnabled(chosen)
        some = self.model.rowCount() > 0 and not self._deciding
        self.approve_all_button.setEnabled(some)
        self.reject_all_button.setEnabled(some)

    def _say(self, text: str, state: str) -> None:
        self.result.setText(text)
        self.result.setVisible(bool(text))
        set_state(self.result, "state", state)
        self.status_message.emit(text)

    # ---- the trader's decisions -------------------------------------------------------------

    def approve_selected(self) -> None:
        entry = self.selected()
        if entry is not None and not self._deciding:
            self._tasks.spawn(self._approve(entry.command_id), name="approve")

    def edit_selected(self) -> ApprovalEditDialog | None:
        entry = self.selected()
        if entry is None or self._deciding:
            return None
        if self.edit_dialog is not None:
            self.edit_dialog.close()
        dialog = ApprovalEditDialog(entry, self._bridge.catalog, self)
        dialog.approve_requested.connect(
            lambda command_id, edits: self._tasks.spawn(
                self._approve(command_id, edits, dialog), name="approve edited"
            )
        )
        dialog.destroyed.connect(lambda *_: self._edit_closed(dialog))
        self.edit_dialog = dialog
        dialog.show()
        return dialog

    def _edit_closed(self, dialog: ApprovalEditDialog) -> None:
        if self.edit_dialog is dialog:
            self.edit_dialog = None

    def reject_selected(self) -> None:
        entry = self.selected()
        if entry is not None and not self._deciding:
            self._tasks.spawn(self._reject(entry), name="reject")

    def approve_all(self) -> None:
        if self.model.rowCount() and not self._deciding:
            self._tasks.spawn(self._approve_all(), name="approve all")

    def reject_all(self) -> None:
        if self.model.rowCount() and not self._deciding:
            self._tasks.spawn(self._reject_all(), name="reject all")

    async def _approve(
        self,
        command_id: str,
        edits: dict[str, object] | None = None,
        dialog: ApprovalEditDialog | None = None,
    ) -> None:
        self._deciding = True
        self._update_buttons()
        try:
            records = await self._bridge.approve(command_id, edits)
        except ApprovalError as error:
            self._say(str(error), "bad")
            if dialog is not None and self.edit_dialog is dialog:
                dialog.approval_failed(str(error))
            return
        finally:
            self._deciding = False
            self._update_buttons()
        if dialog is not None and self.edit_dialog is dialog:
            dialog.close()
        self._say(*outcome_sentence(command_id, records))

    async def _reject(self, entry: WaitingOrder) -> None:
        dialog = RejectDialog(
            f"Reject {entry.command_id}? {entry.summary}. It is never sent.", self
        )
        self.dialog = dialog
        try:
            if await finished(dialog) != QDialog.DialogCode.Accepted:
                return
            reason = dialog.reason.text().strip()
        finally:
            self.dialog = None
            dialog.deleteLater()
        try:
            decision = await self._bridge.reject(entry.command_id, reason)
        except ApprovalError as error:
            self._say(str(error), "bad")
            return
        self._say(f"{entry.command_id}: {decision.detail}", "warn")

    async def _confirm(self, *, title: str, text: str, accept: str) -> bool:
        entries = self.model.records()
        listed = "\n".join(f"• {entry.summary}" for entry in entries[:10])
        more = f"\n… and {len(entries) - 10} more" if len(entries) > 10 else ""
        box, yes = question(
            self,
            title=title,
            text=text,
            details=listed + more,
            accept=accept,
            reject="Cancel",
            icon=QMessageBox.Icon.Warning,
            default_accept=False,
        )
        self.dialog = box
        try:
            await finished(box)
            return box.clickedButton() is yes
        finally:
            self.dialog = None
            box.deleteLater()

    async def _approve_all(self) -> None:
        count = self.model.rowCount()
        orders = "order" if count == 1 else "orders"
        if not await self._confirm(
            title="Approve every waiting order",
            text=f"Send all {count} waiting external {orders} through the six steps now?",
            accept=f"Approve {count}",
        ):
            return
        self._deciding = True
        self._update_buttons()
        try:
            results = await self._bridge.approve_all()
        finally:
            self._deciding = False
            self._update_buttons()
        refused = [result for result in results if result.error]
        failed = [
            result
            for result in results
            if any(r.status is OrderStatus.FAILED for r in result.records)
        ]
        sent = len(results) - len(refused) - len(failed)
        text = f"Approved {sent} of {len(results)}."
        if failed:
            text += f" {len(failed)} blocked in step 2 (see Blocked today)."
        if refused:
            text += " Not sent: " + " ".join(str(result.error) for result in refused)
        self._say(text, "ok" if not (failed or refused) else "bad")

    async def _reject_all(self) -> None:
        count = self.model.rowCount()
        orders = "order" if count == 1 else "orders"
        if not await self._confirm(
            title="Reject every waiting order",
            text=f"Reject all {count} waiting external {orders}? None of them is sent.",
            accept=f"Reject {count}",
        ):
            return
        decisions = await self._bridge.reject_all("rejected with all waiting orders")
        self._say(f"Rejected {len(decisions)} waiting {orders}; none was sent.", "warn")

    # ---- look -------------------------------------------------------------------------------

    def _style(self, entry: WaitingOrder, column: Column[WaitingOrder], role: int) -> Any:
        if role != Qt.ItemDataRole.ForegroundRole:
            return None
        if column.kind is CellKind.SIDE:
            return QBrush(self._theme.side(entry.command.side))
        if column.key == "left":
            left = (entry.expires_at - self._bridge.now()).total_seconds()
            if left <= SOON_S:
                return QBrush(QColor(self._theme.warning))
        return None

    def _style_decision(self, decision: Decision, column: Column[Decision], role: int) -> Any:
        if role != Qt.ItemDataRole.ForegroundRole or column.key != "outcome":
            return None
        colour = {
            Outcome.APPROVED: self._theme.executed,
            Outcome.REJECTED: self._theme.failed,
            Outcome.EXPIRED: self._theme.warning,
        }[decision.outcome]
        return QBrush(QColor(colour))

    def close_dialogs(self) -> None:
        if self.edit_dialog is not None:
            self.edit_dialog.close()
        if self.dialog is not None:
            self.dialog.reject()

    def stop(self) -> None:
        self._countdown.stop()
