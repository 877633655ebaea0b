"""`import students`: new and changed student records from a CSV keyed by student number.

The header names the columns (any order, any case); `COLUMNS` maps each to its field. Only the
columns in the file are written: a file without `email` leaves every email as it is, while an
empty cell in a column that is there clears the field. Each value goes through the same checks
as the admission form (services.people.student), so an import cannot store what the desk would
refuse.

Speed: rows are checked in Python, existing students read 1,000 numbers per query, and new rows,
changed rows and their audit events written in multi-row statements (100,000 rows in seconds).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from recordsdesk.models import Program, Student, utcnow
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.access.permissions import Action, authorize
from recordsdesk.services.audit import trail as audit
from recordsdesk.services.interchange.imports.audit_batch import AuditBatch
from recordsdesk.services.interchange.imports.audit_text import json_objects
from recordsdesk.services.interchange.imports.bulk import (
    convert_rows,
    insert_rows,
    new_ids,
    placeholder,
)
from recordsdesk.services.interchange.imports.common import (
    ImportReport,
    Problems,
    Progress,
    no_progress,
    read_csv,
    read_file,
)
from recordsdesk.services.interchange.imports.name_index import DeferredNameIndex
from recordsdesk.services.lookup.index import NAME_COLUMNS
from recordsdesk.services.people import validation
from recordsdesk.services.shared.errors import StaleRecord, ValidationFailed

ENTITY = "student"
#: CSV column -> Student field. `program` holds a program code; the rest hold the value itself.
COLUMNS: dict[str, str] = {
    "student_number": "student_number",
    "last_name": "legal_last_name",
    "first_name": "legal_first_name",
    "middle_name": "legal_middle_name",
    "preferred_name": "preferred_name",
    "former_names": "former_names",
    "birth_date": "birth_date",
    "email": "email",
    "phone": "phone",
    "address_line1": "address_line1",
    "address_line2": "address_line2",
    "city": "city",
    "region": "region",
    "postal_code": "postal_code",
    "country": "country",
    "guardian_name": "guardian_name",
    "guardian_relationship": "guardian_relationship",
    "guardian_phone": "guardian_phone",
    "guardian_email": "guardian_email",
    "program": "program_id",
    "grade_level": "grade_level",
    "class_year": "class_year",
    "status": "status",
    "admission_date": "admission_date",
    "departure_date": "departure_date",
    "departure_reason": "departure_reason",
    "confidential": "confidential",
}
#: Only the key is required: a file of changes may carry just the columns it changes (a new
#: student still needs a last name, checked per row).
REQUIRED = ("student_number",)
_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0", ""}
_LOOKUP_CHUNK = 1_000
_WRITE_CHUNK = 5_000
#: New students from which the lookup index is brought up to date in one statement at the end
#: instead of by its per-row triggers (fewer are not worth touching the schema for).
_DEFER_INDEX_FROM = 1000


class _Row:
    __slots__ = ("line", "number", "values")

    def __init__(self, line: int, number: str, values: dict[str, Any]) -> None:
        self.line = line
        self.number = number
        self.values = values


def _model_default(field: str) -> Any:
    info = Student.model_fields[field]
    return info.default if info.default_factory is None else info.default_factory()  # type: ignore[call-arg]


def _parse_rows(
    session: Session, path: Path, problems: Problems, progress: Progress
) -> tuple[list[str], list[_Row]]:
    """Every row's cleaned values (file columns only), or problems naming line and column."""
    table = read_csv(
        read_file(path, problems), path.name, problems, required=REQUIRED, known=tuple(COLUMNS)
    )
    columns = [c for c in table.header if c in COLUMNS and c != "student_number"]
    programs = {code.upper(): pid for code, pid in session.exec(select(Program.code, Program.id))}
    seen: dict[str, int] = {}
    rows: list[_Row] = []
    total = len(table.rows)
    for index, row in enumerate(table.rows):
        if index % 2000 == 0:
            progress("checking", index, total)
        number = row.get("student_number")
        ok = True
        if not number:
            problems.add(row.line, "the student number is empty.", "student_number")
            ok = False
        elif len(number) > 20:
            problems.add(row.line, "must be at most 20 characters.", "student_number")
            ok = False
        elif number in seen:
            problems.add(
                row.line,
                f"{number} is also on line {seen[number]} of this file.",
                "student_number",
            )
            ok = False
        else:
            seen[number] = row.line
        values: dict[str, Any] = {}
        for column in columns:
            field, raw = COLUMNS[column], row.get(column)
            try:
                values[field] = _clean_cell(field, raw, programs)
            except ValidationFailed as exc:
                problems.add(row.line, exc.message, column)
                ok = False
        if ok:
            rows.append(_Row(row.line, number, values))
    progress("checking", total, total)
    return columns, rows


def _clean_cell(field: str, raw: str, programs: dict[str, int | None]) -> Any:
    if "\n" in raw or "\r" in raw:  # a quoted cell may hold one; no field of the record does
        raise ValidationFailed(field, "contains a line break.")
    if field == "program_id":
        if not raw:
            return None
        found = programs.get(raw.upper())
        if found is None:
            raise ValidationFailed(field, f"there is no program with code {raw!r}.")
        return found
    if field == "confidential":
        word = raw.lower()
        if word in _YES:
            return True
        if word in _NO:
            return False
        raise ValidationFailed(field, f"{raw!r} is not yes or no.")
    if field == "status" and not raw:
        raise ValidationFailed(field, "is empty; leave the column out to keep each status.")
    if field == "class_year" and raw and not raw.isdigit():
        raise ValidationFailed(field, f"{raw!r} is not a year.")
    return validation.clean_field(field, raw)


#: What the plan compares and the write guards: the editable fields, the id and version.
_CURRENT = ("id", "version", "student_number", *sorted(validation.EDITABLE_FIELDS))


def _existing(
    session: Session, numbers: list[str], fields: Sequence[str] = _CURRENT
) -> dict[str, dict[str, Any]]:
    """Current values of `fields` of the students whose numbers are in the file (by number).

    Read by driver SQL and converted column by column (each distinct date once): a file
    re-imported whole reads 100,000 rows here, which cost more through the ORM's row mappings
    than the rest of the import."""
    table = Student.__table__  # type: ignore[attr-defined]
    connection = session.connection()
    dialect = connection.dialect
    mark = placeholder(dialect)
    quote = dialect.identifier_preparer.quote
    listed = ", ".join(quote(f) for f in fields)
    processors = [
        (i, proc)
        for i, f in enumerate(fields)
        if (proc := table.c[f].type._cached_result_processor(dialect, None)) is not None
    ]
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(numbers), _LOOKUP_CHUNK):
        chunk = tuple(numbers[start : start + _LOOKUP_CHUNK])
        sql = (
            f"SELECT {listed} FROM {quote(table.name)} "
            f"WHERE student_number IN ({', '.join(mark for _ in chunk)})"
        )
        rows = connection.exec_driver_sql(sql, chunk).fetchall()
        if not rows:
            continue
        columns = list(zip(*rows, strict=True))
        for i, proc in processors:
            done = {v: None if v is None else proc(v) for v in dict.fromkeys(columns[i])}
            columns[i] = tuple(map(done.__getitem__, columns[i]))
        for values in zip(*columns, strict=True):
            mapping = dict(zip(fields, values, strict=True))
            found[mapping["student_number"]] = mapping
    return found


def import_students(
    session: Session,
    *,
    actor: Actor,
    path: Path,
    report: ImportReport | None = None,
    progress: Progress = no_progress,
) -> ImportReport:
    """Create and update the students in the CSV at `path`, in the caller's transaction.

    Raises ImportFailed listing every problem (file, line, column) before anything is written,
    and StaleRecord when another desk changes one of the students while the file is written.
    Every created or changed student gets its audit event (one per student).
    """
    authorize(actor, Action.IMPORT_RUN)
    report = report or ImportReport("students", path.name)
    problems = Problems(path.name)
    columns, rows = _parse_rows(session, path, problems, progress)
    fields = [COLUMNS[c] for c in columns]
    current = _existing(session, [r.number for r in rows])
    today = date.today()
    editable = sorted(validation.EDITABLE_FIELDS)
    defaults = {name: _model_default(name) for name in editable}
    creates: list[_Row] = []
    updates: list[tuple[_Row, dict[str, Any], dict[str, Any]]] = []
    touched = {f for f in fields if f not in ("program_id",)}
    for index, row in enumerate(rows):
        if index % 2000 == 0:
            progress("planning", index, len(rows))
        before = current.get(row.number)
        if before is None and "legal_first_name" not in row.values:
            problems.add(row.line, validation.REQUIRED["legal_first_name"], "first_name")
            continue
        base = defaults if before is None else {name: before[name] for name in editable}
        merged = base | row.values
        try:
            validation.check_record(session, merged, today, touched)
        except ValidationFailed as exc:
            column = next((c for c in columns if COLUMNS[c] == exc.field), exc.field)
            problems.add(row.line, exc.message, column)
            continue
        if before is None:
            row.values = merged
            creates.append(row)
            continue
        changed = {f: v for f, v in row.values.items() if before[f] != v}
        if changed:
            updates.append((row, before, changed))
        else:
            report.note(ENTITY, "unchanged")
    progress("planning", len(rows), len(rows))
    problems.raise_if_any()
    report.rows += len(rows)
    progress("preparing new students", 0, len(creates))
    prepared = _prepare_creates(session, actor, creates, report)
    progress("preparing new students", len(creates), len(creates))
    if creates or updates:
        # The write phase starts here: take the write lock (SQLite) or the chain's (PostgreSQL)
        # and check that no student counted as new was admitted at another desk meanwhile
        # (changed ones are guarded by their versions).
        audit.hold_chain_lock(session)
        made = _existing(session, [row.number for row in creates], ("student_number",))
        if made:
            number = min(made)
            raise StaleRecord(f"Student {number}", ["admitted while the file was checked"])
        if creates and _next_id(session) != prepared.first_id:  # other desks took the ids
            prepared = _prepare_creates(session, actor, creates, report)
    _write_creates(session, prepared, len(creates), progress)
    _write_updates(session, actor, fields, updates, report, progress)
    return report


def _describe(row: _Row, verb: str, detail: str = "") -> Callable[[], str]:
    def text() -> str:
        name = f"{row.values.get('legal_last_name', '')}, {row.values.get('legal_first_name', '')}"
        return f"line {row.line}: {verb} student {row.number} {name.strip(', ')}{detail}"

    return text


@dataclass
class _Creates:
    """New students' rows (ids given, converted for the driver) and audit events, prepared
    before the write lock so the write phase only inserts."""

    first_id: int
    rows: list[tuple[Any, ...]]
    columns: list[str]
    batch: AuditBatch


def _next_id(session: Session) -> int:
    """The id the next student gets on SQLite as the table stands (PostgreSQL: unused)."""
    if session.connection().dialect.name == "postgresql":
        return 0
    return new_ids(session, "student", 1)[0]


def _prepare_creates(
    session: Session, actor: Actor, creates: list[_Row], report: ImportReport
) -> _Creates:
    """Ids for the new students (PostgreSQL: drawn from the sequence; SQLite: the next ones,
    checked again under the lock), their rows and their audit events."""
    now = utcnow()  # the new rows' times and their events' (one import commits together)
    batch = AuditBatch(session, actor, reason=f"import {report.source}", at=now)
    if not creates:
        return _Creates(0, [], [], batch)
    table = Student.__table__  # type: ignore[attr-defined]
    first = _next_id(session)
    if first:
        ids: Sequence[int] = range(first, first + len(creates))
    else:
        ids = new_ids(session, "student", len(creates))
    # Every new row holds the same fields in the same order (the defaults, then the file's
    # columns), so the rows are tuples of its values and the audit text is written column-wise.
    columns = [*creates[0].values, "student_number", "created_at", "updated_at", "version", "id"]
    rows = [
        (*row.values.values(), row.number, now, now, 1, new_id)
        for row, new_id in zip(creates, ids, strict=True)
    ]
    batch.add_many(
        action="create", entity=ENTITY, entity_ids=ids, afters=json_objects(columns, rows)
    )
    if report.count(ENTITY).new == 0:  # a second preparation counts nothing again
        for row in creates:
            report.note(ENTITY, "new", _describe(row, "new"))
    if session.connection().dialect.name != "postgresql":
        rows = convert_rows(session, table, columns, rows)
    return _Creates(first or ids[0], rows, columns, batch)


def _write_creates(session: Session, prepared: _Creates, total: int, progress: Progress) -> None:
    if not total:
        return
    table = Student.__table__  # type: ignore[attr-defined]
    deferred = DeferredNameIndex(session)
    if total >= _DEFER_INDEX_FROM:  # the lock is held: the transaction is open
        deferred.suspend(prepared.first_id - 1)
    converted = session.connection().dialect.name != "postgresql"
    for start in range(0, total, _WRITE_CHUNK):
        progress("writing new students", start, total)
        chunk = prepared.rows[start : start + _WRITE_CHUNK]
        insert_rows(session, table, prepared.columns, chunk, converted=converted)
    prepared.batch.flush()
    deferred.finish()
    progress("writing new students", total, total)


def _write_updates(
    session: Session,
    actor: Actor,
    fields: list[str],
    updates: list[tuple[_Row, dict[str, Any], dict[str, Any]]],
    report: ImportReport,
    progress: Progress,
) -> None:
    """Changed students: every file column written (one statement shape for all rows), the row
    guarded by the version read above; the audit holds only the fields that changed."""
    if not updates:
        return
    table = Student.__table__  # type: ignore[attr-defined]
    # Rows whose names did not change are written without the name columns, so the lookup
    # index's update trigger (which fires on those columns) is not run for them.
    names = [f for f in fields if f in NAME_COLUMNS]
    others = [f for f in fields if f not in NAME_COLUMNS]
    shapes = {renamed: others + (names if renamed else []) for renamed in (False, True)}
    connection = session.connection()
    dialect = connection.dialect
    quote = dialect.identifier_preparer.quote
    mark = placeholder(dialect)
    guard = f"WHERE id = {mark} AND version = {mark}"
    statements = {
        renamed: f"UPDATE {quote(table.name)} SET "
        + ", ".join(f"{quote(f)} = {mark}" for f in [*shape, "version", "updated_at"])
        + f" {guard}"
        for renamed, shape in shapes.items()
    }
    now = utcnow()
    batch = AuditBatch(session, actor, reason=f"import {report.source}", at=now)
    total = len(updates)
    for start in range(0, total, _WRITE_CHUNK):
        progress("writing changed students", start, total)
        chunk = updates[start : start + _WRITE_CHUNK]
        for renamed, shape in shapes.items():
            params = [
                (*(row.values[f] for f in shape), before["version"] + 1, now, before["id"],
                 before["version"])
                for row, before, changed in chunk
                if renamed == any(f in NAME_COLUMNS for f in changed)
            ]  # fmt: skip
            if not params:
                continue
            columns = [*shape, "version", "updated_at", "id", "version"]
            converted = convert_rows(session, table, columns, params)
            result = connection.exec_driver_sql(statements[renamed], converted)
            if dialect.supports_sane_multi_rowcount and result.rowcount != len(params):
                raise StaleRecord("Students in this file", ["changed at another desk"])
        olds, news = _changes_text(chunk)
        batch.add_many(
            action="update",
            entity=ENTITY,
            entity_ids=[before["id"] for _row, before, _changed in chunk],
            befores=olds,
            afters=news,
        )
        for row, _before, changed in chunk:
            detail = " (" + ", ".join(sorted(changed)) + ")"
            report.note(ENTITY, "updated", _describe(row, "changed", detail))
        batch.flush()
    progress("writing changed students", total, total)


def _changes_text(
    chunk: Sequence[tuple[_Row, dict[str, Any], dict[str, Any]]],
) -> tuple[list[str | None], list[str | None]]:
    """Each changed student's audit before and after (the fields that changed and the
    version), as JSON text: rows that changed the same fields written together."""
    olds: list[str | None] = [None] * len(chunk)
    news: list[str | None] = [None] * len(chunk)
    groups: dict[tuple[str, ...], list[int]] = {}
    for at, (_row, _before, changed) in enumerate(chunk):
        groups.setdefault(tuple(changed), []).append(at)
    for names, places in groups.items():
        columns = [*names, "version"]
        old = [(*(chunk[i][1][f] for f in names), chunk[i][1]["version"]) for i in places]
        new = [(*chunk[i][2].values(), chunk[i][1]["version"] + 1) for i in places]
        for i, before, after in zip(
            places, json_objects(columns, old), json_objects(columns, new), strict=True
        ):
            olds[i], news[i] = before, after
    return olds, news
