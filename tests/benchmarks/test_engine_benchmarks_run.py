"""The engine's benchmarks still run and still check what they promise, at a toy size.

Nothing here is timed: a slow machine must not fail a build. What is asserted is what makes a
figure worth printing: every order of the throughput run reached EXECUTED with its four
transitions on disk, the watcher's passes wrote exactly the rows that changed, and each
script prints its figures beside its reference.
"""

from __future__ import annotations

import pytest

from benchmarks import order_throughput, run_all, watcher_scale


def test_order_throughput_prints_its_figures_and_every_transition_is_durable(
    capsys: pytest.CaptureFixture[str],
) -> None:
    report = order_throughput.main(["--orders", "12", "--concurrency", "1", "4"])

    printed = capsys.readouterr().out
    assert "raw sqlite3 (reference)" in printed
    assert "SQLAlchemy Core (reference)" in printed
    assert "engine, 1 in flight" in printed
    assert "engine, 4 in flight" in printed
    assert printed.count("every transition durable   yes") == 2
    for run in report["engine"]:
        assert run["durable"]
        assert run["orders_per_s"] > 0
        assert run["ratio_to_raw"] > 0
        assert run["latency_p50_ms"] <= run["latency_p99_ms"]


def test_order_throughput_with_the_stub_broker_is_durable_too() -> None:
    report = order_throughput.measure(["--orders", "8", "--concurrency", "2", "--broker", "stub"])

    assert [run["durable"] for run in report["engine"]] == [True]


def test_watcher_scale_prints_its_figures_and_writes_exactly_the_changed_rows(
    capsys: pytest.CaptureFixture[str],
) -> None:
    report = watcher_scale.main(["--sizes", "40", "120", "--changed", "0.1", "--passes", "1"])

    printed = capsys.readouterr().out
    for rows in ("40", "120"):
        for kind in ("reconcile", "reconcile_unchanged", "poll_once", "first pass"):
            assert f"{rows} rows  {kind}" in printed
    assert "poll_once at 100,000 rows" in printed
    for size in report["sizes"]:
        assert size["written_per_pass"] == size["changed_per_pass"]
        assert size["poll_once"]["s"] > 0


def test_run_all_at_toy_size_succeeds(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_all.main(["--scale", "tiny"]) == 0

    printed = capsys.readouterr().out
    assert "== order_throughput (tiny" in printed
    assert "== watcher_scale (tiny" in printed
