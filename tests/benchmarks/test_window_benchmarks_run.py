"""The window benchmarks still run at toy size and their correctness checks hold.

No time is asserted (the figures are for people, on a machine they name); what must hold is
what each benchmark checks besides its clock: every order of a burst shown final and
EXECUTED, a fill shown on screen, the program started, painted and got ready."""

from __future__ import annotations

import pytest

from benchmarks import run_all, window_burst, window_order_to_screen, window_startup

pytestmark = pytest.mark.gui
TINY = run_all.SCALES["tiny"]


def test_window_burst_shows_every_order_final_and_prints_its_figures(
    capsys: pytest.CaptureFixture[str],
) -> None:
    report = window_burst.main(TINY["window_burst"])

    assert report["complete"]
    for run in report["runs"]:
        assert run["shown_final"] == run["orders"] == run["shown_executed"]
        assert run["ticks"] > 0
        assert run["ratio_window_to_engine"] > 0
    printed = capsys.readouterr().out
    assert "ratio window/engine" in printed
    assert "loop stalls" in printed


def test_window_burst_with_tickets_in_flight_shows_every_order_final() -> None:
    """The intake's way: several tickets at once, each order still shown EXECUTED once."""
    report = window_burst.measure(["--sizes", "12", "--in-flight", "4"])

    assert report["complete"]
    assert report["in_flight"] == 4
    (run,) = report["runs"]
    assert run["shown_final"] == run["orders"] == run["shown_executed"] == 12


def test_order_to_screen_sees_each_fill_executed_and_prints_its_figures(
    capsys: pytest.CaptureFixture[str],
) -> None:
    report = window_order_to_screen.main(TINY["window_order_to_screen"])

    assert report["complete"]
    assert report["orders"] == 2
    assert 0 < report["screen_p50_ms"] <= report["screen_max_ms"]
    assert "fill -> table shows EXECUTED" in capsys.readouterr().out


def test_startup_paints_and_gets_ready_with_and_without_history(
    capsys: pytest.CaptureFixture[str],
) -> None:
    report = window_startup.main(TINY["window_startup"])

    for run in report["starts"].values():
        assert 0 < run["qt_app_s"] <= run["first_paint_s"] <= run["ready_s"]
        assert run["rss_mb"] > 0
    assert set(report["starts"]) == {"0", "500"}
    printed = capsys.readouterr().out
    assert "ready for a ticket" in printed
    assert "import PySide6.QtWidgets (reference)" in printed
