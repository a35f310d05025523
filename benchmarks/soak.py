"""Soak with faults and crashes: nothing lost, nothing sent twice, however the program dies.

A child process runs the engine headless on a SQLite file and the paper broker on its own
state file, with random broker faults (errors before accept, timeouts after accept,
rejections, session expiry, slow answers past the engine's timeout, order-book errors), and
submits orders without pause: MARKET, LIMIT and SL-M, buys and sells, entries and exits,
some into strategies that already hold a leg (blocked by the guard or the duplicate
detector), now and then a cancel or a kill-switch toggle. The parent kills it with SIGKILL at
a random moment, start-up and recovery included, and starts it again on the same two files,
until enough orders went through and enough kills were survived.

Then a final reconcile, as the trader's next clean start: recovery, the first poll, cancels
of whatever is still open, and polls with the clock moved past the not-found grace period
until every row is terminal. Last, the database is compared with the broker's own state file:

- broker orders with no database row                    must be 0
- command_ids that reached the broker more than once    must be 0
- rows still not terminal                               must be 0
- rows whose status disagrees with the broker           must be 0
- FAILED rows without a tag                              must be 0
- audit-trail steps the transition table forbids        must be 0

    python -m benchmarks.soak --orders 10000 --kills 50          # by hand; see RELIABILITY.md
    python -m benchmarks.soak --orders 300 --kills 6 --json      # what tests/soak runs

The killer's random delays live here, in the driver: the checks wait on nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from trader_gui.brokers.paper import PaperBroker, PaperConfig, PaperFault
from trader_gui.domain.broker_states import outcome_for
from trader_gui.domain.enums import (
    BrokerState,
    Exchange,
    ExecutionType,
    OrderStatus,
    OrderType,
    Product,
    Side,
    Source,
)
from trader_gui.domain.ids import new_command_id
from trader_gui.domain.instruments import Instrument, InstrumentCatalog
from trader_gui.domain.order import OrderCommand
from trader_gui.domain.transitions import is_allowed
from trader_gui.engine.config import EngineConfig
from trader_gui.engine.events import Event, OrderUpdated
from trader_gui.engine.order_engine import EngineClosedError
from trader_gui.engine.runtime import Runtime
from trader_gui.persistence.database import open_database, sqlite_url
from trader_gui.persistence.instrument_files import load_bundled_instruments
from trader_gui.persistence.repository import OrderRepository

PROJECT_ROOT = Path(__file__).resolve().parents[1]
CLIENT_ID = "SOAK"
SYMBOLS = ("SBIN", "RELIANCE", "INFY", "ITC", "TCS")
"""NSE equities of lot size 1 in the bundled list: any quantity is a whole lot."""
GRACE_S = 2.0
"""The child's not-found grace: short, so a row whose order never arrived ends quickly."""
BROKER_TIMEOUT_S = 0.5
SLOW_DELAY_S = 0.75
"""A SLOW answer outlasts the engine's broker timeout: the outcome is unknown to the engine."""
PAPER = PaperConfig(
    capital=Decimal(100_000_000),
    fill_latency_s=0.2,
    volatility=0.0002,
    partial_fill_lots=2,
    max_fill_parts=3,
)
"""Plenty of money (margin is not what is soaked), fills after 0.2 s, some in parts."""
REFUSED = "refused by the transition table"
"""The repository's log line for a move the table forbids: the engine tried something illegal."""
UNEXPECTED = ("failed unexpectedly", "driver step failed", "poll failed\n")
"""Log lines of an error the engine caught and survived (the order kept safe): reported."""


# ---- the parent ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SoakConfig:
    orders: int = 300
    """Stop once at least this many orders are registered (and `kills` are done)."""
    kills: int = 6
    seed: int = 1
    fault_rate: float = 0.05
    """Chance of a random fault on each broker call in the child."""
    concurrency: int = 4
    """Tickets the child has under way at once."""
    workdir: Path | None = None
    """Where the database, the paper file and the child log go; a temporary folder if None."""
    start_timeout_s: float = 60.0
    first_life_s: float = 2.0
    """The first child's mean life before the rate of orders is known."""
    startup_kill_share: float = 0.2
    """Share of kills that land in start-up (before the child took its first order)."""


@dataclass
class SoakReport:
    orders_submitted: int = 0
    """Rows registered in step 1 (what the child printed is counted too, as a cross-check)."""
    orders_printed: int = 0
    faults_injected: dict[str, int] = field(default_factory=dict)
    kills: int = 0
    kills_before_ready: int = 0
    restarts_ready: int = 0
    broker_orders: int = 0
    broker_orders_without_row: int = 0
    command_ids_at_broker_twice: int = 0
    rows_not_terminal: int = 0
    rows_disagreeing_with_broker: int = 0
    failed_without_tag: int = 0
    illegal_transitions: int = 0
    transitions_refused: int = 0
    unexpected_errors: dict[str, int] = field(default_factory=dict)
    """Errors the engine caught and survived, by log line: not failures, but worth a look."""
    statuses: dict[str, int] = field(default_factory=dict)
    tags: dict[str, int] = field(default_factory=dict)
    reconcile_rounds: int = 0
    elapsed_s: float = 0.0
    examples: list[str] = field(default_factory=list)
    """A few offending rows, so a failure can be looked at."""
    machine: dict[str, Any] = field(default_factory=dict)

    @property
    def faults_total(self) -> int:
        return sum(self.faults_injected.values())

    @property
    def problems(self) -> dict[str, int]:
        """Every figure that must be zero, with its value."""
        return {
            "broker orders with no database row": self.broker_orders_without_row,
            "command_ids at the broker more than once": self.command_ids_at_broker_twice,
            "rows still not terminal": self.rows_not_terminal,
            "rows whose status disagrees with the broker": self.rows_disagreeing_with_broker,
            "FAILED rows without a tag": self.failed_without_tag,
            "audit-trail steps the transition table forbids": self.illegal_transitions,
            "transitions the repository refused (logged)": self.transitions_refused,
        }

    @property
    def ok(self) -> bool:
        return not any(self.problems.values())

    def lines(self) -> list[str]:
        out = [
            f"orders submitted                 {self.orders_submitted}",
            f"faults injected                  {self.faults_total}  "
            + ", ".join(f"{k} {v}" for k, v in sorted(self.faults_injected.items())),
            f"kills survived                   {self.kills} "
            f"({self.kills_before_ready} during start-up or recovery; "
            f"{self.restarts_ready} restarts reached ready)",
            f"broker orders                    {self.broker_orders}",
            f"statuses                         {_pairs(self.statuses)}",
            f"tags                             {_pairs(self.tags)}",
            f"final reconcile rounds           {self.reconcile_rounds}",
            f"elapsed                          {self.elapsed_s:.1f} s",
        ]
        out.append(f"unexpected errors, caught        {_pairs(self.unexpected_errors) or 0}")
        out += [f"{name:<48} {value}" for name, value in self.problems.items()]
        out += [f"  e.g. {example}" for example in self.examples]
        out.append("OK" if self.ok else "FAILED")
        return out


def _pairs(counts: dict[str, int]) -> str:
    return ", ".join(f"{key} {value}" for key, value in sorted(counts.items()))


def run_soak(config: SoakConfig, *, say: Callable[[str], None] = lambda _line: None) -> SoakReport:
    """Run children and kill them until enough orders and kills; reconcile; check."""
    started = time.monotonic()
    workdir = config.workdir or Path(tempfile.mkdtemp(prefix="trader-gui-soak-"))
    workdir.mkdir(parents=True, exist_ok=True)
    files = _Files(workdir)
    rng = random.Random(config.seed)
    report = SoakReport(machine=machine())
    faults: Counter[str] = Counter()
    ready_total_s = 0.0
    startup_s = config.first_life_s
    mean_life_s = config.first_life_s
    run = 0
    while report.orders_printed < config.orders or report.kills < config.kills:
        child = _Child.start(files, seed=config.seed * 1000 + run, config=config)
        if rng.random() < config.startup_kill_share:
            # a kill in start-up: imports, migrations, recovery or the first poll
            ready = child.live_until(rng.uniform(0.0, startup_s), config.start_timeout_s)
        else:
            ready = child.live_after_ready(
                rng.uniform(0.0, 2 * mean_life_s), config.start_timeout_s
            )
        child.kill()
        run += 1
        report.kills += 1
        report.restarts_ready += int(ready)
        report.kills_before_ready += int(not ready)
        report.orders_printed += child.orders
        faults.update(child.faults)
        if child.ready_at is not None:
            startup_s = child.ready_at
            ready_total_s += child.life_s - child.ready_at
        if child.exit_error:
            raise RuntimeError(f"the soak child failed on its own: {child.exit_error}")
        rate = report.orders_printed / ready_total_s if ready_total_s else 0.0
        left_orders = max(0, config.orders - report.orders_printed)
        left_kills = max(1, config.kills - report.kills)
        if rate > 0:
            mean_life_s = max(0.2, left_orders / left_kills / rate)
        say(
            f"run {run}: lived {child.life_s:.2f} s, ready={ready}, {child.orders} orders, "
            f"{sum(child.faults.values())} faults (total {report.orders_printed} orders)"
        )
    report.faults_injected = dict(faults)
    report.reconcile_rounds = final_reconcile(files)
    check(files, report)
    report.elapsed_s = time.monotonic() - started
    return report


@dataclass(frozen=True)
class _Files:
    workdir: Path

    @property
    def db(self) -> Path:
        return self.workdir / "orders.sqlite3"

    @property
    def paper(self) -> Path:
        return self.workdir / "paper.sqlite3"

    @property
    def log(self) -> Path:
        return self.workdir / "child.log"


class _Child:
    """One child process and the reader of its stdout protocol (READY / ORDER / FAULT)."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.ready = threading.Event()
        self.orders = 0
        self.faults: Counter[str] = Counter()
        self.exit_error = ""
        self.life_s = 0.0
        self._born = time.monotonic()
        self._other: list[str] = []
        self._ready_at: float | None = None
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    @classmethod
    def start(cls, files: _Files, *, seed: int, config: SoakConfig) -> _Child:
        command = [
            sys.executable,
            "-m",
            "benchmarks.soak",
            "child",
            "--workdir",
            str(files.workdir),
            "--seed",
            str(seed),
            "--fault-rate",
            str(config.fault_rate),
            "--concurrency",
            str(config.concurrency),
        ]
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            [str(PROJECT_ROOT), *filter(None, [env.get("PYTHONPATH")])]
        )
        process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            cwd=PROJECT_ROOT,
            env=env,
        )
        return cls(process)

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            word, _, rest = line.strip().partition(" ")
            if word == "READY":
                self._ready_at = time.monotonic() - self._born
                self.ready.set()
            elif word == "ORDER":
                self.orders += 1
            elif word == "FAULT":
                self.faults[rest] += 1
            elif line.strip():
                self._other.append(line.rstrip())

    def live_until(self, life_s: float, start_timeout_s: float) -> bool:
        """Let the child live `life_s` from its start; whether it was ready by then."""
        self._wait(self._born + min(life_s, start_timeout_s))
        return self.ready.is_set()

    def live_after_ready(self, life_s: float, start_timeout_s: float) -> bool:
        """Wait for READY (bounded), then let the child take orders for `life_s`."""
        self._wait(self._born + start_timeout_s, until_ready=True)
        if not self.ready.is_set():
            return False
        self._wait(time.monotonic() + life_s)
        return True

    def _wait(self, deadline: float, *, until_ready: bool = False) -> None:
        while time.monotonic() < deadline and self.process.poll() is None:
            if until_ready and self.ready.is_set():
                return
            time.sleep(min(0.01, max(0.0, deadline - time.monotonic())))

    @property
    def ready_at(self) -> float | None:
        """Seconds from start to READY, if it got there."""
        return self._ready_at

    def kill(self) -> None:
        code = self.process.poll()
        if code is None:
            self.process.send_signal(signal.SIGKILL)
            code = self.process.wait(30)
        self.life_s = time.monotonic() - self._born
        self._reader.join(30)
        if self.process.stdout is not None:
            self.process.stdout.close()
        if code != -signal.SIGKILL:
            self.exit_error = f"exit code {code}: " + " | ".join(self._other[-20:])


# ---- the final reconcile and the checks -----------------------------------------------------


class OffsetClock:
    """The real time plus a jump the reconcile makes to get past the not-found grace (on the
    wall clock and on the monotonic one, which the grace also needs)."""

    def __init__(self) -> None:
        self.offset = timedelta()
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return datetime.now(UTC) + self.offset

    def monotonic(self) -> float:
        with self._lock:
            return time.monotonic() + self.offset.total_seconds()

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.offset += timedelta(seconds=seconds)


def final_reconcile(files: _Files, *, max_rounds: int = 30) -> int:
    """A clean start with no faults: recovery, cancels of what is open, polls past the grace.

    Returns the rounds it took; stops (and the checks then fail) after `max_rounds`.
    """
    return asyncio.run(_final_reconcile(files, max_rounds))


async def _final_reconcile(files: _Files, max_rounds: int) -> int:
    clock = OffsetClock()
    runtime = build_soak_runtime(
        files, clock=clock, monotonic=clock.monotonic, poll_interval_s=3600.0
    )
    rounds = 0
    try:
        await runtime.start()
        repository = runtime.repository
        while rounds < max_rounds:
            open_rows = await runtime.workers.db(repository.non_terminal, CLIENT_ID)
            if not open_rows:
                break
            rounds += 1
            for row in open_rows:
                if row.broker_order_id is not None:
                    await runtime.engine.cancel(row.command_id)
            clock.advance(GRACE_S + 1.0)
            await runtime.watcher.poll_once()
    finally:
        await runtime.stop()
    return rounds


def check(files: _Files, report: SoakReport) -> None:
    """Compare the database with the paper broker's own file; fill in the report's figures."""
    with sqlite3.connect(f"{files.db.as_uri()}?mode=ro", uri=True) as db:
        rows = db.execute(
            "SELECT command_id, status, tag, broker_order_id, filled_qty, source FROM orders "
            "WHERE client_id = ?",
            (CLIENT_ID,),
        ).fetchall()
        steps = db.execute(
            "SELECT t.command_id, t.from_status, t.to_status FROM order_transitions t "
            "JOIN orders o ON o.command_id = t.command_id WHERE o.client_id = ? ORDER BY t.id",
            (CLIENT_ID,),
        ).fetchall()
    with sqlite3.connect(f"{files.paper.as_uri()}?mode=ro", uri=True) as paper:
        broker = paper.execute(
            "SELECT order_id, tag, state, filled_qty FROM orders WHERE client_id = ?",
            (CLIENT_ID,),
        ).fetchall()
    ours = {row[0]: row for row in rows if row[5] != Source.BROKER.value}
    report.orders_submitted = len(ours)
    report.broker_orders = len(broker)
    report.statuses = dict(Counter(row[1] for row in rows))
    report.tags = dict(Counter(row[2] or "-" for row in rows))
    by_tag: dict[str, list[tuple[str, str, str, int]]] = {}
    for order in broker:
        by_tag.setdefault(order[1] or "", []).append(order)
    examples: list[str] = []
    for tag, orders in by_tag.items():
        if tag not in ours:
            report.broker_orders_without_row += len(orders)
            examples.append(f"broker order(s) {[o[0] for o in orders]} tag {tag!r}: no row")
        if tag and len(orders) > 1:
            report.command_ids_at_broker_twice += 1
            examples.append(f"{tag} at the broker {len(orders)} times")
    for command_id, status, tag, broker_order_id, filled_qty, _source in ours.values():
        if not OrderStatus(status).is_terminal:
            report.rows_not_terminal += 1
            examples.append(f"{command_id} still {status}")
        if status == OrderStatus.FAILED.value and not tag:
            report.failed_without_tag += 1
            examples.append(f"{command_id} FAILED without a tag")
        at_broker = by_tag.get(command_id, [])
        if at_broker:
            order_id, _tag, state, broker_filled = at_broker[0]
            outcome = outcome_for(BrokerState(state), broker_filled)
            expected = outcome.status if outcome is not None else None
            agrees = (
                status == expected
                and broker_order_id == order_id
                and (filled_qty == broker_filled or status != OrderStatus.EXECUTED.value)
            )
        else:
            agrees = status == OrderStatus.FAILED.value and broker_order_id is None
        if not agrees:
            report.rows_disagreeing_with_broker += 1
            broker_says = at_broker[0][2:] if at_broker else "nothing"
            examples.append(
                f"{command_id} {status}/{tag} filled {filled_qty}; broker: {broker_says}"
            )
    last: dict[str, str | None] = {}
    for command_id, from_status, to_status in steps:
        before = last.get(command_id)
        legal = before == from_status and is_allowed(
            OrderStatus(from_status) if from_status else None, OrderStatus(to_status)
        )
        if not legal:
            report.illegal_transitions += 1
            examples.append(f"{command_id}: {before} then {from_status} -> {to_status}")
        last[command_id] = to_status
    text = files.log.read_text(encoding="utf-8", errors="replace") if files.log.exists() else ""
    report.transitions_refused = text.count(REFUSED)
    report.unexpected_errors = {
        word.strip(): text.count(word) for word in UNEXPECTED if word in text
    }
    report.examples = examples[:10]


def machine() -> dict[str, Any]:
    """What the figures depend on: cores, CPU, Python and SQLite."""
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
    }


# ---- the child: the engine under faults, submitting without pause -----------------------------


def catalog() -> InstrumentCatalog:
    return InstrumentCatalog(load_bundled_instruments())


def build_soak_runtime(
    files: _Files,
    *,
    clock: Callable[[], datetime],
    monotonic: Callable[[], float] = time.monotonic,
    poll_interval_s: float,
    catalog_: InstrumentCatalog | None = None,
) -> Runtime:
    """build_runtime's wiring with the soak's settings: one lock-holding instance per file."""
    instruments = catalog_ or catalog()
    repository = OrderRepository(open_database(sqlite_url(files.db), single_instance=True))
    try:
        broker = PaperBroker(
            instruments, state_path=files.paper, client_id=CLIENT_ID, config=PAPER, clock=clock
        )
    except BaseException:
        repository.close()
        raise
    return Runtime(
        repository=repository,
        broker=broker,
        catalog=instruments,
        config=EngineConfig(
            client_id=CLIENT_ID,
            poll_interval_s=poll_interval_s,
            broker_timeout_s=BROKER_TIMEOUT_S,
            not_found_grace_s=GRACE_S,
            max_backoff_s=1.0,
            orders_per_second=500,
        ),
        clock=clock,
        monotonic=monotonic,
    )


class _Protocol:
    """The child's stdout lines, one write each so lines never interleave."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def say(self, line: str) -> None:
        with self._lock:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()


class _FaultCounter(logging.Handler):
    """The paper broker logs each fault it fires: each one becomes a FAULT line."""

    def __init__(self, protocol: _Protocol) -> None:
        super().__init__(logging.INFO)
        self._protocol = protocol

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("paper broker: fault ") and isinstance(
            record.args, tuple
        ):
            self._protocol.say(f"FAULT {record.args[0]}")
        elif "session expired (injected)" in record.getMessage():
            self._protocol.say(f"FAULT {PaperFault.SESSION_EXPIRED}")


def child_main(args: argparse.Namespace) -> int:
    protocol = _Protocol()
    logging.basicConfig(
        filename=_Files(Path(args.workdir)).log,
        level=logging.WARNING,
        format=f"%(asctime)s {os.getpid()} %(levelname)s %(name)s: %(message)s",
    )
    faults_log = logging.getLogger("trader_gui.brokers.paper_faults")
    faults_log.setLevel(logging.INFO)
    faults_log.addHandler(_FaultCounter(protocol))
    return asyncio.run(_child(args, protocol))


async def _child(args: argparse.Namespace, protocol: _Protocol) -> int:
    files = _Files(Path(args.workdir))
    instruments = catalog()
    runtime = build_soak_runtime(
        files,
        clock=lambda: datetime.now(UTC),
        poll_interval_s=0.25,
        catalog_=instruments,
    )
    broker = runtime.broker
    assert isinstance(broker, PaperBroker)
    broker.faults.random(args.fault_rate, tuple(PaperFault), seed=args.seed, delay_s=SLOW_DELAY_S)

    def announce(event: Event) -> None:
        if (
            isinstance(event, OrderUpdated)
            and event.transition.from_status is None
            and event.record.command.source is not Source.BROKER
        ):
            protocol.say(f"ORDER {event.record.command_id}")

    runtime.events.subscribe(announce)
    await runtime.start()
    await runtime.ready.wait()
    if (await runtime.engine.kill_switch()).active:
        await runtime.engine.set_kill_switch(False, by="soak", reason="new run")
    protocol.say("READY")
    driver = _Driver(runtime, instruments, random.Random(args.seed))
    await asyncio.gather(*(driver.loop() for _ in range(args.concurrency)))
    return 0


class _Driver:
    """Random tickets, cancels and kill-switch toggles, as fast as the engine takes them."""

    def __init__(self, runtime: Runtime, instruments: InstrumentCatalog, rng: random.Random):
        self.runtime = runtime
        self.rng = rng
        self.instruments: list[Instrument] = [
            instrument
            for symbol in SYMBOLS
            if (instrument := instruments.get(Exchange.NSE, symbol)) is not None
        ]
        self.count = 0
        self.accepted: list[str] = []

    async def loop(self) -> None:
        engine = self.runtime.engine
        while True:
            roll = self.rng.random()
            try:
                if roll < 0.05 and self.accepted:
                    await engine.cancel(self.rng.choice(self.accepted[-50:]))
                elif roll < 0.055:
                    await engine.set_kill_switch(True, by="soak", reason="toggle")
                elif roll < 0.1 and (await engine.kill_switch()).active:
                    await engine.set_kill_switch(False, by="soak", reason="toggle")
                else:
                    for record in await engine.submit_ticket(self.ticket()):
                        if record.broker_order_id:
                            self.accepted.append(record.command_id)
            except EngineClosedError:
                await asyncio.sleep(0.05)
            except Exception:  # logged and carried on: the checks decide what it cost
                logging.getLogger("soak").exception("driver step failed")

    def ticket(self) -> OrderCommand:
        rng = self.rng
        self.count += 1
        instrument = rng.choice(self.instruments)
        side = rng.choice((Side.BUY, Side.SELL))
        kind = rng.choices((OrderType.MARKET, OrderType.LIMIT, OrderType.SL_M), (6, 3, 1))[0]
        tick = instrument.tick_size
        reference = instrument.reference_price
        price = trigger = None
        if kind is OrderType.LIMIT:
            price = reference + tick * rng.randint(-40, 40)
        elif kind is OrderType.SL_M:
            away = reference * Decimal("0.03") // tick * tick
            trigger = reference + away if side is Side.BUY else reference - away
        pooled = rng.random() < 0.15
        return OrderCommand(
            command_id=new_command_id(),
            client_id=CLIENT_ID,
            symbol=instrument.symbol,
            exchange=instrument.exchange,
            side=side,
            quantity=rng.randint(1, 5),
            order_type=kind,
            product=Product.MIS,
            strategy=f"pool{rng.randint(0, 4)}" if pooled else f"k{self.count}-{rng.random():.6f}",
            execution_type=ExecutionType.EXIT if rng.random() < 0.1 else ExecutionType.ENTRY,
            source=Source.MANUAL,
            price=price,
            trigger_price=trigger,
        )


# ---- the command line ------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.soak", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    child = sub.add_parser("child", help="(internal) the engine process the soak kills")
    child.add_argument("--workdir", required=True, help="the database, paper file and log")
    child.add_argument("--seed", type=int, default=0)
    child.add_argument("--fault-rate", type=float, default=0.05)
    child.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--fault-rate", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--json", action="store_true", help="one JSON object instead of lines")
    parser.add_argument("--quiet", action="store_true", help="no line per child run")
    args = parser.parse_args(argv)
    if args.command == "child":
        return child_main(args)
    logging.getLogger().addHandler(logging.NullHandler())  # the reconcile's warnings: expected
    config = SoakConfig(
        orders=args.orders,
        kills=args.kills,
        seed=args.seed,
        fault_rate=args.fault_rate,
        concurrency=args.concurrency,
        workdir=args.workdir,
    )
    say = (lambda _line: None) if args.quiet or args.json else print
    report = run_soak(config, say=say)
    if args.json:
        print(json.dumps(asdict(report) | {"ok": report.ok}, indent=2, sort_keys=True))
    else:
        print(f"soak: {config}")
        print("\n".join(report.lines()))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
