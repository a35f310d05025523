"""Alerts on the desktop: the tray sink shows each alert in the system tray, or in the window's
status bar where there is no tray (offscreen has none), always on the window's thread."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from PySide6.QtCore import QThread
from PySide6.QtWidgets import QApplication, QSystemTrayIcon
from ui_support import Terminal, run

from trader_gui.engine.alerts import Alert, Alerter
from trader_gui.engine.events import Level
from trader_gui.ui.tray import TraySink

AT = datetime(2026, 11, 25, 5, 0, tzinfo=UTC)


def an_alert() -> Alert:
    return Alert(
        Level.ERROR,
        "EXIT order FAILED",
        "EXIT order T1 to SELL 10 SBIN failed: RMS: blocked. Your position may still be open.",
        key="exit-failed:T1",
        at=AT,
    )


class Seen:
    """What was on screen at the moment the sink said it showed an alert, and on which thread."""

    def __init__(self, sink: TraySink, terminal: Terminal) -> None:
        self.shown: list[tuple[str, Alert, str, bool]] = []
        self._terminal = terminal
        sink.shown.connect(self._record)

    def _record(self, how: str, alert: Alert) -> None:
        on_gui_thread = QThread.currentThread() is QApplication.instance().thread()
        message = self._terminal.window.statusBar().currentMessage()
        self.shown.append((how, alert, message, on_gui_thread))


def test_offscreen_has_no_system_tray(qapp: Any) -> None:
    """The fallback below is what the window tests exercise: if a tray appears, say so."""
    assert QSystemTrayIcon.isSystemTrayAvailable() is False


def test_without_a_tray_an_engine_alert_shows_in_the_windows_status_bar(
    qtbot: Any, terminal: Terminal
) -> None:
    sink = TraySink(terminal.window)
    seen = Seen(sink, terminal)
    runtime = terminal.runtime
    tasks_before = asyncio.all_tasks()
    alerter = Alerter(runtime.events, [sink], account=runtime.config.client_id)
    alerter.start()

    with qtbot.waitSignal(sink.shown, timeout=5_000):
        run(qtbot, terminal.bridge.set_kill_switch(True, reason="stepping away"))

    [(how, alert, message, on_gui_thread)] = seen.shown
    assert how == "window"
    assert alert.title == "Kill switch ON"
    assert message == f"Kill switch ON: {alert.sentence}"
    assert alert.sentence.startswith("The kill switch was turned on by trader at ")
    assert alert.sentence.endswith(
        " IST: stepping away. New ENTRY orders are blocked; EXIT orders and cancels still go."
    )
    assert on_gui_thread
    assert sink.tray is None
    run(qtbot, alerter.stop())
    left = [t for t in asyncio.all_tasks() - tasks_before if not t.done()]
    # the watcher waits for its next poll in a task of its own: not the alerter's
    assert [t for t in left if "Event.wait" not in t.get_coro().__qualname__] == []


def test_with_a_tray_the_alert_is_a_tray_message(qtbot: Any, terminal: Terminal) -> None:
    sink = TraySink(terminal.window, tray_available=lambda: True)
    seen = Seen(sink, terminal)
    before = terminal.window.statusBar().currentMessage()

    with qtbot.waitSignal(sink.shown, timeout=5_000):
        run(qtbot, sink.send(an_alert()))

    [(how, alert, message, _)] = seen.shown
    assert (how, alert) == ("tray", an_alert())
    assert message == before  # not written into the window as well
    assert sink.tray is not None
    assert sink.tray.isVisible()
    assert sink.tray.toolTip() == terminal.window.windowTitle()
    sink.close()
    assert sink.tray is None


@pytest.mark.parametrize("level", [Level.INFO, Level.WARNING])
def test_each_level_shows(qtbot: Any, terminal: Terminal, level: Level) -> None:
    sink = TraySink(terminal.window)
    alert = Alert(level, "Broker reconnected", "The connection is back.", key="k", at=AT)

    with qtbot.waitSignal(sink.shown, timeout=5_000):
        run(qtbot, sink.send(alert))

    assert terminal.window.statusBar().currentMessage() == (
        "Broker reconnected: The connection is back."
    )


def test_an_alert_sent_from_another_thread_is_shown_on_the_windows_thread(
    qtbot: Any, terminal: Terminal
) -> None:
    sink = TraySink(terminal.window)
    seen = Seen(sink, terminal)
    sender = threading.Thread(target=lambda: asyncio.run(sink.send(an_alert())))

    with qtbot.waitSignal(sink.shown, timeout=5_000):
        sender.start()
        sender.join(timeout=5)

    [(how, _alert, message, on_gui_thread)] = seen.shown
    assert how == "window"
    assert on_gui_thread
    assert message.startswith("EXIT order FAILED: EXIT order T1 to SELL 10 SBIN failed")
