"""An engine on a real SQLite file and the paper broker, driven by a fake clock.

The watcher's own loop is given a long interval so that tests poll explicitly with
`poll_once()`: every step happens when the test says, and nothing needs a sleep. The helpers
live in `engine_support` (a module name no other test folder uses).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from engine_support import Harness

from trader_gui.brokers.paper_config import PaperConfig
from trader_gui.domain.instruments import InstrumentCatalog
from trader_gui.engine.config import EngineConfig
from trader_gui.engine.runtime import Runtime
from trader_gui.engine.workers import Workers
from trader_gui.persistence.database import open_database, sqlite_url
from trader_gui.persistence.repository import OrderRepository


@pytest.fixture
def paper_config() -> PaperConfig:
    return PaperConfig(fill_latency_s=0.5, volatility=0.0, slippage_ticks=1)


@pytest_asyncio.fixture
async def harness(
    tmp_path: Path, catalog: InstrumentCatalog, clock: Any, paper_config: PaperConfig
) -> AsyncIterator[Harness]:
    h = Harness(
        db_path=tmp_path / "orders.sqlite3",
        paper_path=tmp_path / "paper.sqlite3",
        catalog=catalog,
        clock=clock,
        config=EngineConfig(
            client_id="PAPER",
            poll_interval_s=3600,
            broker_timeout_s=5.0,
            not_found_grace_s=30.0,
            daily_loss_limit=Decimal("5000"),
        ),
        paper_config=paper_config,
    )
    yield h
    await h.stop_all()


@pytest_asyncio.fixture
async def runtime(harness: Harness) -> Runtime:
    return await harness.start()


@pytest.fixture
def path(tmp_path: Path) -> Path:
    """The SQLite file of the tests that drive the database thread without an engine."""
    return tmp_path / "orders.sqlite3"


@pytest.fixture
def repository(path: Path) -> Iterator[OrderRepository]:
    repository = OrderRepository(open_database(sqlite_url(path)))
    yield repository
    repository.close()


@pytest.fixture
def workers(repository: OrderRepository) -> Iterator[Workers]:
    """One broker thread and the database thread, its writes grouped into commits."""
    workers = Workers(1, group=repository.transaction)
    yield workers
    workers.shutdown()
