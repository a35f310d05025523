"""The real command line, run in-process, with every folder it touches under tmp_path."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_support import Cli, folders


@pytest.fixture
def cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Cli]:
    home = tmp_path / "home"
    home.mkdir()
    for name, value in folders(home).items():
        monkeypatch.setenv(name, value)
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    yield Cli(home=home, db_url=f"sqlite:///{tmp_path / 'orders.sqlite3'}", capsys=capsys)
    root.setLevel(level)  # the basket command configures logging for its run
    root.handlers = handlers
