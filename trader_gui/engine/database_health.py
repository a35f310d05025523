"""Telling a database failure apart from a broker failure, in the driver's own words.

When the disk fills or the database file turns read-only, a poll fails on its write after
the broker answered. Shown as a broker disconnect it would send the trader to the wrong
place; it is shown as the database failing instead, with what SQLite or the OS said
("database or disk is full", "attempt to write a readonly database") and never the SQL.
The broker's book stays the source of truth: the next good poll reads it again and writes
whatever changed meanwhile, so nothing is lost.
"""

from __future__ import annotations

import sqlite3

from sqlalchemy.exc import SQLAlchemyError


def is_database_error(error: BaseException) -> bool:
    return isinstance(error, SQLAlchemyError | sqlite3.Error)


def database_reason(error: BaseException) -> str:
    """The driver's first line ("database or disk is full"), without SQLAlchemy's SQL dump."""
    original = getattr(error, "orig", None) or error
    lines = str(original).strip().splitlines()
    return lines[0] if lines and lines[0] else type(original).__name__


def failing_sentence(reason: str) -> str:
    return (
        f"The database cannot be used ({reason}). New orders are refused before they reach "
        "the broker; orders already at the broker are still watched and are recorded as soon "
        "as the database can be written again. Free disk space or fix the file's permissions."
    )


def recovered_sentence() -> str:
    return "The database can be written again: the broker's order book has been recorded."
