"""Logging through a queue: the window's thread never waits on a file write."""

from __future__ import annotations

import logging
import logging.handlers
import queue
import sys
from pathlib import Path

FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
_listener: logging.handlers.QueueListener | None = None


def configure_logging(
    log_file: Path | None, *, to_stdout: bool = False, level: int = logging.INFO
) -> None:
    """Route every record through one queue to a rotating file and, headless, to stdout."""
    global _listener
    stop_logging()
    handlers: list[logging.Handler] = []
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(
            logging.handlers.RotatingFileHandler(
                log_file, maxBytes=5_000_000, backupCount=5, encoding="utf-8"
            )
        )
    if to_stdout:
        handlers.append(logging.StreamHandler(sys.stdout))
    for handler in handlers:
        handler.setFormatter(logging.Formatter(FORMAT))
    records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    root = logging.getLogger()
    root.handlers = [h for h in root.handlers if not isinstance(h, logging.handlers.QueueHandler)]
    root.addHandler(logging.handlers.QueueHandler(records))
    root.setLevel(level)
    _listener = logging.handlers.QueueListener(records, *handlers, respect_handler_level=True)
    _listener.start()


def stop_logging() -> None:
    """Flush the queue and stop its thread (at exit, so no thread is left behind)."""
    global _listener
    if _listener is not None:
        _listener.stop()
        for handler in _listener.handlers:
            handler.close()
        _listener = None
        for handler in logging.getLogger().handlers[:]:
            if isinstance(handler, logging.handlers.QueueHandler):
                logging.getLogger().removeHandler(handler)
