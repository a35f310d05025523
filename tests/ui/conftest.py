"""The real window over the real engine: SQLite under tmp_path, the paper broker, offscreen Qt.

asyncio runs on a qasync loop marked as running for the whole test, so the engine's
coroutines make progress whenever Qt processes events: `qtbot.waitUntil` and
`qtbot.waitSignal` drive everything, and no test sleeps.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import qasync
from PySide6.QtWidgets import QApplication

import trader_gui.credentials
from trader_gui.ui.gui_thread_gc import GuiThreadCollector, release_loop_timers
from trader_gui.ui.qt_guard import ensure_safe_refcounts

ensure_safe_refcounts()

from keyring_doubles import MemoryKeyring, keyring_in_use  # noqa: E402
from ui_support import Terminal, TerminalFactory  # noqa: E402


@pytest.fixture(autouse=True)
def keyring_backend(monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoryKeyring]:
    """Every window test gets a secure keyring in memory of its own: the window reads the
    credential store at start, and no test may touch the developer's real keyring."""
    backend = MemoryKeyring()
    monkeypatch.setattr(trader_gui.credentials, "SERVICE", "trader-gui-ui-test")
    trader_gui.credentials.default_store.cache_clear()
    with keyring_in_use(backend):
        yield backend
    trader_gui.credentials.default_store.cache_clear()


@pytest.fixture(scope="session", autouse=True)
def gui_thread_gc(qapp: QApplication) -> Iterator[GuiThreadCollector]:
    """As in the program: cycles are collected on the window's thread only, never by an
    engine thread that would free a window's Qt object (and its timers) there."""
    collector = GuiThreadCollector()
    collector.start()
    yield collector
    collector.stop()


@pytest.fixture
def qloop(qapp: QApplication) -> Iterator[asyncio.AbstractEventLoop]:
    """A qasync loop that counts as running while the test runs Qt's event processing."""
    loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.set_event_loop(loop)
    yield loop
    pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in pending:
        task.cancel()
    deadline = loop.time() + 5
    while any(not task.done() for task in pending) and loop.time() < deadline:
        qapp.processEvents()
    asyncio.events._set_running_loop(None)
    # qasync's stop() would call QApplication.exit() with no exec() running, which makes
    # every later local event loop (pytest-qt's waits) return at once: mark it stopped instead.
    loop._QEventLoop__is_running = False  # type: ignore[attr-defined]
    loop.close()
    release_loop_timers(loop)  # its pending timers must not wait for another thread's gc
    asyncio.set_event_loop(None)


@pytest.fixture
def terminals(
    qtbot: Any, qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> Iterator[TerminalFactory]:
    factory = TerminalFactory(qtbot, tmp_path)
    yield factory
    for terminal in factory.opened:
        factory.close(terminal)


@pytest.fixture
def terminal(terminals: TerminalFactory) -> Terminal:
    return terminals.open()
