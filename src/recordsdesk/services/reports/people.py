"""Who a report lists: the scope of students as SQL, and their names for the rows.

Registrar reports are internal working lists, so by default they list every student, confidential
ones included and flagged in a Confidential column (the office must still act on a confidential
student's probation or hold). `directory_only` applies the directory opt-out from
`services.people.directory` for a list meant to leave the office (a published dean's list).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, text
from sqlmodel import Session

from recordsdesk.services.people.directory import directory_condition
from recordsdesk.services.reports.table import ProgramRef, full_name

CONFIDENTIAL_COLUMN = "Confidential"
_CHUNK = 2000


@dataclass(frozen=True)
class Person:
    id: int
    number: str
    name: str
    program_code: str
    status: str
    confidential: bool

    @property
    def flag(self) -> str:
        return "yes" if self.confidential else ""


def _directory_sql(session: Session) -> str:
    """The directory opt-out as SQL text, from the one definition every export shares."""
    dialect = session.get_bind().dialect
    return str(
        directory_condition().compile(dialect=dialect, compile_kwargs={"literal_binds": True})
    )


def student_scope(
    session: Session,
    base: str,
    *,
    program: ProgramRef | None = None,
    directory_only: bool = False,
    extra: str = "",
) -> tuple[str, dict[str, Any]]:
    """A SELECT of student ids: those in `base` (a SELECT of ids), narrowed by program and the
    directory opt-out; `extra` is one more SQL condition on `student`."""
    clauses = [f"student.id IN ({base})"]
    params: dict[str, Any] = {}
    if program is not None:
        clauses.append("student.program_id = :scope_program")
        params["scope_program"] = program.id
    if directory_only:
        clauses.append(_directory_sql(session))
    if extra:
        clauses.append(extra)
    return "SELECT student.id FROM student WHERE " + " AND ".join(clauses), params


def student_conditions(
    session: Session, *, program: ProgramRef | None = None, directory_only: bool = False
) -> tuple[str, dict[str, Any]]:
    """`student_scope`'s narrowing as conditions on a `student` row the caller joins ("" for
    none), so a report filtering stored figures first checks only the students that pass."""
    clauses: list[str] = []
    params: dict[str, Any] = {}
    if program is not None:
        clauses.append("student.program_id = :scope_program")
        params["scope_program"] = program.id
    if directory_only:
        clauses.append(_directory_sql(session))
    return "".join(f" AND {c}" for c in clauses), params


def person_columns(student: str = "s", program: str = "pp") -> str:
    """A Person's columns, for a report that joins the student and their program under these
    names into its own query (one statement instead of a second look-up by id); `person_from`
    reads them back."""
    s = student
    return (
        f"{s}.id, {s}.student_number, {s}.legal_first_name, {s}.legal_last_name, "
        f"{s}.preferred_name, {program}.code, {s}.status, {s}.confidential"
    )


#: `person_columns` of `student s LEFT JOIN program pp` (PERSON_JOIN).
PERSON_COLUMNS = person_columns()
PERSON_JOIN = "JOIN student s ON s.id = {sid} LEFT JOIN program pp ON pp.id = s.program_id"


def person_from(row: Any) -> Person:
    """The Person of a row whose first columns are PERSON_COLUMNS."""
    return Person(
        int(row[0]), row[1], full_name(row[2], row[3], row[4]), row[5] or "", row[6], bool(row[7])
    )


def people(session: Session, student_ids: Iterable[int]) -> dict[int, Person]:
    """id -> Person for these students (looked up in chunks: a list may run to thousands)."""
    ids = sorted(set(student_ids))
    statement = text(
        "SELECT s.id, s.student_number, s.legal_first_name, s.legal_last_name, s.preferred_name, "
        "p.code, s.status, s.confidential FROM student s LEFT JOIN program p "
        "ON p.id = s.program_id WHERE s.id IN :ids"
    ).bindparams(bindparam("ids", expanding=True))
    found: dict[int, Person] = {}
    for start in range(0, len(ids), _CHUNK):
        for r in session.execute(statement, {"ids": ids[start : start + _CHUNK]}).all():
            found[int(r[0])] = person_from(r)
    return found
