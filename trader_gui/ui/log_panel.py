"""The log dock: the tail of the program's log, as sentences (never a traceback).

`QtLogHandler` may be called from any thread (the engine's database and broker threads log
too); it only emits a Qt signal, which Qt queues to the window's thread. Lines reach the text
together, at most ten times a second: one line at a time as HTML cost the window's thread
about 130 µs each, which in a burst of orders (a line per order) was a twentieth of its time.
"""

from __future__ import annotations

import logging
from collections import deque

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QTextCharFormat, QTextCursor
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
SHOW_EVERY_MS = 100
"""New lines wait at most this long to be shown, all in one edit of the text."""
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
        self._unshown: list[tuple[int, str]] = []
        self._minimum = logging.INFO
        self._show_timer = QTimer(self)
        self._show_timer.setSingleShot(True)
        self._show_timer.setInterval(SHOW_EVERY_MS)
        self._show_timer.timeout.connect(self._show_unshown)
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
            self._unshown.append((level, text))
            if not self._show_timer.isActive():
                self._show_timer.start()

    def _show_unshown(self) -> None:
        lines, self._unshown = self._unshown, []
        bar = self.text.verticalScrollBar()
        following = bar.value() == bar.maximum()  # the trader reads the newest lines
        self._add(lines)
        if following:
            bar.setValue(bar.maximum())

    def _add(self, lines: list[tuple[int, str]]) -> None:
        """Each line its own block (the text keeps the last KEEP_LINES), in one edit."""
        if not lines:
            return
        document = self.text.document()
        cursor = QTextCursor(document)
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.beginEditBlock()
        empty = document.isEmpty()
        for level, text in lines:
            if not empty:
                cursor.insertBlock()
            empty = False
            cursor.insertText(text, self._format(level))
        cursor.endEditBlock()

    def _format(self, level: int) -> QTextCharFormat:
        style = QTextCharFormat()
        if level >= logging.ERROR:
            style.setForeground(QBrush(QColor(self._theme.loss)))
            style.setFontWeight(QFont.Weight.Bold)
        elif level >= logging.WARNING:
            style.setForeground(QBrush(QColor(self._theme.warning)))
        return style

    def _level_changed(self, number: int) -> None:
        self._minimum = LEVELS[number][1]
        self._rebuild()

    def _rebuild(self) -> None:
        self._show_timer.stop()
        self._unshown = []
        self.text.clear()
        self._add([(level, text) for level, text in self._lines if level >= self._minimum])
        bar = self.text.verticalScrollBar()
        bar.setValue(bar.maximum())

    def _clear(self) -> None:
        self._show_timer.stop()
        self._unshown = []
        self._lines.clear()
        self.text.clear()
