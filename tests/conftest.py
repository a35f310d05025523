"""Fixtures shared by every test: a controlled clock, the bundled instruments, real SQLite."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from trader_gui.domain.instruments import InstrumentCatalog
from trader_gui.persistence.database import open_database, sqlite_url
from trader_gui.persistence.instrument_files import load_bundled_instruments
from trader_gui.persistence.repository import OrderRepository


class FakeClock:
    """Time that moves only when a test says so. Thread-safe: broker threads read it."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 11, 25, 5, 0, tzinfo=UTC)
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> datetime:
        with self._lock:
            self._now += timedelta(seconds=seconds)
            return self._now


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
