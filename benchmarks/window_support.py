"""What the window benchmarks share: the real window on a qasync loop, and a heartbeat.

The window is built as `trader_gui.app.run_window` builds it (QApplication, one qasync loop,
file logging through a queue, `EngineBridge`, `MainWindow` shown and started), over a
`Runtime` made as `benchmarks.order_throughput` makes it: a SQLite file in a temporary
folder, the paper broker at zero latency with its state in memory, no order throttle. So
the figures differ from the engine benchmark's only by the window.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import sys
import time
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import qasync
from PySide6.QtCore import QObject, Qt, QTimer, QtMsgType, qInstallMessageHandler
from PySide6.QtWidgets import QApplication

from benchmarks.common import BIG_CAPITAL, CLIENT_ID, catalog, percentile
from trader_gui.app import start_file_logging, stop_file_logging
from trader_gui.brokers.paper import PaperBroker
from trader_gui.brokers.paper_config import PaperConfig
from trader_gui.engine.config import EngineConfig
from trader_gui.engine.runtime import Runtime
from trader_gui.paths import AppPaths
from trader_gui.persistence.database import open_database, sqlite_url
from trader_gui.persistence.repository import OrderRepository
from trader_gui.settings import Settings
from trader_gui.ui.bridge import EngineBridge
from trader_gui.ui.gui_thread_gc import GuiThreadCollector, release_loop_timers
from trader_gui.ui.main_window import MainWindow
from trader_gui.ui.qt_guard import ensure_safe_refcounts

T = TypeVar("T")
HEARTBEAT_MS = 5
STALL_TARGET_MS = 50.0


def settings(poll_interval_s: float) -> Settings:
    """The program's defaults for the paper broker, with no large-order question."""
    return Settings(
        broker="paper",
        client_id=CLIENT_ID,
        poll_interval_s=poll_interval_s,
        confirm_above_value=None,
        default_strategy="bench",
    )


def build_runtime(
    paths: AppPaths, poll_interval_s: float, *, fill_latency_s: float = 0.0
) -> tuple[Runtime, PaperBroker]:
    """A Runtime on the folder's database file: paper broker at zero latency, no throttle."""
    paths.ensure()
    paper = PaperConfig(
        ack_latency_s=0.0, fill_latency_s=fill_latency_s, volatility=0.0, capital=BIG_CAPITAL
    )
    broker = PaperBroker(catalog(), state_path=":memory:", client_id=CLIENT_ID, config=paper)
    repository = OrderRepository(open_database(sqlite_url(paths.database_file)))
    config = EngineConfig(
        client_id=CLIENT_ID,
        poll_interval_s=poll_interval_s,
        broker_timeout_s=30.0,
        orders_per_second=None,
    )
    runtime = Runtime(repository=repository, broker=broker, catalog=catalog(), config=config)
    return runtime, broker


class QtHost:
    """One QApplication and one qasync loop for the process; coroutines run on it in turn
    (an `asyncio.run` for a reference may come between two of them). While one runs, cycles
    are collected as in the program: on the window's thread, by its collector, which a
    window settles once its start-up is over (`open_window`)."""

    def __init__(self) -> None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # read when the app is made
        ensure_safe_refcounts()
        self._previous_handler = qInstallMessageHandler(_quiet)
        app = QApplication.instance() or QApplication(sys.argv[:1])
        assert isinstance(app, QApplication)
        app.setQuitOnLastWindowClosed(False)
        self.app = app
        self.loop = qasync.QEventLoop(app)
        self.collector = GuiThreadCollector()

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        asyncio.set_event_loop(self.loop)
        self.collector.start()
        try:
            return self.loop.run_until_complete(coroutine)
        finally:
            gc.unfreeze()  # a settled window's objects: the next run starts as a new program
            self.collector.stop()
            asyncio.set_event_loop(None)

    def close(self) -> None:
        self.loop.close()
        release_loop_timers(self.loop)
        qInstallMessageHandler(self._previous_handler)


def _quiet(mode: QtMsgType, context: object, message: str) -> None:
    """Qt's chatter (the offscreen platform's "does not support ...") is not a figure."""


class Heartbeat(QObject):
    """A 5 ms precise timer on the window's thread: the gaps between its ticks are how long
    the Qt event loop could not run anything (painting, input) at that moment."""

    def __init__(self, interval_ms: int = HEARTBEAT_MS) -> None:
        super().__init__()
        self.interval_ms = interval_ms
        self.gaps_ms: list[float] = []
        self._last = 0.0
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        self.gaps_ms.clear()
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        self._tick()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps_ms.append((now - self._last) * 1000)
        self._last = now

    def figures(self) -> dict[str, float]:
        gaps = self.gaps_ms
        return {
            "ticks": len(gaps),
            "stall_p99_ms": percentile(gaps, 0.99),
            "stall_max_ms": max(gaps, default=0.0),
            "stalls_over_target": sum(1 for gap in gaps if gap > STALL_TARGET_MS),
        }


@dataclass
class WindowSession:
    window: MainWindow
    bridge: EngineBridge
    runtime: Runtime
    broker: PaperBroker
    paths: AppPaths


@contextlib.asynccontextmanager
async def open_window(
    folder: Path,
    *,
    poll_interval_s: float,
    fill_latency_s: float = 0.0,
    collector: GuiThreadCollector | None = None,
) -> AsyncIterator[WindowSession]:
    """The main window shown and started as the program does, yielded once the engine is
    ready for tickets and the chart is built; then, as the program does, the `collector`
    settles. On the way out it shuts down as a close does."""
    paths = AppPaths.under(folder)
    runtime, broker = build_runtime(paths, poll_interval_s, fill_latency_s=fill_latency_s)
    listener = start_file_logging(paths)
    bridge = EngineBridge(runtime)
    window = MainWindow(
        bridge, settings(poll_interval_s), paths=paths, config_path=paths.config_file
    )
    try:
        ready = asyncio.Event()
        bridge.ready_changed.connect(lambda now_ready: ready.set() if now_ready else None)
        window.show()
        window.start()
        await asyncio.wait_for(ready.wait(), 60)
        charted = asyncio.Event()
        window.pnl.chart_ready.connect(charted.set)
        if not window.pnl.chart_built:
            await asyncio.wait_for(charted.wait(), 60)
        if collector is not None:
            collector.settle()
        yield WindowSession(window, bridge, runtime, broker, paths)
    finally:
        await window.shutdown()
        window.close()
        window.deleteLater()
        await asyncio.sleep(0)  # allow-sleep: let the deferred delete run
        stop_file_logging(listener)
