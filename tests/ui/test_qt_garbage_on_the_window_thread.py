"""The window survives Qt garbage met by the cycle collector while engine threads work.

An automatic collection runs on whichever thread allocates: a Qt object with timers freed
on the database thread leaves its timers to fire into freed memory, and the whole window
dies with "Fatal Python error: Segmentation fault". Each case runs in a process of its own
(tests/ui/qt_garbage_probe.py), so a regression fails this test instead of killing the run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import trader_gui

PROBE = Path(__file__).with_name("qt_garbage_probe.py")
QT_THREAD_WARNING = "cannot be stopped from another thread"


def run_probe(case: str) -> subprocess.CompletedProcess[str]:
    root = Path(trader_gui.__file__).resolve().parent.parent
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]),
        "QT_QPA_PLATFORM": "offscreen",
        "PYTHONFAULTHANDLER": "1",
    }
    return subprocess.run(
        [sys.executable, str(PROBE), case],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    "case",
    [
        pytest.param("closed-loop", id="the loop closed at the window's close, callbacks pending"),
        pytest.param("timer-object", id="a ticking Qt object left in a reference cycle"),
    ],
)
def test_qt_garbage_is_freed_on_the_window_thread_and_the_process_lives(case: str) -> None:
    result = run_probe(case)
    assert QT_THREAD_WARNING not in result.stderr, result.stderr
    assert "Fatal Python error" not in result.stderr, result.stderr
    assert (result.returncode, result.stdout.strip()) == (0, "alive"), result.stderr
