"""The soak at CI size: a few hundred orders, a handful of SIGKILLs, random broker faults.

`benchmarks/soak.py` does the work (a child engine process killed and restarted on the same
files, then a final reconcile and the comparison with the broker's own state file); this test
runs it as a real process and checks its figures. The large run is by hand, in RELIABILITY.md.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ORDERS = 300
KILLS = 6


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    workdir = tmp_path_factory.mktemp("soak")
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.soak",
            "--orders",
            str(ORDERS),
            "--kills",
            str(KILLS),
            "--seed",
            "11",
            "--fault-rate",
            "0.08",
            "--workdir",
            str(workdir),
            "--json",
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )
    assert completed.stdout.strip(), completed.stderr
    figures: dict[str, Any] = json.loads(completed.stdout)
    figures["exit_code"] = completed.returncode
    return figures


def test_the_soak_did_what_it_says(report: dict[str, Any]) -> None:
    assert report["orders_submitted"] >= ORDERS
    assert report["kills"] >= KILLS
    assert report["restarts_ready"] >= 1
    assert sum(report["faults_injected"].values()) > 0
    assert report["broker_orders"] > 0
    assert report["statuses"].get("EXECUTED", 0) > 0


@pytest.mark.parametrize(
    "figure",
    [
        "broker_orders_without_row",
        "command_ids_at_broker_twice",
        "rows_not_terminal",
        "rows_disagreeing_with_broker",
        "failed_without_tag",
        "illegal_transitions",
        "transitions_refused",
    ],
)
def test_nothing_lost_nothing_twice(report: dict[str, Any], figure: str) -> None:
    assert report[figure] == 0, report["examples"]


def test_the_soak_says_ok(report: dict[str, Any]) -> None:
    assert report["ok"] is True
    assert report["exit_code"] == 0
