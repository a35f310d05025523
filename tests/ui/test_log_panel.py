"""The log dock shows the program's log lines in order, each on its own line, warnings and
errors in their colours, however fast the lines come."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtGui import QFont, QTextCursor

from trader_gui.ui.log_panel import KEEP_LINES, LogPanel, QtLogHandler
from trader_gui.ui.theme import LIGHT


@pytest.fixture
def panel_and_log(qtbot: Any) -> Iterator[tuple[LogPanel, logging.Logger]]:
    handler = QtLogHandler()
    panel = LogPanel(handler)
    qtbot.addWidget(panel)
    log = logging.getLogger("trader_gui.test_log_panel")
    log.propagate = False
    log.setLevel(logging.INFO)
    log.addHandler(handler)
    yield panel, log
    log.removeHandler(handler)


def shown(panel: LogPanel) -> list[str]:
    return panel.text.toPlainText().splitlines()


def test_lines_are_shown_in_order_each_on_its_own_line(
    qtbot: Any, panel_and_log: tuple[LogPanel, logging.Logger]
) -> None:
    panel, log = panel_and_log

    log.info("paper order %s placed", "A1")
    log.warning("broker slow: %d ms", 900)
    log.error("order %s rejected", "A2")

    qtbot.waitUntil(lambda: len(shown(panel)) == 3)
    lines = shown(panel)
    assert lines[0].endswith("paper order A1 placed")
    assert lines[1].endswith("broker slow: 900 ms")
    assert lines[2].endswith("order A2 rejected")
    assert panel.text.document().blockCount() == 3


def test_an_error_is_bold_in_the_loss_colour_and_a_warning_in_the_warning_colour(
    qtbot: Any, panel_and_log: tuple[LogPanel, logging.Logger]
) -> None:
    panel, log = panel_and_log

    log.info("fine")
    log.warning("careful")
    log.error("failed")
    qtbot.waitUntil(lambda: len(shown(panel)) == 3)

    def style_of(block_number: int) -> Any:
        block = panel.text.document().findBlockByNumber(block_number)
        cursor = QTextCursor(block)
        cursor.movePosition(QTextCursor.MoveOperation.EndOfBlock)
        return cursor.charFormat()

    assert style_of(0).fontWeight() != QFont.Weight.Bold
    assert style_of(1).foreground().color().name() == LIGHT.warning
    assert style_of(2).foreground().color().name() == LIGHT.loss
    assert style_of(2).fontWeight() == QFont.Weight.Bold


def test_a_burst_of_lines_is_shown_whole_and_the_text_keeps_only_the_newest(
    qtbot: Any, panel_and_log: tuple[LogPanel, logging.Logger]
) -> None:
    panel, log = panel_and_log
    count = KEEP_LINES + 250

    for number in range(count):
        log.info("line %d", number)

    qtbot.waitUntil(lambda: shown(panel)[-1:] == [panel.lines()[-1]])
    lines = shown(panel)
    assert len(lines) == KEEP_LINES
    assert lines[0].endswith(f"line {count - KEEP_LINES}")
    assert panel.lines()[-1].endswith(f"line {count - 1}")


def test_choosing_warnings_and_errors_hides_the_information_lines(
    qtbot: Any, panel_and_log: tuple[LogPanel, logging.Logger]
) -> None:
    panel, log = panel_and_log
    log.info("quiet")
    log.warning("loud")
    qtbot.waitUntil(lambda: len(shown(panel)) == 2)

    panel.level.setCurrentIndex(1)  # Warnings and errors
    log.info("quiet again")
    log.error("louder")

    qtbot.waitUntil(lambda: len(shown(panel)) == 2 and shown(panel)[-1].endswith("louder"))
    assert shown(panel)[0].endswith("loud")
