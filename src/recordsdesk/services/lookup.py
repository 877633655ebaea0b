"""Find a student at the counter from part of a name, a student number, an email or a birth date.

A first, simple matcher (the lookup issue replaces it with full-text and fuzzy search):

- every word of the query must be the start of some part of a legal first, middle or last name
  or the preferred name ("gar" finds "García", "Ana Lu" finds "Ana Lucía Pérez");
- or the whole query is the start of a student number or of an email address;
- or the query is an ISO birth date (``2008-03-14``).

Matching is case-insensitive. Accents are folded on the query side only: "Jose" finds a stored
"Jose" and "José" finds both "José" and "Jose", but "Garci" does not yet find a stored "García"
(no schema change is made for a normalised name column before the lookup issue designs one).
SQLite's ``lower()`` folds ASCII letters only, so a stored capital "É" matches only "É...".
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, and_, func, or_
from sqlalchemy.orm import Mapped
from sqlmodel import Session, col, select

from recordsdesk.models import Hold, Program, Student
from recordsdesk.services.actor import Actor

DEFAULT_LIMIT = 50
_LIKE_ESCAPE = "\\"
# A name part starts at the beginning of the column or after one of these separators.
_PART_SEPARATORS = (" ", "-", "'", "\u2019")


@dataclass(frozen=True)
class StudentRow:
    """One line of the lookup list: enough to tell two students apart at the counter."""

    id: int
    student_number: str
    legal_first_name: str
    legal_last_name: str
    preferred_name: str
    birth_date: date | None
    email: str
    program_code: str
    program_name: str
    grade_level: str
    class_year: int | None
    status: str
    has_hold: bool
    confidential: bool

    @property
    def legal_name(self) -> str:
        return " ".join(p for p in (self.legal_first_name, self.legal_last_name) if p)

    @property
    def display_name(self) -> str:
        """'Last, First' with the preferred name beside it when it differs."""
        name = ", ".join(p for p in (self.legal_last_name, self.legal_first_name) if p)
        if self.preferred_name and self.preferred_name != self.legal_first_name:
            name += f" ({self.preferred_name})"
        return name

    @property
    def level(self) -> str:
        """Grade level for schools, class year for colleges, whichever the record has."""
        if self.grade_level:
            return self.grade_level
        return str(self.class_year) if self.class_year is not None else ""


@dataclass(frozen=True)
class LookupResult:
    rows: tuple[StudentRow, ...]
    total: int

    @property
    def truncated(self) -> bool:
        return self.total > len(self.rows)


def fold(text: str) -> str:
    """Lower-case `text` and strip accents ("García" -> "garcia"); other scripts pass through."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _variants(word: str) -> set[str]:
    """The forms a typed word is compared in: as typed (lower-cased) and accent-folded."""
    lowered = unicodedata.normalize("NFC", word.lower())
    return {lowered, fold(word)}


def _starts_with(column: Mapped[str], prefix: str) -> ColumnElement[bool]:
    return func.lower(column).like(_escape_like(prefix) + "%", escape=_LIKE_ESCAPE)


def _name_part_starts_with(column: Mapped[str], prefix: str) -> ColumnElement[bool]:
    escaped = _escape_like(prefix)
    lowered = func.lower(column)
    alternatives = [lowered.like(escaped + "%", escape=_LIKE_ESCAPE)]
    alternatives += [
        lowered.like(f"%{sep}{escaped}%", escape=_LIKE_ESCAPE) for sep in _PART_SEPARATORS
    ]
    return or_(*alternatives)


_NAME_COLUMNS: tuple[Mapped[str], ...] = (
    col(Student.legal_first_name),
    col(Student.legal_middle_name),
    col(Student.legal_last_name),
    col(Student.preferred_name),
)


def _iso_date(text: str) -> date | None:
    if len(text) != 10:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def match_condition(query: str) -> ColumnElement[bool] | None:
    """The WHERE clause for `query`, or None when there is nothing to search for."""
    text = " ".join(query.split())
    if not text:
        return None
    words = text.split(" ")
    name_match = and_(
        *(
            or_(*(_name_part_starts_with(c, v) for c in _NAME_COLUMNS for v in _variants(word)))
            for word in words
        )
    )
    alternatives: list[ColumnElement[bool]] = [name_match]
    if len(words) == 1:
        alternatives.append(_starts_with(col(Student.student_number), text.lower()))
        alternatives.append(_starts_with(col(Student.email), text.lower()))
    birth_date = _iso_date(text)
    if birth_date is not None:
        alternatives.append(col(Student.birth_date) == birth_date)
    return or_(*alternatives)


def search(
    session: Session, *, actor: Actor, query: str, limit: int = DEFAULT_LIMIT
) -> LookupResult:
    """Students matching `query`, best-known order (last, first name, number), at most `limit`.

    `total` counts every match so the screen can say how many it is not showing. Any staff role
    may look students up; reading is not audited (only changes are). Confidential students are
    listed with their flag set: the screens show the banner, nothing here hides them.
    """
    del actor  # every role may search; the confidentiality issue narrows what each one sees
    condition = match_condition(query)
    if condition is None or limit <= 0:
        return LookupResult(rows=(), total=0)
    # One scan: the window count gives the total of all matches alongside the first `limit`.
    statement = (
        select(Student, Program, func.count().over().label("total"))
        .join(Program, col(Student.program_id) == col(Program.id), isouter=True)
        .where(condition)
        .order_by(
            func.lower(col(Student.legal_last_name)),
            func.lower(col(Student.legal_first_name)),
            col(Student.student_number),
        )
        .limit(limit)
    )
    found = session.exec(statement).all()
    total = found[0][2] if found else 0
    ids = [student.id for student, _, _ in found if student.id is not None]
    held: set[int] = set()
    if ids:
        held = set(
            session.exec(
                select(Hold.student_id)
                .where(col(Hold.student_id).in_(ids), col(Hold.released_at).is_(None))
                .distinct()
            ).all()
        )
    rows = tuple(_row(student, program, student.id in held) for student, program, _ in found)
    return LookupResult(rows=rows, total=int(total))


def _row(student: Student, program: Program | None, has_hold: bool) -> StudentRow:
    assert student.id is not None
    return StudentRow(
        id=student.id,
        student_number=student.student_number,
        legal_first_name=student.legal_first_name,
        legal_last_name=student.legal_last_name,
        preferred_name=student.preferred_name,
        birth_date=student.birth_date,
        email=student.email,
        program_code=program.code if program else "",
        program_name=program.name if program else "",
        grade_level=student.grade_level,
        class_year=student.class_year,
        status=student.status,
        has_hold=has_hold,
        confidential=student.confidential,
    )
