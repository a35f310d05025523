"""Fixtures shared by every test: a controlled clock, the bundled instruments, real SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from clocks import FakeClock

from trader_gui.domain.instruments import InstrumentCatalog
from trader_gui.persistence.database import open_database, sqlite_url
from trader_gui.persistence.instrument_files import load_bundled_instruments
from trader_gui.persistence.repository import OrderRepository


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="session")
def catalog() -> InstrumentCatalog:
    return InstrumentCatalog(load_bundled_instruments())


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "orders.sqlite3"


@pytest.fixture
def repository(db_path: Path) -> Iterator[OrderRepository]:
    repo = OrderRepository(open_database(sqlite_url(db_path)))
    yield repo
    repo.close()
