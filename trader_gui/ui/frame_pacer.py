"""Paint the window as often as it can afford, not once per change.

Qt repaints a window once per event-loop turn that changed something. On the qasync loop each
engine step (a commit, a broker reply) is a turn of its own, so in a burst of orders the window
repainted after nearly every step. A repaint of the orders table and the P&L chart costs more
than an order's whole path through the engine, so the window fell ten times behind it.

The pacer holds a repaint request back until the frame is due: FRAME_MS after the last one,
and never sooner than four times the last paint's own duration after it ended, so painting
takes at most a fifth of the loop's time however much changes. Everything that changed
meanwhile is painted in that one frame. A quiet window paints at once, as before.

After other costly work (a batch of new rows laid out in the orders table), `next_turn`
holds the frame for the loop's next turn: the two never run back to back in one turn, so a
key press or a timer due meanwhile is handled between them, not after both.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget

FRAME_MS = 50
"""20 frames a second at most: a table filling in a burst still reads as smooth."""
TURN_S = 0.001
"""How long `next_turn` holds a frame: long enough that it comes in a later loop turn."""
PAINT_SHARE = 1 / 5
"""The largest share of the loop's time that painting may take in a burst. A full repaint
costs 30-40 ms on a loaded 2-core machine, so a burst shows about five frames a second; with
a third (and 30 frames a second) 2,000 orders took 20 s in the window instead of 11 s."""


class FramePacer(QObject):
    """An event filter on a top-level window that spaces its repaints (see the module)."""

    def __init__(self, window: QWidget, frame_ms: int = FRAME_MS) -> None:
        super().__init__(window)
        self._window = window
        self._frame_s = frame_ms / 1000
        self._due = 0.0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._request)
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if watched is not self._window or event.type() != QEvent.Type.UpdateRequest:
            return False
        wait_s = self._due - time.monotonic()
        if wait_s > 0:
            if not self._timer.isActive():
                self._timer.start(max(1, round(wait_s * 1000)))
            return True  # held back: the timer asks again when the frame is due
        started = time.monotonic()
        QWidget.event(self._window, event)  # the paint itself, timed
        ended = time.monotonic()
        took = ended - started
        self._due = ended + max(self._frame_s - took, took * (1 / PAINT_SHARE - 1))
        return True

    @property
    def holding(self) -> bool:
        """A frame asked for now would wait (the last one was too recent)."""
        return self._due > time.monotonic()

    def next_turn(self) -> None:
        """Something costly has just run: a frame due now waits for the loop's next turn."""
        self._due = max(self._due, time.monotonic() + TURN_S)

    def _request(self) -> None:
        QCoreApplication.postEvent(self._window, QEvent(QEvent.Type.UpdateRequest))
