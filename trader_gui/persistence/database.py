"""Open the database: SQLite (WAL) in the user data folder by default, any SQLAlchemy URL else.

Migrations run here, before anything reads or writes, so an old database file is brought up
to date at start-up.

A SQLite file is checked before anything is written to it: a file that is damaged, is not a
database, or is some other program's database is refused with a sentence that names it and
says what to do (`move_aside`, or another file with `--db`); it is never overwritten or
"repaired" by a migration. A running program (window, `--headless`, a basket) also holds an
OS lock next to its SQLite file, so a second one on the same file is refused instead of
polling the same broker account twice; the OS drops the lock when the process ends, even by
SIGKILL, so a crash never leaves a stale lock behind.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool, QueuePool

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).with_name("migrations")
SQLITE_HEADER = b"SQLite format 3\x00"
CORRUPT_ERRORS = frozenset({"SQLITE_NOTADB", "SQLITE_CORRUPT"})
"""SQLite's words for a file that is not a database or is damaged (not a busy or I/O error)."""


class DatabaseError(Exception):
    """The database cannot be opened or brought up to date; the message says why."""


class CorruptDatabaseError(DatabaseError):
    """The SQLite file is damaged, is not a database, or is not this program's database.

    `path` is the file: the window offers `move_aside(path)`; nothing was written to it.
    """

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(
            f"cannot open the database: the file {path} {problem}. It was left as it is: "
            f"move it aside (rename it, e.g. to {path.name}.corrupt) to start with a new, "
            "empty database, or start with --db pointing to another file."
        )
        self.path = path
        self.problem = problem


class DatabaseInUseError(DatabaseError):
    """Another running trader-gui holds this SQLite file."""

    def __init__(self, path: Path, holder: str) -> None:
        super().__init__(
            f"cannot open the database: another trader-gui{holder} is already running on "
            f"{path}: close it first, or start this one with --db pointing to another file."
        )
        self.path = path


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


READ_ONLY = "trader_gui_read_only"
"""Execution option marking a connection that only reads (see `for_reads`)."""


def for_reads(engine: Engine) -> Engine:
    """The same engine (same pool) for connections that only read.

    On SQLite their transactions begin DEFERRED: a read takes no write lock, so it neither
    waits for another process's write nor pays for the lock. Every other transaction still
    begins IMMEDIATE, so a write that reads first holds the write lock from its first read
    and cannot fail to upgrade. On other databases the option changes nothing.
    """
    return engine.execution_options(**{READ_ONLY: True})


def _tune_sqlite(engine: Engine) -> None:
    """WAL, synchronous=NORMAL, and BEGIN IMMEDIATE so writers queue instead of deadlocking.

    Connections from `for_reads` begin DEFERRED instead: a snapshot without the write lock.
    """

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
        reads_only = connection.get_execution_options().get(READ_ONLY, False)
        # straight to the driver: the statement needs none of SQLAlchemy's execution path
        connection.connection.driver_connection.execute(
            "BEGIN" if reads_only else "BEGIN IMMEDIATE"
        )


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


SCHEMA_REVISION = "0004"
"""The newest migration's revision: a database already there opens without loading Alembic
(a test checks this against the migrations folder)."""


def _alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str | None:
    """The newest revision as Alembic reads it from the migrations folder."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def stored_revision(connection: Connection) -> str | None:
    """The schema revision the database says it is at; None for an empty database."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest revision. Alembic (about 0.15 s to import) is loaded
    only when there is something to migrate."""
    with engine.begin() as connection:
        current = stored_revision(connection)
        if current == SCHEMA_REVISION:
            return
        from alembic import command

        config = _alembic_config()
        config.attributes["connection"] = connection
        log.info("upgrading database schema from %s to %s", current, SCHEMA_REVISION)
        command.upgrade(config, "head")


def open_database(url: str, *, single_instance: bool = False) -> Engine:
    """An engine on an up-to-date schema, or a `DatabaseError` saying what is wrong.

    `single_instance`: hold the SQLite file's instance lock until the engine is disposed
    (a program that polls the broker passes it; a one-shot `orders` or `kill-switch` command
    does not, so the kill switch can be set from another terminal while the window runs).
    """
    try:
        path = sqlite_file(url)
    except Exception as error:  # not echoed: a malformed URL may still hold a password
        raise DatabaseError(
            "cannot open the database: the --db value is not a database URL (for example "
            "sqlite:////home/me/orders.sqlite3 or postgresql+psycopg://user@host/trader_gui)"
        ) from error
    lock = InstanceLock.acquire(path) if single_instance and path is not None else None
    try:
        if path is not None:
            _refuse_foreign_file(path)
        engine = create_db_engine(url)
        try:
            upgrade(engine)
            if path is not None:
                _check_integrity(engine, path)
        except BaseException:
            engine.dispose()
            raise
    except DatabaseError:
        if lock is not None:
            lock.release()
        raise
    except Exception as error:  # the message reaches the trader, not the traceback
        if lock is not None:
            lock.release()
        if path is not None and _is_corruption(error):
            raise CorruptDatabaseError(path, f"is damaged ({_orig(error)})") from error
        raise DatabaseError(f"cannot open the database {_safe(url)}: {_orig(error)}") from error
    if lock is not None:
        event.listen(engine, "engine_disposed", lambda _engine: lock.release())
    return engine


def sqlite_file(url: str) -> Path | None:
    """The file behind a SQLite URL; None for an in-memory database or another server."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).expanduser().absolute()


def move_aside(path: Path, *, now: datetime | None = None) -> Path:
    """Rename a bad database file (and its -wal/-shm/-journal) out of the way; the new name.

    Kept, never deleted: the trader or support may still want what is in it.
    """
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    counter = 1
    while target.exists():
        counter += 1
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{counter}")
    path.rename(target)
    for suffix in ("-wal", "-shm", "-journal"):
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            companion.rename(target.with_name(target.name + suffix))
    log.warning("database %s moved aside to %s", path, target)
    return target


class InstanceLock:
    """An exclusive `flock` on `<database>.lock`: one running program per SQLite file.

    flock belongs to the open file, so the OS releases it when the process dies in any way;
    the pid written inside is only for the message shown to the second program.
    """

    def __init__(self, path: Path, handle: IO[str]) -> None:
        self.path = path
        self._handle: IO[str] | None = handle

    @classmethod
    def acquire(cls, database: Path) -> InstanceLock:
        database.parent.mkdir(parents=True, exist_ok=True)
        lock_path = database.with_name(database.name + ".lock")
        handle = open(lock_path, "a+", encoding="utf-8")  # noqa: SIM115 - held until release
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip()
            handle.close()
            raise DatabaseInUseError(database, f" (pid {holder})" if holder else "") from None
        except OSError as error:
            handle.close()
            raise DatabaseError(f"cannot lock the database {database}: {error}") from error
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        return cls(lock_path, handle)

    @property
    def held(self) -> bool:
        return self._handle is not None

    def release(self) -> None:
        handle, self._handle = self._handle, None
        if handle is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            handle.close()


def _refuse_foreign_file(path: Path) -> None:
    """Refuse a file that is not SQLite, or is another program's SQLite database.

    Checked before SQLite opens it: an empty or missing file is a new database; anything
    else must start with SQLite's header and, if it has tables, have our schema version.
    """
    try:
        with path.open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except FileNotFoundError:
        return
    except IsADirectoryError:
        raise CorruptDatabaseError(path, "is a folder, not a database file") from None
    except OSError as error:
        raise DatabaseError(f"cannot read the database file {path}: {error.strerror}") from error
    if not header:
        return
    if header != SQLITE_HEADER:
        raise CorruptDatabaseError(path, "is not a database (it does not start as SQLite does)")
    try:
        with contextlib.closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as conn:
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    except sqlite3.DatabaseError as error:
        if getattr(error, "sqlite_errorname", "") in CORRUPT_ERRORS:
            raise CorruptDatabaseError(path, f"is damaged ({error})") from error
        raise DatabaseError(f"cannot read the database file {path}: {error}") from error
    if tables and "alembic_version" not in tables:
        names = ", ".join(sorted(tables)[:4])
        raise CorruptDatabaseError(
            path, f"is a SQLite database of another program (it has {names} and no schema version)"
        )


def _check_integrity(engine: Engine, path: Path) -> None:
    """SQLite's quick check: a damaged page is found at start-up, not in the middle of a day."""
    with engine.connect() as connection:
        rows = [row[0] for row in connection.exec_driver_sql("PRAGMA quick_check")]
    if rows != ["ok"]:
        raise CorruptDatabaseError(path, f"is damaged ({'; '.join(rows[:3])})")


def _is_corruption(error: BaseException) -> bool:
    orig = getattr(error, "orig", error)
    return getattr(orig, "sqlite_errorname", "") in CORRUPT_ERRORS


def _orig(error: BaseException) -> str:
    """The driver's own words, without SQLAlchemy's statement dump and background link."""
    orig = getattr(error, "orig", None)
    return str(orig if orig is not None else error).strip().splitlines()[0]


def _safe(url: str) -> str:
    """The URL without its password, fit for a message or a log."""
    return make_url(url).render_as_string(hide_password=True)
