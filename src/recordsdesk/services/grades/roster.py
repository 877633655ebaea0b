"""Rosters for grade entry: the terms and sections to choose from, one section's roster, and the
RosterStore the grade-entry screen saves through.

The store is a protocol so the screen can key a roster held in memory (the benchmark's
baseline, with no database at all) exactly as it keys the real one.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Engine, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from recordsdesk.db import session_scope
from recordsdesk.models import Course, Enrollment, GradeStatus, Section, Term
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.access.permissions import Action, authorize
from recordsdesk.services.grades import marks as grading
from recordsdesk.services.grades.basis import GRADED
from recordsdesk.services.grades.marks import MarkConflict, MarkRules, MarkSaved
from recordsdesk.services.shared.errors import NotFound, ValidationFailed
from recordsdesk.services.shared.frozen import make_frozen
from recordsdesk.services.shared.rawsql import Statement


@dataclass(frozen=True)
class GradingTerm:
    id: int
    code: str
    name: str
    status: str
    sections: int


@dataclass(frozen=True)
class GradingSection:
    """A section as the chooser lists it: `entered` counts gradable students with a mark."""

    id: int
    term_code: str
    course_code: str
    course_title: str
    section_code: str
    instructor: str
    gradable: int
    entered: int
    posted_at: datetime | None

    @property
    def progress(self) -> str:
        return f"{self.entered}/{self.gradable} entered"


@dataclass(frozen=True)
class RosterRow:
    enrollment_id: int
    student_id: int
    student_number: str
    last_name: str
    first_name: str
    status: str
    mark: str | None
    grade_status: str
    incomplete_expires: date | None
    previous_mark: str | None
    version: int
    confidential: bool = False
    grading_basis: str = GRADED

    @property
    def name(self) -> str:
        return f"{self.last_name}, {self.first_name}" if self.first_name else self.last_name

    @property
    def editable(self) -> bool:
        return self.status in grading.GRADABLE

    @property
    def posted(self) -> bool:
        return self.grade_status == GradeStatus.POSTED.value


@dataclass(frozen=True)
class Roster:
    section: GradingSection
    rules: MarkRules
    rows: tuple[RosterRow, ...]
    incomplete_default: date

    def rules_for(self, row: RosterRow) -> MarkRules:
        """The marks this row takes: the section's scale, or its enrollment's basis's marks."""
        if row.grading_basis == GRADED:
            return self.rules
        return grading.rules_for_basis(row.grading_basis)


# --- reads -------------------------------------------------------------------------------------


def list_grading_terms(session: Session, *, actor: Actor) -> tuple[GradingTerm, ...]:
    """Terms that have sections, newest first."""
    authorize(actor, Action.GRADE_ENTER)
    count = func.count(col(Section.id))
    rows = session.execute(
        sa_select(col(Term.id), col(Term.code), col(Term.name), col(Term.status), count)
        .join(Section, col(Section.term_id) == col(Term.id))
        .group_by(col(Term.id), col(Term.code), col(Term.name), col(Term.status))
        .order_by(col(Term.start_date).desc())
    ).all()
    return tuple(GradingTerm(*row) for row in rows)


def _section_query(term_id: int | None, section_id: int | None) -> Any:
    """The chooser's columns for a term's sections (or one section), as a plain Select."""
    gradable = func.count(col(Enrollment.id)).filter(col(Enrollment.status).in_(grading.GRADABLE))
    entered = func.count(col(Enrollment.id)).filter(
        col(Enrollment.status).in_(grading.GRADABLE), col(Enrollment.mark).is_not(None)
    )
    query = (
        sa_select(
            col(Section.id),
            col(Term.code),
            col(Course.code),
            col(Course.title),
            col(Section.section_code),
            col(Section.instructor),
            gradable,
            entered,
            col(Section.grades_posted_at),
        )
        .join(Term, col(Term.id) == col(Section.term_id))
        .join(Course, col(Course.id) == col(Section.course_id))
        .outerjoin(Enrollment, col(Enrollment.section_id) == col(Section.id))
        .group_by(col(Section.id), col(Term.code), col(Course.code), col(Course.title))
        .order_by(col(Course.code), col(Section.section_code))
    )
    if term_id is not None:
        query = query.where(col(Section.term_id) == term_id)
    if section_id is not None:
        query = query.where(col(Section.id) == section_id)
    return query


def list_grading_sections(
    session: Session, *, actor: Actor, term_id: int
) -> tuple[GradingSection, ...]:
    """A term's sections with their grading progress, by course code."""
    authorize(actor, Action.GRADE_ENTER)
    return tuple(
        GradingSection(*row) for row in session.execute(_section_query(term_id, None)).all()
    )


_ENROLLMENT = Enrollment.__table__  # type: ignore[attr-defined]
_SECTION = Section.__table__  # type: ignore[attr-defined]
_TERM = Term.__table__  # type: ignore[attr-defined]
# Plain SQL on the session's connection: a roster load is a few small indexed reads, and with
# SQLAlchemy's statement and row machinery in the way it cost 20 times what SQLite spends.
# The head carries the Incomplete policy (read every load, so an edited policy is seen by the
# next one) and how many earlier sections the course has, counted up to _FEW_EARLIER: that
# picks the earlier-attempts query below (or none, for a course's first offering).
_FEW_EARLIER = 20
_HEAD = Statement(
    "SELECT s.course_id, c.grading_scale_id, t.start_date, t.code, c.code, c.title, "
    "s.section_code, s.instructor, s.grades_posted_at, "
    "(SELECT incomplete_days FROM institution ORDER BY id LIMIT 1), "
    "(SELECT count(*) FROM (SELECT 1 FROM section s2 JOIN term t2 ON t2.id = s2.term_id "
    " WHERE s2.course_id = s.course_id AND t2.start_date < t.start_date "
    f" LIMIT {_FEW_EARLIER}) AS few) "
    "FROM section s JOIN course c ON c.id = s.course_id JOIN term t ON t.id = s.term_id "
    "WHERE s.id = :section",
    results=(None, None, _TERM.c.start_date, None, None, None, None, None,
             _SECTION.c.grades_posted_at, None, None),
)  # fmt: skip
# Earlier attempts, two ways to the same rows. When the course has few earlier sections: look
# each roster student up in each of them (sections x students index probes).
_EARLIER_BY_SECTION = Statement(
    "SELECT e.student_id, e.mark, t.start_date "
    "FROM enrollment e JOIN section s ON s.id = e.section_id JOIN term t ON t.id = s.term_id "
    "WHERE s.course_id = :course AND t.start_date < :start AND e.mark IS NOT NULL "
    "AND e.student_id IN (SELECT student_id FROM enrollment WHERE section_id = :section)",
    binds={"start": _TERM.c.start_date},
)
# When it has many (a large course has thousands; probing each is slow): walk each
# roster student's own enrollments (a few dozen, side by side in the (student_id, section_id)
# index) and keep those whose section is of the course. The CROSS JOINs fix SQLite's join
# order (PostgreSQL plans them freely). Testing the section's course_id on the row the join
# reads anyway beats listing the course's sections first, a list that would be built on every
# load (docs/benchmarks.md, "Measurements behind the code").
_EARLIER_BY_STUDENT = Statement(
    "SELECT e.student_id, e.mark, t.start_date "
    "FROM enrollment r CROSS JOIN enrollment e CROSS JOIN section s CROSS JOIN term t "
    "WHERE r.section_id = :section AND e.student_id = r.student_id "
    "AND s.id = e.section_id AND s.course_id = :course AND t.id = s.term_id "
    "AND t.start_date < :start "
    "AND e.mark IS NOT NULL",
    binds={"start": _TERM.c.start_date},
)
# Read with `driver_rows` (values as the driver gives them): the row loop converts its one
# typed column, the date, itself with the processor `results` names for it.
_ROWS = Statement(
    "SELECT e.id, e.student_id, st.student_number, st.legal_last_name, st.legal_first_name, "
    "e.status, e.mark, e.grade_status, e.incomplete_expires, e.version, st.confidential, "
    "e.grading_basis "
    "FROM enrollment e JOIN student st ON st.id = e.student_id "
    "WHERE e.section_id = :section AND e.status IN ("
    + ", ".join(f"'{status}'" for status in grading.ON_ROSTER)
    + ")",
    results=(None,) * 8 + (_ENROLLMENT.c.incomplete_expires,),
)


def _roster_rows(
    rows: list[Any], previous: dict[int, tuple[Any, str]], to_date: Any
) -> tuple[tuple[RosterRow, ...], int, int]:
    """The RosterRows of the sorted driver rows (made with `make_frozen`: 300 rows in a third
    of the time of RosterRow's own __init__), and how many are gradable and how many of those
    have a mark."""
    gradable_statuses = grading.GRADABLE
    built = []
    gradable = entered = 0
    for r in rows:
        expires = r[8]
        if expires is not None and to_date is not None:
            expires = to_date(expires)
        earlier = previous.get(r[1])
        built.append(
            make_frozen(
                RosterRow,
                enrollment_id=r[0],
                student_id=r[1],
                student_number=r[2],
                last_name=r[3],
                first_name=r[4],
                status=r[5],
                mark=r[6],
                grade_status=r[7],
                incomplete_expires=expires,
                previous_mark=None if earlier is None else earlier[1],
                version=r[9],
                confidential=bool(r[10]),
                grading_basis=r[11],
            )
        )
        if r[5] in gradable_statuses:
            gradable += 1
            entered += r[6] is not None
    return tuple(built), gradable, entered


def load_roster(session: Session, *, actor: Actor, section_id: int) -> Roster:
    """The section's roster by last name (withdrawn students included, read-only), each row with
    its `version` and the student's mark in an earlier attempt of the course, if any."""
    authorize(actor, Action.GRADE_ENTER)
    head = _HEAD.first(session, {"section": section_id})
    if head is None:
        raise NotFound(f"There is no section with id {section_id}.")
    course_id, scale_id, term_start = head[0], head[1], head[2]
    earlier_sections = head[10]
    earlier: list[Any] = []
    if earlier_sections:
        query = _EARLIER_BY_STUDENT if earlier_sections >= _FEW_EARLIER else _EARLIER_BY_SECTION
        earlier = query.rows(
            session, {"course": course_id, "start": term_start, "section": section_id}
        )
    previous: dict[int, tuple[Any, str]] = {}
    for student_id, mark, started in earlier:  # ISO dates (SQLite) and dates both sort in time
        if student_id not in previous or previous[student_id][0] < started:
            previous[student_id] = (started, mark)
    rows = _ROWS.driver_rows(session, {"section": section_id})
    folded = grading.folded
    rows.sort(key=lambda r: (folded(r[3]), folded(r[4]), r[2]))
    roster, gradable, entered = _roster_rows(rows, previous, _ROWS.processor(session, 8))
    rules = grading.rules_for_scale(session, scale_id)
    expiry = grading.incomplete_expiry(head[9])
    summary = GradingSection(
        id=section_id,
        term_code=head[3],
        course_code=head[4],
        course_title=head[5],
        section_code=head[6],
        instructor=head[7],
        gradable=gradable,
        entered=entered,
        posted_at=head[8],
    )
    return Roster(summary, rules, roster, expiry)


# --- stores ------------------------------------------------------------------------------------


class RosterStore(Protocol):
    """What the grade-entry screen needs to key marks. Methods block: call them from a worker."""

    def terms(self) -> tuple[GradingTerm, ...]: ...

    def sections(self, term_id: int) -> tuple[GradingSection, ...]: ...

    def roster(self, section_id: int) -> Roster: ...

    def save(
        self,
        enrollment_id: int,
        expected_version: int,
        mark: str | None,
        incomplete_expires: date | None = None,
        rules: MarkRules | None = None,
    ) -> MarkSaved: ...


class DbRosterStore:
    """The real store: each call is one short transaction as `actor`."""

    def __init__(self, engine: Engine, actor: Actor) -> None:
        self.engine = engine
        self.actor = actor

    def terms(self) -> tuple[GradingTerm, ...]:
        with session_scope(self.engine) as session:
            return list_grading_terms(session, actor=self.actor)

    def sections(self, term_id: int) -> tuple[GradingSection, ...]:
        with session_scope(self.engine) as session:
            return list_grading_sections(session, actor=self.actor, term_id=term_id)

    def roster(self, section_id: int) -> Roster:
        # A read: closing the session ends its transaction, with nothing to commit.
        with Session(self.engine) as session:
            return load_roster(session, actor=self.actor, section_id=section_id)

    def save(
        self,
        enrollment_id: int,
        expected_version: int,
        mark: str | None,
        incomplete_expires: date | None = None,
        rules: MarkRules | None = None,
    ) -> MarkSaved:
        with session_scope(self.engine) as session:
            return grading.save_mark(
                session,
                actor=self.actor,
                enrollment_id=enrollment_id,
                expected_version=expected_version,
                mark=mark,
                incomplete_expires=incomplete_expires,
                rules=rules,
            )


class MemoryRosterStore:
    """One roster kept in memory with the same validation and version rules and no database:
    the baseline the grade-entry benchmark compares the real store against, and a test double."""

    def __init__(self, roster: Roster, term: GradingTerm | None = None) -> None:
        self._roster = roster
        self._term = term or GradingTerm(0, roster.section.term_code, "", "grading", 1)
        self._rows = {r.enrollment_id: r for r in roster.rows}
        self._lock = threading.Lock()

    def terms(self) -> tuple[GradingTerm, ...]:
        return (self._term,)

    def sections(self, term_id: int) -> tuple[GradingSection, ...]:
        return (self._roster.section,)

    def roster(self, section_id: int) -> Roster:
        with self._lock:
            rows = tuple(self._rows.values())
        return replace(self._roster, rows=rows)

    def save(
        self,
        enrollment_id: int,
        expected_version: int,
        mark: str | None,
        incomplete_expires: date | None = None,
        rules: MarkRules | None = None,
    ) -> MarkSaved:
        with self._lock:
            row = self._rows[enrollment_id]
            if not row.editable:
                raise ValidationFailed("mark", "this student has withdrawn; no mark.")
            if row.version != expected_version:
                raise MarkConflict("The mark", row.mark, row.version)
            rules = self._roster.rules_for(row)
            stored = None if mark is None else grading.normalize_mark(rules, mark)
            expires = None
            if stored == grading.INCOMPLETE:
                expires = incomplete_expires or date.today() + timedelta(days=120)
            status = GradeStatus.NONE if stored is None else GradeStatus.ENTERED
            self._rows[enrollment_id] = replace(
                row,
                mark=stored,
                grade_status=status.value,
                incomplete_expires=expires,
                version=row.version + 1,
            )
            return MarkSaved(enrollment_id, stored, status.value, expires, row.version + 1)
