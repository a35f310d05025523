"""The window's composition root: Qt application, one qasync loop, the engine, the window.

Start: a starting window paints first (Qt only), then the engine and the panels are imported
on a thread (about a second: SQLAlchemy, Alembic, the engine) while it stays responsive, then
the engine is built (the database opened, the broker made) and the main window replaces the
starting one; it takes tickets once recovery and the first reconcile are done.

Everything runs on one asyncio loop driven by Qt (qasync). Broker calls and database commits
already run on the engine's worker threads, so the window keeps painting while they wait.
On close, the window stops the engine (watcher, worker threads, files) before the loop ends,
and anything left over is cancelled here: no task and no thread outlive `run_window`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import importlib
import logging
import logging.handlers
import queue
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from trader_gui.engine.launch_options import LaunchOptions
from trader_gui.paths import AppPaths
from trader_gui.settings import Settings
from trader_gui.ui.app_icon import APP_ID, IconMissingError, application_icon
from trader_gui.ui.qt_guard import ensure_safe_refcounts

if TYPE_CHECKING:  # imported after the first paint (see `_import_engine_and_window`)
    from trader_gui.engine.runtime import Runtime
    from trader_gui.persistence.database import CorruptDatabaseError
    from trader_gui.ui.starting_window import StartingWindow

log = logging.getLogger(__name__)

LOG_BYTES = 5_000_000
LOG_BACKUPS = 5
AFTER_FIRST_PAINT = ("trader_gui.engine.assembly", "trader_gui.ui.main_window")
"""The heavy modules, imported once the starting window is on screen."""


def start_file_logging(paths: AppPaths) -> logging.handlers.QueueListener:
    """Log records go through a queue, so file writes never run on the window's thread."""
    paths.log_dir.mkdir(parents=True, exist_ok=True)
    file_handler = logging.handlers.RotatingFileHandler(
        paths.log_file, maxBytes=LOG_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8"
    )
    file_handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)-7s %(threadName)s %(name)s: %(message)s")
    )
    records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    listener = logging.handlers.QueueListener(records, file_handler, respect_handler_level=True)
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    root.addHandler(logging.handlers.QueueHandler(records))
    listener.start()
    return listener


def stop_file_logging(listener: logging.handlers.QueueListener) -> None:
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, logging.handlers.QueueHandler):
            root.removeHandler(handler)
    listener.stop()
    for handler in listener.handlers:
        handler.close()


class ErrorReporter:
    """sys.excepthook and the loop's exception handler: log it, tell the trader a sentence,
    keep running. Never a traceback on screen."""

    def __init__(self) -> None:
        self.show: Callable[[str], None] | None = None
        self._previous = sys.excepthook
        self._previous_thread = threading.excepthook

    def install(self) -> None:
        sys.excepthook = self.excepthook
        threading.excepthook = self.thread_excepthook

    def uninstall(self) -> None:
        sys.excepthook = self._previous
        threading.excepthook = self._previous_thread

    def excepthook(
        self,
        kind: type[BaseException],
        error: BaseException,
        trace: TracebackType | None,
    ) -> None:
        if issubclass(kind, KeyboardInterrupt):
            self._previous(kind, error, trace)
            return
        log.critical("unexpected error", exc_info=(kind, error, trace))
        self._tell(f"{kind.__name__}: {error}")

    def thread_excepthook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit or args.exc_value is None:
            return
        log.critical(
            "unexpected error in thread %s",
            args.thread.name if args.thread else "?",
            exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
        )

    def loop_exception(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        error = context.get("exception")
        message = context.get("message", "unexpected error in the event loop")
        if isinstance(error, BaseException):
            log.error("%s", message, exc_info=error)
            self._tell(f"{type(error).__name__}: {error}")
        else:
            log.error("%s", message)

    def _tell(self, sentence: str) -> None:
        if self.show is not None:
            try:
                self.show(sentence)
            except Exception:
                log.exception("could not show an error to the trader")


def run_window(
    settings: Settings, paths: AppPaths, options: LaunchOptions, *, config_path: Path
) -> int:
    """Run the window until the trader closes it; the process exit code."""
    from trader_gui.ui import startup_probe

    probe_path = startup_probe.requested()
    probe = startup_probe.StartupProbe(probe_path) if probe_path else None
    paths.ensure()
    listener = start_file_logging(paths)
    ensure_safe_refcounts()  # before the first Qt call (it logs when it applies)
    from PySide6.QtWidgets import QApplication

    from trader_gui.ui.starting_window import StartingWindow
    from trader_gui.ui.theme import apply_theme
    from trader_gui.ui.window_loop import window_loop

    reporter = ErrorReporter()
    reporter.install()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("trader-gui")
    app.setApplicationDisplayName("trader-gui")
    app.setDesktopFileName(APP_ID)
    try:
        app.setWindowIcon(application_icon())
    except IconMissingError as error:
        log.warning("no window icon: %s", error)
    apply_theme(app, settings.theme)  # the starting window already in the trader's colours
    app.setQuitOnLastWindowClosed(False)  # the window ends the loop itself, after shutdown
    try:
        with window_loop(app, reporter.loop_exception) as running:
            if probe is not None:
                probe.mark("qt_app")

            async def main() -> int:
                starting = StartingWindow(
                    options.broker or settings.broker,
                    options.client_id or settings.client_id,
                    config_dir=paths.config_dir,
                )
                front: list[Any] = [starting]  # the window Ctrl+C closes
                ticker, previous_sigint = _close_on_sigint(lambda: front[0])
                try:
                    if probe is not None:
                        probe.watch_paint(starting)
                    starting.show()
                    await starting.first_paint()
                    mark = probe.mark if probe is not None else _no_mark
                    runtime = await _start_engine(settings, paths, options, starting, mark)
                    if runtime is None:
                        return 0 if starting.close_requested else 1
                    from trader_gui.ui.bridge import EngineBridge
                    from trader_gui.ui.main_window import MainWindow

                    bridge = EngineBridge(runtime)
                    window = MainWindow(bridge, settings, paths=paths, config_path=config_path)
                    if probe is not None:
                        probe.watch_ready(window, bridge.ready_changed)
                    # Start-up ends with the chart: what is alive then lives all day.
                    window.pnl.chart_ready.connect(running.collector.settle)
                    reporter.show = window.show_internal_error
                    window.show()
                    _retire(starting)  # its backing store is megabytes: freed now, not at exit
                    front[0] = window
                    window.start()
                    try:
                        await window.shutdown_done.wait()
                    finally:
                        reporter.show = None
                        window.deleteLater()
                    return 0
                finally:
                    ticker.stop()
                    with contextlib.suppress(ValueError, TypeError):
                        signal.signal(signal.SIGINT, previous_sigint)
                    if front[0] is starting:
                        _retire(starting)

            return int(running.loop.run_until_complete(main()))
    finally:
        reporter.uninstall()
        log.info("window closed")
        stop_file_logging(listener)


def _retire(starting: StartingWindow) -> None:
    starting.close()
    starting.deleteLater()


def _import_engine_and_window() -> None:
    for name in AFTER_FIRST_PAINT:
        importlib.import_module(name)


def _no_mark(stage: str) -> None:
    """Start-up stages are timed only for the start-up benchmark."""


async def _start_engine(
    settings: Settings,
    paths: AppPaths,
    options: LaunchOptions,
    starting: StartingWindow,
    mark: Callable[[str], None] = _no_mark,
) -> Runtime | None:
    """The engine, built while the starting window is on screen; None when it cannot start
    (the trader has been told why) or the trader closed the starting window meanwhile."""
    from trader_gui.ui.tasks import in_thread

    # Module imports hold no lock the loop needs: the starting window keeps painting.
    await in_thread(_import_engine_and_window, name="trader-import")
    mark("imported")
    if starting.close_requested:
        return None
    starting.say("Opening the order database…")
    runtime = await _build_or_log_in(settings, paths, options)
    mark("engine_built")
    if runtime is not None and starting.close_requested:
        await runtime.stop()
        return None
    return runtime


async def _build_or_log_in(
    settings: Settings, paths: AppPaths, options: LaunchOptions
) -> Runtime | None:
    """The engine for the configured broker; when the account has no credentials yet, the
    login dialog first (then once more), so a first start needs no command line. None when
    it cannot start: the trader has been told why."""
    from trader_gui.brokers.broker_credentials import CredentialsUnavailableError
    from trader_gui.engine.assembly import build_runtime, database_url, open_repository
    from trader_gui.persistence.database import CorruptDatabaseError, move_aside
    from trader_gui.ui.login_dialog import log_in_first
    from trader_gui.ui.tasks import TaskKeeper, in_thread

    tasks = TaskKeeper()
    try:
        while True:
            try:
                # Opening checks the schema and the file's integrity (0.2 s with 100,000
                # orders): on a thread, so the window keeps painting meanwhile.
                paths.ensure()
                repository = await in_thread(
                    functools.partial(
                        open_repository,
                        database_url(settings, paths, options),
                        single_instance=True,
                    ),
                    name="trader-db-open",
                )
                try:
                    return build_runtime(settings, paths, options, repository=repository)
                except BaseException:
                    repository.close()  # the instance lock with it; closing twice is harmless
                    raise
            except CredentialsUnavailableError as missing:
                log.warning("%s", missing)
                stored = await log_in_first(
                    tasks,
                    reason=str(missing),
                    broker=options.broker or settings.broker,
                    client_id=options.client_id or settings.client_id,
                )
                if not stored:
                    log.info("no credentials given: not starting")
                    return None
            except CorruptDatabaseError as bad:
                log.error("%s", bad)
                if not await _offer_move_aside(bad):
                    return None
                moved = move_aside(bad.path)
                log.warning("damaged database moved aside to %s; starting with a new one", moved)
            except Exception as error:
                log.exception("cannot start")
                await _tell_cannot_start(f"{error}")
                return None
    finally:
        await tasks.close()


async def _offer_move_aside(bad: CorruptDatabaseError) -> bool:
    """The file is kept either way; moving it aside lets the program start on a new one."""
    from PySide6.QtWidgets import QMessageBox

    from trader_gui.ui.dialogs import finished

    box = QMessageBox(
        QMessageBox.Icon.Critical,
        "The database cannot be used",
        f"{bad}\n\nMove it aside (it is renamed, not deleted) and start with a new, empty "
        "database? The broker remains the source of truth: open orders are found there again.",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Close,
    )
    move = box.button(QMessageBox.StandardButton.Yes)
    move.setText("Move aside and start")
    box.setDefaultButton(QMessageBox.StandardButton.Close)
    try:
        await finished(box)
        return box.clickedButton() is move
    finally:
        box.deleteLater()


async def _tell_cannot_start(sentence: str) -> None:
    from PySide6.QtWidgets import QMessageBox

    from trader_gui.ui.dialogs import finished

    box = QMessageBox(
        QMessageBox.Icon.Critical,
        "trader-gui cannot start",
        sentence,
        QMessageBox.StandardButton.Close,
    )
    try:
        await finished(box)
    finally:
        box.deleteLater()


def _close_on_sigint(front: Callable[[], Any]) -> tuple[Any, Any]:
    """Ctrl+C in the terminal closes the window in front the normal way (the main window
    with its confirmation; the starting window ends the start)."""
    from PySide6.QtCore import QTimer

    previous = signal.getsignal(signal.SIGINT)
    with contextlib.suppress(ValueError):  # not the main thread: no signal handling
        signal.signal(signal.SIGINT, lambda *_: QTimer.singleShot(0, lambda: front().close()))
    ticker = QTimer()
    ticker.timeout.connect(lambda: None)  # lets Python run its signal handlers
    ticker.start(250)
    return ticker, previous
