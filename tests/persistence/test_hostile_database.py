"""A hostile database file at start-up, and a second program on the same file.

A file that is damaged, is not a database, or is another program's database is refused in
one sentence that names it and says what to do (move it aside, or `--db`); the file is left
exactly as it was. A second running program on the same SQLite file is refused while the
first runs, and the lock dies with the first program however it dies (SIGKILL included).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from postgres_support import ticket

from trader_gui.cli.main import main
from trader_gui.engine.assembly import LaunchOptions, build_runtime
from trader_gui.paths import AppPaths
from trader_gui.persistence.database import (
    CorruptDatabaseError,
    DatabaseError,
    DatabaseInUseError,
    move_aside,
    open_database,
    sqlite_url,
)
from trader_gui.persistence.repository import OrderRepository
from trader_gui.settings import Settings

PROJECT_ROOT = Path(__file__).resolve().parents[2]
AT = datetime(2026, 11, 25, 5, 0, tzinfo=UTC)


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def _a_database_with_orders(path: Path, count: int = 300) -> None:
    repository = OrderRepository(open_database(sqlite_url(path)))
    for _ in range(count):
        repository.create(ticket(strategy="x" * 30), AT)
    repository.close()
    with sqlite3.connect(path) as connection:  # fold the WAL in: one self-contained file
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")


# ---- a bad file at start-up -----------------------------------------------------------------


def test_a_file_that_is_not_a_database_is_refused_and_left_alone(tmp_path: Path) -> None:
    notes = tmp_path / "orders.sqlite3"
    notes.write_bytes(b"my trading notes, not a database\n" * 200)
    before = _snapshot(tmp_path)

    with pytest.raises(CorruptDatabaseError) as refused:
        open_database(sqlite_url(notes), single_instance=True)

    sentence = str(refused.value)
    assert str(notes) in sentence
    assert "is not a database" in sentence
    assert "move it aside" in sentence
    assert "--db" in sentence
    assert "\n" not in sentence
    assert refused.value.path == notes
    after = _snapshot(tmp_path)
    after.pop("orders.sqlite3.lock")  # the instance lock, taken before the file is read
    assert after == before  # no -wal, no -shm, not a byte changed


def test_a_damaged_database_is_refused_at_start_up_not_mid_day(tmp_path: Path) -> None:
    path = tmp_path / "orders.sqlite3"
    _a_database_with_orders(path)
    data = bytearray(path.read_bytes())
    page = 4096
    for offset in range(2 * page, len(data) - page, page):
        data[offset + 8 : offset + 200] = os.urandom(192)  # scribble over every b-tree page
    path.write_bytes(bytes(data))
    before = path.read_bytes()

    with pytest.raises(CorruptDatabaseError) as refused:
        open_database(sqlite_url(path))

    assert "is damaged" in str(refused.value)
    assert "move it aside" in str(refused.value)
    assert path.read_bytes() == before


def test_another_programs_sqlite_file_is_not_migrated_into(tmp_path: Path) -> None:
    foreign = tmp_path / "paper_broker.sqlite3"
    with sqlite3.connect(foreign) as connection:
        connection.execute("CREATE TABLE accounts (client_id TEXT PRIMARY KEY, capital TEXT)")
    before = foreign.read_bytes()

    with pytest.raises(CorruptDatabaseError) as refused:
        open_database(sqlite_url(foreign))

    assert "another program" in str(refused.value)
    assert "accounts" in str(refused.value)
    assert foreign.read_bytes() == before


def test_an_empty_file_is_a_new_database(tmp_path: Path) -> None:
    path = tmp_path / "orders.sqlite3"
    path.touch()

    engine = open_database(sqlite_url(path))

    engine.dispose()
    assert path.read_bytes().startswith(b"SQLite format 3\x00")


def test_moving_aside_keeps_the_old_file_and_a_new_one_opens(tmp_path: Path) -> None:
    path = tmp_path / "orders.sqlite3"
    path.write_bytes(b"\x00garbage" * 100)
    (tmp_path / "orders.sqlite3-wal").write_bytes(b"wal")

    with pytest.raises(CorruptDatabaseError) as refused:
        open_database(sqlite_url(path))
    kept = move_aside(refused.value.path, now=AT)
    engine = open_database(sqlite_url(path))
    engine.dispose()

    assert kept == tmp_path / "orders.sqlite3.corrupt-20261125-050000"
    assert kept.read_bytes() == b"\x00garbage" * 100
    assert (tmp_path / "orders.sqlite3.corrupt-20261125-050000-wal").read_bytes() == b"wal"
    assert path.read_bytes().startswith(b"SQLite format 3\x00")


def test_headless_with_a_bad_database_says_one_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(name, str(tmp_path / name.lower()))
    bad = tmp_path / "bad.sqlite3"
    bad.write_bytes(b"PK\x03\x04 a zip file, not a database" * 50)

    code = main(["--headless", "--db", sqlite_url(bad)])

    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1
    assert err.startswith("trader-gui: cannot open the database: the file ")
    assert "move it aside" in err
    assert "Traceback" not in err


# ---- a second program on the same file ---------------------------------------------------------


def test_a_second_instance_on_the_same_file_is_refused_until_the_first_closes(
    tmp_path: Path,
) -> None:
    url = sqlite_url(tmp_path / "orders.sqlite3")
    first = open_database(url, single_instance=True)

    with pytest.raises(DatabaseInUseError) as refused:
        open_database(url, single_instance=True)
    first.dispose()
    again = open_database(url, single_instance=True)
    again.dispose()

    sentence = str(refused.value)
    assert "already running" in sentence
    assert f"pid {os.getpid()}" in sentence
    assert "--db" in sentence


def test_one_shot_commands_still_open_the_file_of_a_running_program(tmp_path: Path) -> None:
    """The kill switch must be settable from another terminal while the window runs."""
    url = sqlite_url(tmp_path / "orders.sqlite3")
    running = open_database(url, single_instance=True)
    try:
        command = OrderRepository(open_database(url))
        command.set_kill_switch("PAPER", True, by="terminal", reason="from the shell", at=AT)
        command.close()
    finally:
        running.dispose()


def test_build_runtime_takes_the_lock(tmp_path: Path) -> None:
    paths = AppPaths.under(tmp_path)
    settings = Settings(daily_loss_limit=None)
    first = build_runtime(settings, paths, LaunchOptions())
    try:
        with pytest.raises(DatabaseInUseError):
            build_runtime(settings, paths, LaunchOptions())
    finally:
        first._release()


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the instance lock, as a running window would."""
    script = (
        "import sys\n"
        "from trader_gui.persistence.database import open_database\n"
        "engine = open_database(sys.argv[1], single_instance=True)\n"
        "print('LOCKED', flush=True)\n"
        "sys.stdin.read()\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script, sqlite_url(tmp_path / "orders.sqlite3")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=PROJECT_ROOT,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "LOCKED"
    yield process
    if process.poll() is None:
        process.kill()
    process.wait(30)
    for stream in (process.stdin, process.stdout):
        if stream is not None:
            stream.close()


def test_a_killed_program_leaves_no_stale_lock(
    tmp_path: Path, holder: subprocess.Popen[str]
) -> None:
    url = sqlite_url(tmp_path / "orders.sqlite3")
    with pytest.raises(DatabaseInUseError, match=f"pid {holder.pid}"):
        open_database(url, single_instance=True)

    holder.send_signal(signal.SIGKILL)
    holder.wait(30)
    engine = open_database(url, single_instance=True)
    engine.dispose()


def test_a_database_error_is_one_line_without_the_sql(tmp_path: Path) -> None:
    folder = tmp_path / "a-folder.sqlite3"
    folder.mkdir()

    with pytest.raises(DatabaseError) as refused:
        open_database(sqlite_url(folder))

    assert "\n" not in str(refused.value)
    assert "[SQL" not in str(refused.value)


def test_a_malformed_url_is_refused_without_echoing_its_password() -> None:
    with pytest.raises(DatabaseError) as refused:
        open_database("postgres ql://trader:Hunter2-secret@@db/orders")

    assert "not a database URL" in str(refused.value)
    assert "Hunter2-secret" not in str(refused.value)
