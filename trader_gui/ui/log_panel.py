"""The log dock: the tail of the program's log, as sentences (never a traceback).

`QtLogHandler` may be called from any thread (the engine's database and broker threads log
too); it only emits a Qt signal, which Qt queues to the window's thread.
"""

from __future__ import annotations

import html
import logging
from collections import deque

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from trader_gui.ui.theme import LIGHT, ThemeColors

KEEP_LINES = 5_000
LEVELS = (
    ("Info and above", logging.INFO),
    ("Warnings and errors", logging.WARNING),
    ("Errors", logging.ERROR),
)


class _Relay(QObject):
    line = Signal(int, str)


class SentenceFormatter(logging.Formatter):
    """One line per record; an exception shows as its type and message, not its traceback."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        record.message = record.getMessage()
        record.asctime = self.formatTime(record, self.datefmt)
        text = self.formatMessage(record)
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            text += f" ({type(error).__name__}: {error})"
        return " ".join(text.split()) if "\n" in text else text


class QtLogHandler(logging.Handler):
    def __init__(self, level: int = logging.INFO) -> None:
        super().__init__(level)
        self.relay = _Relay()
        self.setFormatter(SentenceFormatter())

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.relay.line.emit(record.levelno, self.format(record))
        except RuntimeError:  # the relay is gone (interpreter shutting down)
            pass
        except Exception:
            self.handleError(record)


class LogPanel(QWidget):
    def __init__(self, handler: QtLogHandler, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("logPanel")
        self._theme: ThemeColors = LIGHT
        self._lines: deque[tuple[int, str]] = deque(maxlen=KEEP_LINES)
        self._minimum = logging.INFO
        self.level = QComboBox()
        for label, _ in LEVELS:
            self.level.addItem(label)
        self.clear_button = QPushButton("Clear")
        self.text = QPlainTextEdit()
        self.text.setObjectName("logText")
        self.text.setReadOnly(True)
        self.text.setMaximumBlockCount(KEEP_LINES)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        top = QHBoxLayout()
        top.addWidget(QLabel("Show"))
        top.addWidget(self.level)
        top.addStretch(1)
        top.addWidget(self.clear_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.text)
        self.level.currentIndexChanged.connect(self._level_changed)
        self.clear_button.clicked.connect(self._clear)
        handler.relay.line.connect(self.append)

    def set_theme(self, theme: ThemeColors) -> None:
        self._theme = theme
        self._rebuild()

    def lines(self) -> list[str]:
        return [text for _, text in self._lines]

    def append(self, level: int, text: str) -> None:
        self._lines.append((level, text))
        if level >= self._minimum:
            self.text.appendHtml(self._html(level, text))

    def _html(self, level: int, text: str) -> str:
        escaped = html.escape(text)
        if level >= logging.ERROR:
            return f"<span style='color:{self._theme.loss}'><b>{escaped}</b></span>"
        if level >= logging.WARNING:
            return f"<span style='color:{self._theme.warning}'>{escaped}</span>"
        return f"<span>{escaped}</span>"

    def _level_changed(self, number: int) -> None:
        self._minimum = LEVELS[number][1]
        self._rebuild()

    def _rebuild(self) -> None:
        self.text.clear()
        self.text.appendHtml(
            "<br>".join(
                self._html(level, text) for level, text in self._lines if level >= self._minimum
            )
        )

    def _clear(self) -> None:
        self._lines.clear()
        self.text.clear()
