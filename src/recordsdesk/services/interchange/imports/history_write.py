"""Writing a checked history file: everything decided first with reads only, then written in
one short burst.

A SQLite database has one writer at a time, and a transaction holds that lock from its first
write to its commit, so every desk's save waits for as long as an import writes. The plan
therefore reads what exists (terms, courses, students, sections, enrollments) and decides every
row without writing; the write phase then only inserts and updates: the few new terms, courses,
students and sections through the ORM (their ids are needed), the enrollments as multi-row
INSERTs with ids reserved up front, the audit events in bulk. It all stays one transaction: the
whole file or nothing. A row planned as "update" is written only if the enrollment still has
the version it was planned against; otherwise the import stops, having changed nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import text, update
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
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.audit import trail as audit
from recordsdesk.services.audit.trail import plain, snapshot
from recordsdesk.services.grades import basis as bases
from recordsdesk.services.grades import marks as grading
from recordsdesk.services.interchange.imports.audit_batch import AuditBatch
from recordsdesk.services.interchange.imports.bulk import insert_rows
from recordsdesk.services.interchange.imports.common import ImportReport, Problems, Progress
from recordsdesk.services.shared.errors import RecordsError, ValidationFailed

if TYPE_CHECKING:
    from recordsdesk.services.interchange.imports.history import HistoryRow

HISTORY_SECTION = "HIST"
_IN = 1000  # ids per IN (...) list
_CHUNK = 5000  # enrollments per INSERT batch
_COURSE_LEVEL = {"elementary": "elementary", "secondary": "secondary"}
_ENROLLMENT = Enrollment.__table__  # type: ignore[attr-defined]


class ImportStale(RecordsError):
    """A record the import planned to change was changed at another desk meanwhile."""


def _new_line(row: HistoryRow) -> Callable[[], str]:
    return lambda: f"line {row.line}: {row.number} {row.term} {row.course} {row.mark}"


@dataclass
class _Update:
    enrollment: Enrollment
    version: int
    before: dict[str, Any]
    after: dict[str, Any]


@dataclass
class _Plan:
    new_terms: list[Term] = field(default_factory=list)
    new_courses: list[Course] = field(default_factory=list)
    new_students: list[Student] = field(default_factory=list)
    new_sections: dict[tuple[str, str], Section] = field(default_factory=dict)
    updates: list[_Update] = field(default_factory=list)
    enrollments: list[HistoryRow] = field(default_factory=list)


class HistoryWriter:
    """Plans with reads only (`check_marks`, `plan`), then writes the plan (`write`)."""

    def __init__(
        self, session: Session, actor: Actor, report: ImportReport, problems: Problems
    ) -> None:
        self.session, self.actor, self.report, self.problems = session, actor, report, problems
        institution = session.exec(select(Institution).order_by(col(Institution.id))).first()
        assert institution is not None
        self.institution = institution
        self.rules: dict[int, grading.MarkRules] = {}
        self.courses: dict[str, Course] = {}
        self.terms: dict[str, Term] = {}
        self.students: dict[str, Student] = {}
        self.sections: dict[tuple[str, str], Section] = {}
        self.plan_: _Plan = _Plan()
        self.batch = AuditBatch(session, actor, reason=f"import {report.source}")
        self.rows: list[tuple[Any, ...]] = []
        self.first_ids: dict[str, int] = {}
        self.now = utcnow()
        self._noted = False

    def _scale_rules(self, scale_id: int) -> grading.MarkRules:
        if scale_id not in self.rules:
            self.rules[scale_id] = grading.rules_for_scale(self.session, scale_id)
        return self.rules[scale_id]

    def check_marks(self, rows: list[HistoryRow]) -> None:
        """Each mark against its course's scale (the default scale for a course to be made)."""
        codes = sorted({r.course for r in rows})
        for start in range(0, len(codes), _IN):
            for course in self.session.exec(
                select(Course).where(col(Course.code).in_(codes[start : start + _IN]))
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
                row.mark, row.basis = self._mark_and_basis(row, scale_id)
            except ValidationFailed as exc:
                self.problems.add(row.line, exc.message, "mark")

    def _mark_and_basis(self, row: HistoryRow, scale_id: int) -> tuple[str, str]:
        """The stored mark and its basis: the one the file names, else the one its mark implies
        when the course's scale does not have it (P on a letter scale: pass/no pass; AU: audit),
        else graded."""
        if row.basis and row.basis != bases.GRADED:
            return grading.normalize_mark(grading.rules_for_basis(row.basis), row.mark), row.basis
        rules = self._scale_rules(scale_id)
        implied = bases.implied_basis(row.mark)
        if not row.basis and implied is not None and row.mark.upper() not in rules.marks:
            return grading.normalize_mark(grading.rules_for_basis(implied), row.mark), implied
        return grading.normalize_mark(rules, row.mark), bases.GRADED

    # -- the plan: reads only ------------------------------------------------------------------

    def plan(self, rows: list[HistoryRow], progress: Progress) -> None:
        self._load_existing(rows)
        taken = self._enrolled()
        planned: dict[int, dict[str, Any]] = {}
        total = len(rows)
        for index, row in enumerate(rows):
            if index % 1000 == 0:
                progress("planning", index, total)
            term, course, student = self._term(row), self._course(row), self._student(row)
            existing = taken.get((student.id, term.id, course.id)) if student.id else None
            if existing is None:
                self._section(row)
                self.plan_.enrollments.append(row)
                continue
            self._update(row, existing, planned)
        self._prepare()
        progress("planning", total, total)

    def _load_existing(self, rows: list[HistoryRow]) -> None:
        codes = sorted({r.term for r in rows})
        for start in range(0, len(codes), _IN):
            for term in self.session.exec(
                select(Term).where(col(Term.code).in_(codes[start : start + _IN]))
            ):
                self.terms[term.code] = term
        numbers = sorted({r.number for r in rows})
        for start in range(0, len(numbers), _IN):
            for student in self.session.exec(
                select(Student).where(col(Student.student_number).in_(numbers[start : start + _IN]))
            ):
                self.students[student.student_number] = student
        term_codes = {t.id: code for code, t in self.terms.items()}
        course_codes = {c.id: code for code, c in self.courses.items()}
        ids = sorted(i for i in term_codes if i is not None)
        for start in range(0, len(ids), _IN):
            sections = select(Section).where(
                Section.section_code == HISTORY_SECTION,
                col(Section.term_id).in_(ids[start : start + _IN]),
            )
            for section in self.session.exec(sections):
                if section.course_id in course_codes:
                    key = (term_codes[section.term_id], course_codes[section.course_id])
                    self.sections[key] = section
        self._seen_terms: set[str] = set()
        self._seen_students: set[str] = set()

    def _enrolled(self) -> dict[tuple[Any, Any, Any], Enrollment]:
        """(student, term, course) -> the student's first enrollment there, for the file's
        students already in the records."""
        found: dict[tuple[Any, Any, Any], Enrollment] = {}
        ids = sorted(s.id for s in self.students.values() if s.id is not None)
        for start in range(0, len(ids), _IN):
            query = (
                select(Enrollment, Section.term_id, Section.course_id)
                .join(Section, col(Section.id) == col(Enrollment.section_id))
                .where(col(Enrollment.student_id).in_(ids[start : start + _IN]))
                .order_by(col(Enrollment.id))
            )
            for enrollment, term_id, course_id in self.session.exec(query):
                found.setdefault((enrollment.student_id, term_id, course_id), enrollment)
        return found

    def _term(self, row: HistoryRow) -> Term:
        from recordsdesk.services.interchange.imports.history import term_dates

        term = self.terms.get(row.term)
        if term is None:
            name, start, end = term_dates(row.term, row.term_start)
            term = Term(
                code=row.term,
                name=name,
                start_date=start,
                end_date=end,
                status=TermStatus.CLOSED.value,
            )
            self.terms[row.term] = term
            self._seen_terms.add(row.term)
            self.plan_.new_terms.append(term)
            self.report.note("term", "new", lambda: f"new term {row.term}")
        elif row.term not in self._seen_terms:
            self._seen_terms.add(row.term)
            if row.term_start is not None and row.term_start != term.start_date:
                self.report.warnings.append(
                    f"line {row.line}: term {row.term} already starts on "
                    f"{term.start_date}; term_start {row.term_start} was not applied."
                )
            self.report.note("term", "unchanged")
        return term

    def _course(self, row: HistoryRow) -> Course:
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
            self.courses[row.course] = course
            self.plan_.new_courses.append(course)
            self.report.note("course", "new", lambda: f"new course {row.course} {row.title}")
        return course

    def _student(self, row: HistoryRow) -> Student:
        found = self.students.get(row.number)
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
            self.students[row.number] = found
            self._seen_students.add(row.number)
            self.plan_.new_students.append(found)
            self.report.note("student", "new", lambda: f"line {row.line}: new student {row.number}")
        elif row.number not in self._seen_students:
            self._seen_students.add(row.number)
            if found.legal_last_name.casefold() != row.last.casefold():
                self.report.warnings.append(
                    f"line {row.line}: student {row.number} is {found.legal_last_name} in the "
                    f"records, {row.last} in the file; the record was kept."
                )
            self.report.note("student", "unchanged")
        return found

    def _section(self, row: HistoryRow) -> None:
        key = (row.term, row.course)
        if key not in self.sections:
            section = Section(
                term_id=0,
                course_id=0,
                section_code=HISTORY_SECTION,
                capacity=0,
                waitlist_capacity=0,
                grades_posted_by_id=self.actor.id,
            )
            self.sections[key] = section
            self.plan_.new_sections[key] = section
            self.report.note("section", "new")

    @staticmethod
    def _wanted(row: HistoryRow) -> dict[str, Any]:
        status = EnrollmentStatus.WITHDRAWN if row.mark == "W" else EnrollmentStatus.COMPLETED
        return {
            "status": status.value,
            "mark": row.mark,
            "grading_basis": row.basis or bases.GRADED,
            "credits": row.credits,
            "grade_status": GradeStatus.POSTED.value,
        }

    def _update(
        self, row: HistoryRow, existing: Enrollment, planned: dict[int, dict[str, Any]]
    ) -> None:
        assert existing.id is not None
        current = planned.setdefault(
            existing.id, {k: getattr(existing, k) for k in self._wanted(row)}
        )
        changed = {k: v for k, v in self._wanted(row).items() if current[k] != v}
        if not changed:
            self.report.note("enrollment", "unchanged")
            return
        before = {
            k: str(current[k]) if isinstance(current[k], Decimal) else current[k] for k in changed
        }
        old_mark = current["mark"]
        current.update(changed)
        after = {k: plain(v) for k, v in changed.items()}
        self.plan_.updates.append(_Update(existing, existing.version, before, after))
        self.report.note(
            "enrollment",
            "updated",
            lambda: (
                f"line {row.line}: {row.number} {row.term} {row.course} "
                f"{old_mark or '-'} -> {row.mark}"
            ),
        )

    # -- the write: one short burst --------------------------------------------------------------

    def write(self, progress: Progress) -> None:
        """Write the plan into the caller's transaction: only inserts and updates, everything
        else was prepared before the first write."""
        plan, session = self.plan_, self.session
        if session.connection().dialect.name == "sqlite":
            audit.hold_chain_lock(session)  # the write lock, before the ids are checked
            if self._next_ids() != self.first_ids:  # another desk inserted since: redo
                self._prepare()
        total = len(plan.enrollments) + len(plan.updates)
        progress("writing history", 0, total)
        creates = AuditBatch(session, self.actor, reason=self.batch.reason)
        made: list[tuple[str, Any]] = [
            *(("term", t) for t in plan.new_terms),
            *(("course", c) for c in plan.new_courses),
        ]
        session.add_all([row for _entity, row in made])
        session.flush()
        for (term_code, course_code), section in plan.new_sections.items():
            term_id, course_id = self.terms[term_code].id, self.courses[course_code].id
            assert term_id is not None and course_id is not None
            section.term_id, section.course_id = term_id, course_id
        made += [("student", s) for s in plan.new_students]
        made += [("section", s) for s in plan.new_sections.values()]
        session.add_all([*plan.new_students, *plan.new_sections.values()])
        session.flush()
        for entity, row in made:
            creates.add(
                action="create",
                entity=entity,
                entity_id=row.id,
                student_id=row.id if entity == "student" else None,
                after=snapshot(row),
            )
        for n, change in enumerate(plan.updates):
            self._write_update(change, creates, self.now)
            if n % 1000 == 0:
                progress("writing history", n, total)
        creates.flush()
        columns = [c.name for c in _ENROLLMENT.columns]
        for start in range(0, len(self.rows), _CHUNK):
            insert_rows(session, _ENROLLMENT, columns, self.rows[start : start + _CHUNK])
            progress("writing history", len(plan.updates) + start, total)
        self.batch.flush()
        progress("writing history", total, total)

    def _write_update(self, update_: _Update, batch: AuditBatch, now: Any) -> None:
        enrollment = update_.enrollment
        values = dict(update_.after)
        if "credits" in values:
            values["credits"] = Decimal(values["credits"])
        table = _ENROLLMENT
        found = self.session.execute(
            update(table)
            .where(table.c.id == enrollment.id, table.c.version == update_.version)
            .values(
                **values,
                version=table.c.version + 1,
                posted_at=now,
                posted_by_id=self.actor.id,
                mark_entered_at=now,
                mark_entered_by_id=self.actor.id,
            )
        )
        if found.rowcount != 1:  # type: ignore[attr-defined]
            raise ImportStale(
                f"Enrollment {enrollment.id} was changed at another desk while the file was "
                "being checked; nothing was imported. Run the import again."
            )
        batch.add(
            action="update",
            entity="enrollment",
            entity_id=enrollment.id,
            student_id=enrollment.student_id,
            before=update_.before | {"version": update_.version},
            after=update_.after | {"version": update_.version + 1},
        )

    # -- ids and rows, prepared before the first write ----------------------------------------

    def _next_ids(self) -> dict[str, int]:
        """SQLite: the next id of each table new rows go into, as it stands now."""
        return {
            table: int(
                self.session.execute(text(f"SELECT coalesce(max(id), 0) + 1 FROM {table}")).scalar()
                or 1
            )
            for table in ("student", "section", "enrollment")
        }

    def _ids(self) -> dict[str, list[int]]:
        """Ids for the new students, sections and enrollments. PostgreSQL draws them from the
        sequences (no other desk can take them); SQLite takes the next ones as they stand,
        and `write` checks them again once it holds the write lock."""
        plan = self.plan_
        counts = {
            "student": len(plan.new_students),
            "section": len(plan.new_sections),
            "enrollment": len(plan.enrollments),
        }
        if self.session.connection().dialect.name == "postgresql":
            self.first_ids = {}
            return {
                table: [
                    int(r[0])
                    for r in self.session.execute(
                        text(
                            f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) "
                            "FROM generate_series(1, :n)"
                        ),
                        {"n": count},
                    )
                ]
                if count
                else []
                for table, count in counts.items()
            }
        self.first_ids = self._next_ids()
        return {
            table: list(range(self.first_ids[table], self.first_ids[table] + count))
            for table, count in counts.items()
        }

    def _prepare(self) -> None:
        """Give the new rows their ids and build every new enrollment's row and audit event."""
        plan = self.plan_
        ids = self._ids()
        self.now = now = utcnow()
        for student, student_id in zip(plan.new_students, ids["student"], strict=True):
            student.id = student_id
        for section, section_id in zip(plan.new_sections.values(), ids["section"], strict=True):
            section.id, section.grades_posted_at = section_id, now
        self.batch = AuditBatch(self.session, self.actor, reason=f"import {self.report.source}")
        columns = [c.name for c in _ENROLLMENT.columns]
        template = Enrollment(student_id=0, section_id=0).model_dump()
        self.rows = []
        for row, enrollment_id in zip(plan.enrollments, ids["enrollment"], strict=True):
            owner = self.students[row.number].id
            data = dict(template)
            data.update(
                self._wanted(row),
                id=enrollment_id,
                student_id=owner,
                section_id=self.sections[(row.term, row.course)].id,
                registered_at=now,
                status_changed_at=now,
                mark_entered_at=now,
                mark_entered_by_id=self.actor.id,
                posted_at=now,
                posted_by_id=self.actor.id,
            )
            self.rows.append(tuple(data[c] for c in columns))
            self.batch.add(
                action="create",
                entity="enrollment",
                entity_id=enrollment_id,
                student_id=owner,
                after=data,
            )
        if not self._noted:  # a redo after another desk took the ids is not counted twice
            self._noted = True
            for row in plan.enrollments:
                self.report.note("enrollment", "new", _new_line(row))
