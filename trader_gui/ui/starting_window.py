"""The window the trader sees while the program starts: up in a fraction of a second.

Importing and building the engine (SQLAlchemy, the database and its migrations, the broker,
the panels) takes about a second. This window shows first, where the main window will be
(the saved geometry), says what is happening and takes no orders; the main window replaces
it once the engine is built. It imports only Qt, so it paints before any of that work.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, Qt, Signal
from PySide6.QtGui import QCloseEvent, QPaintEvent
from PySide6.QtWidgets import QLabel, QMainWindow, QStatusBar

LAYOUT_FILE = "window.ini"
"""The main window's saved layout, under the config folder; its geometry places this one."""
DEFAULT_SIZE = (1600, 1000)
APP_TITLE = "trader-gui"


class StartingWindow(QMainWindow):
    """A frame with a "starting" sentence; closing it ends the start."""

    painted = Signal()
    """Once, on the first paint."""

    def __init__(self, broker: str, client_id: str, *, config_dir: Path) -> None:
        super().__init__()
        self.setObjectName("startingWindow")
        self.setWindowTitle(f"{APP_TITLE} — {client_id} on {broker} — starting…")
        self.message = QLabel(
            f"Starting: opening the order database and connecting to {broker}.\n"
            "Order entry opens once the open orders are reconciled with the broker."
        )
        self.message.setObjectName("startingMessage")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setCentralWidget(self.message)
        self.setStatusBar(QStatusBar())
        self.statusBar().showMessage("Starting…")
        self.close_requested = False
        self._painted = False
        self._place(config_dir / LAYOUT_FILE)

    def _place(self, layout_file: Path) -> None:
        geometry = None
        if layout_file.is_file():
            geometry = QSettings(str(layout_file), QSettings.Format.IniFormat).value("geometry")
        if not isinstance(geometry, QByteArray | bytes) or not self.restoreGeometry(
            QByteArray(geometry)
        ):
            self.resize(*DEFAULT_SIZE)

    def say(self, sentence: str) -> None:
        self.statusBar().showMessage(sentence)

    async def first_paint(self, timeout_s: float = 1.0) -> None:
        """Returns once the window has painted (or after `timeout_s`: a hidden or minimised
        window may never paint, and the start must not wait for it)."""
        if self._painted:
            return
        painted = asyncio.Event()
        self.painted.connect(painted.set)
        try:
            await asyncio.wait_for(painted.wait(), timeout_s)
        except TimeoutError:
            pass
        finally:
            self.painted.disconnect(painted.set)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        super().paintEvent(event)
        if not self._painted:
            self._painted = True
            self.painted.emit()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        """The trader closing it means: do not start. The start stops at its next step."""
        self.close_requested = True
        self.say("Stopping…")
        event.accept()
