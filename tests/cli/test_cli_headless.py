"""`trader-gui --headless`: a real process that recovers, watches, honours the kill switch
from another terminal, and stops cleanly on SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import threading
from collections.abc import Iterator
from queue import Empty, Queue

import pytest
from cli_support import Cli

WAIT_S = 30


@pytest.fixture
def headless(cli: Cli) -> Iterator[tuple[subprocess.Popen[str], Queue[str]]]:
    process = cli.start_headless()
    lines: Queue[str] = Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    yield process, lines
    if process.poll() is None:
        process.kill()
    process.wait(WAIT_S)
    reader.join(WAIT_S)  # the pipe is at its end once the process is gone
    assert process.stdout is not None
    process.stdout.close()


def _wait_for(lines: Queue[str], text: str) -> str:
    seen = []
    while True:
        try:
            line = lines.get(timeout=WAIT_S)
        except Empty:
            pytest.fail(f"no line with {text!r} within {WAIT_S} s; saw:\n{''.join(seen)}")
        seen.append(line)
        if text in line:
            return line


def test_headless_runs_honours_the_kill_switch_and_stops_on_sigterm(cli: Cli, headless) -> None:
    process, lines = headless
    _wait_for(lines, "running headless")

    switched = cli.run("kill-switch", "on", "--reason", "from another terminal")
    noticed = _wait_for(lines, "kill switch ON")
    process.send_signal(signal.SIGTERM)
    code = process.wait(WAIT_S)

    assert switched.code == 0
    assert "command line" in noticed
    assert code == 0
    _wait_for(lines, "stopping")
