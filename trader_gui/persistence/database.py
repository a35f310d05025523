"""Open the database: SQLite (WAL) in the user data folder by default, any SQLAlchemy URL else.

Migrations run here, before anything reads or writes, so an old database file is brought up
to date at start-up.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool, QueuePool

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).with_name("migrations")


class DatabaseError(Exception):
    """The database cannot be opened or brought up to date; the message says why."""


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def _tune_sqlite(engine: Engine) -> None:
    """WAL, synchronous=NORMAL, and BEGIN IMMEDIATE so writers queue instead of deadlocking."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_db_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            poolclass=QueuePool if database and database != ":memory:" else NullPool,
            connect_args={"check_same_thread": False},
        )
        _tune_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest revision."""
    config = _alembic_config()
    with engine.begin() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
        if current == head_revision():
            return
        config.attributes["connection"] = connection
        log.info("upgrading database schema from %s to %s", current, head_revision())
        command.upgrade(config, "head")


def open_database(url: str) -> Engine:
    """An engine on an up-to-date schema, or a `DatabaseError` saying what is wrong."""
    try:
        engine = create_db_engine(url)
        upgrade(engine)
    except Exception as error:  # the message reaches the trader, not the traceback
        raise DatabaseError(f"cannot open the database {_safe(url)}: {error}") from error
    return engine


def _safe(url: str) -> str:
    """The URL without its password, fit for a message or a log."""
    return make_url(url).render_as_string(hide_password=True)
