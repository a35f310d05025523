"""The selected order's steps as a timeline: status, broker word, reason, time, gap.

Live: a step committed while the order is selected is appended at once. A step that arrives
while the history is being read is merged, never shown twice.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from trader_gui.domain.order import OrderRecord
from trader_gui.domain.transitions import Transition
from trader_gui.ui.bridge import EngineBridge
from trader_gui.ui.formatting import clock_ms, gap, local
from trader_gui.ui.formatting import price as show_price
from trader_gui.ui.tasks import TaskKeeper
from trader_gui.ui.theme import LIGHT, ThemeColors
from trader_gui.ui.widgets import fit_columns

COLUMNS = ("Time", "After", "Step", "What happened")
TIME, GAP, STEP, DETAIL = range(len(COLUMNS))


def step_name(transition: Transition) -> str:
    """The status; for a same-status step the broker's word (`SENT_TO_BROKER · ACCEPTED`);
    for a failure its reason (`FAILED · Kill switch on`)."""
    if transition.from_status is transition.to_status and transition.broker_status:
        return f"{transition.to_status} · {transition.broker_status}"
    if transition.tag is not None:
        return f"{transition.to_status} · {transition.tag.label}"
    return str(transition.to_status)


def _key(transition: Transition) -> tuple[object, ...]:
    return (
        transition.at,
        transition.from_status,
        transition.to_status,
        transition.broker_status,
        transition.detail,
    )


class LifecyclePanel(QWidget):
    def __init__(self, bridge: EngineBridge, tasks: TaskKeeper, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("lifecyclePanel")
        self._bridge = bridge
        self._tasks = tasks
        self._theme: ThemeColors = LIGHT
        self._command_id: str | None = None
        self._record: OrderRecord | None = None
        self._steps: list[Transition] = []
        self._seen: set[tuple[object, ...]] = set()
        self._loading = False
        self._early: list[Transition] = []
        self._generation = 0

        self.title = QLabel("Select an order to see its steps.")
        self.title.setObjectName("lifecycleTitle")
        self.title.setWordWrap(True)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary = QLabel()
        self.summary.setObjectName("mutedLabel")
        self.tree = QTreeWidget()
        self.tree.setObjectName("lifecycleTree")
        self.tree.setHeaderLabels(COLUMNS)
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(False)
        self.tree.setWordWrap(True)
        self.tree.setTextElideMode(Qt.TextElideMode.ElideNone)  # long sentences wrap
        self.tree.setAlternatingRowColors(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.tree.header()
        header.setStretchLastSection(True)
        fit_columns(
            header,
            {TIME: "00:00:00.000", GAP: "+1.000 s", STEP: "SENT_TO_BROKER · ACCEPTED"},
            bold={STEP},
        )
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.step_detail = QLabel()
        self.step_detail.setObjectName("stepDetail")
        self.step_detail.setWordWrap(True)
        self.step_detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.step_detail.setVisible(False)
        self.tree.currentItemChanged.connect(lambda *_: self._show_step_detail())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.title)
        layout.addWidget(self.summary)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.step_detail)
        bridge.order_updated.connect(self.on_order_updated)

    @property
    def command_id(self) -> str | None:
        return self._command_id

    def steps(self) -> list[Transition]:
        return list(self._steps)

    def set_theme(self, theme: ThemeColors) -> None:
        self._theme = theme
        self._redraw()

    def show_order(self, record: OrderRecord | None) -> None:
        """Follow another order (or none); its history is read on the database thread."""
        if record is None:
            self._command_id = None
            self._record = None
            self._reset()
            self.title.setText("Select an order to see its steps.")
            self.summary.clear()
            return
        if record.command_id == self._command_id:
            self._record = record
            self._update_title()
            return
        self._command_id = record.command_id
        self._record = record
        self._reset()
        self._update_title()
        self._loading = True
        self._generation += 1
        self._tasks.spawn(self._load(record.command_id, self._generation), name="load lifecycle")

    async def _load(self, command_id: str, generation: int) -> None:
        steps = await self._bridge.transitions(command_id)
        if generation != self._generation:
            return
        self._loading = False
        for transition in [*steps, *self._early]:
            self._add(transition)
        self._early.clear()
        self._update_title()

    def on_order_updated(self, record: OrderRecord, transition: Transition) -> None:
        if record.command_id != self._command_id:
            return
        self._record = record
        if self._loading:
            self._early.append(transition)
            return
        self._add(transition)
        self._update_title()

    # ---- drawing ----------------------------------------------------------------------------

    def _show_step_detail(self) -> None:
        """The selected step's sentence in full (else the latest step's), wrapped."""
        if not self._steps:
            self.step_detail.setVisible(False)
            return
        item = self.tree.currentItem()
        row = self.tree.indexOfTopLevelItem(item) if item is not None else -1
        step = self._steps[row] if 0 <= row < len(self._steps) else self._steps[-1]
        colour = self._theme.status(step.to_status, step.broker_status).name()
        self.step_detail.setText(
            f"<b style='color:{colour}'>{html.escape(step_name(step))}</b> · "
            f"{clock_ms(step.at)}<br>{html.escape(step.detail or '—')}"
        )
        self.step_detail.setVisible(True)

    def _reset(self) -> None:
        self._steps.clear()
        self._seen.clear()
        self._early.clear()
        self._loading = False
        self.tree.clear()
        self.step_detail.setVisible(False)

    def _add(self, transition: Transition) -> None:
        key = _key(transition)
        if key in self._seen:
            return
        self._seen.add(key)
        previous = self._steps[-1] if self._steps else None
        self._steps.append(transition)
        self.tree.addTopLevelItem(self._item(transition, previous))
        self.tree.scrollToBottom()
        self._show_step_detail()

    def _redraw(self) -> None:
        self.tree.clear()
        previous = None
        for transition in self._steps:
            self.tree.addTopLevelItem(self._item(transition, previous))
            previous = transition

    def _item(self, transition: Transition, previous: Transition | None) -> QTreeWidgetItem:
        item = QTreeWidgetItem(
            [
                clock_ms(transition.at),
                gap(transition.at - previous.at) if previous else "—",
                step_name(transition),
                transition.detail,
            ]
        )
        colour = self._theme.status(transition.to_status, transition.broker_status)
        item.setForeground(STEP, QBrush(colour))
        font = QFont()
        font.setBold(True)
        item.setFont(STEP, font)
        item.setToolTip(TIME, f"{local(transition.at):%Y-%m-%d %H:%M:%S.%f %Z}")
        facts = [f"broker status {transition.broker_status}"] if transition.broker_status else []
        if transition.tag is not None:
            facts.append(f"tag {transition.tag}")
        item.setToolTip(STEP, ", ".join(facts) or str(transition.to_status))
        item.setToolTip(DETAIL, transition.detail)
        if transition.tag is not None and transition.tag.is_blocker:
            item.setForeground(DETAIL, QBrush(colour))
        return item

    def _update_title(self) -> None:
        record = self._record
        if record is None:
            return
        command = record.command
        priced = ""
        if command.price is not None:
            priced += f" @ {show_price(command.price)}"
        if command.trigger_price is not None:
            priced += f" trigger {show_price(command.trigger_price)}"
        self.title.setText(
            f"<b>{command.side} {command.quantity} {command.symbol}</b> {command.order_type}"
            f"{priced} · {command.product} · {command.execution_type} · "
            f"strategy {command.strategy} · <span style='color:"
            f"{self._theme.status(record.status, record.broker_status).name()}'>"
            f"<b>{record.status}</b></span>"
        )
        if self._steps:
            first, last = self._steps[0], self._steps[-1]
            total = gap(last.at - first.at).lstrip("+")
            self.summary.setText(
                f"{record.command_id} · {len(self._steps)} steps · {total} from first to last"
            )
        else:
            self.summary.setText(record.command_id)
