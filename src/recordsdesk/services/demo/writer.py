"""Bulk loading for the demo build: DBAPI executemany on SQLite, COPY on PostgreSQL.

Rows arrive as tuples already in text form both engines accept (ISO dates, UTC timestamps
without offset, decimal strings, 0/1 flags) with ids assigned by the generator, so nothing is
converted or read back row by row. The ORM is not used here: at a million students it would be
an order of magnitude slower.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import CheckConstraint, Engine
from sqlmodel import SQLModel

from recordsdesk.db import SQLITE_BUSY_TIMEOUT_MS, is_sqlite
from recordsdesk.services.lookup.index import SuspendedIndex, rebuild_index, suspend_index
from recordsdesk.services.transcripts.totals import COLUMNS as TERM_TOTALS_COLUMNS
from recordsdesk.services.transcripts.totals import restore_triggers, suspend_triggers

COLUMNS: dict[str, tuple[str, ...]] = {
    "staff_user": ("id", "username", "full_name", "role", "password_hash", "active", "created_at",
                   "last_login_at", "failed_logins", "locked_until"),
    "program": ("id", "code", "name", "level", "award", "department", "required_credits",
                "min_gpa", "active", "normal_terms"),
    "course": ("id", "code", "title", "credits", "department", "level", "grading_scale_id",
               "weight", "description", "repeat_limit", "active", "grading_bases",
               "default_grading_basis"),
    "prerequisite": ("id", "course_id", "required_course_id", "min_mark"),
    "program_requirement": ("id", "program_id", "course_id", "min_mark"),
    "term": ("id", "code", "name", "start_date", "end_date", "add_drop_deadline",
             "withdraw_deadline", "grades_due", "status", "grading_basis_deadline"),
    "section": ("id", "course_id", "term_id", "section_code", "instructor", "capacity",
                "waitlist_capacity", "meeting_days", "start_time", "end_time", "room",
                "grades_posted_at", "grades_posted_by_id"),
    "student": ("id", "student_number", "legal_first_name", "legal_middle_name", "legal_last_name",
                "preferred_name", "former_names", "birth_date", "email", "phone", "address_line1",
                "address_line2", "city", "region", "postal_code", "country", "guardian_name",
                "guardian_relationship", "guardian_phone", "guardian_email", "program_id",
                "grade_level", "class_year", "status", "entry_term_id", "admission_date",
                "departure_date", "departure_reason", "degree_conferred", "conferral_date",
                "honours", "confidential", "created_at", "updated_at", "version", "leave_start",
                "leave_expected_return", "leave_reason"),
    "admission_application": ("id", "student_id", "program_id", "entry_term_id", "applied_on",
                              "decision", "decision_date", "decided_by_id", "notes", "version"),
    "screening_item": ("id", "application_id", "item", "required", "received_on",
                       "recorded_by_id", "note"),
    "enrollment": ("id", "student_id", "section_id", "status", "registered_at",
                   "status_changed_at", "waitlist_position", "credits", "mark", "grade_status",
                   "mark_entered_at", "mark_entered_by_id", "posted_at", "posted_by_id",
                   "incomplete_expires", "override_reason", "version", "grading_basis"),
    "transfer_credit": ("id", "student_id", "source_institution", "source_course_code",
                        "source_course_title", "credits", "mark", "equivalent_course_id",
                        "awarded_on", "entered_by_id"),
    "hold": ("id", "student_id", "hold_type", "blocks_registration", "blocks_transcript",
             "reason", "placed_by_id", "placed_at", "released_by_id", "released_at",
             "release_reason"),
    "contact_note": ("id", "student_id", "author_id", "created_at", "channel", "body"),
    "transcript_request": ("id", "student_id", "requested_at", "requested_by_id", "official",
                           "recipient", "format", "status", "released_at", "released_by_id",
                           "verification_code", "content_digest", "record_digest", "note"),
    "academic_standing": ("id", "student_id", "term_id", "standing", "computed", "term_gpa",
                          "cumulative_gpa", "override_reason", "decided_at", "decided_by_id",
                          "version"),
    "release_consent": ("id", "student_id", "recipient", "records", "purpose", "signed_on",
                        "valid_until", "added_by_id", "added_at", "revoked_by_id", "revoked_at",
                        "revoke_reason"),
    "term_totals": TERM_TOTALS_COLUMNS,
    "disclosure": ("id", "student_id", "disclosed_at", "disclosed_by_id", "document",
                   "document_id", "recipient", "purpose", "basis", "consent_id", "note"),
}  # fmt: skip


# Indexes whose keys the generator writes in ascending order (rows come student by student),
# so each insert lands at the right-hand edge of the index: kept during the load, they cost the
# writer process little while the generator works, instead of a sort after the last chunk.
APPEND_ORDER_INDEXES = frozenset({
    "ix_academic_standing_student_id", "ix_admission_application_student_id",
    "ix_contact_note_student_id", "ix_disclosure_student_id",
    "ix_enrollment_student_record", "ix_hold_student_id", "ix_release_consent_student_id",
    "ix_screening_item_application_id", "ix_transcript_request_student_id",
    "ix_transfer_credit_student_id",
})  # fmt: skip


def _violations_sql(name: str, keys: bool = True) -> str:
    """One query finding a row of `name` from id ? on that breaks a CHECK constraint or (with
    `keys`) refers to a missing row ('' when there is nothing to test); `NOT (NULL)` is not
    true, as a CHECK allows NULL, and a foreign key with a NULL column refers to nothing, as in
    SQLite."""
    table = SQLModel.metadata.tables[name]
    tests = [f"NOT ({c.sqltext})" for c in table.constraints if isinstance(c, CheckConstraint)]
    for key in table.foreign_key_constraints if keys else ():
        present = " AND ".join(f't."{e.parent.name}" IS NOT NULL' for e in key.elements)
        match = " AND ".join(f'p."{e.column.name}" = t."{e.parent.name}"' for e in key.elements)
        parent = key.referred_table.name
        tests.append(f'({present} AND NOT EXISTS (SELECT 1 FROM "{parent}" AS p WHERE {match}))')
    if not tests:
        return ""
    return f'SELECT t.id FROM "{name}" AS t WHERE t.id >= ? AND ({" OR ".join(tests)}) LIMIT 1'


class ConstraintsViolated(RuntimeError):
    """A generated row breaks a constraint: a bug in the demo generator, never user input."""


class _Ids:
    """The ids of one table's rows so far: a run from 1 up (the generator numbers each table's
    rows consecutively) plus a set of any others, so a million ids take no memory."""

    def __init__(self) -> None:
        self.last = 0
        self.others: set[int] = set()

    def add(self, rows: Sequence[tuple[Any, ...]]) -> None:
        first, last = rows[0][0], rows[-1][0]
        # Duplicate ids fail the load on the primary key, so a run of the right length is one.
        if first == self.last + 1 and last - first + 1 == len(rows):
            self.last = last
        else:
            self.others.update(row[0] for row in rows)

    def missing(self, values: set[Any]) -> list[Any]:
        last, others = self.last, self.others
        return [v for v in values if v is not None and not (0 < v <= last or v in others)]


class KeyLedger:
    """Checks each chunk's foreign keys against the ids of the rows loaded before it and its
    own, in Python where the rows already are (the build's deriver process), instead of by an
    index lookup per row and key in the writer process, the longest of the build's processes.
    The writer then checks only the CHECK constraints (`validate_rows` without `keys`); the
    fixed tables' ids are read once from the file."""

    def __init__(self, tables: Sequence[str], fixed: dict[str, list[int]]) -> None:
        self._tables = tuple(tables)
        self._keys: dict[str, list[tuple[int, str]]] = {}
        self._ids: dict[str, _Ids] = {}
        for name in self._tables:
            keys = []
            for key in SQLModel.metadata.tables[name].foreign_key_constraints:
                (element,) = key.elements  # the demo's keys are all one column, to an id
                assert element.column.name == "id", f"{name}: a key to {element.column}"
                keys.append((COLUMNS[name].index(element.parent.name), key.referred_table.name))
                self._ids.setdefault(key.referred_table.name, _Ids())
            self._keys[name] = keys
        for name, ids in fixed.items():
            if name in self._ids:
                self._ids[name].others.update(ids)

    @staticmethod
    def fixed_tables(tables: Sequence[str]) -> list[str]:
        """The tables outside `tables` that their keys refer to (their ids are read once)."""
        referred = {
            key.referred_table.name
            for name in tables
            for key in SQLModel.metadata.tables[name].foreign_key_constraints
        }
        return sorted(referred - set(tables))

    def check(self, rows: dict[str, list[tuple[Any, ...]]]) -> None:
        """Raise ConstraintsViolated naming the first row of `rows` (tables in load order) that
        refers to a missing row; record the chunk's ids."""
        for name in self._tables:
            written = rows.get(name)
            if not written:
                continue
            for position, parent in self._keys[name]:
                missing = self._ids[parent].missing({row[position] for row in written})
                if missing:
                    raise ConstraintsViolated(
                        f"a demo row of {name} refers to a missing {parent} row (id {min(missing)})"
                    )
            ids = self._ids.get(name)
            if ids is not None:
                ids.add(written)


def check_columns() -> None:
    """Fail loudly if the schema gained a required column the demo does not fill."""
    for table_name, columns in COLUMNS.items():
        table = SQLModel.metadata.tables[table_name]
        required = {c.name for c in table.columns if not c.nullable and c.server_default is None}
        missing = required - set(columns)
        unknown = set(columns) - {c.name for c in table.columns}
        if missing or unknown:
            raise RuntimeError(
                f"demo writer out of step with table {table_name}: "
                f"missing {sorted(missing)}, unknown {sorted(unknown)}"
            )


class BulkWriter:
    """One raw connection for the whole build; `commit` ends each chunk's transaction."""

    def __init__(self, engine: Engine, *, scratch: bool = False) -> None:
        check_columns()
        self.engine = engine
        self.sqlite = is_sqlite(engine)
        self._proxy = engine.raw_connection()
        self._conn: Any = self._proxy.driver_connection
        assert self._conn is not None, "the pool handed out a closed connection"
        self.rows_written = 0
        self._closed = False
        self._deferred: list[tuple[Any, ...]] = []
        self._violations: dict[str, str] = {}
        self._lookup: SuspendedIndex | None = None
        self._totals_triggers: tuple[str, ...] = ()
        self._scratch = scratch and self.sqlite
        cursor = self._conn.cursor()
        if self.sqlite:
            # A throwaway demo file: during the load only this connection skips the fsync
            # after each commit (synchronous=OFF), keeps a large page cache (index sorts
            # beyond it spill to temporary files, so memory stays bounded), and defers the
            # foreign-key and CHECK constraints to one query per table and chunk
            # (`validate_rows`), which is twice as fast as testing them row by row (UNIQUE and
            # NOT NULL still apply per row). `finish` restores all of it; a crash mid-build
            # leaves a file flagged demo without a demo_build audit event (for a file, the
            # builder's staging file), which the next run rebuilds.
            cursor.execute("PRAGMA foreign_keys=OFF")
            cursor.execute("PRAGMA ignore_check_constraints=ON")
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.execute("PRAGMA cache_size=-262144")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            if self._scratch:
                # A staging file no desk opens until the build renames it into place: no
                # journal (each page is written once, not to the WAL and again at every
                # checkpoint) and no lock sharing. A build killed now leaves a file nobody
                # opens, deleted by the next build.
                cursor.execute("PRAGMA locking_mode=EXCLUSIVE")
                cursor.execute("PRAGMA journal_mode=OFF")
        else:
            # Timestamps are written as UTC text without an offset.
            cursor.execute("SET TIME ZONE 'UTC'")
            cursor.execute("SET synchronous_commit TO OFF")
            self._conn.commit()
        cursor.close()

    def write(self, table: str, rows: Sequence[tuple[Any, ...]]) -> None:
        if not rows:
            return
        columns = COLUMNS[table]
        cursor = self._conn.cursor()
        try:
            if self.sqlite:
                marks = ", ".join("?" * len(columns))
                cursor.executemany(
                    f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES ({marks})', rows
                )
            else:
                statement = f'COPY "{table}" ({", ".join(columns)}) FROM STDIN'
                with cursor.copy(statement) as copy:
                    for row in rows:
                        copy.write_row(row)
        finally:
            cursor.close()
        self.rows_written += len(rows)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        cursor = self._conn.cursor()
        try:
            if self.sqlite:
                cursor.execute(sql, tuple(params))
            else:
                cursor.execute(sql.replace("?", "%s"), tuple(params))
            return list(cursor.fetchall()) if cursor.description else []
        finally:
            cursor.close()

    def defer_indexes(self, tables: Sequence[str]) -> None:
        """Both engines: suspend the lookup index's per-row triggers (services.lookup.index),
        which cost more than the rest of a student row's insert; `restore_indexes` rebuilds
        the index in one pass. SQLite also: drop the secondary indexes of `tables` for the
        load, except APPEND_ORDER_INDEXES; `restore_indexes` recreates them from their exact
        stored definitions (one sort each, instead of a random B-tree insert per row). UNIQUE
        constraints stay in force throughout."""
        self._lookup = suspend_index(self._conn)
        self._totals_triggers = suspend_triggers(self._conn, self.sqlite)  # rows written here
        self.commit()
        if not self.sqlite:
            return
        marks = ", ".join("?" * len(tables))
        self._deferred = self.execute(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            f"AND tbl_name IN ({marks}) ORDER BY name",
            tables,
        )
        self._deferred = [(n, sql) for n, sql in self._deferred if n not in APPEND_ORDER_INDEXES]
        for name, _sql in self._deferred:
            self.execute(f'DROP INDEX "{name}"')
        self.commit()

    def restore_indexes(self) -> None:
        for _name, sql in self._deferred:
            self.execute(sql)
        self._deferred = []
        if self._lookup is not None:
            rebuild_index(self._conn, self._lookup)
            self._lookup = None
        restore_triggers(self._conn, self.sqlite, self._totals_triggers)
        self._totals_triggers = ()
        self.commit()

    def validate(self, tables: Sequence[str]) -> None:
        """After a SQLite load without per-row checks: every CHECK constraint and foreign key
        of `tables` must hold, else ConstraintsViolated names the first broken one."""
        if not self.sqlite:
            return
        cursor = self._conn.cursor()
        try:
            for name in tables:
                table = SQLModel.metadata.tables[name]
                checks = [c for c in table.constraints if isinstance(c, CheckConstraint)]
                if checks:
                    # One scan per table; `NOT (NULL)` is not true, as a CHECK allows NULL.
                    clauses = " OR ".join(f"NOT ({c.sqltext})" for c in checks)
                    cursor.execute(f'SELECT * FROM "{name}" WHERE {clauses} LIMIT 1')
                    broken = cursor.fetchone()
                    if broken:
                        raise ConstraintsViolated(
                            f"demo row {name} {broken!r} breaks a CHECK constraint of the table"
                        )
                cursor.execute(f'PRAGMA foreign_key_check("{name}")')
                orphan = cursor.fetchone()
                if orphan:
                    raise ConstraintsViolated(
                        f"demo row {name} id {orphan[1]} refers to a missing {orphan[2]} row"
                    )
        finally:
            cursor.close()

    def validate_rows(self, table: str, first_id: int, keys: bool = True) -> None:
        """`validate` for the rows of `table` from id `first_id` on (without `keys`, the CHECK
        constraints alone: a KeyLedger checks the foreign keys). The writer process checks
        each chunk as it lands, while the generator works on the next one, so only the last
        chunk's checks remain after the generator has finished (the build's critical path)."""
        if not self.sqlite:
            return
        sql = self._violations.get(f"{table}:{keys}")
        if sql is None:
            sql = self._violations[f"{table}:{keys}"] = _violations_sql(table, keys)
        if sql and self.execute(sql, (first_id,)):
            self.validate([table])  # names the broken constraint
            raise ConstraintsViolated(f"a demo row of {table} breaks a constraint of the table")

    def commit(self) -> None:
        self._conn.commit()

    def finish(self, tables: Sequence[str]) -> None:
        """Make the load durable and leave the database as the desk expects it."""
        self.commit()
        cursor = self._conn.cursor()
        try:
            if self.sqlite:
                cursor.execute("PRAGMA ignore_check_constraints=OFF")
                cursor.execute("PRAGMA foreign_keys=ON")
                cursor.execute("PRAGMA synchronous=FULL")
                if self._scratch:
                    # Back to NORMAL before WAL: WAL entered under EXCLUSIVE keeps the lock.
                    cursor.execute("PRAGMA locking_mode=NORMAL")
                    cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            else:
                for table in (t for t in tables if "id" in COLUMNS[t]):
                    # Ids were assigned by the generator: move each sequence past them.
                    cursor.execute(
                        f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                        f'COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM "{table}"'
                    )
                self._conn.commit()
                cursor.execute("ANALYZE")
            self._conn.commit()
        finally:
            cursor.close()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self._conn.rollback()
        finally:
            self._proxy.close()
