"""The asyncio loop a window runs on: one qasync loop on Qt's, set up and taken down alike
by the program and its self-test."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import qasync
from PySide6.QtWidgets import QApplication

from trader_gui.ui.gui_thread_gc import GuiThreadCollector, release_loop_timers

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class WindowLoop:
    loop: qasync.QEventLoop
    collector: GuiThreadCollector
    """Settle it once start-up is over (`GuiThreadCollector.settle`)."""


@contextlib.contextmanager
def window_loop(
    app: QApplication,
    on_exception: Callable[[asyncio.AbstractEventLoop, dict[str, Any]], object],
) -> Iterator[WindowLoop]:
    """The loop, with Qt's garbage collected on this thread only (gui_thread_gc says why).
    At the end, tasks still running are cancelled, and the closed loop's timers are released
    here, on the window's thread."""
    collector = GuiThreadCollector()
    collector.start()
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    loop.set_exception_handler(on_exception)
    try:
        yield WindowLoop(loop, collector)
    finally:
        cancel_leftovers(loop)
        loop.close()
        release_loop_timers(loop)
        asyncio.set_event_loop(None)
        collector.stop()


def cancel_leftovers(loop: asyncio.AbstractEventLoop) -> None:
    pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
    if not pending:
        return
    log.warning("%d tasks still running at exit: cancelling them", len(pending))
    for task in pending:
        task.cancel()
    with contextlib.suppress(Exception):
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
