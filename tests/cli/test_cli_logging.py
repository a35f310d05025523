"""A basket run logs to the log file and lets go of it when done."""

from __future__ import annotations

import logging.handlers
from typing import Any, ClassVar

import pytest
from cli_support import HEADER, Cli


class _RecordingFileHandler(logging.handlers.RotatingFileHandler):
    created: ClassVar[list[_RecordingFileHandler]] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.created.append(self)


def test_a_basket_run_closes_its_log_file(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each in-process run used to leak the open log file (stop_logging left it open)."""
    monkeypatch.setattr(_RecordingFileHandler, "created", [])
    monkeypatch.setattr(logging.handlers, "RotatingFileHandler", _RecordingFileHandler)
    cli.run("kill-switch", "on")
    path = cli.basket(f"{HEADER}\nSBIN,NSE,BUY,1,MARKET,,,MIS,b1,ENTRY\n")

    try:
        result = cli.run("basket", str(path), "--wait", "5")
        still_open = [h for h in _RecordingFileHandler.created if h.stream is not None]
    finally:
        for handler in _RecordingFileHandler.created:
            handler.close()  # never leak into the next test, whatever happened

    assert result.code == 0, result.err
    assert len(_RecordingFileHandler.created) == 1
    log_text = (cli.home / "state" / "trader-gui" / "log" / "trader_gui.log").read_text()
    assert "KILL_SWITCH_ACTIVE" in log_text
    assert still_open == []
