"""Keeping the counter lookup index right during a large student import, in bulk.

On SQLite the lookup index's per-row triggers (migration 0002) cost as much as the rest of a
new student's insert. After the first chunk of an import has opened the write transaction, the
triggers are dropped *inside that transaction*, the remaining rows inserted, the new rows indexed
with two set-based statements, and the triggers recreated from their stored definitions. It is
all one transaction: a rollback (a dry run, an error, a crash) restores the triggers with
everything else, and no other desk ever sees the table without them. PostgreSQL keeps its
trigger (disabling it would lock the table against every desk for the whole import).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlmodel import Session

from recordsdesk.services.lookup.index import (
    NAME_COLUMNS,
    NAME_TERM_TABLE,
    STUDENT_TABLE,
    SuspendedIndex,
    sqlite_index_rows,
    suspend_index,
)


def _run(connection: sqlite3.Connection, sql: str, params: tuple[Any, ...] = ()) -> None:
    cursor = connection.cursor()
    try:
        cursor.execute(sql, params)
    finally:
        cursor.close()


class DeferredNameIndex:
    """`suspend(after_id)` once rows up to `after_id` are written; `finish()` indexes the rows
    after it and puts the triggers back. Both do nothing where deferring is not safe."""

    def __init__(self, session: Session) -> None:
        raw = session.connection().connection.dbapi_connection
        self.connection = raw if isinstance(raw, sqlite3.Connection) else None
        self.suspended: SuspendedIndex | None = None
        self.after_id = 0

    def suspend(self, after_id: int) -> None:
        connection = self.connection
        # Only inside an open transaction: outside one, DROP TRIGGER would commit on its own.
        if connection is None or not connection.in_transaction or self.suspended is not None:
            return
        self.suspended = suspend_index(connection)
        self.after_id = after_id

    def finish(self) -> None:
        connection, suspended = self.connection, self.suspended
        if connection is None or suspended is None:
            return
        sqlite_index_rows(connection, self.after_id)
        names = " UNION ".join(
            f"SELECT {c} AS v FROM {STUDENT_TABLE} WHERE id > ?" for c in NAME_COLUMNS
        )
        _run(
            connection,
            f"INSERT OR IGNORE INTO {NAME_TERM_TABLE}(value) "
            f"SELECT v FROM ({names}) AS names WHERE v <> ''",
            (self.after_id,) * len(NAME_COLUMNS),
        )
        for sql in suspended.dropped:
            _run(connection, sql)
        self.suspended = None
