"""Start-up and memory: a fresh `python -m trader_gui` to first paint and to ready for a ticket.

Why: a trader restarts the program in the middle of a session; every second before the
order form takes a ticket is a second he cannot act. Targets: first paint under 0.6 s, ready
under 1.0 s with an empty database and under 1.5 s with 100,000 orders in it; resident
memory under 300 MB with those 100,000 orders and the window open.

Each run launches the program as the trader does, in a fresh process (offscreen, the paper
broker, its own temporary config and data folders through XDG_*), with
TRADER_GUI_STARTUP_PROBE set: the program then writes the wall-clock time of each stage (the
starting window's first paint, the engine and panels imported, the engine built, the main
window built, the engine ready), and its memory (VmRSS, VmHWM) once it has settled, and closes
itself. Times are from just before the launch. The history is seeded into a migrated file
with one bulk insert (EXECUTED orders over the past days); 0 is a migrated file with no
orders (a program that has run before). `--first-start` adds a start with no file at all,
which creates the schema on the way (once per machine).

References, launched the same way in the same round: `import PySide6.QtWidgets`, the same
with pyqtgraph, and a bare QApplication with a QMainWindow shown (its first paint and its
memory).

    python -m benchmarks.window_startup [--history 0 100000] [--first-start] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

import trader_gui
from benchmarks.common import SYMBOL, emit, machine, median
from benchmarks.sql_reference import ORDERS_TABLE
from trader_gui.domain.enums import BrokerState, Exchange, OrderType, Product, Side
from trader_gui.paths import APP_NAME
from trader_gui.persistence.database import open_database, sqlite_url
from trader_gui.settings import Settings

CHUNK = 5_000
PER_DAY = 2_000
TIMEOUT_S = 180.0
TARGETS = {"first_paint_s": 0.6, "ready_empty_s": 1.0, "ready_full_s": 1.5, "memory_mb": 300.0}

BARE_WINDOW = """
import json, sys, time
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv[:1])
window = QMainWindow()
window.resize(1600, 1000)
marks = {}
class Paint(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint:
            marks.setdefault("first_paint", time.time())
        return False
paint = Paint()
window.installEventFilter(paint)
window.show()
def done():
    status = dict(l.split(":", 1) for l in open("/proc/self/status") if ":" in l)
    marks["VmRSS"] = int(status["VmRSS"].split()[0])
    marks["VmHWM"] = int(status["VmHWM"].split()[0])
    print(json.dumps(marks))
    app.quit()
QTimer.singleShot(1000, done)
app.exec()
"""


FIRST = "first"
"""The start with no database file yet."""


def seed(path: Path, orders: int) -> None:
    """A migrated database file holding `orders` EXECUTED orders of the past days."""
    engine = open_database(sqlite_url(path))
    now = datetime.now(UTC).replace(microsecond=0)
    client_id = Settings().client_id
    try:
        with engine.begin() as connection:
            for start in range(0, orders, CHUNK):
                rows = [
                    _row(index, now - timedelta(days=1 + index // PER_DAY), client_id)
                    for index in range(start, min(orders, start + CHUNK))
                ]
                connection.execute(insert(ORDERS_TABLE), rows)
    finally:
        engine.dispose()  # the last connection to close folds the WAL into the file


def _row(index: int, at: datetime, client_id: str) -> dict[str, Any]:
    return {
        "command_id": f"H{index:019d}",
        "ticket_id": None,
        "client_id": client_id,
        "symbol": SYMBOL,
        "exchange": Exchange.NSE.value,
        "side": (Side.BUY if index % 2 else Side.SELL).value,
        "quantity": 1 + index % 50,
        "order_type": OrderType.MARKET.value,
        "price": None,
        "trigger_price": None,
        "product": Product.MIS.value,
        "strategy": f"history{index % 20}",
        "execution_type": "ENTRY",
        "source": "MANUAL",
        "status": "EXECUTED",
        "tag": None,
        "detail": "Filled at the broker",
        "broker_order_id": f"P{index:013d}",
        "broker_status": BrokerState.COMPLETE.value,
        "filled_qty": 1 + index % 50,
        "avg_price": "812.35",
        "created_at": at,
        "updated_at": at,
        "sent_at": at,
    }


def environment(home: Path, probe: Path | None = None) -> dict[str, str]:
    """A fresh user for the child: its own config, data, state and cache folders."""
    env = dict(os.environ)
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_DATA_HOME=str(home / "data"),
        XDG_STATE_HOME=str(home / "state"),
        XDG_CACHE_HOME=str(home / "cache"),
        QT_QPA_PLATFORM="offscreen",
        # this checkout's trader_gui, whatever the virtualenv has installed
        PYTHONPATH=os.pathsep.join(
            [str(Path(trader_gui.__file__).resolve().parents[1]), os.environ.get("PYTHONPATH", "")]
        ),
    )
    env.pop("TRADER_GUI_STARTUP_PROBE", None)
    if probe is not None:
        env["TRADER_GUI_STARTUP_PROBE"] = str(probe)
    return env


def launch(args: Sequence[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Run a child to its end: (wall time just before launch, seconds it took, its stdout)."""
    started = time.time()
    done = subprocess.run(
        [sys.executable, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}): {done.stderr[-2000:]}")
    return started, time.time() - started, done.stdout


def program_start(folder: Path, template: Path | None) -> dict[str, Any]:
    """One start of the program on a copy of the seeded file (or none): its figures."""
    home = Path(tempfile.mkdtemp(prefix="home-", dir=folder))
    data = home / "data" / APP_NAME
    data.mkdir(parents=True)
    if template is not None:
        shutil.copyfile(template, data / "trader_gui.sqlite3")
    probe = home / "probe.json"
    started, _, _ = launch(["-m", "trader_gui"], environment(home, probe))
    report = json.loads(probe.read_text(encoding="utf-8"))
    marks = report["marks"]
    memory = report["memory_settled_kib"]
    shutil.rmtree(home, ignore_errors=True)
    return {
        "qt_app_s": marks["qt_app"] - started,
        "window_built_s": marks["window_built"] - started,
        "first_paint_s": marks["first_paint"] - started,
        "imported_s": marks["imported"] - started,
        "engine_built_s": marks["engine_built"] - started,
        "main_window_built_s": marks["main_window_built"] - started,
        "ready_s": marks["ready"] - started,
        "rss_mb": memory.get("VmRSS", 0) / 1024,
        "hwm_mb": memory.get("VmHWM", 0) / 1024,
    }


def references(folder: Path) -> dict[str, float]:
    env = environment(folder)
    _, qt_s, _ = launch(["-c", "import PySide6.QtWidgets"], env)
    _, chart_s, _ = launch(["-c", "import PySide6.QtWidgets, pyqtgraph"], env)
    started, _, out = launch(["-c", BARE_WINDOW], env)
    bare = json.loads(out.strip().splitlines()[-1])
    return {
        "import_qtwidgets_s": qt_s,
        "import_qtwidgets_pyqtgraph_s": chart_s,
        "bare_window_first_paint_s": bare["first_paint"] - started,
        "bare_window_rss_mb": bare["VmRSS"] / 1024,
        "bare_window_hwm_mb": bare["VmHWM"] / 1024,
    }


def measure(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Rounds of references and starts at each history size; medians. Prints nothing."""
    options = parse(argv)
    rounds: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="trader-gui-bench-") as name:
        folder = Path(name)
        templates: dict[str, Path | None] = {}
        if options.first_start:
            templates[FIRST] = None  # no file yet: the schema is created on the way
        for size in options.history:  # 0: a program that has run before, with no orders
            templates[str(size)] = folder / f"history{size}.sqlite3"
            seed(templates[str(size)], size)
        for _ in range(options.rounds):
            rounds.append(
                {
                    "references": references(folder),
                    "starts": {
                        key: program_start(folder, template) for key, template in templates.items()
                    },
                }
            )
    refs = {key: median([r["references"][key] for r in rounds]) for key in rounds[0]["references"]}
    starts = {}
    for size in templates:
        keys = rounds[0]["starts"][size]
        figures = {key: median([r["starts"][size][key] for r in rounds]) for key in keys}
        figures["ready_to_bare_paint"] = median(
            [
                r["starts"][size]["ready_s"] / r["references"]["bare_window_first_paint_s"]
                for r in rounds
            ]
        )
        figures["paint_to_bare_paint"] = median(
            [
                r["starts"][size]["first_paint_s"] / r["references"]["bare_window_first_paint_s"]
                for r in rounds
            ]
        )
        starts[size] = figures
    return {
        "benchmark": "window_startup",
        "machine": machine(),
        "rounds": options.rounds,
        "targets": TARGETS,
        "references": refs,
        "starts": starts,
        "complete": True,
    }


def table(report: dict[str, Any]) -> list[tuple[str, str]]:
    refs, targets = report["references"], report["targets"]
    rows = [
        ("rounds", f"{report['rounds']}, medians; times from just before the launch"),
        ("import PySide6.QtWidgets (reference)", f"{refs['import_qtwidgets_s']:.2f} s"),
        ("  + pyqtgraph (reference)", f"{refs['import_qtwidgets_pyqtgraph_s']:.2f} s"),
        (
            "bare QMainWindow (reference)",
            f"first paint {refs['bare_window_first_paint_s']:.2f} s, "
            f"RSS {refs['bare_window_rss_mb']:.0f} MB (peak {refs['bare_window_hwm_mb']:.0f} MB)",
        ),
    ]
    for size, run in report["starts"].items():
        first = size == FIRST
        ready_target = (
            targets["ready_empty_s"] if first or not int(size) else targets["ready_full_s"]
        )
        rows += [
            (
                "no database yet (the first start: schema created)"
                if first
                else f"{int(size):,} orders in the database",
                f"Qt app {run['qt_app_s']:.2f} s, window built {run['window_built_s']:.2f} s",
            ),
            (
                "  first paint",
                f"{run['first_paint_s']:.2f} s (x{run['paint_to_bare_paint']:.2f} of the bare "
                f"window; target < {targets['first_paint_s']} s: "
                f"{'met' if run['first_paint_s'] < targets['first_paint_s'] else 'MISSED'})",
            ),
            (
                "  after the first paint",
                f"engine and panels imported {run['imported_s']:.2f} s, engine built "
                f"{run['engine_built_s']:.2f} s, main window built "
                f"{run['main_window_built_s']:.2f} s",
            ),
            (
                "  ready for a ticket",
                f"{run['ready_s']:.2f} s (x{run['ready_to_bare_paint']:.2f} of the bare window's "
                f"paint; target < {ready_target} s: "
                f"{'met' if run['ready_s'] < ready_target else 'MISSED'})",
            ),
            (
                "  memory, settled after ready",
                f"RSS {run['rss_mb']:.0f} MB, peak {run['hwm_mb']:.0f} MB "
                f"(x{run['rss_mb'] / refs['bare_window_rss_mb']:.1f} of the bare window; "
                f"target < {targets['memory_mb']:.0f} MB: "
                f"{'met' if run['hwm_mb'] < targets['memory_mb'] else 'MISSED'})",
            ),
        ]
    return rows


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--history",
        type=int,
        nargs="+",
        default=[0, 100_000],
        help="orders in the database, one start per value (default: 0 100000)",
    )
    parser.add_argument(
        "--first-start",
        action="store_true",
        help="also start once with no database file (the schema is created and migrated)",
    )
    parser.add_argument("--rounds", type=int, default=3, help="repeat and report medians")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    report = measure(argv)
    emit(report, parse(argv).json, table(report))
    return report


if __name__ == "__main__":
    main()
