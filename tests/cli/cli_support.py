"""Helpers for the command-line tests: run `trader-gui` in-process or as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from trader_gui.cli.main import main

PROJECT_ROOT = Path(__file__).resolve().parents[2]
HEADER = (
    "symbol,exchange,side,quantity,order_type,price,trigger_price,product,strategy,execution_type"
)


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        return self.out.splitlines()

    def json_lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.lines]


@dataclass
class Cli:
    """`run(...)` is `trader-gui ...` against this test's own database and folders."""

    home: Path
    db_url: str
    capsys: pytest.CaptureFixture[str]

    def run(self, *args: str, db: bool = True) -> Result:
        self.capsys.readouterr()  # drop anything printed before
        argv = [*args, "--db", self.db_url] if db else list(args)
        code = main(argv)
        captured = self.capsys.readouterr()
        return Result(code, captured.out, captured.err)

    def run_process(self, *args: str, timeout: float = 60) -> Result:
        """The real `python -m trader_gui`: what a trader's shell sees, logging included."""
        completed = subprocess.run(
            [sys.executable, "-m", "trader_gui", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=self.environment(),
            cwd=self.home,
            check=False,
        )
        return Result(completed.returncode, completed.stdout, completed.stderr)

    def start_headless(self) -> subprocess.Popen[str]:
        """`python -m trader_gui --headless` on this test's database, polling every 0.2 s,
        its output (stderr too) on `stdout`. The caller stops it."""
        config = self.home / "config.toml"
        config.write_text("poll_interval_s = 0.2\n", encoding="utf-8")
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "trader_gui",
                "--headless",
                "--db",
                self.db_url,
                "--config",
                str(config),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=self.environment(),
            cwd=self.home,
        )

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "PYTHON"))}
        env.update(folders(self.home))
        env["PYTHONPATH"] = str(PROJECT_ROOT)
        return env

    def basket(self, text: str, name: str = "basket.csv") -> Path:
        path = self.home / name
        path.write_text(text, encoding="utf-8")
        return path

    @property
    def paper_broker_file(self) -> Path:
        return self.home / "data" / "trader-gui" / "paper_broker.sqlite3"

    def orders(self, *args: str) -> list[dict[str, Any]]:
        result = self.run("orders", "--json", *args)
        assert result.code == 0, result.err
        return result.json_lines()


def folders(home: Path) -> dict[str, str]:
    return {
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_STATE_HOME": str(home / "state"),
        "XDG_CACHE_HOME": str(home / "cache"),
    }


def assert_one_line_error(result: Result) -> None:
    """What a trader sees on a refusal: one sentence on stderr, never a traceback."""
    assert result.code != 0
    assert "Traceback" not in result.err
    assert len(result.err.strip().splitlines()) == 1, result.err
    assert result.err.startswith("trader-gui")
