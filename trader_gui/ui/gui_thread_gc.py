"""Qt objects die on the window's thread, never on an engine thread.

Python's cycle collector runs on whichever thread happens to allocate past its threshold:
often the engine's database or broker thread. A Qt object found in garbage there is
destroyed on that thread. Qt cannot stop the timers of an object from another thread
("QObject::~QObject: Timers cannot be stopped from another thread"), so the window's
event dispatcher keeps them and later delivers a timer event to freed memory: the process
dies with a segmentation fault whose stack names nothing of ours.

Two things prevent it:

- `GuiThreadCollector` turns automatic collection off and collects on a timer of the
  window's thread instead, with the interpreter's own thresholds (pyqtgraph documents the
  same remedy). Reference counting still frees everything without cycles at once.
- `release_loop_timers` deletes a closed qasync loop's timer object at once, on the
  window's thread. qasync's `close()` only flags that object as stopped: its timers stay
  registered and every pending callback holds the loop, so the loop and its timers wait in a
  reference cycle for whichever thread collects it next.
"""

from __future__ import annotations

import asyncio
import gc
import logging

import shiboken6
from PySide6.QtCore import QObject, QTimer

log = logging.getLogger(__name__)

COLLECT_EVERY_MS = 500
"""How often the window's thread looks at the collector's counts (a look costs nothing)."""


class GuiThreadCollector(QObject):
    """While started, cycles are collected only here, on the thread that owns this object."""

    def __init__(self, interval_ms: int = COLLECT_EVERY_MS, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.collect_due)
        self._was_enabled = False

    @property
    def active(self) -> bool:
        return self._timer.isActive()

    def start(self) -> None:
        if self.active:
            return
        self._was_enabled = gc.isenabled()
        gc.disable()
        self._timer.start()

    def stop(self) -> None:
        """Collect what is due here, then give collection back to the interpreter."""
        if not self.active:
            return
        self._timer.stop()
        gc.collect()
        if self._was_enabled:
            gc.enable()

    def collect_due(self) -> None:
        """Collect the generations the interpreter would have collected by now."""
        counts = gc.get_count()
        thresholds = gc.get_threshold()
        generation = -1
        for level in range(3):
            if thresholds[level] == 0 or counts[level] <= thresholds[level]:
                break
            generation = level
        if generation >= 0:
            gc.collect(generation)


def release_loop_timers(loop: asyncio.AbstractEventLoop) -> None:
    """After `loop.close()`: delete the qasync loop's timer object now, on this thread.

    Its pending callbacks are dropped with it (the loop is closed: none of them may run).
    A loop that is not a qasync loop, or was released already, is left alone.
    """
    if not loop.is_closed():
        raise RuntimeError("release_loop_timers needs a closed loop")
    timer = getattr(loop, "_timer", None)
    if isinstance(timer, QObject) and shiboken6.isValid(timer):
        shiboken6.delete(timer)
