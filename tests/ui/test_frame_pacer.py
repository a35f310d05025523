"""The frame pacer paints a quiet window at once, and never in the same loop turn as the
costly work just before it, so input gets in between the two."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QObject
from PySide6.QtWidgets import QWidget

from trader_gui.ui.frame_pacer import FramePacer


class PaintCounter(QObject):
    def __init__(self, widget: QWidget) -> None:
        super().__init__(widget)
        self.paints = 0
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Paint:
            self.paints += 1
        return False


def shown_window(qtbot: Any) -> tuple[QWidget, FramePacer, PaintCounter]:
    """A window shown, its first frame painted and the next frame due: a quiet window."""
    window = QWidget()
    qtbot.addWidget(window)
    window.resize(200, 100)
    counter = PaintCounter(window)
    pacer = FramePacer(window)
    window.show()
    qtbot.waitUntil(lambda: counter.paints >= 1)
    qtbot.waitUntil(lambda: not pacer.holding)
    counter.paints = 0
    return window, pacer, counter


def test_a_quiet_window_paints_a_change_in_the_same_turn(qtbot: Any) -> None:
    window, _, counter = shown_window(qtbot)

    window.update()
    QCoreApplication.sendPostedEvents(window, QEvent.Type.UpdateRequest)

    assert counter.paints == 1


def test_after_costly_work_the_frame_waits_for_the_next_turn(qtbot: Any) -> None:
    window, pacer, counter = shown_window(qtbot)

    pacer.next_turn()  # say a batch of new rows was just laid out
    window.update()
    QCoreApplication.sendPostedEvents(window, QEvent.Type.UpdateRequest)

    assert counter.paints == 0  # not back to back with the work in this turn...
    qtbot.waitUntil(lambda: counter.paints == 1, timeout=1000)  # ...but in the next one
