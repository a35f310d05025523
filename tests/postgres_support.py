"""The database a test runs on: SQLite in its own folder, or PostgreSQL in a schema of its own.

PostgreSQL comes from `TRADER_GUI_TEST_POSTGRES_URL` (`.ci/run` starts Debian's server on
127.0.0.1 and sets it). Without it, or without the psycopg driver, the PostgreSQL variant of
a test is skipped with the reason, and the SQLite one still runs. Each PostgreSQL test gets a
fresh schema (through the connection's `search_path`), dropped afterwards: tests never see
each other's rows, and a run leaves nothing behind.

Also here, because the engine tests on both databases, the property tests and the hostile
tests all want them: a small harness that builds Runtimes on one database URL and one paper
broker file, a thread-safe fake clock, and a ticket maker.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from clocks import FakeClock
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from tickets import ticket as ticket  # re-exported for the persistence tests

from trader_gui.brokers.paper import PaperBroker
from trader_gui.brokers.paper_config import PaperConfig
from trader_gui.domain.instruments import InstrumentCatalog
from trader_gui.engine.config import EngineConfig
from trader_gui.engine.events import Event
from trader_gui.engine.runtime import Runtime
from trader_gui.persistence.database import open_database, sqlite_url
from trader_gui.persistence.repository import OrderRepository

POSTGRES_ENV = "TRADER_GUI_TEST_POSTGRES_URL"
DATABASES = ("sqlite", "postgresql")


def postgres_skip_reason() -> str | None:
    """Why the PostgreSQL variant cannot run here, or None when it can."""
    if not os.environ.get(POSTGRES_ENV):
        return (
            f"{POSTGRES_ENV} is not set: `bash .ci/run` starts Debian's PostgreSQL on "
            "127.0.0.1 and sets it"
        )
    if importlib.util.find_spec("psycopg") is None:
        return "the psycopg driver is not installed (pip install 'psycopg[binary]')"
    return None


def database_params() -> list[Any]:
    """`params=` for a fixture over both databases; PostgreSQL skips with its reason."""
    reason = postgres_skip_reason()
    return [
        pytest.param("sqlite", id="sqlite"),
        pytest.param(
            "postgresql",
            id="postgresql",
            marks=pytest.mark.skipif(reason is not None, reason=reason or ""),
        ),
    ]


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A URL whose connections live in a new, empty schema; the schema is dropped after."""
    base = os.environ[POSTGRES_ENV]
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def database_url(kind: str, folder: Path) -> Iterator[str]:
    """A fresh database of the kind: a SQLite file in `folder`, or a PostgreSQL schema."""
    if kind == "sqlite":
        yield sqlite_url(folder / "orders.sqlite3")
        return
    reason = postgres_skip_reason()
    if reason is not None:
        pytest.skip(reason)
    with postgres_schema() as url:
        yield url


Clock = FakeClock


QUIET_PAPER = PaperConfig(fill_latency_s=0.5, volatility=0.0, slippage_ticks=1)
"""Prices move only when a test moves them; an order fills 0.5 s (broker clock) after it is placed."""


def engine_config(client_id: str = "PAPER", **changes: Any) -> EngineConfig:
    """The tests' engine: the watcher's own loop effectively off, so tests poll by hand."""
    values: dict[str, Any] = {
        "client_id": client_id,
        "poll_interval_s": 3600,
        "broker_timeout_s": 5.0,
        "not_found_grace_s": 30.0,
    }
    values.update(changes)
    return EngineConfig(**values)


@dataclass
class Rig:
    """Builds and restarts Runtimes on one database URL and one paper file, with one clock.

    Restarting is what a crash-and-start does: a new Runtime, new repository and broker
    objects, on the same database and the same paper state file.
    """

    url: str
    paper_path: Path
    catalog: InstrumentCatalog
    clock: Callable[[], datetime]
    client_id: str = "PAPER"
    paper_config: PaperConfig = QUIET_PAPER
    single_instance: bool = False
    config_changes: dict[str, Any] = field(default_factory=dict)
    runtimes: list[Runtime] = field(default_factory=list, repr=False)
    events: list[Event] = field(default_factory=list, repr=False)

    def build(self, **changes: Any) -> Runtime:
        config = engine_config(self.client_id, **{**self.config_changes, **changes})
        repository = OrderRepository(open_database(self.url, single_instance=self.single_instance))
        try:
            broker = PaperBroker(
                self.catalog,
                state_path=self.paper_path,
                client_id=self.client_id,
                config=self.paper_config,
                clock=self.clock,
                sleep=lambda _seconds: None,
            )
        except BaseException:
            repository.close()
            raise
        runtime = Runtime(
            repository=repository,
            broker=broker,
            catalog=self.catalog,
            config=config,
            clock=self.clock,
            monotonic=getattr(self.clock, "monotonic", time.monotonic),
        )
        runtime.events.subscribe(self.events.append)
        self.runtimes.append(runtime)
        return runtime

    async def start(self, **changes: Any) -> Runtime:
        runtime = self.build(**changes)
        await runtime.start()
        return runtime

    async def restart(self, runtime: Runtime, **changes: Any) -> Runtime:
        """Stop one runtime cleanly and start a new one on the same files."""
        await runtime.stop()
        return await self.start(**changes)

    async def stop_all(self) -> None:
        for runtime in self.runtimes:
            await runtime.stop()


def noren_fake_module() -> ModuleType:
    """tests/brokers/noren_fake_server.py (tests/ is no package): loaded once, by its path."""
    name = "noren_fake_server"
    if name not in sys.modules:
        path = Path(__file__).resolve().parent / "brokers" / f"{name}.py"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def paper_book_tags(runtime: Runtime) -> list[str]:
    """The client tags of every order at the paper broker (a tag twice is a double send)."""
    return [order.tag or "" for order in runtime.broker.order_book()]
