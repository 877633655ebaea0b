"""Is a backup file a recordsdesk database? Its tables and columns against the schema its
migrations make at the revision it claims.

A version row alone proves nothing: a file holding only `alembic_version` once replaced a live
database and every command failed afterwards. The expected schema is not written down twice:
an empty SQLite database is migrated to the claimed revision in a scratch folder and read back
(cached per revision), and the candidate must have every one of its tables with exactly its
columns. Engine-specific tables of the name index (SQLite's full-text shadow tables) are left
out, so one reference serves SQLite files and PostgreSQL dumps alike.
"""

from __future__ import annotations

import re
import sqlite3
import tempfile
from collections.abc import Mapping
from contextlib import closing
from functools import cache
from pathlib import Path

from recordsdesk.services.shared.errors import RecordsError

#: Tables that only one engine has, or that SQLite keeps for itself.
_ENGINE_OWN = re.compile(r"^(sqlite_|student_name_fts)")
Schema = Mapping[str, frozenset[str]]


class NotOurDatabase(RecordsError):
    """The file is a database, but not one recordsdesk made (or a damaged one)."""


@cache
def expected_schema(revision: str) -> Schema:
    """Tables -> columns of a database the migrations bring to `revision`."""
    from recordsdesk.db import make_engine, upgrade

    with tempfile.TemporaryDirectory(prefix="recordsdesk-schema-") as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'reference.db'}")
        try:
            upgrade(engine, revision)
        finally:
            engine.dispose()
        return sqlite_schema(Path(folder) / "reference.db")


def sqlite_schema(path: Path) -> Schema:
    """Tables -> columns of the SQLite file at `path` (opened read-only)."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as connection:
        names = [
            row[0]
            for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        ]
        return {
            name: frozenset(
                row[1] for row in connection.execute(f'PRAGMA table_info("{name}")').fetchall()
            )
            for name in names
            if not _ENGINE_OWN.match(name)
        }


_CREATE_TABLE = re.compile(r"^CREATE TABLE (?:\w+\.)?\"?(\w+)\"? \($")
_COLUMN = re.compile(r"^\s+\"?(\w+)\"? ")


def pg_schema(script: str) -> Schema:
    """Tables -> columns from the CREATE TABLE statements of a `pg_restore --schema-only`
    script (one column per line, as pg_dump writes them; constraints are separate ALTERs)."""
    tables: dict[str, set[str]] = {}
    current: set[str] | None = None
    for line in script.splitlines():
        if current is None:
            match = _CREATE_TABLE.match(line)
            if match:
                current = tables.setdefault(match.group(1), set())
        elif line.startswith(")"):
            current = None
        else:
            column = _COLUMN.match(line)
            if column and not line.strip().upper().startswith("CONSTRAINT"):
                current.add(column.group(1))
    return {name: frozenset(cols) for name, cols in tables.items() if not _ENGINE_OWN.match(name)}


def check_schema(found: Schema, revision: str, source: Path) -> None:
    """NotOurDatabase naming the first table or column that differs from `revision`'s schema."""
    expected = expected_schema(revision)
    missing = sorted(set(expected) - set(found))
    if missing:
        listed = ", ".join(missing[:5]) + (" …" if len(missing) > 5 else "")
        raise NotOurDatabase(
            f"{source} is not a recordsdesk database at schema {revision}: "
            f"{len(missing)} of its tables are missing ({listed})."
        )
    for table in sorted(expected):
        lacking = sorted(expected[table] - found[table])
        extra = sorted(found[table] - expected[table])
        if lacking or extra:
            parts = []
            if lacking:
                parts.append("no column " + ", ".join(lacking))
            if extra:
                parts.append("unknown column " + ", ".join(extra))
            raise NotOurDatabase(
                f"{source} is not a recordsdesk database at schema {revision}: "
                f"table {table} has {'; '.join(parts)}."
            )
