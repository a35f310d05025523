"""The database each persistence test runs on: a SQLite file, and PostgreSQL when `.ci/run`
(or the developer) gives one, so every behaviour is checked on both."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from postgres_support import database_params, database_url

from trader_gui.persistence.database import open_database
from trader_gui.persistence.repository import OrderRepository


@pytest.fixture(params=database_params())
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with database_url(request.param, tmp_path) as value:
        yield value


@pytest.fixture
def repo(url: str) -> Iterator[OrderRepository]:
    repository = OrderRepository(open_database(url))
    yield repository
    repository.close()
