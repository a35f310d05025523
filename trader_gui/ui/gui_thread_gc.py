"""Qt objects die on the window's thread, never on an engine thread.

Python's cycle collector runs on whichever thread happens to allocate past its threshold:
often the engine's database or broker thread. A Qt object found in garbage there is
destroyed on that thread. Qt cannot stop the timers of an object from another thread
("QObject::~QObject: Timers cannot be stopped from another thread"), so the window's
event dispatcher keeps them and later delivers a timer event to freed memory: the process
dies with a segmentation fault whose stack names nothing of ours.

Two things prevent it:

- `GuiThreadCollector` turns automatic collection off and collects on a timer of the
  window's thread instead, with the interpreter's own thresholds and its rule for full
  collections (pyqtgraph documents the same remedy). Reference counting still frees
  everything without cycles at once.
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

COLLECT_EVERY_MS = 50
"""How often the window's thread looks at the collector's counts. A look costs nothing; a
young collection's cost grows with what was allocated since the last one, so looking every
half second let a burst of orders pile up 30 ms young collections (now 2-3 ms)."""
FULL_GROWTH_SHARE = 0.25
"""A full collection only once the objects that survived into the oldest generation since
the last full one are this share of those it held then: the interpreter's own rule, so a
full collection's cost is paid in proportion to what it can find."""


class GuiThreadCollector(QObject):
    """While started, cycles are collected only here, on the thread that owns this object."""

    def __init__(self, interval_ms: int = COLLECT_EVERY_MS, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.collect_due)
        self._was_enabled = False
        self._long_lived = 0
        """Objects in the oldest generation after the last full collection."""
        self._long_lived_pending = 0
        """Objects moved into the oldest generation since then."""

    @property
    def active(self) -> bool:
        return self._timer.isActive()

    def start(self) -> None:
        if self.active:
            return
        self._was_enabled = gc.isenabled()
        gc.disable()
        self._long_lived = len(gc.get_objects(2))
        self._long_lived_pending = 0
        self._timer.start()

    def stop(self) -> None:
        """Collect what is due here, then give collection back to the interpreter."""
        if not self.active:
            return
        self._timer.stop()
        gc.collect()
        if self._was_enabled:
            gc.enable()

    def settle(self) -> None:
        """Once the window is ready: collect everything, then freeze what is alive.

        What start-up built (modules, classes, the panels, the catalog) lives until the
        program ends; frozen, no later full collection walks it again, so a full collection
        costs what the day's orders added, not the whole program (tens of milliseconds of a
        stalled window less each time)."""
        gc.collect()
        gc.freeze()
        self._long_lived = 0
        self._long_lived_pending = 0

    def collect_due(self) -> None:
        """Collect the generation the interpreter would have collected by now."""
        counts = gc.get_count()
        thresholds = gc.get_threshold()
        if thresholds[0] == 0 or counts[0] <= thresholds[0]:
            return
        if counts[2] > thresholds[2] and self._full_is_due():
            gc.collect(2)
            self._long_lived = len(gc.get_objects(2))
            self._long_lived_pending = 0
        elif counts[1] > thresholds[1]:
            self._collect_young()
        else:
            gc.collect(0)

    def _full_is_due(self) -> bool:
        return self._long_lived_pending > self._long_lived * FULL_GROWTH_SHARE

    def _collect_young(self) -> None:
        """Both young generations; their survivors join the oldest and count towards a full
        collection."""
        young = len(gc.get_objects(0)) + len(gc.get_objects(1))
        found = gc.collect(1)
        self._long_lived_pending += max(0, young - found)


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
