"""Hot-path SQL run straight through the session's own driver connection.

The grade-entry keystroke path and the transcript builder run a handful of fixed statements per
call; SQLAlchemy's statement construction, compilation-cache lookup and row processing cost
10-20 times what SQLite itself spends on them. A `Statement` is written once as SQL text with
`:name` parameters and runs on `session.connection()`, inside the session's transaction (so
commit, rollback and the audit-in-the-same-transaction rule are unchanged).

Values still go through SQLAlchemy's own type processors for the columns named in `binds` and
`results`, so a timestamp or date is stored and read back exactly as the ORM stores it on each
engine (for example UTC text without an offset on SQLite, timestamptz on PostgreSQL).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Column, Connection, Dialect
from sqlmodel import Session

Processor = Callable[[Any], Any]
Prepared = tuple[str, dict[str, Processor], list[Processor | None]]
_PARAM = re.compile(r"(?<![:\w]):(\w+)")


class Statement:
    """One fixed SQL statement; per dialect its driver text and processors are prepared once."""

    def __init__(
        self,
        sql: str,
        *,
        binds: Mapping[str, Column[Any]] | None = None,
        results: Sequence[Column[Any] | None] = (),
    ) -> None:
        self.sql = sql
        self.binds = dict(binds or {})
        self.results = tuple(results)
        self._prepared: dict[str, Prepared] = {}

    def _prepare(
        self, dialect: Dialect
    ) -> tuple[str, dict[str, Processor], list[Processor | None]]:
        found = self._prepared.get(dialect.name)
        if found is None:
            if dialect.name == "sqlite":  # the sqlite3 module takes :name natively
                text = self.sql
            elif dialect.name == "postgresql":  # psycopg takes %(name)s
                text = _PARAM.sub(r"%(\1)s", self.sql.replace("%", "%%"))
            else:  # pragma: no cover - the desk supports SQLite and PostgreSQL only
                raise NotImplementedError(f"database {dialect.name}")
            binds: dict[str, Processor] = {}
            for name, column in self.binds.items():
                processor = column.type._cached_bind_processor(dialect)
                if processor is not None:
                    binds[name] = processor
            results: list[Processor | None] = [
                None if c is None else c.type._cached_result_processor(dialect, None)
                for c in self.results
            ]
            prepared = (text, binds, results)
            self._prepared[dialect.name] = prepared
            return prepared
        return found

    def _run(self, session: Session, params: Mapping[str, Any] | None) -> Any:
        return self._execute(session.connection(), params)

    def _execute(self, connection: Connection, params: Mapping[str, Any] | None) -> Any:
        text, binds, _ = self._prepare(connection.dialect)
        values = dict(params or {})
        for name, processor in binds.items():
            if name in values:
                values[name] = processor(values[name])
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        cursor.execute(text, values)
        return cursor

    def rows(self, session: Session, params: Mapping[str, Any] | None = None) -> list[Any]:
        """Every row as a tuple, result processors applied to the columns named in `results`."""
        return self.rows_on(session.connection(), params)

    def rows_on(self, connection: Connection, params: Mapping[str, Any] | None = None) -> list[Any]:
        """As `rows`, on the connection a caller already took from its session
        (`session.connection()`): a builder running several statements asks the session once,
        which costs more than SQLite's own work for a short statement."""
        cursor = self._execute(connection, params)
        try:
            fetched = cursor.fetchall()
        finally:
            cursor.close()
        processors = self._prepare(connection.dialect)[2]
        pairs = [(i, p) for i, p in enumerate(processors) if p is not None]
        if not pairs:
            return fetched  # type: ignore[no-any-return]
        out = []
        for row in fetched:
            values = list(row)
            for index, processor in pairs:
                values[index] = processor(values[index])
            out.append(tuple(values))
        return out

    def driver_rows(self, session: Session, params: Mapping[str, Any] | None = None) -> list[Any]:
        """Every row exactly as the driver returns it, no `results` processors applied: for a
        hot loop over many rows that converts its few typed values itself (see `processor`)."""
        cursor = self._run(session, params)
        try:
            return cursor.fetchall()  # type: ignore[no-any-return]
        finally:
            cursor.close()

    def processor(self, session: Session, index: int) -> Processor | None:
        """The result processor `rows` applies to column `index` on this session's database
        (None when the driver's value is already the Python value)."""
        processors = self._prepare(session.connection().dialect)[2]
        return processors[index] if index < len(processors) else None

    def first(self, session: Session, params: Mapping[str, Any] | None = None) -> Any:
        found = self.rows(session, params)
        return found[0] if found else None

    def execute(self, session: Session, params: Mapping[str, Any] | None = None) -> int:
        """Run a write; returns the driver's rowcount."""
        cursor = self._run(session, params)
        try:
            return int(cursor.rowcount)
        finally:
            cursor.close()


def driver_rows(connection: Any, sql: str) -> list[tuple[Any, ...]]:
    """Run `sql` on a DBAPI connection (sqlite3's or psycopg's) and return its rows, if any:
    for the bulk loaders' schema work (dropping and restoring triggers) outside SQLAlchemy."""
    cursor = connection.cursor()
    try:
        cursor.execute(sql)
        return list(cursor.fetchall()) if cursor.description else []
    finally:
        cursor.close()
