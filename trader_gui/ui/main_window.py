"""The main window: dockable panels around the engine, a kill switch always in sight.

Start: the window shows first, then history is read and the engine recovers and reconciles
(tickets wait until it is ready). Close: the trader confirms when orders are still open, then
the layout is saved, the window's tasks end, the engine stops (watcher, threads, files), and
only then does the window go away.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSizePolicy,
    QToolBar,
    QWidget,
)

from trader_gui.credentials import BackendStatus, default_store
from trader_gui.domain.enums import Side
from trader_gui.domain.kill_switch import KillSwitchState
from trader_gui.domain.market_time import trading_day_start
from trader_gui.domain.order import OrderRecord
from trader_gui.engine.events import Level, Notice
from trader_gui.engine.intake_config import intake_config_from
from trader_gui.paths import AppPaths
from trader_gui.settings import DEFAULT_SHORTCUTS, Settings
from trader_gui.ui.approvals_panel import ApprovalsPanel
from trader_gui.ui.blockers_panel import BlockersPanel
from trader_gui.ui.bridge import EngineBridge
from trader_gui.ui.dialogs import answer, question
from trader_gui.ui.frame_pacer import FramePacer
from trader_gui.ui.kill_switch import KillSwitchControl
from trader_gui.ui.lifecycle_panel import LifecyclePanel
from trader_gui.ui.log_panel import LogPanel, QtLogHandler
from trader_gui.ui.login_dialog import BrokerLoginDialog
from trader_gui.ui.market_clock import MarketClock
from trader_gui.ui.master_actions import MasterActions
from trader_gui.ui.order_entry import OrderEntryPanel
from trader_gui.ui.orders_panel import OrdersPanel
from trader_gui.ui.pnl_panel import PnlPanel
from trader_gui.ui.positions_panel import PositionsPanel
from trader_gui.ui.settings_dialog import (
    SettingsDialog,
    intake_settings,
    needs_restart,
    risk_limits_of,
)
from trader_gui.ui.starting_window import LAYOUT_FILE
from trader_gui.ui.status_bar import NOTICE_MS, StatusBar
from trader_gui.ui.tasks import TaskKeeper, in_thread
from trader_gui.ui.theme import ThemeColors, apply_theme
from trader_gui.ui.tray import TraySink

log = logging.getLogger(__name__)

LAYOUT_VERSION = 1
ORDERS_HEADER_KEY = "orders_tree_header"
"""The orders table's columns (order, widths, sort); the tree's, not the old table's."""
APP_TITLE = "trader-gui"
APPROVALS_TITLE = "Approvals"
CHART_AT_THE_LATEST_MS = 3000
"""The P&L chart is built once the engine is ready, or this long after the first show."""


@dataclass(frozen=True, slots=True)
class Docks:
    entry: QDockWidget
    orders: QDockWidget
    lifecycle: QDockWidget
    blockers: QDockWidget
    pnl: QDockWidget
    positions: QDockWidget
    log: QDockWidget
    approvals: QDockWidget

    def all(self) -> tuple[QDockWidget, ...]:
        return (
            self.entry,
            self.orders,
            self.lifecycle,
            self.blockers,
            self.pnl,
            self.positions,
            self.log,
            self.approvals,
        )


class MainWindow(QMainWindow):
    shut_down = Signal()
    """Emitted once the engine has stopped and the window may go."""

    def __init__(
        self,
        bridge: EngineBridge,
        settings: Settings,
        *,
        paths: AppPaths,
        config_path: Path,
    ) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.bridge = bridge
        self.settings = settings
        self.paths = paths
        self.config_path = config_path
        self.tasks = TaskKeeper(on_error=self.show_internal_error)
        self.shutdown_done = asyncio.Event()
        self._closing = False
        self._closed_cleanly = False
        self._first_show = True
        self._started = False
        self._shortcuts: list[QShortcut] = []
        self._error_box: QMessageBox | None = None
        self.dialog: QMessageBox | None = None
        """The close confirmation while it is open (tests answer it)."""
        self.settings_dialog: SettingsDialog | None = None
        self.login_dialog: BrokerLoginDialog | None = None
        self.credential_warning: str | None = None
        """The sentence shown at start when no secure credential store is available."""

        app = QApplication.instance()
        if isinstance(app, QApplication):
            self.theme = apply_theme(app, settings.theme)  # before the panels measure fonts
        self.log_handler = QtLogHandler()
        logging.getLogger().addHandler(self.log_handler)

        self.kill_switch = KillSwitchControl(bridge, self.tasks, self)
        self.entry = OrderEntryPanel(bridge, self.tasks, settings)
        self.orders = OrdersPanel(bridge, self.tasks)
        self.lifecycle = LifecyclePanel(bridge, self.tasks)
        self.blockers = BlockersPanel(bridge, self.tasks)
        self.pnl = PnlPanel(bridge)
        self.positions = PositionsPanel(bridge)
        self.log_panel = LogPanel(self.log_handler)
        self.approvals = ApprovalsPanel(bridge, self.tasks)
        self.status = StatusBar(bridge.broker_name, bridge.client_id)
        self.setStatusBar(self.status)
        self.intake_warning = QLabel()
        self.intake_warning.setObjectName("intakeWarning")
        self.intake_warning.setVisible(False)
        self.status.addPermanentWidget(self.intake_warning)
        self.market_clock = MarketClock(bridge, self.status, parent=self)
        self.tray = TraySink(self)
        bridge.add_alert_sink(self.tray)

        self.masters = MasterActions(bridge, self.tasks, self)
        self.status.show_masters(bridge.masters)

        self.docks = self._build_docks()
        self._build_toolbar()
        self._build_menus()
        self._connect()
        self._arrange_default()
        self._default_state = self.saveState(LAYOUT_VERSION)
        self._layout_restored = self.restore_layout()
        self.apply_settings(settings, first=True)
        self._update_title(self.kill_switch.state)
        self.pacer = FramePacer(self)  # a burst of orders must not mean a paint per step
        self.orders.rows_laid_out.connect(self.pacer.next_turn)

    # ---- building ---------------------------------------------------------------------------

    def _dock(self, title: str, name: str, widget: QWidget) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
        )
        return dock

    def _build_docks(self) -> Docks:
        self.setDockNestingEnabled(True)
        self.setDockOptions(
            QMainWindow.DockOption.AnimatedDocks
            | QMainWindow.DockOption.AllowNestedDocks
            | QMainWindow.DockOption.AllowTabbedDocks
        )
        return Docks(
            entry=self._dock("Order entry", "orderEntryDock", self.entry),
            orders=self._dock("Orders", "ordersDock", self.orders),
            lifecycle=self._dock("Lifecycle", "lifecycleDock", self.lifecycle),
            blockers=self._dock("Blocked today", "blockersDock", self.blockers),
            pnl=self._dock("P&&L vs risk limits", "pnlDock", self.pnl),
            positions=self._dock("Positions", "positionsDock", self.positions),
            log=self._dock("Log", "logDock", self.log_panel),
            approvals=self._dock(APPROVALS_TITLE, "approvalsDock", self.approvals),
        )

    def _arrange_default(self) -> None:
        """Ticket and P&L on the left; the orders table large; lifecycle, blockers and
        positions under it; the log tabbed behind the blockers."""
        docks = self.docks
        left = Qt.DockWidgetArea.LeftDockWidgetArea
        right = Qt.DockWidgetArea.RightDockWidgetArea
        for dock in docks.all():
            dock.setVisible(True)
            dock.setFloating(False)
        self.addDockWidget(left, docks.entry)
        self.addDockWidget(right, docks.orders)
        self.splitDockWidget(docks.entry, docks.pnl, Qt.Orientation.Vertical)
        self.splitDockWidget(docks.orders, docks.lifecycle, Qt.Orientation.Vertical)
        self.splitDockWidget(docks.lifecycle, docks.blockers, Qt.Orientation.Horizontal)
        self.splitDockWidget(docks.blockers, docks.positions, Qt.Orientation.Horizontal)
        self.tabifyDockWidget(docks.blockers, docks.log)
        self.tabifyDockWidget(docks.blockers, docks.approvals)
        docks.blockers.raise_()
        self._size_default_docks()

    def _size_default_docks(self) -> None:
        docks = self.docks
        self.resizeDocks([docks.entry, docks.orders], [380, 1200], Qt.Orientation.Horizontal)
        self.resizeDocks([docks.entry, docks.pnl], [600, 380], Qt.Orientation.Vertical)
        self.resizeDocks([docks.orders, docks.lifecycle], [560, 380], Qt.Orientation.Vertical)
        self.resizeDocks(
            [docks.lifecycle, docks.blockers, docks.positions],
            [520, 330, 380],
            Qt.Orientation.Horizontal,
        )

    def _build_toolbar(self) -> None:
        bar = QToolBar("Trading", self)
        bar.setObjectName("tradingToolbar")
        bar.setMovable(False)
        bar.setFloatable(False)
        bar.toggleViewAction().setVisible(False)  # the kill switch must stay in sight
        self.buy_action = QAction("Buy ticket", self)
        self.sell_action = QAction("Sell ticket", self)
        self.settings_action = QAction("Settings…", self)
        self.export_action = QAction("Export orders…", self)
        self.login_action = QAction("Log in to broker…", self)
        self.login_action.setObjectName("loginAction")
        self.login_action.setToolTip("Store a broker account's credentials in the OS keyring")
        self.daily_login_action = QAction("Log in to Kite for today…", self)
        self.daily_login_action.setObjectName("dailyLoginAction")
        self.daily_login_action.setToolTip(
            "Kite sessions end before each trading day: log in again in the browser"
        )
        self.daily_login_action.setVisible(self.bridge.needs_browser_login)
        self.daily_login_action.triggered.connect(
            lambda: self.tasks.spawn(self._daily_login(), name="daily login")
        )
        self.kill_action = QAction("Kill switch", self)
        self.buy_action.setObjectName("buyAction")
        self.sell_action.setObjectName("sellAction")
        for action in (self.buy_action, self.sell_action):
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            bar.addAction(action)
        bar.addSeparator()
        bar.addAction(self.export_action)
        bar.addAction(self.settings_action)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        bar.addWidget(spacer)
        bar.addWidget(self.kill_switch.button)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
        self.toolbar = bar

    def _build_menus(self) -> None:
        menus = self.menuBar()
        file_menu = menus.addMenu("&File")
        file_menu.addAction(self.login_action)
        file_menu.addAction(self.daily_login_action)
        file_menu.addSeparator()
        file_menu.addAction(self.masters.refresh_action)
        file_menu.addAction(self.masters.load_action)
        file_menu.addSeparator()
        file_menu.addAction(self.export_action)
        file_menu.addAction(self.settings_action)
        file_menu.addSeparator()
        quit_action = file_menu.addAction("Quit")
        quit_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Quit))
        quit_action.triggered.connect(self.close)
        orders_menu = menus.addMenu("&Orders")
        orders_menu.addAction(self.buy_action)
        orders_menu.addAction(self.sell_action)
        cancel = orders_menu.addAction("Cancel selected order")
        cancel.triggered.connect(self.orders.cancel_selected)
        modify = orders_menu.addAction("Modify selected order…")
        modify.triggered.connect(self.orders.modify_selected)
        orders_menu.addSeparator()
        orders_menu.addAction(self.kill_action)
        orders_menu.addAction(self.kill_switch.flatten_action)
        orders_menu.addAction(self.kill_switch.history_action)
        view = menus.addMenu("&View")
        for dock in self.docks.all():
            view.addAction(dock.toggleViewAction())
        view.addSeparator()
        reset = view.addAction("Reset layout")
        reset.triggered.connect(self.reset_layout)
        help_menu = menus.addMenu("&Help")
        keys = help_menu.addAction("Keyboard shortcuts")
        keys.triggered.connect(self._show_shortcuts)

    def _connect(self) -> None:
        bridge = self.bridge
        self.buy_action.triggered.connect(lambda: self._new_ticket(Side.BUY))
        self.sell_action.triggered.connect(lambda: self._new_ticket(Side.SELL))
        self.kill_action.triggered.connect(self.kill_switch.request_toggle)
        self.settings_action.triggered.connect(self.open_settings)
        self.login_action.triggered.connect(self.open_login)
        self.export_action.triggered.connect(self.orders.choose_export_path)
        self.orders.order_selected.connect(self.lifecycle.show_order)
        self.orders.ticket_selected.connect(self.lifecycle.show_ticket)
        self.orders.ticket_changed.connect(self.lifecycle.on_ticket_changed)
        self.lifecycle.set_ticket_lookup(self.orders.model.ticket)
        self.orders.status_message.connect(self.status.say)
        self.entry.status_message.connect(self.status.say)
        self.entry.submitted.connect(self._ticket_submitted)
        self.kill_switch.status_message.connect(self.status.say)
        self.kill_switch.changed.connect(self._kill_switch_changed)
        self.blockers.order_chosen.connect(self._show_order)
        bridge.connection_changed.connect(self.status.show_connection)
        bridge.database_health_changed.connect(self.status.show_database)
        bridge.poll_completed.connect(self.status.show_poll)
        bridge.busy_changed.connect(self.status.show_busy)
        bridge.orders_queued.connect(self.status.show_queue)
        bridge.masters_loaded.connect(self.status.show_masters)
        self.masters.status_message.connect(self.status.say)
        bridge.notice.connect(self.show_notice)
        bridge.ready_changed.connect(self._ready_changed)
        bridge.intake_changed.connect(self._show_intake_warning)
        self.approvals.waiting_count_changed.connect(self._show_waiting_count)
        self.approvals.order_waiting.connect(self._order_waiting)
        self.approvals.status_message.connect(self.status.say)

    # ---- settings, theme, keys --------------------------------------------------------------

    def apply_settings(self, settings: Settings, *, first: bool = False) -> None:
        old = self.settings
        self.settings = settings
        app = QApplication.instance()
        if isinstance(app, QApplication):
            self.theme = apply_theme(app, settings.theme)
            self._apply_theme(self.theme)
        self._install_shortcuts(settings.shortcuts)
        self.entry.apply_settings(settings)
        if not first:
            limits = risk_limits_of(settings)
            if limits != self.bridge.risk_limits:
                self.bridge.set_risk_limits(limits)
                self.pnl.limit_changed()
            if intake_settings(old) != intake_settings(settings):
                # a port given with --intake-port stays unless the trader changed the port
                kept = old.intake_port == settings.intake_port
                port = self.bridge.intake_config.port if kept else None
                self.tasks.spawn(
                    self.bridge.apply_intake(intake_config_from(settings, port)),
                    name="intake settings",
                )
            later = needs_restart(old, settings)
            saved = f"Settings saved to {self.config_path}."
            self.status.say(
                f"{saved} The {', '.join(later)} change applies on restart." if later else saved
            )

    def _apply_theme(self, theme: ThemeColors) -> None:
        self.orders.set_theme(theme)
        self.lifecycle.set_theme(theme)
        self.blockers.set_theme(theme)
        self.pnl.set_theme(theme)
        self.positions.set_theme(theme)
        self.log_panel.set_theme(theme)
        self.approvals.set_theme(theme)

    def _install_shortcuts(self, shortcuts: dict[str, str]) -> None:
        keys = DEFAULT_SHORTCUTS | shortcuts
        self.buy_action.setShortcut(QKeySequence(keys["buy_ticket"]))
        self.sell_action.setShortcut(QKeySequence(keys["sell_ticket"]))
        self.buy_action.setIconText(f"Buy ticket  {keys['buy_ticket']}".rstrip())
        self.sell_action.setIconText(f"Sell ticket  {keys['sell_ticket']}".rstrip())
        self.kill_action.setShortcut(QKeySequence(keys["kill_switch"]))
        self.kill_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.kill_switch.set_shortcut_text(keys["kill_switch"])
        for shortcut in self._shortcuts:
            shortcut.setEnabled(False)
            shortcut.deleteLater()
        self._shortcuts = []
        ticket_keys = {
            keys["clear_ticket"]: self.entry.clear,
            keys["submit_ticket"]: self.entry.submit,
        }
        if keys["submit_ticket"] == "Return":
            ticket_keys["Enter"] = self.entry.submit  # the keypad's Enter too
        for key, slot in ticket_keys.items():
            if not key:
                continue
            shortcut = QShortcut(QKeySequence(key), self.entry)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)
            self._shortcuts.append(shortcut)

    def open_settings(self) -> SettingsDialog:
        if self.settings_dialog is not None:
            self.settings_dialog.raise_()
            return self.settings_dialog
        dialog = SettingsDialog(
            self.settings, self.config_path, self, bridge=self.bridge, tasks=self.tasks
        )
        dialog.saved.connect(self.apply_settings)
        dialog.destroyed.connect(lambda *_: setattr(self, "settings_dialog", None))
        self.settings_dialog = dialog
        dialog.open()
        return dialog

    async def _daily_login(self) -> None:
        self.status.say(
            await self.bridge.browser_login(
                redirect_port=self.settings.kite_redirect_port, root=self.settings.broker_url
            )
        )

    def open_login(self) -> BrokerLoginDialog:
        """File → Log in to broker…: one dialog at a time, for this account by default."""
        if self.login_dialog is not None:
            self.login_dialog.raise_()
            self.login_dialog.activateWindow()
            return self.login_dialog
        dialog = BrokerLoginDialog(
            self.tasks,
            broker=self.bridge.broker_name,
            client_id=self.bridge.client_id,
            parent=self,
        )
        dialog.stored.connect(self._credentials_stored)
        dialog.destroyed.connect(lambda *_: setattr(self, "login_dialog", None))
        self.login_dialog = dialog
        dialog.show()
        return dialog

    def _credentials_stored(self, broker: str, client_id: str, names: list[str]) -> None:
        self.status.say(f"Stored {broker} credentials for {client_id}: {', '.join(names)}.")

    async def _check_credential_store(self) -> None:
        """Say once, at start, when credentials cannot be kept (no secure keyring)."""

        def status() -> tuple[BackendStatus, bool]:
            created_now = default_store.cache_info().currsize == 0
            return default_store().backend_status(), created_now

        try:
            backend, created_now = await in_thread(status, name="trader-keyring")
        except Exception as error:  # a keyring that cannot even be asked is said, not raised
            log.warning("credential store not available: %s", error)
            return
        if backend.secure:
            return
        self.credential_warning = backend.sentence
        self.status.showMessage(backend.sentence, NOTICE_MS[Level.WARNING])
        if not created_now:  # a store made just now logged the sentence itself
            log.warning("%s", backend.sentence)

    def _show_shortcuts(self) -> None:
        keys = DEFAULT_SHORTCUTS | self.settings.shortcuts
        box = QMessageBox(
            QMessageBox.Icon.Information,
            "Keyboard shortcuts",
            "\n".join(
                [
                    f"{keys['buy_ticket']}\tbuy ticket",
                    f"{keys['sell_ticket']}\tsell ticket",
                    f"{keys['submit_ticket']}\tsend the ticket",
                    f"{keys['clear_ticket']}\tclear the ticket",
                    f"{keys['kill_switch']}\tkill switch",
                ]
            ),
            QMessageBox.StandardButton.Close,
            self,
        )
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setModal(False)
        box.show()

    # ---- layout -----------------------------------------------------------------------------

    def _layout_store(self) -> QSettings:
        return QSettings(str(self.paths.config_dir / LAYOUT_FILE), QSettings.Format.IniFormat)

    def restore_layout(self) -> bool:
        store = self._layout_store()
        geometry = store.value("geometry")
        state = store.value("state")
        header = store.value(ORDERS_HEADER_KEY)
        restored = False
        if isinstance(geometry, QByteArray | bytes):
            restored = self.restoreGeometry(QByteArray(geometry))
        else:
            self.resize(1600, 1000)
        if isinstance(state, QByteArray | bytes):
            restored = self.restoreState(QByteArray(state), LAYOUT_VERSION) and restored
        if isinstance(header, QByteArray | bytes):
            self.orders.table.header().restoreState(QByteArray(header))
        return restored

    def save_layout(self) -> None:
        self.paths.config_dir.mkdir(parents=True, exist_ok=True)
        store = self._layout_store()
        store.setValue("geometry", self.saveGeometry())
        store.setValue("state", self.saveState(LAYOUT_VERSION))
        store.setValue(ORDERS_HEADER_KEY, self.orders.table.header().saveState())
        store.sync()

    def reset_layout(self) -> None:
        self.restoreState(self._default_state, LAYOUT_VERSION)
        self._arrange_default()

    # ---- reactions --------------------------------------------------------------------------

    def _new_ticket(self, side: Side) -> None:
        self.docks.entry.show()
        self.docks.entry.raise_()
        self.entry.new_ticket(side)

    def _ticket_submitted(self, record: OrderRecord) -> None:
        self._show_order(record.command_id)

    def _show_order(self, command_id: str) -> None:
        if self.orders.select(command_id):
            self.docks.lifecycle.raise_()

    def _kill_switch_changed(self, state: KillSwitchState) -> None:
        self.status.show_kill_switch(state)
        self._update_title(state)

    def _update_title(self, state: KillSwitchState) -> None:
        title = f"{APP_TITLE} — {self.bridge.client_id} on {self.bridge.broker_name}"
        self.setWindowTitle(f"{title} — KILL SWITCH ON" if state.active else title)

    def _show_waiting_count(self, count: int) -> None:
        dock = self.docks.approvals
        dock.setWindowTitle(f"{APPROVALS_TITLE} ({count} waiting)" if count else APPROVALS_TITLE)

    def _order_waiting(self, summary: str) -> None:
        """A new external order waits: bring its panel forward and ask for attention."""
        dock = self.docks.approvals
        dock.show()
        dock.raise_()
        self.status.showMessage(
            f"External order waiting for your approval: {summary}", NOTICE_MS[Level.WARNING]
        )
        QApplication.alert(self)

    def _show_intake_warning(self) -> None:
        """Amber in the status bar for as long as the intake listens beyond this machine."""
        config = self.bridge.intake_config
        url = self.bridge.intake_url
        exposed = url is not None and not config.is_loopback
        self.intake_warning.setVisible(exposed)
        if exposed:
            self.intake_warning.setText(f"⚠ Order intake open to the network: {url}")
            self.intake_warning.setToolTip(
                f"The intake listens on {config.host}, not only on this machine: anyone on the "
                "network who has the token can place orders. Set the host back to 127.0.0.1 "
                "in Settings → Intake unless this is what you want."
            )
        else:
            self.intake_warning.clear()

    def _ready_changed(self, ready: bool) -> None:
        if ready:
            self._later(0, self.pnl.build_chart)
            self.status.say(f"Reconciled with {self.bridge.broker_name}: taking orders.")

    def show_notice(self, notice: Notice) -> None:
        self.status.show_notice(notice)
        if notice.level is Level.ERROR:
            self._show_error(notice.text)

    def show_internal_error(self, sentence: str) -> None:
        """An unexpected failure: a sentence, never a traceback (the log file has it)."""
        text = (
            f"Something went wrong inside the program: {sentence}\n"
            f"It keeps running; the details are in {self.paths.log_file}."
        )
        self.status.showMessage(text, 60_000)
        self._show_error(text)

    def _show_error(self, text: str) -> None:
        """A non-modal error box; later errors are added to it while it is open."""
        box = self._error_box
        if box is not None and box.isVisible():
            box.setText(f"{box.text()}\n\n{text}")
        else:
            box = QMessageBox(
                QMessageBox.Icon.Critical,
                "trader-gui: attention",
                text,
                QMessageBox.StandardButton.Ok,
                self,
            )
            box.setObjectName("errorNotice")
            box.setTextFormat(Qt.TextFormat.PlainText)
            box.setModal(False)
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.destroyed.connect(lambda *_: setattr(self, "_error_box", None))
            self._error_box = box
            box.show()
        QApplication.alert(self)

    @property
    def error_box(self) -> QMessageBox | None:
        return self._error_box

    # ---- start ------------------------------------------------------------------------------

    def start(self) -> None:
        """Read history and start the engine in the background (the window is already up)."""
        if not self._started:
            self._started = True
            self.tasks.spawn(self._start(), name="start")

    async def _start(self) -> None:
        self.status.say("Loading orders…")
        self.tasks.spawn(self._check_credential_store(), name="credential store")
        await self.kill_switch.load()
        # Today's orders and every order still open; earlier days on demand (the panel's
        # "Earlier orders" button): 100,000 orders of history cost seconds to show, not one.
        self.orders.load(await self.bridge.orders(since=trading_day_start(self.bridge.now())))
        self.orders.load(await self.bridge.open_orders())
        self.blockers.load(await self.bridge.blocked_today())
        self.pnl.load(await self.bridge.pnl_history())
        self.status.say(f"Recovering and reconciling with {self.bridge.broker_name}…")
        await self.bridge.start()
        self.entry.check()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        if self._first_show:
            self._first_show = False
            if not self._layout_restored:
                # Sizes need the real window, which a window system may give a moment later.
                for delay in (0, 250):
                    self._later(delay, self._size_default_docks)
            # The chart (pyqtgraph: half a second to import) waits until the engine takes
            # tickets, or a few seconds when the broker keeps it from being ready.
            self._later(CHART_AT_THE_LATEST_MS, self.pnl.build_chart)

    def _later(self, delay_ms: int, slot: Callable[[], None]) -> None:
        """A one-shot timer owned by the window: it dies with the window, never after it."""
        timer = QTimer(self)
        timer.setSingleShot(True)
        timer.timeout.connect(slot)
        timer.timeout.connect(timer.deleteLater)
        timer.start(delay_ms)

    # ---- close ------------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if self._closed_cleanly or self.shutdown_done.is_set():
            event.accept()
            return
        event.ignore()
        if not self._closing:
            self._closing = True
            self.tasks.spawn(self._close(), name="close")

    async def _close(self) -> None:
        try:
            if not await self._confirm_close():
                return
            await self.shutdown()
        finally:
            self._closing = False
        self._closed_cleanly = True
        self.close()

    async def _confirm_close(self) -> bool:
        open_orders = await self.bridge.open_orders()
        if not open_orders:
            return True
        count = len(open_orders)
        box, yes = question(
            self,
            title="Orders are still open",
            text=f"{count} order{'s are' if count != 1 else ' is'} still open at the broker.",
            details=(
                "Closing does not cancel them: the broker keeps working them, and the next "
                "start reconciles them with its order book. Until then nothing here watches "
                "them."
            ),
            accept="Close anyway",
            reject="Keep the window open",
            icon=QMessageBox.Icon.Warning,
            default_accept=False,
        )
        self.dialog = box
        try:
            return await answer(box, yes)
        finally:
            self.dialog = None

    async def shutdown(self) -> None:
        """Save the layout, end the window's work, stop the engine. Idempotent."""
        if self.shutdown_done.is_set():
            return
        try:
            self.save_layout()
        except OSError as error:
            log.warning("window layout not saved: %s", error)
        self.orders.close_dialogs()
        self.kill_switch.close_dialogs()
        self.masters.close_dialogs()
        if self.settings_dialog is not None:
            self.settings_dialog.close()
        if self.login_dialog is not None:
            self.login_dialog.close()
        if self._error_box is not None:
            self._error_box.close()
        self.blockers.stop()
        self.approvals.close_dialogs()
        self.approvals.stop()
        await self.tasks.close()
        try:
            await self.bridge.shutdown()
        finally:
            self.tray.close()
            logging.getLogger().removeHandler(self.log_handler)
            self.shutdown_done.set()
            self.shut_down.emit()
