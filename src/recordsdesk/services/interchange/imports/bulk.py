"""Multi-row INSERTs straight to the driver (COPY on PostgreSQL), for imports of 100,000 rows.

SQLAlchemy's executemany builds and type-processes a parameter dict per row; at this scale that
costs more than the database's own work. Here the statement is written once, each column's
bind processor (how SQLAlchemy stores a datetime in SQLite, say) is looked up once, and rows go
to the driver as tuples, in the caller's transaction. The values stored are the ones the ORM
would store: the same processors convert them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from itertools import chain
from typing import Any

from sqlalchemy import Dialect, Table, text
from sqlmodel import Session

#: Rows in one multi-row INSERT on SQLite (fewer where its limit on parameters says so).
_ROWS_PER_STATEMENT = 200


def placeholder(dialect: Dialect) -> str:
    """The driver's own parameter marker, for SQL sent past SQLAlchemy: `?` for sqlite3, `%s`
    for psycopg."""
    return "?" if dialect.paramstyle == "qmark" else "%s"


def insert_rows(
    session: Session,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    converted: bool = False,
) -> None:
    """INSERT `rows` (tuples in `columns` order) into `table`: multi-row INSERTs in one
    executemany, or on PostgreSQL one COPY. `converted`: the rows came from `convert_rows`
    already."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    ready = rows if converted else _converted(dialect, table, columns, rows)
    if dialect.name == "postgresql":
        _copy(session, table.name, columns, ready)
        return
    quote = dialect.identifier_preparer.quote
    mark = placeholder(dialect)
    head = f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) VALUES "
    one = f"({', '.join(mark for _ in columns)})"
    # Many rows a statement: SQLite runs a statement's one-time work (the CHECK constraints'
    # IN lists, say) per execution, so row-per-execution pays it for every row.
    driver: Any = connection.connection.dbapi_connection  # a sqlite3 Connection
    limit = driver.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    per = max(1, min(_ROWS_PER_STATEMENT, limit // len(columns)))
    whole = len(ready) - len(ready) % per
    if whole and per > 1:
        sql = head + ", ".join(one for _ in range(per))
        flat = chain.from_iterable
        connection.exec_driver_sql(
            sql, [tuple(flat(ready[i : i + per])) for i in range(0, whole, per)]
        )
    else:
        whole = 0
    if whole < len(ready):
        connection.exec_driver_sql(head + one, ready[whole:])


def convert_rows(
    session: Session, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> list[tuple[Any, ...]]:
    """`rows` as the driver takes them, for `insert_rows(..., converted=True)`: done before
    the write lock, the conversion does not lengthen the write phase."""
    return _converted(session.connection().dialect, table, columns, rows)


def _converted(
    dialect: Dialect, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> list[tuple[Any, ...]]:
    """The rows as the driver takes them: each column's bind processor applied."""
    processors = [table.c[c].type._cached_bind_processor(dialect) for c in columns]
    active = [(i, proc) for i, proc in enumerate(processors) if proc is not None]
    if not active or not rows:
        return [tuple(row) for row in rows]
    # Column by column: dates and timestamps repeat (one import time, a few thousand birth
    # dates), so each distinct value of a column is converted once (the first of equal ones,
    # as a cache would), and the rows are taken apart and put together again by zip (no
    # Python loop over every cell).
    table_columns = list(zip(*rows, strict=True))
    for i, proc in active:
        values = table_columns[i]
        done = {v: None if v is None else proc(v) for v in dict.fromkeys(values)}
        table_columns[i] = tuple(map(done.__getitem__, values))
    return list(zip(*table_columns, strict=True))


def _copy(session: Session, table: str, columns: Sequence[str], rows: Iterable[Any]) -> None:
    """PostgreSQL: COPY `rows` into `table` on the session's own connection (its transaction)."""
    raw: Any = session.connection().connection.dbapi_connection  # a psycopg Connection
    names = ", ".join(f'"{c}"' for c in columns)
    with raw.cursor() as cursor, cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(row)


def can_stage(session: Session) -> bool:
    """PostgreSQL: whether this connection may make temporary tables (`db grants` gives a desk
    role the right; a role without it imports by COPY under the lock instead)."""
    query = text("SELECT has_database_privilege(current_database(), 'TEMPORARY')")
    return bool(session.execute(query).scalar())


def stage_rows(
    session: Session, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> str:
    """PostgreSQL: COPY `rows` into a temporary table shaped like `table`, private to this
    session and dropped at the transaction's end, and return its name. Done before the write
    lock is taken, so the write phase moves them with one `insert_staged`."""
    staging = f"staging_{table.name}"
    session.execute(
        text(
            f'CREATE TEMPORARY TABLE IF NOT EXISTS "{staging}" '
            f'(LIKE "{table.name}" INCLUDING DEFAULTS) ON COMMIT DROP'
        )
    )
    session.execute(text(f'TRUNCATE "{staging}"'))
    dialect = session.connection().dialect
    _copy(session, staging, columns, _converted(dialect, table, columns, rows))
    return staging


def insert_staged(session: Session, table: Table, staging: str, columns: Sequence[str]) -> None:
    """INSERT ... SELECT the rows `stage_rows` staged into `table`, in one statement."""
    names = ", ".join(f'"{c}"' for c in columns)
    session.execute(
        text(f'INSERT INTO "{table.name}" ({names}) SELECT {names} FROM "{staging}" ORDER BY id')
    )


def new_ids(session: Session, table: str, count: int) -> list[int]:
    """`count` ids for new rows of `table`, to insert them with ids known up front. PostgreSQL
    draws them from the table's sequence; SQLite takes the next ones after the largest, so the
    caller must already hold the write lock (`audit.hold_chain_lock`)."""
    if count <= 0:
        return []
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        query = text(
            f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, :n)"
        )
        return [int(r[0]) for r in session.execute(query, {"n": count})]
    first = int(
        session.execute(text(f"SELECT coalesce(max(id), 0) + 1 FROM {table}")).scalar() or 1
    )
    return list(range(first, first + count))
