"""A database that turns read-only or full on demand, through SQLite's own errors.

Read-only is SQLite's `PRAGMA query_only`; a full disk is SQLite's own "database or disk is
full" error, raised for every write statement.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.exc import OperationalError


class StorageFault:
    """Makes one engine's SQLite database read-only or full, and well again, on demand."""

    WRITES = ("INSERT", "UPDATE", "DELETE")

    def __init__(self, engine: Engine) -> None:
        self.mode: str | None = None
        self.writes_before_full: int | None = None
        event.listen(engine, "checkout", self._on_checkout)
        event.listen(engine, "before_cursor_execute", self._before_execute)

    def read_only(self) -> None:
        self.mode = "read-only"

    def full(self, *, after_writes: int | None = None) -> None:
        """The disk fills now, or after `after_writes` more write statements."""
        self.mode = "full"
        self.writes_before_full = after_writes

    def recover(self) -> None:
        self.mode = None

    def _on_checkout(self, dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        flag = 1 if self.mode == "read-only" else 0
        dbapi_connection.execute(f"PRAGMA query_only={flag}")

    def _before_execute(
        self, _conn: Any, _cursor: Any, statement: str, params: Any, *_rest: Any
    ) -> None:
        if self.mode != "full" or not statement.lstrip().upper().startswith(self.WRITES):
            return
        if self.writes_before_full:
            self.writes_before_full -= 1
            return
        raise OperationalError(
            statement, params, sqlite3.OperationalError("database or disk is full")
        )
