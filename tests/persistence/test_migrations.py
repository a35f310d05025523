"""Migrations bring an old database up to date at start-up, and match the models."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from trader_gui.persistence.database import (
    SCHEMA_REVISION,
    head_revision,
    open_database,
    sqlite_url,
)
from trader_gui.persistence.models import Base


def test_a_new_database_is_at_the_newest_revision_and_matches_the_models(tmp_path: Path) -> None:
    engine = open_database(sqlite_url(tmp_path / "orders.sqlite3"))
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection)
            assert context.get_current_revision() == head_revision()
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_the_schema_revision_the_program_expects_is_the_newest_migration() -> None:
    """A database at SCHEMA_REVISION opens without Alembic: a new migration must move it."""
    assert head_revision() == SCHEMA_REVISION


def test_an_up_to_date_database_opens_without_loading_alembic(tmp_path: Path) -> None:
    """Alembic costs a start-up about 0.15 s: only a database with something to migrate
    loads it. Checked in a fresh interpreter, where nothing else has imported it."""
    url = sqlite_url(tmp_path / "orders.sqlite3")
    open_database(url).dispose()
    script = (
        "import sys\n"
        "from trader_gui.persistence.database import open_database\n"
        f"open_database({url!r}).dispose()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))\n"
    )
    shown = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert shown.stdout.strip() == "[]"


def test_a_database_of_the_first_revision_is_upgraded_keeping_its_orders(tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config

    from trader_gui.persistence.database import MIGRATIONS

    path = tmp_path / "old.sqlite3"
    old = create_engine(sqlite_url(path))
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with old.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        connection.exec_driver_sql(
            "INSERT INTO orders (command_id, client_id, symbol, exchange, side, quantity, "
            "order_type, product, strategy, execution_type, source, status, detail, "
            "filled_qty, created_at, updated_at) VALUES ('OLD1', 'PAPER', 'SBIN', 'NSE', "
            "'BUY', 1, 'MARKET', 'MIS', 's', 'ENTRY', 'MANUAL', 'FAILED', '', 0, "
            "'2026-11-24 04:00:00', '2026-11-24 04:00:00')"
        )
    old.dispose()

    engine = open_database(sqlite_url(path))
    try:
        indexes = {index["name"] for index in inspect(engine).get_indexes("orders")}
        with engine.connect() as connection:
            count = connection.exec_driver_sql("SELECT count(*) FROM orders").scalar_one()
    finally:
        engine.dispose()

    assert "ix_orders_client_sent" in indexes
    assert count == 1


def test_a_database_at_0003_gets_the_sender_column_keeping_its_orders(tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config

    from trader_gui.persistence.database import MIGRATIONS
    from trader_gui.persistence.repository import OrderRepository

    path = tmp_path / "amo.sqlite3"
    old = create_engine(sqlite_url(path))
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with old.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0003")
        connection.exec_driver_sql(
            "INSERT INTO orders (command_id, client_id, symbol, exchange, side, quantity, "
            "order_type, product, strategy, execution_type, source, status, detail, "
            "filled_qty, created_at, updated_at, amo) VALUES ('X0003', 'PAPER', 'SBIN', 'NSE', "
            "'BUY', 1, 'MARKET', 'MIS', 's', 'ENTRY', 'EXTERNAL', 'EXECUTED', '', 1, "
            "'2026-11-24 04:00:00', '2026-11-24 04:00:00', 1)"
        )
    old.dispose()

    repository = OrderRepository(open_database(sqlite_url(path)))
    try:
        columns = {c["name"]: c for c in inspect(repository.engine).get_columns("orders")}
        record = repository.get("X0003")
    finally:
        repository.close()

    assert columns["sender"]["nullable"]
    assert record is not None
    assert (record.command.sender, record.amo, record.filled_qty) == (None, True, 1)
