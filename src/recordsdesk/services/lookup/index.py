"""The counter lookup index (migrations 0002 and 0004), suspended for bulk loads and rebuilt in
one pass.

Migration 0002 keeps the index in step with `student` by per-row triggers: on SQLite an FTS5
table plus `name_term`, on PostgreSQL a trigger that keeps `name_term`. Row by row that is the
slowest part of loading a million students, so a bulk loader (the demo builder) drops or
disables the triggers, loads, and rebuilds the index in one pass with the same contents the
triggers would have written. This module is the one place outside the migration that knows the
index's object names and the text its SQLite triggers index (0004: the first, last and preferred
names in `main`, middle and former names in `other`, each name holding an apostrophe or hyphen
also without it); tests/test_lookup_index.py checks they match what the migrations make.

The functions take a DBAPI connection (sqlite3 or psycopg) because bulk loaders work below the
ORM; they do not commit: the caller ends the transaction.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from recordsdesk.services.shared.rawsql import driver_rows

STUDENT_TABLE = "student"
NAME_COLUMNS = (
    "legal_first_name",
    "legal_middle_name",
    "legal_last_name",
    "preferred_name",
    "former_names",
)
MAIN_COLUMNS = ("legal_first_name", "legal_last_name", "preferred_name")
OTHER_COLUMNS = ("legal_middle_name", "former_names")
# Apostrophes (straight and typographic) and hyphens: "O'Connor" is also indexed as "OConnor".
JOINING_MARKS = ("'", "\u2019", "-")
NAME_TERM_TABLE = "name_term"
SQLITE_FTS_TABLE = "student_name_fts"
SQLITE_TRIGGERS = ("student_name_fts_ai", "student_name_fts_ad", "student_name_fts_au")
POSTGRES_TRIGGERS = ("student_name_term",)
# Objects migration 0002 makes that the SQLModel models do not describe. Alembic's autogenerate
# must leave them alone (migrations/env.py), or a new revision would propose dropping the index.
EMAIL_INDEX = "ix_student_email_folded"
NAME_SEARCH_INDEX = "ix_student_name_search"  # PostgreSQL's trigram index (SQLite has FTS5)
UNMODELLED_TABLES = frozenset({NAME_TERM_TABLE, SQLITE_FTS_TABLE})
UNMODELLED_INDEXES = frozenset({EMAIL_INDEX, NAME_SEARCH_INDEX})


def unmodelled_objects(dialect: str) -> tuple[frozenset[str], frozenset[str]]:
    """The tables and indexes outside the models that a database of this dialect has at head."""
    if dialect == "sqlite":
        return UNMODELLED_TABLES, frozenset({EMAIL_INDEX})
    return frozenset({NAME_TERM_TABLE}), UNMODELLED_INDEXES


def is_unmodelled(name: str, type_: str) -> bool:
    """Whether a reflected table or index is one of the lookup index's own (FTS5 shadow
    tables included: they are named after their table)."""
    if type_ == "table":
        return name in UNMODELLED_TABLES or name.startswith(f"{SQLITE_FTS_TABLE}_")
    if type_ == "index":
        return name in UNMODELLED_INDEXES
    return False


@dataclass(frozen=True)
class SuspendedIndex:
    """What `suspend_index` turned off, so `rebuild_index` turns exactly that back on.

    On SQLite `dropped` holds the triggers' stored CREATE statements (recreated verbatim); on
    PostgreSQL the names of the triggers that were disabled.
    """

    sqlite: bool
    dropped: tuple[str, ...]


def _names(names: tuple[str, ...]) -> str:
    return ", ".join(f"'{name}'" for name in names)


def suspend_index(connection: Any) -> SuspendedIndex:
    """Stop the per-row index upkeep on `student` until `rebuild_index`.

    Rows written in between are not indexed (the lookup does not find them) until the rebuild.
    """
    if isinstance(connection, sqlite3.Connection):
        triggers = driver_rows(
            connection,
            f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
            f"AND tbl_name = '{STUDENT_TABLE}' AND name IN ({_names(SQLITE_TRIGGERS)}) "
            "ORDER BY name",
        )
        for name, _sql in triggers:
            driver_rows(connection, f'DROP TRIGGER "{name}"')
        return SuspendedIndex(sqlite=True, dropped=tuple(sql for _name, sql in triggers))
    triggers = driver_rows(
        connection,
        f"SELECT tgname FROM pg_trigger WHERE tgrelid = '{STUDENT_TABLE}'::regclass "
        f"AND tgname IN ({_names(POSTGRES_TRIGGERS)}) AND tgenabled <> 'D' ORDER BY tgname",
    )
    for (name,) in triggers:
        driver_rows(connection, f'ALTER TABLE {STUDENT_TABLE} DISABLE TRIGGER "{name}"')
    return SuspendedIndex(sqlite=False, dropped=tuple(name for (name,) in triggers))


def _distinct_names() -> str:
    """Every distinct non-empty name value of the table: what the triggers add per row."""
    parts = " UNION ".join(f"SELECT {column} AS v FROM {STUDENT_TABLE}" for column in NAME_COLUMNS)
    return f"SELECT v FROM ({parts}) AS names WHERE v <> ''"


def _quoted(mark: str) -> str:
    return "'" + mark.replace("'", "''") + "'"


def _with_joined(value: str) -> str:
    """SQL: the name, then (when it holds a joining mark) the name without its marks."""
    joined = value
    for mark in JOINING_MARKS:
        joined = f"replace({joined}, {_quoted(mark)}, '')"
    holds = " OR ".join(f"instr({value}, {_quoted(m)}) > 0" for m in JOINING_MARKS)
    return f"{value} || CASE WHEN {holds} THEN ' ' || {joined} ELSE '' END"


def sqlite_indexed_text(columns: tuple[str, ...], prefix: str = "") -> str:
    """SQL: the text one FTS column indexes for a student row (as migration 0004's triggers)."""
    return " || ' ' || ".join(_with_joined(f"coalesce({prefix}{c}, '')") for c in columns)


def sqlite_index_rows(connection: sqlite3.Connection, after_id: int = 0) -> None:
    """Add the students with an id above `after_id` to the SQLite full-text index, as the
    triggers would (for a loader that suspended them; they must not be indexed already)."""
    connection.execute(
        f"INSERT INTO {SQLITE_FTS_TABLE}(rowid, main, other) SELECT id, "
        f"{sqlite_indexed_text(MAIN_COLUMNS)}, {sqlite_indexed_text(OTHER_COLUMNS)} "
        f"FROM {STUDENT_TABLE} WHERE id > ?",
        (after_id,),
    )


def sqlite_index_segments(connection: sqlite3.Connection) -> int:
    """How many segments the SQLite full-text index is in (each search term is looked up in
    every one)."""
    return int(
        driver_rows(connection, f"SELECT count(DISTINCT segid) FROM {SQLITE_FTS_TABLE}_idx")[0][0]
    )


def merge_sqlite_index(connection: sqlite3.Connection) -> None:
    """Merge the SQLite full-text index into one segment.

    A bulk rebuild writes a segment each time its memory fills (eleven at a million students)
    and the triggers one per transaction (FTS5 merges those a few at a time); merged, every name
    search reads each term's list once (docs/benchmarks.md, "Measurements behind the code").
    """
    driver_rows(
        connection, f"INSERT INTO {SQLITE_FTS_TABLE}({SQLITE_FTS_TABLE}) VALUES ('optimize')"
    )


def rebuild_index(connection: Any, suspended: SuspendedIndex) -> None:
    """Index every student row in one pass, then resume the per-row upkeep.

    The result holds what the triggers would have written row by row: the full-text index of
    every student's names (SQLite) and each distinct non-empty name value in `name_term` (its
    ids follow a different order, which the lookup does not depend on), the SQLite index merged
    into one segment.
    """
    if suspended.sqlite:
        driver_rows(connection, f"DELETE FROM {SQLITE_FTS_TABLE}")
        sqlite_index_rows(connection)
        merge_sqlite_index(connection)
        driver_rows(
            connection, f"INSERT OR IGNORE INTO {NAME_TERM_TABLE}(value) {_distinct_names()}"
        )
        for sql in suspended.dropped:
            driver_rows(connection, sql)
        return
    driver_rows(
        connection,
        f"INSERT INTO {NAME_TERM_TABLE}(value) {_distinct_names()} ON CONFLICT (value) DO NOTHING",
    )
    for name in suspended.dropped:
        driver_rows(connection, f'ALTER TABLE {STUDENT_TABLE} ENABLE TRIGGER "{name}"')
