"""Alerts on the desktop: a system tray balloon, or the window itself when there is no tray.

`TraySink` is an `AlertSink` for the engine's alerter. `send` runs on the asyncio loop's
thread and only emits a Qt signal; the signal's slot shows the alert on the thread the sink
lives on (the window's). Under qasync those are one thread and the call is direct; were the
loop ever on another thread, Qt would queue the call, so widgets are only touched on theirs.

Where no system tray exists (many Linux desktops, offscreen tests) the alert goes to the
window's status bar and the window asks for attention (taskbar flash), without a dialog: an
ERROR notice already opens the window's non-modal error box.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMainWindow, QStyle, QSystemTrayIcon

from trader_gui.engine.alerts import Alert
from trader_gui.engine.events import Level

log = logging.getLogger(__name__)

SHOW_MS = {Level.INFO: 10_000, Level.WARNING: 30_000, Level.ERROR: 60_000}
TRAY_ICONS = {
    Level.INFO: QSystemTrayIcon.MessageIcon.Information,
    Level.WARNING: QSystemTrayIcon.MessageIcon.Warning,
    Level.ERROR: QSystemTrayIcon.MessageIcon.Critical,
}


class TraySink(QObject):
    """Shows alerts as tray messages, or in the window when the desktop has no tray."""

    name = "tray"
    alert_posted = Signal(object)
    """Alert, from `send` (any thread) to `show_alert` (this object's thread)."""
    shown = Signal(str, object)
    """("tray" | "window", Alert) once an alert is on screen: for tests and the log panel."""

    def __init__(
        self,
        window: QMainWindow,
        *,
        tray_available: Callable[[], bool] = QSystemTrayIcon.isSystemTrayAvailable,
    ) -> None:
        super().__init__(window)
        self._window = window
        self._tray_available = tray_available
        self.tray: QSystemTrayIcon | None = None
        self.alert_posted.connect(self.show_alert)

    async def send(self, alert: Alert) -> None:
        self.alert_posted.emit(alert)

    def show_alert(self, alert: Alert) -> None:
        if self._tray_available():
            tray = self._tray_icon()
            tray.showMessage(
                alert.title,
                alert.sentence,
                TRAY_ICONS.get(alert.level, QSystemTrayIcon.MessageIcon.Information),
                SHOW_MS.get(alert.level, 10_000),
            )
            self.shown.emit("tray", alert)
            return
        self._window.statusBar().showMessage(alert.one_line(), SHOW_MS.get(alert.level, 10_000))
        if alert.level is not Level.INFO:
            QApplication.alert(self._window)
        self.shown.emit("window", alert)

    def close(self) -> None:
        """Take the icon out of the tray (at window close: an icon must not outlive it)."""
        if self.tray is not None:
            self.tray.hide()
            self.tray.deleteLater()
            self.tray = None

    def _tray_icon(self) -> QSystemTrayIcon:
        """Created on first use: the tray may appear after the window started."""
        if self.tray is None:
            tray = QSystemTrayIcon(self._icon(), self)
            tray.setToolTip(self._window.windowTitle() or "trader-gui")
            tray.messageClicked.connect(self._bring_window_up)
            tray.activated.connect(lambda _reason: self._bring_window_up())
            tray.show()
            self.tray = tray
        return self.tray

    def _icon(self) -> QIcon:
        icon = self._window.windowIcon()
        if icon.isNull():
            icon = self._window.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        return icon

    def _bring_window_up(self) -> None:
        self._window.showNormal()
        self._window.raise_()
        self._window.activateWindow()
