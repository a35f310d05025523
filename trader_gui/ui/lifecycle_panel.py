"""The selected order's steps as a timeline: status, broker word, reason, time, gap.

Live: a step committed while the order is selected is appended at once. A step that arrives
while the history is being read is merged, never shown twice.

A slice of a ticket cut at the freeze quantity shows its own steps, and names its ticket and
its sibling slices with their statuses; a ticket's row shows its slices, one line each.
"""

from __future__ import annotations

import html
from collections.abc import Callable

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

from trader_gui.domain.enums import Source
from trader_gui.domain.order import OrderCommand, OrderRecord
from trader_gui.domain.transitions import Transition
from trader_gui.ui.bridge import EngineBridge
from trader_gui.ui.formatting import clock_ms, gap, local, source_text
from trader_gui.ui.formatting import price as show_price
from trader_gui.ui.orders_model import TicketGroup
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
        self._ticket_id: str | None = None
        """The ticket shown (its row selected), or None when an order is shown."""
        self._ticket_lookup: Callable[[str], TicketGroup | None] = lambda _ticket_id: None

        self.title = QLabel("Select an order to see its steps.")
        self.title.setObjectName("lifecycleTitle")
        self.title.setWordWrap(True)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary = QLabel()
        self.summary.setObjectName("mutedLabel")
        self.ticket_label = QLabel()
        self.ticket_label.setObjectName("ticketContext")
        self.ticket_label.setWordWrap(True)
        self.ticket_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.ticket_label.setVisible(False)
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
        layout.addWidget(self.ticket_label)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.step_detail)
        bridge.order_updated.connect(self.on_order_updated)

    @property
    def command_id(self) -> str | None:
        return self._command_id

    @property
    def ticket_id(self) -> str | None:
        """The ticket shown: the one whose row is selected, or the selected slice's."""
        if self._ticket_id is not None:
            return self._ticket_id
        return self._record.command.ticket_id if self._record is not None else None

    def set_ticket_lookup(self, lookup: Callable[[str], TicketGroup | None]) -> None:
        """Where a slice's ticket and siblings are found (the orders table has them)."""
        self._ticket_lookup = lookup

    def steps(self) -> list[Transition]:
        return list(self._steps)

    def set_theme(self, theme: ThemeColors) -> None:
        self._theme = theme
        if self._ticket_id is not None:
            self.show_ticket(self._ticket_lookup(self._ticket_id))
            return
        self._redraw()
        self._update_title()
        self._update_ticket()

    def show_order(self, record: OrderRecord | None) -> None:
        """Follow another order (or none); its history is read on the database thread."""
        self._ticket_id = None
        if record is None:
            self._command_id = None
            self._record = None
            self._reset()
            self.title.setText("Select an order to see its steps.")
            self.summary.clear()
            self._update_ticket()
            return
        if record.command_id == self._command_id:
            self._record = record
            self._update_title()
            self._update_ticket()
            return
        self._command_id = record.command_id
        self._record = record
        self._reset()
        self._update_title()
        self._update_ticket()
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

    def show_ticket(self, ticket: TicketGroup | None) -> None:
        """A ticket's row: its slices, one line each (select a slice for its steps)."""
        if ticket is None or not ticket.children:
            self.show_order(None)
            return
        self._generation += 1  # a history read still under way is for another order
        self._command_id = None
        self._record = None
        self._ticket_id = ticket.ticket_id
        self._reset()
        command = ticket.command
        self.title.setText(
            f"<b>Ticket {command.side} {ticket.quantity:,} {command.symbol}</b> "
            f"{command.order_type} · {command.product} · {command.execution_type} · "
            f"strategy {command.strategy}{self._external(command)} · <span style='color:"
            f"{self._theme.status(ticket.colour_status).name()}'>"
            f"<b>{html.escape(ticket.status_text)}</b></span>"
        )
        self.summary.setText(
            f"{ticket.ticket_id} · sliced at the freeze quantity into {len(ticket.children)} "
            "orders · select one for its steps"
        )
        self.ticket_label.setVisible(False)
        for child in sorted(ticket.children, key=lambda c: c.created_at):
            item = QTreeWidgetItem(
                [
                    clock_ms(child.created_at),
                    "—",
                    f"{ticket.position(child.command_id)} · {child.command.quantity:,} · "
                    f"{child.status}",
                    f"{child.command_id}: {child.detail}",
                ]
            )
            item.setForeground(STEP, QBrush(self._theme.status(child.status, child.broker_status)))
            item.setToolTip(DETAIL, child.detail)
            self.tree.addTopLevelItem(item)

    def slice_lines(self) -> list[str]:
        """The ticket's slices as shown while its row is selected (step column)."""
        return [self.tree.topLevelItem(i).text(STEP) for i in range(self.tree.topLevelItemCount())]

    def on_ticket_changed(self, ticket: TicketGroup | None) -> None:
        """One of a ticket's slices moved (the orders table has it already)."""
        if ticket is None:
            return
        if self._ticket_id == ticket.ticket_id:
            self.show_ticket(ticket)
        elif self._ticket_id is None and self.ticket_id == ticket.ticket_id:
            self._update_ticket()  # the shown slice, or one of its siblings

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

    def _update_ticket(self) -> None:
        """For a slice: which ticket it belongs to, and how its siblings stand."""
        record = self._record
        ticket_id = record.command.ticket_id if record is not None else None
        ticket = self._ticket_lookup(ticket_id) if ticket_id is not None else None
        if record is None or ticket is None:
            self.ticket_label.setVisible(False)
            self.ticket_label.clear()
            return
        siblings = [
            f"{html.escape(child.command_id)} "
            f"<span style='color:{self._theme.status(child.status, child.broker_status).name()}'>"
            f"{child.status}</span>"
            for child in sorted(ticket.children, key=lambda c: c.created_at)
            if child.command_id != record.command_id
        ]
        self.ticket_label.setText(
            f"{ticket.position(record.command_id).capitalize()} of ticket "
            f"<b>{html.escape(ticket.ticket_id)}</b> ({html.escape(ticket.status_text)}) · "
            f"siblings: {', '.join(siblings) if siblings else 'none yet'}"
        )
        self.ticket_label.setVisible(True)

    @staticmethod
    def _external(command: OrderCommand) -> str:
        """` · EXTERNAL · tradingview` for an order from the intake; nothing for the window's."""
        if command.source is not Source.EXTERNAL:
            return ""
        return f" · {html.escape(source_text(command))}"

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
        amo = " · <b>AMO</b> (held by the broker until the exchange opens)" if record.amo else ""
        self.title.setText(
            f"<b>{command.side} {command.quantity} {command.symbol}</b> {command.order_type}"
            f"{priced}{amo} · {command.product} · {command.execution_type} · "
            f"strategy {command.strategy}{self._external(command)} · <span style='color:"
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
