"""Run as a script, in a process of its own: Qt garbage is left for the cycle collector, an
engine-like thread allocates (so an automatic collection would run there), then the
window's event loop runs on. Prints "alive" and exits 0 when the process survives; without
the protections of `trader_gui.ui.gui_thread_gc` it dies with a segmentation fault.

    python qt_garbage_probe.py closed-loop|timer-object [--unprotected]
"""

from __future__ import annotations

import asyncio
import gc
import os
import sys
import threading

CASES = ("closed-loop", "timer-object")


def _allocate_on_a_worker() -> None:
    """What the database thread does all day: build many small containers."""

    def work() -> None:
        rows = [[index] for index in range(200_000)]
        del rows

    worker = threading.Thread(target=work, name="trader-db-probe")
    worker.start()
    worker.join()


def main(case: str, protected: bool) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import qasync
    from PySide6.QtCore import QEventLoop, QObject, QTimer, QTimerEvent
    from PySide6.QtWidgets import QApplication

    from trader_gui.ui.gui_thread_gc import GuiThreadCollector, release_loop_timers
    from trader_gui.ui.qt_guard import ensure_safe_refcounts

    ensure_safe_refcounts()
    app = QApplication([])
    collector = GuiThreadCollector(interval_ms=10)
    gc.collect()
    if case == "closed-loop":
        # As the window's close leaves it: callbacks still pending (the watcher's next poll).
        loop = qasync.QEventLoop(app, already_running=True)
        asyncio.set_event_loop(loop)
        loop.call_later(0.05, print, "a callback after close")
        loop.call_later(3600, print, "the next poll")
        asyncio.events._set_running_loop(None)
        loop._QEventLoop__is_running = False  # type: ignore[attr-defined]
        loop.close()
        asyncio.set_event_loop(None)
        if protected:
            release_loop_timers(loop)
        del loop
    else:
        if protected:
            collector.start()

        class Ticking(QObject):
            def timerEvent(self, event: QTimerEvent) -> None:  # noqa: N802 (Qt's name)
                self.ticks = getattr(self, "ticks", 0) + 1

        holder = Ticking()
        holder.startTimer(20)
        holder.itself = holder  # type: ignore[attr-defined]  # a cycle: only gc frees it
        del holder
    _allocate_on_a_worker()
    spin = QEventLoop()
    QTimer.singleShot(300, spin.quit)
    spin.exec()
    collector.stop()
    print("alive", flush=True)
    return 0


if __name__ == "__main__":
    chosen = sys.argv[1] if len(sys.argv) > 1 else ""
    if chosen not in CASES:
        sys.exit(f"usage: qt_garbage_probe.py {'|'.join(CASES)} [--unprotected]")
    sys.exit(main(chosen, protected="--unprotected" not in sys.argv[2:]))
