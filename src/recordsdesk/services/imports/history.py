"""`import history`: a legacy system's academic history, one row per course a student took.

Columns: student_number, last_name, first_name, birth_date, term, course_code, course_title,
credits, mark, and optionally term_start. Students, terms, courses and sections the row names
but the database lacks are created (terms closed, courses on the institution's default scale,
one `HIST` section per course and term); each row becomes a completed enrollment with its mark
posted. A student already enrolled in that course and term keeps that enrollment (its mark is
corrected if it differs), so running the file again changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from recordsdesk.models import (
    Course,
    Enrollment,
    EnrollmentStatus,
    GradeStatus,
    Institution,
    Section,
    Student,
    StudentStatus,
    Term,
    TermStatus,
    utcnow,
)
from recordsdesk.services import grading, validation
from recordsdesk.services.actor import Actor
from recordsdesk.services.audit import snapshot
from recordsdesk.services.errors import ValidationFailed
from recordsdesk.services.imports.audit_batch import AuditBatch
from recordsdesk.services.imports.common import (
    ImportReport,
    Problems,
    Progress,
    no_progress,
    read_csv,
    read_file,
)
from recordsdesk.services.permissions import Action, authorize

REQUIRED = (
    "student_number",
    "last_name",
    "first_name",
    "birth_date",
    "term",
    "course_code",
    "course_title",
    "credits",
    "mark",
)
KNOWN = (*REQUIRED, "term_start")
HISTORY_SECTION = "HIST"
TERM_CODE = re.compile(r"(\d{4})(WI|SP|SU|FA)")
#: season -> (name, default start (month, day), default end (month, day)); WI < SP < SU < FA.
SEASONS = {
    "WI": ("Winter", (1, 2), (1, 20)),
    "SP": ("Spring", (1, 21), (5, 15)),
    "SU": ("Summer", (5, 25), (8, 10)),
    "FA": ("Fall", (8, 25), (12, 20)),
}
#: Marks that mean the course is not over: history holds only finished courses.
UNFINISHED = {"I", "IP"}
_CHUNK = 1000
_COURSE_LEVEL = {"elementary": "elementary", "secondary": "secondary"}


@dataclass
class _Row:
    line: int
    number: str
    last: str
    first: str
    birth: date | None
    term: str
    term_start: date | None
    course: str
    title: str
    credits: Decimal
    mark: str


def term_dates(code: str, start: date | None = None) -> tuple[str, date, date]:
    """(name, start, end) of a term code like 2024FA; `start` moves the term, keeping its length."""
    found = TERM_CODE.fullmatch(code)
    if found is None:
        raise ValidationFailed("term", f"{code!r} is not a term code (year then WI, SP, SU or FA).")
    year, season = int(found.group(1)), found.group(2)
    name, (m1, d1), (m2, d2) = SEASONS[season]
    default_start, default_end = date(year, m1, d1), date(year, m2, d2)
    if start is None:
        return f"{name} {year}", default_start, default_end
    return f"{name} {year}", start, start + (default_end - default_start)


def _parse(path: Path, problems: Problems, progress: Progress) -> list[_Row]:
    table = read_csv(read_file(path, problems), path.name, problems, required=REQUIRED, known=KNOWN)
    rows: list[_Row] = []
    seen: dict[tuple[str, str, str], int] = {}
    people: dict[str, tuple[int, str, str, date | None]] = {}
    term_starts: dict[str, tuple[int, date | None]] = {}
    total = len(table.rows)
    for index, cells in enumerate(table.rows):
        if index % 2000 == 0:
            progress("checking", index, total)
        line, bad = cells.line, len(problems.items)
        number, last = cells.get("student_number"), cells.get("last_name")
        term, course = cells.get("term").upper(), cells.get("course_code").upper()
        if not number or len(number) > 20:
            problems.add(line, "must be 1 to 20 characters.", "student_number")
        if not last:
            problems.add(line, "the last name is required.", "last_name")
        for column in ("last_name", "first_name", "course_title"):
            if "\n" in cells.get(column) or "\r" in cells.get(column):
                problems.add(line, "contains a line break.", column)
        birth = start = None
        for column in ("birth_date", "term_start"):
            try:
                value = validation.clean_date(column, cells.get(column))
            except ValidationFailed as exc:
                problems.add(line, exc.message, column)
                continue
            if column == "birth_date":
                birth = value
            else:
                start = value
        try:
            term_dates(term)
        except ValidationFailed as exc:
            problems.add(line, exc.message, "term")
        if not course or len(course) > 20:
            problems.add(line, "must be 1 to 20 characters.", "course_code")
        try:
            amount = Decimal(cells.get("credits"))
            if not amount.is_finite() or not Decimal(0) <= amount < Decimal(1000):
                raise InvalidOperation
            if amount != amount.quantize(Decimal("0.01")):
                raise InvalidOperation
        except InvalidOperation:
            problems.add(line, f"{cells.get('credits')!r} is not a number of credits.", "credits")
            amount = Decimal(0)
        mark = cells.get("mark")
        if not mark:
            problems.add(line, "the mark is empty.", "mark")
        elif mark.upper() in UNFINISHED:
            problems.add(
                line, f"{mark} is not a final mark; history takes finished courses.", "mark"
            )
        key = (number, term, course)
        if key in seen:
            problems.add(
                line, f"{number} {term} {course} is also on line {seen[key]}.", "course_code"
            )
        seen.setdefault(key, line)
        earlier = people.setdefault(number, (line, last, cells.get("first_name"), birth))
        if (earlier[1], earlier[3]) != (last, birth):
            problems.add(
                line,
                f"student {number} has another name or birth date on line {earlier[0]}.",
                "last_name",
            )
        first_start = term_starts.setdefault(term, (line, start))
        if first_start[1] != start:
            problems.add(
                line, f"term {term} starts on another date on line {first_start[0]}.", "term_start"
            )
        if len(problems.items) == bad:
            rows.append(
                _Row(
                    line,
                    number,
                    last,
                    cells.get("first_name"),
                    birth,
                    term,
                    start,
                    course,
                    cells.get("course_title") or course,
                    amount,
                    mark,
                )
            )
    progress("checking", total, total)
    return rows


def import_history(
    session: Session,
    *,
    actor: Actor,
    path: Path,
    report: ImportReport | None = None,
    progress: Progress = no_progress,
) -> ImportReport:
    """Write the history in the CSV at `path` into the caller's transaction.

    Raises ImportFailed (every problem, with line and column, an unknown mark included) before
    writing anything. Students, enrollments and the terms, courses and sections made for them
    are audited, one event per record.
    """
    authorize(actor, Action.IMPORT_RUN)
    report = report or ImportReport("history", path.name)
    problems = Problems(path.name)
    rows = _parse(path, problems, progress)
    writer = _HistoryWriter(session, actor, report, problems)
    writer.check_marks(rows)
    problems.raise_if_any()
    writer.write(rows, progress)
    report.rows += len(rows)
    return report


def _new_line(row: _Row) -> Callable[[], str]:
    return lambda: f"line {row.line}: {row.number} {row.term} {row.course} {row.mark}"


class _HistoryWriter:
    def __init__(
        self, session: Session, actor: Actor, report: ImportReport, problems: Problems
    ) -> None:
        self.session, self.actor, self.report, self.problems = session, actor, report, problems
        self.batch = AuditBatch(session, actor, reason=f"import {report.source}")
        institution = session.exec(select(Institution).order_by(col(Institution.id))).first()
        assert institution is not None
        self.institution = institution
        self.rules: dict[int, grading.MarkRules] = {}
        self.courses: dict[str, Course] = {}
        self.terms: dict[str, Term] = {}
        self.students: dict[str, Student] = {}
        self.sections: dict[tuple[int, int], Section] = {}
        self.created: list[tuple[Enrollment, _Row]] = []

    def _scale_rules(self, scale_id: int) -> grading.MarkRules:
        if scale_id not in self.rules:
            self.rules[scale_id] = grading.rules_for_scale(self.session, scale_id)
        return self.rules[scale_id]

    def check_marks(self, rows: list[_Row]) -> None:
        """Each mark against its course's scale (the default scale for a course to be made)."""
        codes = sorted({r.course for r in rows})
        for start in range(0, len(codes), 1000):
            for course in self.session.exec(
                select(Course).where(col(Course.code).in_(codes[start : start + 1000]))
            ):
                self.courses[course.code.upper()] = course
        default = self.institution.default_grading_scale_id
        for row in rows:
            known = self.courses.get(row.course)
            scale_id = known.grading_scale_id if known is not None else default
            if scale_id is None:
                self.problems.add(row.line, "the institution has no default grading scale.", "mark")
                continue
            try:
                row.mark = grading.normalize_mark(self._scale_rules(scale_id), row.mark)
            except ValidationFailed as exc:
                self.problems.add(row.line, exc.message, "mark")

    def _audit_new(self, entity: str, row: Any, student_id: int | None = None) -> None:
        self.batch.add(
            action="create",
            entity=entity,
            entity_id=row.id,
            student_id=student_id,
            after=snapshot(row),
        )

    def _term(self, row: _Row) -> Term:
        term = self.terms.get(row.term)
        if term is None:
            term = self.session.exec(select(Term).where(Term.code == row.term)).first()
            if term is None:
                name, start, end = term_dates(row.term, row.term_start)
                term = Term(
                    code=row.term,
                    name=name,
                    start_date=start,
                    end_date=end,
                    status=TermStatus.CLOSED.value,
                )
                self.session.add(term)
                self.session.flush()
                self._audit_new("term", term)
                self.report.note("term", "new", lambda: f"new term {row.term}")
            else:
                if row.term_start is not None and row.term_start != term.start_date:
                    self.report.warnings.append(
                        f"line {row.line}: term {row.term} already starts on "
                        f"{term.start_date}; term_start {row.term_start} was not applied."
                    )
                self.report.note("term", "unchanged")
            self.terms[row.term] = term
        return term

    def _course(self, row: _Row) -> Course:
        course = self.courses.get(row.course)
        if course is None:
            level = _COURSE_LEVEL.get(self.institution.level, "undergraduate")
            scale_id = self.institution.default_grading_scale_id
            assert scale_id is not None
            course = Course(
                code=row.course,
                title=row.title,
                credits=row.credits,
                level=level,
                grading_scale_id=scale_id,
            )
            self.session.add(course)
            self.session.flush()
            self._audit_new("course", course)
            self.report.note("course", "new", lambda: f"new course {row.course} {row.title}")
            self.courses[row.course] = course
        return course

    def _student(self, row: _Row) -> Student:
        found = self.students.get(row.number)
        if found is not None:
            return found
        found = self.session.exec(
            select(Student).where(Student.student_number == row.number)
        ).first()
        if found is None:
            now = utcnow()
            found = Student(
                student_number=row.number,
                legal_last_name=row.last,
                legal_first_name=row.first,
                birth_date=row.birth,
                status=StudentStatus.ACTIVE.value,
                created_at=now,
                updated_at=now,
            )
            self.session.add(found)
            self.session.flush()
            self._audit_new("student", found, found.id)
            self.report.note("student", "new", lambda: f"line {row.line}: new student {row.number}")
        else:
            if found.legal_last_name.casefold() != row.last.casefold():
                self.report.warnings.append(
                    f"line {row.line}: student {row.number} is {found.legal_last_name} in the "
                    f"records, {row.last} in the file; the record was kept."
                )
            self.report.note("student", "unchanged")
        self.students[row.number] = found
        return found

    def _section(self, term: Term, course: Course) -> Section:
        assert term.id is not None and course.id is not None
        key = (term.id, course.id)
        section = self.sections.get(key)
        if section is None:
            section = self.session.exec(
                select(Section).where(
                    Section.term_id == term.id,
                    Section.course_id == course.id,
                    Section.section_code == HISTORY_SECTION,
                )
            ).first()
            if section is None:
                section = Section(
                    term_id=term.id,
                    course_id=course.id,
                    section_code=HISTORY_SECTION,
                    capacity=0,
                    waitlist_capacity=0,
                    grades_posted_at=utcnow(),
                    grades_posted_by_id=self.actor.id,
                )
                self.session.add(section)
                self.session.flush()
                self._audit_new("section", section)
                self.report.note("section", "new")
            self.sections[key] = section
        return section

    def write(self, rows: list[_Row], progress: Progress) -> None:
        """Rows in chunks: the chunk's students' enrollments read in one query, its new
        enrollments inserted in one flush, then audited."""
        total = len(rows)
        for start in range(0, total, _CHUNK):
            progress("writing history", start, total)
            chunk = rows[start : start + _CHUNK]
            resolved = [
                (row, self._term(row), self._course(row), self._student(row)) for row in chunk
            ]
            taken = self._enrolled({student.id for _r, _t, _c, student in resolved})
            for row, term, course, student in resolved:
                existing = taken.get((student.id, term.id, course.id))
                self._enrollment(row, student, existing, term, course)
            self.session.add_all([enrollment for enrollment, _row in self.created])
            self.session.flush()
            for enrollment, row in self.created:
                self._audit_new("enrollment", enrollment, enrollment.student_id)
                self.report.note("enrollment", "new", _new_line(row))
            self.created = []
            self.batch.flush()
        progress("writing history", total, total)

    def _enrolled(self, student_ids: set[int | None]) -> dict[tuple[Any, Any, Any], Enrollment]:
        """(student, term, course) -> the student's first enrollment there, for these students."""
        found: dict[tuple[Any, Any, Any], Enrollment] = {}
        ids = sorted(i for i in student_ids if i is not None)
        for start in range(0, len(ids), 1000):
            query = (
                select(Enrollment, Section.term_id, Section.course_id)
                .join(Section, col(Section.id) == col(Enrollment.section_id))
                .where(col(Enrollment.student_id).in_(ids[start : start + 1000]))
                .order_by(col(Enrollment.id))
            )
            for enrollment, term_id, course_id in self.session.exec(query):
                found.setdefault((enrollment.student_id, term_id, course_id), enrollment)
        return found

    def _enrollment(
        self, row: _Row, student: Student, existing: Enrollment | None, term: Term, course: Course
    ) -> None:
        now = utcnow()
        status = (
            EnrollmentStatus.WITHDRAWN if row.mark == "W" else EnrollmentStatus.COMPLETED
        ).value
        wanted: dict[str, Any] = {
            "status": status,
            "mark": row.mark,
            "credits": row.credits,
            "grade_status": GradeStatus.POSTED.value,
        }
        if existing is None:
            section = self._section(term, course)
            assert section.id is not None and student.id is not None
            enrollment = Enrollment(
                student_id=student.id,
                section_id=section.id,
                registered_at=now,
                status_changed_at=now,
                mark_entered_at=now,
                mark_entered_by_id=self.actor.id,
                posted_at=now,
                posted_by_id=self.actor.id,
                **wanted,
            )
            self.created.append((enrollment, row))
            return
        current = {k: getattr(existing, k) for k in wanted}
        changed = {k: v for k, v in wanted.items() if current[k] != v}
        if not changed:
            self.report.note("enrollment", "unchanged")
            return
        before = {
            k: str(current[k]) if isinstance(current[k], Decimal) else current[k] for k in changed
        } | {"version": existing.version}
        for key, value in changed.items():
            setattr(existing, key, value)
        existing.version += 1
        existing.posted_at, existing.posted_by_id = now, self.actor.id
        existing.mark_entered_at, existing.mark_entered_by_id = now, self.actor.id
        self.session.flush()
        after = {k: str(v) if isinstance(v, Decimal) else v for k, v in changed.items()}
        self.batch.add(
            action="update",
            entity="enrollment",
            entity_id=existing.id,
            student_id=student.id,
            before=before,
            after=after | {"version": existing.version},
        )
        self.report.note(
            "enrollment",
            "updated",
            lambda: (
                f"line {row.line}: {row.number} {row.term} {row.course} "
                f"{current['mark'] or '-'} -> {row.mark}"
            ),
        )
