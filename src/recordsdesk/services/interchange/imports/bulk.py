"""Multi-row INSERTs straight to the driver, for imports of 100,000 rows.

SQLAlchemy's executemany builds and type-processes a parameter dict per row; at this scale that
costs more than the database's own work. Here the statement is written once, each column's
bind processor (how SQLAlchemy stores a datetime in SQLite, say) is looked up once, and rows go
to the driver as tuples, in the caller's transaction. The values stored are the ones the ORM
would store: the same processors convert them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, text
from sqlmodel import Session


def insert_rows(
    session: Session, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """INSERT `rows` (tuples in `columns` order) into `table` with one executemany."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    quote = dialect.identifier_preparer.quote
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    sql = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) "
        f"VALUES ({', '.join(mark for _ in columns)})"
    )
    processors = [table.c[c].type._cached_bind_processor(dialect) for c in columns]
    active = [(i, proc) for i, proc in enumerate(processors) if proc is not None]
    if not active:
        converted = [tuple(row) for row in rows]
    else:
        # Dates and timestamps repeat (one import time, a few thousand birth dates): convert
        # each distinct value once.
        caches: list[dict[Any, Any]] = [{} for _ in active]
        converted = []
        for row in rows:
            values = list(row)
            for (i, proc), cache in zip(active, caches, strict=True):
                value = values[i]
                if value is not None:
                    done = cache.get(value)
                    if done is None:
                        done = cache[value] = proc(value)
                    values[i] = done
            converted.append(tuple(values))
    connection.exec_driver_sql(sql, converted)


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
