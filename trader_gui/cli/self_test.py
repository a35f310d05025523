"""`trader-gui --self-test`: the whole program, end to end, on throwaway files, in seconds.

It answers "does this install (or this frozen bundle) work?" without a broker account, a
display or the trader's own data: the real window over the real engine, the paper broker and
a fresh SQLite database (migrations included) in a temporary folder. A ticket is typed into
the order form and sent, its fill is awaited, the kill switch is turned on through its button
and confirmation, a second ENTRY must be blocked with KILL_SWITCH_ACTIVE, and everything shuts
down as a close does. Each step prints a line as it passes; the first failure prints
`self-test failed at step '<step>': <why>` and the exit code is 1.

Nothing sleeps: every wait is for a Qt signal or a widget being shown, under one deadline.
The window is offscreen unless QT_QPA_PLATFORM says otherwise (QT_QPA_PLATFORM=xcb shows it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import platform
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from PySide6.QtCore import QEvent, QObject, QtMsgType, qInstallMessageHandler
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from trader_gui import __version__
from trader_gui.app import ErrorReporter, start_file_logging, stop_file_logging
from trader_gui.domain.enums import OrderStatus, Side, Tag
from trader_gui.domain.order import OrderRecord
from trader_gui.engine.assembly import LaunchOptions, build_runtime
from trader_gui.paths import AppPaths
from trader_gui.persistence.database import sqlite_url
from trader_gui.settings import Settings
from trader_gui.ui.app_icon import IconMissingError, application_icon
from trader_gui.ui.bridge import EngineBridge
from trader_gui.ui.main_window import MainWindow
from trader_gui.ui.qt_guard import ensure_safe_refcounts
from trader_gui.ui.window_loop import window_loop

T = TypeVar("T")
qt_log = logging.getLogger("trader_gui.self_test.qt")

TIMEOUT_S = 60.0
"""The whole run's deadline; a healthy run takes a few seconds."""
SHUTDOWN_S = 15.0
"""How long the clean-up after a failure may take before the process gives up on it."""
SYMBOL = "SBIN"
CLIENT_ID = "SELFTEST"
SETTINGS = Settings(
    broker="paper",
    client_id=CLIENT_ID,
    poll_interval_s=0.1,
    confirm_above_value=None,
    default_strategy="self-test",
)
"""The program's defaults, but a quick watcher and no large-order question; the trader's
own config file is never read, so a self-test cannot touch a real account."""
ENGINE_THREADS = ("trader-db", "trader-broker")
LOG_TAIL_LINES = 40


class StepFailedError(Exception):
    """A check inside a step did not hold; the message says what was seen instead."""


@dataclass
class Steps:
    """Names the step running now, so a failure or the deadline says where it happened."""

    current: str = "start"
    started: float = field(default_factory=time.monotonic)
    checks: list[Callable[[], None]] = field(default_factory=list)

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[None]:
        self.current = name
        began = time.monotonic()
        yield
        for check in self.checks:
            check()
        print(f"self-test: ok  {name:<16} {time.monotonic() - began:6.2f} s", flush=True)


class Changes:
    """Wakes waiters whenever something they may be waiting for happened (a signal fired, a
    widget was shown); `until` re-checks its condition then. Event driven, never polling."""

    def __init__(self) -> None:
        self._waiters: list[asyncio.Future[None]] = []

    def poke(self, *_args: object) -> None:
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def until(self, condition: Callable[[], T | None]) -> T:
        while True:
            value = condition()
            if value:
                return value
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            await waiter


def run_self_test(timeout_s: float = TIMEOUT_S) -> int:
    """0 when every step passed, 1 at the first failure (named on stdout)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    folder = Path(tempfile.mkdtemp(prefix="trader-gui-self-test-"))
    paths = AppPaths.under(folder)
    paths.ensure()
    steps = Steps()
    try:
        failure = _run(paths, steps, timeout_s)
    except KeyboardInterrupt:
        print(f"self-test interrupted at step '{steps.current}'", flush=True)
        return 130
    if failure is None:
        print(f"self-test passed in {time.monotonic() - steps.started:.1f} s", flush=True)
        shutil.rmtree(folder, ignore_errors=True)
        return 0
    print(f"self-test failed at step '{steps.current}': {failure}", flush=True)
    _print_log_tail(paths.log_file)
    print(f"self-test: its files are kept in {folder}", file=sys.stderr, flush=True)
    return 1


def _run(paths: AppPaths, steps: Steps, timeout_s: float) -> str | None:
    """Host the window on a qasync loop as `run_window` does; the failure sentence or None."""
    listener = start_file_logging(paths)
    ensure_safe_refcounts()  # before the first Qt call, as the window does
    reporter = ErrorReporter()
    reporter.install()
    previous_handler = qInstallMessageHandler(_qt_message_to_log)
    try:
        with steps.step("qt started"):
            app = QApplication.instance() or QApplication(sys.argv[:1])
            assert isinstance(app, QApplication)
            app.setApplicationName("trader-gui")
            app.setQuitOnLastWindowClosed(False)
            print(
                f"self-test: trader-gui {__version__}, Python {platform.python_version()}, "
                f"Qt platform {app.platformName()}, folder {paths.data_dir.parent}",
                flush=True,
            )
        with window_loop(app, reporter.loop_exception) as running:
            failure: str | None = running.loop.run_until_complete(
                _drive_with_deadline(app, reporter, paths, steps, timeout_s)
            )
            return failure
    except Exception as error:  # a failure before the loop runs (Qt cannot start)
        return _sentence(error)
    finally:
        qInstallMessageHandler(previous_handler)
        reporter.uninstall()
        stop_file_logging(listener)


def _qt_message_to_log(mode: QtMsgType, context: object, message: str) -> None:
    """Qt's own chatter (the offscreen platform's "does not support ..." lines) goes to the
    log file, so stdout and stderr carry only the steps and a failure's explanation."""
    qt_log.info("%s", message)


async def _drive_with_deadline(
    app: QApplication, reporter: ErrorReporter, paths: AppPaths, steps: Steps, timeout_s: float
) -> str | None:
    try:
        async with asyncio.timeout(timeout_s):
            with steps.step("icon loaded"):
                app.setWindowIcon(_application_icon())
            with steps.step("database opened"):
                options = LaunchOptions(db_url=sqlite_url(paths.database_file), broker="paper")
                runtime = build_runtime(SETTINGS, paths, options)  # migrations, instruments
            async with _window(app, reporter, EngineBridge(runtime), paths, steps) as session:
                await _trade(session, steps)
    except TimeoutError:
        return f"no result within the {timeout_s:g} s deadline"
    except StepFailedError as error:
        return str(error)
    except Exception as error:
        return _sentence(error)
    return None


@dataclass
class Session:
    """The window under test and what the steps wait on."""

    window: MainWindow
    bridge: EngineBridge
    changes: Changes
    submitted: list[OrderRecord]


class ShowWatcher(QObject):
    """Pokes the waiters whenever a widget appears (the kill switch's confirmation): dialogs
    have no signal of their own for being open."""

    def __init__(self, changes: Changes) -> None:
        super().__init__()
        self._changes = changes

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Show:
            self._changes.poke()
        return False


@contextlib.asynccontextmanager
async def _window(
    app: QApplication,
    reporter: ErrorReporter,
    bridge: EngineBridge,
    paths: AppPaths,
    steps: Steps,
) -> AsyncIterator[Session]:
    """The main window over the bridge, wired so that every step can await what it needs;
    on the way out (a failure included) the engine is stopped and the window goes."""
    changes = Changes()
    shows = ShowWatcher(changes)
    app.installEventFilter(shows)
    window = MainWindow(bridge, SETTINGS, paths=paths, config_path=paths.config_file)
    reporter.show = window.show_internal_error
    steps.checks.append(lambda: _no_error_shown(window))
    submitted: list[OrderRecord] = []
    window.entry.submitted.connect(submitted.append)
    for signal in (
        bridge.order_updated,
        window.orders.table_updated,
        bridge.ready_changed,
        window.entry.submitted,
        window.kill_switch.changed,
    ):
        signal.connect(changes.poke)
    try:
        yield Session(window, bridge, changes, submitted)
    finally:
        reporter.show = None
        app.removeEventFilter(shows)
        if not window.shutdown_done.is_set():  # after a failure: stop the engine all the same
            with contextlib.suppress(Exception):
                async with asyncio.timeout(SHUTDOWN_S):
                    await window.shutdown()
        window.close()
        window.deleteLater()


async def _trade(session: Session, steps: Steps) -> None:
    """The trader's few minutes, in order: start, buy, fill, kill switch, refused, close."""
    window, changes = session.window, session.changes
    with steps.step("window shown"):
        window.show()
        window.start()
        if not window.isVisible():
            raise StepFailedError("the main window is not visible")

    with steps.step("engine ready"):
        await changes.until(lambda: session.bridge.is_ready)

    with steps.step("order placed"):
        first = await _send_ticket(session)
        if first.status is OrderStatus.FAILED:
            raise StepFailedError(f"the order failed: {first.tag} {first.detail}")

    with steps.step("order executed"):
        final = await changes.until(lambda: _terminal(window, first.command_id))
        if final.status is not OrderStatus.EXECUTED:
            raise StepFailedError(f"{final.status} {final.tag or ''} {final.detail}".strip())

    with steps.step("kill switch on"):
        await _turn_kill_switch_on(window, changes)

    with steps.step("entry blocked"):
        blocked = await _send_ticket(session)
        if blocked.status is not OrderStatus.FAILED or blocked.tag is not Tag.KILL_SWITCH_ACTIVE:
            raise StepFailedError(
                f"expected FAILED {Tag.KILL_SWITCH_ACTIVE}, got "
                f"{blocked.status} {blocked.tag or ''} {blocked.detail}".strip()
            )

    with steps.step("shut down"):
        await window.shutdown()
        _no_engine_threads_left()
        _no_tasks_left()


def _application_icon() -> QIcon:
    try:
        return application_icon()
    except IconMissingError as error:
        raise StepFailedError(str(error)) from error


async def _send_ticket(session: Session) -> OrderRecord:
    """Type a BUY 1 SBIN MARKET ENTRY into the order form and press its Enter; the record as
    it stands after step 5 (or its block in step 2)."""
    entry, changes, submitted = session.window.entry, session.changes, session.submitted
    entry.clear()
    entry.set_side(Side.BUY)
    entry.symbol.setText(SYMBOL)
    entry.quantity.setText("1")
    entry.order_type.setCurrentText("MARKET")
    entry.execution.setCurrentText("ENTRY")
    if entry.check() is None:
        raise StepFailedError(f"the order form refused the ticket: {entry.errors}")
    await changes.until(entry.submit_button.isEnabled)
    count = len(submitted)
    entry.submit()
    return await changes.until(lambda: submitted[count] if len(submitted) > count else None)


def _terminal(window: MainWindow, command_id: str) -> OrderRecord | None:
    """The order as the orders table shows it, once it is final."""
    record = window.orders.model.get(command_id)
    return record if record is not None and record.status.is_terminal else None


async def _turn_kill_switch_on(window: MainWindow, changes: Changes) -> None:
    """Click the kill switch, accept its confirmation, and see the window say it is on."""
    control = window.kill_switch
    control.button.click()
    box = await changes.until(
        lambda: (
            control.dialog if control.dialog is not None and control.dialog.isVisible() else None
        )
    )
    if not isinstance(box, QMessageBox):
        raise StepFailedError(f"expected the confirmation, got {type(box).__name__}")
    accept = next(
        (b for b in box.buttons() if box.buttonRole(b) == QMessageBox.ButtonRole.AcceptRole), None
    )
    if accept is None:
        raise StepFailedError("the confirmation has no button to turn the switch on")
    accept.click()
    await changes.until(lambda: control.state.active)
    if "KILL SWITCH ON" not in window.windowTitle():
        raise StepFailedError(f"the title does not say so: {window.windowTitle()!r}")


def _no_error_shown(window: MainWindow) -> None:
    box = window.error_box
    if box is not None:
        raise StepFailedError(f"the window showed an error: {box.text()}")


def _no_engine_threads_left() -> None:
    """The engine's threads end with it; a leftover one would keep the program from exiting."""
    for thread in threading.enumerate():
        if thread.name.startswith(ENGINE_THREADS):
            thread.join(SHUTDOWN_S)  # idle pool threads end as soon as they see the shutdown
            if thread.is_alive():
                raise StepFailedError(f"thread {thread.name} still running after shutdown")


def _no_tasks_left() -> None:
    current = asyncio.current_task()
    left = [t for t in asyncio.all_tasks() if t is not current and not t.done()]
    if left:
        names = ", ".join(sorted(t.get_name() for t in left))
        raise StepFailedError(f"tasks still running after shutdown: {names}")


def _sentence(error: BaseException) -> str:
    text = str(error).strip()
    first = text.splitlines()[0] if text else ""
    return f"{type(error).__name__}: {first}" if first else type(error).__name__


def _print_log_tail(log_file: Path) -> None:
    """The log's last lines on stderr: what the program said just before the failure."""
    try:
        lines = log_file.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return
    if lines:
        print(f"self-test: the log's last lines ({log_file}):", file=sys.stderr)
        print("\n".join(lines[-LOG_TAIL_LINES:]), file=sys.stderr, flush=True)
