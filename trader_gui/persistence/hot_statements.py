"""The order path's few statements run on the DB-API cursor, with SQLAlchemy's SQL and types.

Why: through Core each execution pays for a cache key, an execution context and a result
object, about as much again as the driver's own `cursor.execute` of the same SQL, and an
order makes nine such statements in steps 1-5. Here each statement is compiled once per
dialect and set of parameter keys by SQLAlchemy itself, as Core compiles it, and every value
goes through the bind and result processors SQLAlchemy takes for its type (so Money and
UtcDateTime convert by exactly the code Core runs): only the execution is the driver's.

It runs on the SQLAlchemy connection's own DB-API connection, inside whatever transaction or
savepoint that connection is in (beginning one as Core's autobegin would), and a driver error
reaches the caller through SQLAlchemy's own error handling: the same exception class
(`IntegrityError` for a repeated key), the same invalidation of a dropped connection.

Core runs the statement instead on a driver not checked against Core by the tests (only
pysqlite and psycopg are), on a SQLAlchemy without the internals used here (`INTERNALS`), and
whenever something listens to Core's execution (statement echo, cursor or execute events, as
the tests' storage faults do), so nothing hooked is bypassed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import ClauseElement, Connection, Dialect
from sqlalchemy.sql import Executable
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.types import TypeEngine

DRIVERS = frozenset({"pysqlite", "psycopg"})
"""The DB-API drivers the tests compare against Core, value by value."""

INTERNALS = (
    (Connection, ("_handle_dbapi_exception", "_has_events")),
    (SQLCompiler, ("_bind_processors", "escaped_bind_names", "positiontup")),
    (TypeEngine, ("_cached_result_processor",)),
)
"""SQLAlchemy's own parts used here (each compiled statement's `_result_columns` too): a
version without them runs everything through Core instead of failing an order."""

Processor = Callable[[Any], Any]
"""A type's bind or result processor, as SQLAlchemy makes it for the dialect."""


class Unsupported(Exception):
    """The statement needs something Core does at execution time (Python-side defaults,
    expanding or post-compile parameters): it runs through Core."""


@dataclass(slots=True)
class _Bind:
    """One parameter of the compiled SQL: taken from the caller's key, or a constant of the
    statement itself (e.g. `status = 'SENT_TO_BROKER'`), through its bind processor."""

    name: str
    key: str | None
    """The caller's parameter; None: the statement's own value, `constant`."""
    constant: Any
    """Already through the processor."""
    processor: Processor | None


@dataclass(slots=True)
class _Prepared:
    """One statement compiled for one dialect and one set of parameter keys."""

    sql: str
    binds: tuple[_Bind, ...]
    positional: bool
    """Arguments as a sequence in `binds`' order; else a dict keyed by `names`."""
    names: tuple[str, ...]
    keys: tuple[str, ...]
    """The result's column keys, in order (empty when it returns no rows)."""
    types: tuple[Any, ...]
    result_processors: list[Processor | None] | None = field(default=None)
    """Taken from the first result's description (PostgreSQL's numeric processor depends on
    the column's type code), then kept, as Core keeps a compiled statement's metadata."""


class HotStatements:
    """Runs statements built once (module constants) on the driver where it can, else Core.

    Results come back as plain dicts keyed like Core's `row._mapping`.
    """

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self.on_driver = (
            dialect.driver in DRIVERS
            and not dialect.is_async
            and all(hasattr(owner, name) for owner, names in INTERNALS for name in names)
        )
        """False: every statement runs through Core."""
        self._prepared: dict[tuple[int, tuple[str, ...]], _Prepared | None] = {}
        self._statements: dict[int, Executable] = {}
        """Keeps each statement alive while its id keys `_prepared`."""
        self._lock = threading.Lock()

    def execute(
        self, connection: Connection, statement: Executable, parameters: Mapping[str, Any]
    ) -> None:
        """Run a statement whose rows, if any, nobody reads."""
        prepared = self._for(connection, statement, parameters)
        if prepared is None:
            connection.execute(statement, parameters)
            return
        self._run(connection, prepared, parameters, rows=0)

    def first(
        self, connection: Connection, statement: Executable, parameters: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        """The first row, or None."""
        prepared = self._for(connection, statement, parameters)
        if prepared is None:
            row = connection.execute(statement, parameters).first()
            return dict(row._mapping) if row is not None else None
        rows = self._run(connection, prepared, parameters, rows=1)
        return rows[0] if rows else None

    def all(
        self, connection: Connection, statement: Executable, parameters: Mapping[str, Any]
    ) -> list[dict[str, Any]]:
        """Every row."""
        prepared = self._for(connection, statement, parameters)
        if prepared is None:
            return [dict(row._mapping) for row in connection.execute(statement, parameters)]
        return self._run(connection, prepared, parameters, rows=None)

    # ---- preparing ------------------------------------------------------------------------

    def _for(
        self, connection: Connection, statement: Executable, parameters: Mapping[str, Any]
    ) -> _Prepared | None:
        """The prepared form of the statement for these keys; None: run it through Core."""
        if not self.on_driver or not _plain(connection):
            return None
        cache_key = (id(statement), tuple(sorted(parameters)))
        try:
            return self._prepared[cache_key]
        except KeyError:
            pass
        try:
            prepared: _Prepared | None = _prepare(statement, cache_key[1], self.dialect)
        except Unsupported:
            prepared = None
        with self._lock:
            self._statements[id(statement)] = statement
            self._prepared[cache_key] = prepared
        return prepared

    # ---- running ----------------------------------------------------------------------------

    def _run(
        self,
        connection: Connection,
        prepared: _Prepared,
        parameters: Mapping[str, Any],
        *,
        rows: int | None,
    ) -> list[dict[str, Any]]:
        if not connection.in_transaction():
            connection.begin()  # as Core's autobegin: the caller's block ends it
        dbapi_connection = connection.connection.dbapi_connection
        assert dbapi_connection is not None
        cursor = None
        arguments: Any = parameters
        try:
            arguments = _arguments(prepared, parameters, self.dialect)
            cursor = dbapi_connection.cursor()
            cursor.execute(prepared.sql, arguments)
            if not prepared.keys or rows == 0:
                return []
            fetched = cursor.fetchall() if rows is None else cursor.fetchmany(rows)
            if not fetched:
                return []
            processors = prepared.result_processors
            if processors is None:
                processors = prepared.result_processors = self._result_processors(
                    prepared, cursor.description
                )
            keys = prepared.keys
            return [
                dict(
                    zip(
                        keys,
                        [
                            value if process is None else process(value)
                            for process, value in zip(processors, row, strict=True)
                        ],
                        strict=True,
                    )
                )
                for row in fetched
            ]
        except BaseException as error:
            # SQLAlchemy's own handling: wrapped as Core wraps it, a dropped connection
            # invalidated, the cursor closed; always raises
            connection._handle_dbapi_exception(error, prepared.sql, arguments, cursor, None)
            raise  # not reached
        finally:
            if cursor is not None:
                cursor.close()

    def _result_processors(self, prepared: _Prepared, description: Any) -> list[Processor | None]:
        """As Core's result metadata matches an ordered select: by position, each type's
        processor for the type code the driver reports."""
        if description is None or len(description) != len(prepared.types):
            # the statement has run: too late for Core, and running it again could repeat a
            # write; the caller's transaction rolls it back
            raise RuntimeError(f"the result does not match the compiled columns: {prepared.sql}")
        return [
            type_._cached_result_processor(self.dialect, column[1])
            for type_, column in zip(prepared.types, description, strict=True)
        ]


def _plain(connection: Connection) -> bool:
    """Nothing listens to Core's execution on this connection, and its transaction, if any,
    is usable (else Core runs the statement, and raises as it does)."""
    # A listener on the connection (or its class) marks it `_has_events`; without one, its
    # events are its engine's, whose long-lived dispatch is cheaper to ask.
    dispatch = connection.dispatch if connection._has_events else connection.engine.dispatch
    if (
        getattr(connection, "_echo", True)
        or dispatch.before_execute
        or dispatch.after_execute
        or dispatch.before_cursor_execute
        or dispatch.after_cursor_execute
        or connection.dialect.dispatch.do_execute
    ):
        return False
    transaction = connection.get_nested_transaction() or connection.get_transaction()
    return transaction is None or transaction.is_active


def _prepare(statement: Executable, keys: Sequence[str], dialect: Dialect) -> _Prepared:
    """Compile as Core does for one execution with these keys, and take its processors."""
    assert isinstance(statement, ClauseElement)
    compiled = statement.compile(dialect=dialect, column_keys=list(keys))
    assert isinstance(compiled, SQLCompiler)
    if (
        compiled.insert_prefetch
        or compiled.update_prefetch
        or compiled.literal_execute_params
        or compiled.post_compile_params
        or compiled.schema_translate_map
    ):
        raise Unsupported("needs Core at execution time")
    processors = cast(Mapping[str, Processor], compiled._bind_processors)
    given = set(keys)
    by_name: dict[str, _Bind] = {}
    for bind, name in compiled.bind_names.items():
        # as Core's construct_params: the bind's key, else its name, else its own value
        key = bind.key if bind.key in given else name if name in given else None
        if key is None and (bind.callable is not None or bind.required):
            raise Unsupported(f"parameter {bind.key!r} has no value")
        processor = processors.get(name)
        constant = None
        if key is None:
            constant = bind.value if processor is None else processor(bind.value)
        sql_name = compiled.escaped_bind_names.get(name, name)
        by_name[name] = _Bind(sql_name, key, constant, processor)
    if compiled.positional:
        assert compiled.positiontup is not None
        binds = tuple(by_name[name] for name in compiled.positiontup)
    else:
        binds = tuple(by_name.values())
    columns = getattr(compiled, "_result_columns", None)
    if columns is None:
        raise Unsupported("this SQLAlchemy does not say the result's columns")
    return _Prepared(
        sql=compiled.string,
        binds=binds,
        positional=compiled.positional,
        names=tuple(bind.name for bind in binds),
        keys=tuple(column.keyname for column in columns),
        types=tuple(column.type for column in columns),
    )


def _arguments(
    prepared: _Prepared, parameters: Mapping[str, Any], dialect: Dialect
) -> Sequence[Any] | dict[str, Any]:
    """The DB-API arguments: each value through its type's bind processor, as Core's."""
    values = [
        bind.constant
        if bind.key is None
        else parameters[bind.key]
        if bind.processor is None
        else bind.processor(parameters[bind.key])
        for bind in prepared.binds
    ]
    if prepared.positional:
        return dialect.execute_sequence_format(values)
    return dict(zip(prepared.names, values, strict=True))
