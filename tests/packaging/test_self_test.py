"""`trader-gui --self-test` as a real process: the window, the engine and the paper broker on
throwaway files, an order filled, the kill switch blocking an ENTRY, a clean exit."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from packaging_support import run_process

STEPS = (
    "qt started",
    "icon loaded",
    "database opened",
    "window shown",
    "engine ready",
    "order placed",
    "order executed",
    "kill switch on",
    "entry blocked",
    "shut down",
)
PASSED = re.compile(r"^self-test: ok\s+(.+?)\s+\d+\.\d+ s$", re.MULTILINE)


@dataclass(frozen=True)
class Run:
    home: Path
    result: subprocess.CompletedProcess[str]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """One self-test for the module's checks: it is the slowest thing here (a few seconds)."""
    home = tmp_path_factory.mktemp("home")
    return Run(home, run_process(home, "-m", "trader_gui", "--self-test"))


def test_passes_every_step_and_exits_0(run: Run) -> None:
    result = run.result

    assert result.returncode == 0, result.stdout + result.stderr
    passed = [match[1] for match in PASSED.finditer(result.stdout)]
    assert passed == list(STEPS)
    assert result.stdout.splitlines()[-1].startswith("self-test passed in ")
    assert "Traceback" not in result.stderr


def test_leaves_the_traders_folders_alone(run: Run) -> None:
    assert run.result.returncode == 0
    assert not any(run.home.rglob("trader-gui")), "the trader's own folders were touched"
    assert not any((run.home / "tmp").iterdir()), "the throwaway folder was not removed"


def test_a_failure_names_its_step_and_exits_1(tmp_path: Path) -> None:
    code = (
        "from trader_gui.cli.self_test import run_self_test; raise SystemExit(run_self_test(0.01))"
    )

    result = run_process(tmp_path, "-c", code)

    assert result.returncode == 1
    last = result.stdout.splitlines()[-1]
    assert last.startswith("self-test failed at step '"), result.stdout
    assert "deadline" in last
    step = last.split("'")[1]
    assert step in STEPS
    assert "Traceback" not in result.stderr
