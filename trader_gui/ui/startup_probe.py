"""Start-up timestamps for the start-up benchmark: first paint, ready for a ticket, memory.

Set TRADER_GUI_STARTUP_PROBE to a file path and the window writes there, as one JSON object,
the wall-clock time (`time.time()`) of each stage of its start, which of the heavy libraries
were imported at the first paint and at ready, its resident memory and the objects a full
collection still walks once it is ready and has settled, and then closes itself the normal
way. Nothing else changes: the program starts
exactly as it does for the trader, so the figures are the trader's.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import sys
import time
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QMainWindow

ENVIRONMENT = "TRADER_GUI_STARTUP_PROBE"
SETTLE_MS = 1000
"""After ready: time for the deferred work (the chart) before memory is read."""

HEAVY_MODULES = ("sqlalchemy", "alembic", "aiohttp", "httpx", "pyqtgraph")
"""Libraries worth a tenth of a second or more each to import."""

log = logging.getLogger(__name__)


def requested() -> Path | None:
    value = os.environ.get(ENVIRONMENT)
    return Path(value) if value else None


def heavy_modules_loaded() -> list[str]:
    return [name for name in HEAVY_MODULES if name in sys.modules]


def memory_kib() -> dict[str, int]:
    """VmRSS (resident now) and VmHWM (the peak) of this process, from /proc (Linux)."""
    try:
        lines = Path("/proc/self/status").read_text(encoding="utf-8").splitlines()
    except OSError:
        return {}
    out: dict[str, int] = {}
    for line in lines:
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            out[name] = int(value.split()[0])
    return out


class StartupProbe(QObject):
    """Marks the stages of one start and writes them out; then closes the window."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self._path = path
        self._painting: QMainWindow | None = None
        self._window: QMainWindow | None = None
        self.marks: dict[str, float] = {}
        self.loaded: dict[str, list[str]] = {}

    def mark(self, stage: str) -> None:
        self.marks.setdefault(stage, time.time())

    def watch_paint(self, window: QMainWindow) -> None:
        """The first paint of the first window the trader sees."""
        self._painting = window
        self.mark("window_built")
        window.installEventFilter(self)

    def watch_ready(self, window: QMainWindow, ready_changed: object) -> None:
        """The engine ready (tickets are taken) in `window`, which closes once reported."""
        self._window = window
        self.mark("main_window_built")
        ready_changed.connect(self._ready)  # type: ignore[attr-defined]

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if watched is self._painting and event.type() == QEvent.Type.Paint:
            self.mark("first_paint")
            self.loaded.setdefault("first_paint", heavy_modules_loaded())
            watched.removeEventFilter(self)
        return False

    def _ready(self, ready: bool) -> None:
        if ready and "ready" not in self.marks:
            self.mark("ready")
            self.loaded["ready"] = heavy_modules_loaded()
            self.memory_at_ready = memory_kib()
            QTimer.singleShot(SETTLE_MS, self._finish)

    def _finish(self) -> None:
        report = {
            "marks": self.marks,
            "heavy_modules_loaded": self.loaded,
            "memory_at_ready_kib": self.memory_at_ready,
            "memory_settled_kib": memory_kib(),
            "objects_frozen": gc.get_freeze_count(),
            "objects_collectable": len(gc.get_objects()),
        }
        try:
            self._path.write_text(json.dumps(report), encoding="utf-8")
        except OSError as error:
            log.error("start-up probe not written: %s", error)
        if self._window is not None:
            self._window.close()
