"""Core statements run on the DBAPI cursor: for the few statements of the busiest path.

SQLAlchemy's execute costs about 13 µs of Python per statement over the driver's own
(execution context, parameter processing, result set-up, events); the ticket route runs
most of its statements this way instead. The statement is still written with SQLAlchemy
and compiled once per dialect, with its types' bind processors (SQLite's datetimes and
JSON, PostgreSQL's JSON) applied to the values as SQLAlchemy would; a driver error is
raised as SQLAlchemy's own (an IntegrityError is sqlalchemy.exc.IntegrityError), so
callers handle both kinds of execution alike. Only plain statements qualify: no Python
column defaults to fill in, no expanding or literal-execute parameters.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import exc
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql import ClauseElement

_Processors = dict[str, Callable[[Any], Any]]


class _Compiled:
    __slots__ = ("sql", "names", "processors", "defaults", "record", "readers")

    def __init__(self, sql: str, names: Sequence[str] | None, processors: _Processors,
                 defaults: dict[str, Any], result_columns: Sequence[Any], dialect: Dialect):
        self.sql, self.names, self.processors = sql, names, processors
        self.defaults = defaults  # the values written into the statement (.values(x=1))
        # a row as a named tuple, with its columns' result processing (SQLite's datetimes
        # and JSON: text), as SQLAlchemy's Row would give them
        self.record: Any = (namedtuple("Record", [c.keyname for c in result_columns])
                            if result_columns else None)
        readers = [c.type._cached_result_processor(dialect, None) for c in result_columns]
        self.readers = [(index, read) for index, read in enumerate(readers) if read]


class RawStatement:
    """statement, run on the connection's DBAPI cursor in its current transaction.

    columns: the keys an INSERT's values are given by (its compiled column list)."""

    def __init__(self, statement: ClauseElement, columns: Sequence[str] | None = None):
        self.statement, self.columns = statement, list(columns) if columns else None
        self._compiled: dict[Any, _Compiled] = {}

    def _for(self, dialect: Dialect) -> _Compiled:
        compiled = self._compiled.get(dialect)
        if compiled is None:
            done: Any = self.statement.compile(dialect=dialect, column_keys=self.columns)
            if (getattr(done, "insert_prefetch", None) or done.literal_execute_params
                    or done.post_compile_params):
                raise ValueError("not a plain statement: defaults or expanding parameters")
            names = list(done.positiontup) if done.positional else None
            defaults = {name: bind.value for bind, name in done.bind_names.items()
                        if not bind.required and bind.callable is None}
            compiled = self._compiled[dialect] = _Compiled(
                done.string, names, dict(done._bind_processors), defaults,
                done._result_columns, dialect)
        return compiled

    def execute(self, connection: Connection, params: dict[str, Any]) -> Any:
        """The DBAPI cursor after running the statement with params (SQLAlchemy's error
        classes on failure)."""
        dialect = connection.dialect
        compiled = self._for(dialect)
        if compiled.defaults:
            params = {**compiled.defaults, **params}
        if compiled.processors:
            params = dict(params)
            for name, process in compiled.processors.items():
                if name in params:
                    params[name] = process(params[name])
        values: Any = (params if compiled.names is None
                       else tuple(params[name] for name in compiled.names))
        raw = connection.connection.dbapi_connection
        assert raw is not None  # the connection is open: the caller's transaction is on it
        cursor = raw.cursor()
        try:
            cursor.execute(compiled.sql, values)
        except dialect.loaded_dbapi.Error as error:
            cursor.close()
            raise exc.DBAPIError.instance(compiled.sql, values, error,
                                          dialect.loaded_dbapi.Error,
                                          dialect=dialect) from error
        return cursor

    def scalar(self, connection: Connection, params: dict[str, Any]) -> Any:
        """The first column of the first row (None without a row)."""
        cursor = self.execute(connection, params)
        try:
            row = cursor.fetchone()
        finally:
            cursor.close()
        return None if row is None else row[0]

    def record(self, connection: Connection, params: dict[str, Any]) -> Any:
        """The first row as a named tuple of its labelled columns, read as SQLAlchemy
        would read them (None without a row): a select's row without a Result's set-up
        (its description read, processors looked up, a Row made) per execution."""
        cursor = self.execute(connection, params)
        try:
            row = cursor.fetchone()
        finally:
            cursor.close()
        if row is None:
            return None
        compiled = self._for(connection.dialect)
        if compiled.readers:
            row = list(row)
            for index, read in compiled.readers:
                if row[index] is not None:
                    row[index] = read(row[index])
        return compiled.record._make(row)

    def rows(self, connection: Connection, params: dict[str, Any]) -> list[Any]:
        """Every row, as the driver returns them (tuples): for columns without result
        processing (integers, text)."""
        cursor = self.execute(connection, params)
        try:
            return list(cursor.fetchall())
        finally:
            cursor.close()

    def run(self, connection: Connection, params: dict[str, Any]) -> None:
        """Execute, no result."""
        self.execute(connection, params).close()
