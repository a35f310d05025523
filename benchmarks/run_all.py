"""Run every benchmark at a small size, one after the other, in well under a minute.

Why: the figures are only worth something while the scripts still run against the current
engine. This is what a smoke test calls (`--scale tiny`, no timing asserted) and what a
person runs to get a quick reading (`--scale ci`); docs/BENCHMARKS.md has the full sizes.

    python -m benchmarks.run_all [--scale ci|tiny|full] [--json]

Exit status 1 if a run did not write every transition, or the window did not show every
order final (correctness failures, not timings).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from typing import Any

from benchmarks import (
    order_throughput,
    watcher_scale,
    window_burst,
    window_order_to_screen,
    window_startup,
)
from benchmarks.common import emit

BENCHMARKS = {
    "order_throughput": order_throughput,
    "watcher_scale": watcher_scale,
    "window_burst": window_burst,
    "window_order_to_screen": window_order_to_screen,
    "window_startup": window_startup,
}
WINDOW_BENCHMARKS = ("window_burst", "window_order_to_screen", "window_startup")

SCALES: dict[str, dict[str, list[str]]] = {
    "tiny": {
        "order_throughput": ["--orders", "20", "--concurrency", "1", "4"],
        "watcher_scale": ["--sizes", "50", "200", "--passes", "1"],
        "window_burst": ["--sizes", "20", "40", "--poll", "0.2"],
        "window_order_to_screen": ["--orders", "2", "--poll", "0.1"],
        "window_startup": ["--history", "0", "500", "--rounds", "1"],
    },
    "ci": {
        "order_throughput": ["--orders", "200", "--concurrency", "1", "8"],
        "watcher_scale": ["--sizes", "200", "2000", "--passes", "1"],
        "window_burst": ["--sizes", "100", "200"],
        "window_order_to_screen": ["--orders", "10", "--poll", "0.2"],
        "window_startup": ["--history", "0", "10000", "--rounds", "1"],
    },
    "full": {
        "order_throughput": ["--orders", "2000", "--concurrency", "1", "8", "--rounds", "3"],
        "watcher_scale": ["--sizes", "1000", "10000", "100000", "--passes", "3"],
        "window_burst": ["--sizes", "500", "1000", "2000", "5000"],
        "window_order_to_screen": ["--orders", "50", "--poll", "1.0"],
        "window_startup": ["--history", "0", "100000", "--rounds", "3"],
    },
}


def run(scale: str, *, show: bool = True) -> dict[str, Any]:
    """Each benchmark at `scale`, in turn (never side by side: they would share the cores).

    With `show`, each table is printed as soon as its benchmark ends.
    """
    reports: dict[str, Any] = {}
    for name, module in BENCHMARKS.items():
        started = time.perf_counter()
        report = module.measure(SCALES[scale][name])
        report["wall_s"] = time.perf_counter() - started
        if show:
            print(f"== {name} ({scale}, {report['wall_s']:.1f} s)")
            emit(report, False, module.table(report))
        reports[name] = report
    return reports


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="ci")
    parser.add_argument("--json", action="store_true", help="one JSON document for all")
    options = parser.parse_args(argv)
    reports = run(options.scale, show=not options.json)
    if options.json:
        json.dump(reports, sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
    durable = all(run["durable"] for run in reports["order_throughput"]["engine"])
    complete = all(reports[name]["complete"] for name in WINDOW_BENCHMARKS)
    return 0 if durable and complete else 1


if __name__ == "__main__":
    raise SystemExit(main())
