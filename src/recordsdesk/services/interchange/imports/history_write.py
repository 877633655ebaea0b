"""Writing a checked history file: everything decided first with reads only, then written in
one short burst.

A SQLite database has one writer at a time, and a transaction holds that lock from its first
write to its commit, so every desk's save waits for as long as an import writes. The plan
therefore reads what exists (terms, courses, students, sections, enrollments) and decides every
row without writing, and prepares every new row and audit event as plain tuples, ids included.
The write phase takes the write lock (SQLite: BEGIN IMMEDIATE; PostgreSQL: the audit chain's
lock every change takes), checks that what the plan read still holds (`_recheck`), and then
only inserts and updates: the few new terms, courses and sections through the ORM, students,
enrollments and audit events as multi-row INSERTs straight to the driver, the lookup index
brought up to date in one statement. It all stays one transaction: the whole file or nothing.
A row planned as "update" is written only if the enrollment still has the version it was
planned against; a record the plan counted as missing that another desk made meanwhile stops
the import the same way, having changed nothing.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, select, text, update
from sqlmodel import Session, col
from sqlmodel import select as model_select

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
from recordsdesk.services.audit.detail import IMPORT_ACTION, StudentDetail
from recordsdesk.services.audit.trail import plain, snapshot
from recordsdesk.services.grades import basis as bases
from recordsdesk.services.grades import marks as grading
from recordsdesk.services.interchange.imports.audit_batch import AuditBatch
from recordsdesk.services.interchange.imports.bulk import (
    can_stage,
    convert_rows,
    insert_rows,
    insert_staged,
    stage_rows,
)
from recordsdesk.services.interchange.imports.common import ImportReport, Problems, Progress
from recordsdesk.services.interchange.imports.name_index import DeferredNameIndex
from recordsdesk.services.interchange.imports.standings import decide_standings
from recordsdesk.services.shared.errors import RecordsError, ValidationFailed
from recordsdesk.services.transcripts import totals

if TYPE_CHECKING:
    from recordsdesk.services.interchange.imports.history import HistoryRow

HISTORY_SECTION = "HIST"
_IN = 1000  # ids per IN (...) list
_CHUNK = 5000  # rows per INSERT batch
#: New students from which the lookup index is brought up to date in one statement at the end
#: instead of by its per-row triggers (fewer are not worth touching the schema for).
_DEFER_INDEX_FROM = 1000
_STANDING_CHUNK = 2000  # students whose standings are decided, and flushed, together
_COURSE_LEVEL = {"elementary": "elementary", "secondary": "secondary"}
_ENROLLMENT: Table = Enrollment.__table__  # type: ignore[attr-defined]
_STUDENT: Table = Student.__table__  # type: ignore[attr-defined]
_SECTION: Table = Section.__table__  # type: ignore[attr-defined]
_TABLES = ("term", "course", "student", "section", "enrollment")
# Enum values read once (an enum member's `.value` costs a descriptor call per row).
_WITHDRAWN, _COMPLETED = EnrollmentStatus.WITHDRAWN.value, EnrollmentStatus.COMPLETED.value
_POSTED, _GRADED = GradeStatus.POSTED.value, bases.GRADED
#: What a student's audit event lists of each enrollment the import made for them.
_AUDITED = ("line", "enrollment", "term", "course", "section", "mark", "credits", "basis", "status")
#: The columns a history row sets on its enrollment (`HistoryWriter._wanted`).
_WANTED = ("status", "mark", "grading_basis", "credits", "grade_status")


class ImportStale(RecordsError):
    """A record the import planned on was changed or made at another desk meanwhile."""


def _stale(what: str) -> ImportStale:
    return ImportStale(
        f"{what} at another desk while the file was being checked; nothing was imported. "
        "Run the import again."
    )


def _status_and_basis(row: HistoryRow) -> tuple[str, str]:
    """The enrollment status and grading basis a history row gives its course."""
    return _WITHDRAWN if row.mark == "W" else _COMPLETED, row.basis or _GRADED


def _new_line(row: HistoryRow) -> str:
    return f"line {row.line}: {row.number} {row.term} {row.course} {row.mark}"


def _chunks(values: Sequence[Any], size: int = _IN) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


@dataclass(slots=True)
class _Person:
    """A student of the file: one in the records (`values` None) or one to create."""

    id: int | None
    number: str
    last: str
    values: dict[str, Any] | None = None
    line: int = 0  # the first line naming a student to create


@dataclass
class _Update:
    enrollment_id: int
    student_id: int
    version: int
    before: dict[str, Any]
    after: dict[str, Any]
    row: HistoryRow


@dataclass
class _Plan:
    new_terms: list[Term] = field(default_factory=list)
    new_courses: list[Course] = field(default_factory=list)
    new_students: list[_Person] = field(default_factory=list)
    new_sections: dict[tuple[str, str], Section] = field(default_factory=dict)
    updates: list[_Update] = field(default_factory=list)
    enrollments: list[HistoryRow] = field(default_factory=list)
    #: How many enrollments the file's students in the records had when the plan read them.
    enrolled_count: int = 0


class HistoryWriter:
    """Plans with reads only (`check_marks`, `plan`), then writes the plan (`write`)."""

    def __init__(
        self, session: Session, actor: Actor, report: ImportReport, problems: Problems
    ) -> None:
        self.session, self.actor, self.report, self.problems = session, actor, report, problems
        institution = session.exec(model_select(Institution).order_by(col(Institution.id))).first()
        assert institution is not None
        self.institution = institution
        self.rules: dict[int, grading.MarkRules] = {}
        self.courses: dict[str, Course] = {}
        self.terms: dict[str, Term] = {}
        self.students: dict[str, _Person] = {}
        self.sections: dict[tuple[str, str], Section] = {}
        self.plan_: _Plan = _Plan()
        self.now = utcnow()
        self.batch = AuditBatch(session, actor, reason=f"import {report.source}", at=self.now)
        self.student_rows: list[tuple[Any, ...]] = []
        self.rows: list[tuple[Any, ...]] = []
        self.first_ids: dict[str, int] = {}
        self.read_ids: dict[str, int] = {}
        self.staged: dict[str, str] = {}  # table -> its staging table (PostgreSQL)
        self._noted = False
        self.dialect = session.connection().dialect.name
        #: student number -> the codes of the terms the file gives them marks in
        self.touched: dict[str, set[str]] = {}

    def _scale_rules(self, scale_id: int) -> grading.MarkRules:
        if scale_id not in self.rules:
            self.rules[scale_id] = grading.rules_for_scale(self.session, scale_id)
        return self.rules[scale_id]

    def check_marks(self, rows: list[HistoryRow]) -> None:
        """Each mark against its course's scale (the default scale for a course to be made)."""
        for codes in _chunks(sorted({r.course for r in rows})):
            for course in self.session.exec(
                model_select(Course).where(col(Course.code).in_(codes))
            ):
                self.courses[course.code.upper()] = course
        default = self.institution.default_grading_scale_id
        decided: dict[tuple[int, str, str], tuple[str, str]] = {}
        for row in rows:
            known = self.courses.get(row.course)
            scale_id = known.grading_scale_id if known is not None else default
            if scale_id is None:
                self.problems.add(row.line, "the institution has no default grading scale.", "mark")
                continue
            key = (scale_id, row.mark, row.basis)
            found = decided.get(key)
            if found is None:
                try:
                    found = decided[key] = self._mark_and_basis(row, scale_id)
                except ValidationFailed as exc:
                    self.problems.add(row.line, exc.message, "mark")
                    continue
            row.mark, row.basis = found

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
        # Where each table ended before the first read: a row past it was made meanwhile.
        self.read_ids = self._next_ids() if self.dialect == "sqlite" else {}
        self._load_existing(rows)
        taken = self._enrolled()
        planned: dict[int, dict[str, Any]] = {}
        total = len(rows)
        terms, courses, people, sections = self.terms, self.courses, self.students, self.sections
        seen_terms, seen_students = self._seen_terms, self._seen_students
        touched, enrollments = self.touched, self.plan_.enrollments
        for index, row in enumerate(rows):
            if index % 1000 == 0:
                progress("planning", index, total)
            # A term, course or student met before needs no second look (only its first row
            # is counted or warned about): most rows take these lookups and nothing more.
            code, number = row.term, row.number
            term = terms[code] if code in seen_terms else self._term(row)
            course = courses.get(row.course)
            if course is None:
                course = self._course(row)
            student = people[number] if number in seen_students else self._student(row)
            found = touched.get(number)
            if found is None:
                found = touched[number] = set()
            found.add(code)
            existing = taken.get((student.id, term.id, course.id)) if student.id else None
            if existing is None:
                if (code, row.course) not in sections:
                    self._section(row)
                enrollments.append(row)
                continue
            self._update(row, existing, planned)
        self._prepare()
        progress("planning", total, total)

    def _load_existing(self, rows: list[HistoryRow]) -> None:
        for codes in _chunks(sorted({r.term for r in rows})):
            for term in self.session.exec(model_select(Term).where(col(Term.code).in_(codes))):
                self.terms[term.code] = term
        table = _STUDENT
        for numbers in _chunks(sorted({r.number for r in rows})):
            query = select(table.c.id, table.c.student_number, table.c.legal_last_name).where(
                table.c.student_number.in_(numbers)
            )
            for student_id, number, last in self.session.execute(query):
                self.students[number] = _Person(student_id, number, last)
        term_codes = {t.id: code for code, t in self.terms.items()}
        course_codes = {c.id: code for code, c in self.courses.items()}
        for ids in _chunks(sorted(i for i in term_codes if i is not None)):
            sections = model_select(Section).where(
                Section.section_code == HISTORY_SECTION, col(Section.term_id).in_(ids)
            )
            for section in self.session.exec(sections):
                if section.course_id in course_codes:
                    key = (term_codes[section.term_id], course_codes[section.course_id])
                    self.sections[key] = section
        self._seen_terms: set[str] = set()
        self._seen_students: set[str] = set()

    def _known_ids(self) -> list[int]:
        return sorted(p.id for p in self.students.values() if p.id is not None and not p.values)

    def _enrolled(self) -> dict[tuple[Any, Any, Any], Any]:
        """(student, term, course) -> the student's first enrollment there (plain rows, no ORM
        object per enrollment), for the file's students already in the records."""
        found: dict[tuple[Any, Any, Any], Any] = {}
        enrollment, section = _ENROLLMENT, _SECTION
        count = 0
        for ids in _chunks(self._known_ids()):
            query = (
                select(
                    enrollment.c.id,
                    enrollment.c.student_id,
                    enrollment.c.version,
                    enrollment.c.status,
                    enrollment.c.mark,
                    enrollment.c.grading_basis,
                    enrollment.c.credits,
                    enrollment.c.grade_status,
                    section.c.term_id,
                    section.c.course_id,
                )
                .join(section, section.c.id == enrollment.c.section_id)
                .where(enrollment.c.student_id.in_(ids))
                .order_by(enrollment.c.id)
            )
            for row in self.session.execute(query):
                count += 1
                found.setdefault((row.student_id, row.term_id, row.course_id), row)
        self.plan_.enrolled_count = count
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

    def _student(self, row: HistoryRow) -> _Person:
        found = self.students.get(row.number)
        if found is None:
            values = {
                "student_number": row.number,
                "legal_last_name": row.last,
                "legal_first_name": row.first,
                "birth_date": row.birth,
                "status": StudentStatus.ACTIVE.value,
            }
            found = _Person(None, row.number, row.last, values, row.line)
            self.students[row.number] = found
            self._seen_students.add(row.number)
            self.plan_.new_students.append(found)
            self.report.note("student", "new", lambda: f"line {row.line}: new student {row.number}")
        elif row.number not in self._seen_students:
            self._seen_students.add(row.number)
            if found.last.casefold() != row.last.casefold():
                self.report.warnings.append(
                    f"line {row.line}: student {row.number} is {found.last} in the "
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
        status, basis = _status_and_basis(row)
        return {
            "status": status,
            "mark": row.mark,
            "grading_basis": basis,
            "credits": row.credits,
            "grade_status": _POSTED,
        }

    def _update(self, row: HistoryRow, existing: Any, planned: dict[int, dict[str, Any]]) -> None:
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
        self.plan_.updates.append(
            _Update(existing.id, existing.student_id, existing.version, before, after, row)
        )
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
        else was prepared before the first write. Raises ImportStale when another desk made or
        changed a record the plan depended on."""
        plan, session = self.plan_, self.session
        total = len(plan.enrollments) + len(plan.updates)
        audit.hold_chain_lock(session)  # the write lock (SQLite) or the chain's (PostgreSQL)
        progress("writing history", 0, total)  # from here to the commit other desks wait
        self._recheck()
        creates = AuditBatch(session, self.actor, reason=self.batch.reason, at=self.now)
        made: list[tuple[str, Any]] = [
            *(("term", t) for t in plan.new_terms),
            *(("course", c) for c in plan.new_courses),
        ]
        if made:
            session.add_all([row for _entity, row in made])
            session.flush()
        for (term_code, course_code), section in plan.new_sections.items():
            term_id, course_id = self.terms[term_code].id, self.courses[course_code].id
            assert term_id is not None and course_id is not None
            section.term_id, section.course_id = term_id, course_id
        if plan.new_sections:
            session.add_all(list(plan.new_sections.values()))
            session.flush()
        made += [("section", s) for s in plan.new_sections.values()]
        for entity, row in made:
            creates.add(
                action="create",
                entity=entity,
                entity_id=row.id,
                student_id=None,
                after=snapshot(row),
            )
        index = DeferredNameIndex(session)
        if len(self.student_rows) >= _DEFER_INDEX_FROM:
            first = plan.new_students[0].id
            assert first is not None
            index.suspend(first - 1)
        self._insert(_STUDENT, self.student_rows, progress)
        for n, change in enumerate(plan.updates):
            self._write_update(change)
            if n % 1000 == 0:
                progress("writing history", n, total)
        creates.flush()
        # Each new enrollment's student noted stale once, not once per row (SQLite).
        notes = None
        if len(self.rows) >= _DEFER_INDEX_FROM and index.connection is not None:
            notes = totals.defer_inserted_notes(index.connection)
        self._insert(_ENROLLMENT, self.rows, progress)
        if notes is not None:
            at = self._columns(_ENROLLMENT).index("student_id")
            totals.note_inserted(index.connection, dict.fromkeys(r[at] for r in self.rows), notes)
        self._queue_standings()
        self.batch.flush()
        index.finish()
        progress("writing history", total, total)

    @staticmethod
    def _columns(table: Table) -> list[str]:
        return [c.name for c in table.columns]

    def _insert(self, table: Table, rows: Sequence[tuple[Any, ...]], progress: Progress) -> None:
        """All of `rows` into `table`: from the staging table in one statement where they were
        staged (PostgreSQL), else in multi-row INSERTs, reporting progress."""
        columns = self._columns(table)
        staged = self.staged.get(table.name)
        if staged is not None:
            insert_staged(self.session, table, staged, columns)
            return
        for start in range(0, len(rows), _CHUNK):
            insert_rows(self.session, table, columns, rows[start : start + _CHUNK], converted=True)
            if table is _ENROLLMENT:
                done, total = len(self.plan_.updates) + start, len(self.plan_.updates) + len(rows)
                progress("writing history", done, total)

    def _queue_standings(self) -> None:
        """Each imported term's academic standing, decided by the rules posting applies and in
        term order (transcripts.standing.decide_many), after the history is committed and its
        term totals refreshed: a few thousand students per transaction, so other desks wait for
        one step, not the import."""
        term_ids = {code: term.id for code, term in self.terms.items()}
        touched = {
            self.students[number].id: [term_ids[code] for code in codes]
            for number, codes in self.touched.items()
        }
        students = sorted(s for s in touched if s is not None)
        total = len(students)
        reason = self.batch.reason
        for start in range(0, total, _STANDING_CHUNK):
            chunk = {
                s: [t for t in touched[s] if t is not None]
                for s in students[start : start + _STANDING_CHUNK]
            }
            self.report.follow_up.append(
                functools.partial(decide_standings, self.actor, reason, chunk, start, total)
            )

    def _write_update(self, update_: _Update) -> None:
        values = dict(update_.after)
        if "credits" in values:
            values["credits"] = Decimal(values["credits"])
        table, now = _ENROLLMENT, self.now
        found = self.session.execute(
            update(table)
            .where(table.c.id == update_.enrollment_id, table.c.version == update_.version)
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
            raise _stale(f"Enrollment {update_.enrollment_id} was changed")

    # -- what the plan depended on, checked again under the lock ---------------------------------

    def _recheck(self) -> None:
        """Under the write lock: refuse (ImportStale) if another desk made a record the plan
        counted as missing (a student number, a term or course code, a history section) or
        enrolled one of the file's students since the plan read them; on SQLite give the new
        rows ids again if other desks' rows took the planned ones. Changed enrollments are
        caught by their versions when written."""
        now = self._next_ids() if self.dialect == "sqlite" else {}
        if now and now == self.read_ids:
            return  # nothing was inserted anywhere since the plan read: nothing it read is stale
        plan = self.plan_
        checks: list[tuple[str, Table, str, list[str]]] = [
            ("student", _STUDENT, "student_number", [p.number for p in plan.new_students]),
            ("term", Term.__table__, "code", [t.code for t in plan.new_terms]),  # type: ignore[attr-defined]
            ("course", Course.__table__, "code", [c.code for c in plan.new_courses]),  # type: ignore[attr-defined]
        ]
        for entity, table, column, keys in checks:
            for chunk in _chunks(keys):
                made = self.session.execute(
                    select(table.c[column]).where(table.c[column].in_(chunk)).limit(1)
                ).scalar()
                if made is not None:
                    raise _stale(f"The {entity} {made} was created")
        self._recheck_sections()
        enrolled = sum(
            int(
                self.session.execute(
                    select(text("count(*)"))
                    .select_from(_ENROLLMENT)
                    .where(_ENROLLMENT.c.student_id.in_(ids))
                ).scalar()
                or 0
            )
            for ids in _chunks(self._known_ids())
        )
        if enrolled != plan.enrolled_count:
            raise _stale("Students in this file were enrolled or dropped")
        if now and now != self.first_ids:
            self._prepare()  # other desks' rows took the ids the plan gave

    def _recheck_sections(self) -> None:
        pairs = [
            (self.terms[t].id, self.courses[c].id)
            for t, c in self.plan_.new_sections
            if self.terms[t].id is not None and self.courses[c].id is not None
        ]
        for chunk in _chunks(sorted({term_id for term_id, _course in pairs})):
            wanted = {p for p in pairs if p[0] in chunk}
            query = select(_SECTION.c.term_id, _SECTION.c.course_id).where(
                _SECTION.c.section_code == HISTORY_SECTION, _SECTION.c.term_id.in_(chunk)
            )
            if any(tuple(found) in wanted for found in self.session.execute(query)):
                raise _stale("A history section was created")

    # -- ids and rows, prepared before the first write ----------------------------------------

    def _next_ids(self) -> dict[str, int]:
        """The next id of each table new rows go into, as it stands now."""
        return {
            table: int(
                self.session.execute(text(f"SELECT coalesce(max(id), 0) + 1 FROM {table}")).scalar()
                or 1
            )
            for table in _TABLES
        }

    def _ids(self) -> dict[str, Iterable[int]]:
        """Ids for the new students, sections and enrollments. PostgreSQL draws them from the
        sequences (no other desk can take them); SQLite takes the next ones as they stand,
        and `write` checks them again once it holds the write lock."""
        plan = self.plan_
        counts = {
            "student": len(plan.new_students),
            "section": len(plan.new_sections),
            "enrollment": len(plan.enrollments),
        }
        if self.dialect == "postgresql":
            self.first_ids = {}
            return {table: self._drawn(table, count) for table, count in counts.items()}
        self.first_ids = self._next_ids()
        return {
            table: range(self.first_ids[table], self.first_ids[table] + count)
            for table, count in counts.items()
        }

    def _drawn(self, table: str, count: int) -> list[int]:
        if not count:
            return []
        query = text(
            f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, :n)"
        )
        return [int(r[0]) for r in self.session.execute(query, {"n": count})]

    def _prepare(self) -> None:
        """Give the new rows their ids and build every new student's and enrollment's row and
        each student's audit event (plain tuples and JSON, so the write phase only inserts)."""
        plan = self.plan_
        ids = self._ids()
        now = self.now
        batch = AuditBatch(self.session, self.actor, reason=self.batch.reason, at=now)
        student_columns = [c.name for c in _STUDENT.columns]
        student_template = Student(student_number="", legal_last_name="").model_dump()
        student_template |= {"created_at": now, "updated_at": now, "version": 1}
        self.student_rows = []
        # student id -> what the import writes for them: one audit event each (`_audit`)
        detail: dict[int, StudentDetail] = {}
        for person, student_id in zip(plan.new_students, ids["student"], strict=True):
            person.id = student_id
            data = student_template | (person.values or {}) | {"id": student_id}
            self.student_rows.append(tuple(data[c] for c in student_columns))
            made = {k: plain(v) for k, v in (person.values or {}).items() if v is not None}
            detail[student_id] = StudentDetail(made | {"line": person.line}, _AUDITED)
        for section, section_id in zip(plan.new_sections.values(), ids["section"], strict=True):
            section.id, section.grades_posted_at = section_id, now
        columns = [c.name for c in _ENROLLMENT.columns]
        template = Enrollment(student_id=0, section_id=0).model_dump() | {
            "registered_at": now,
            "status_changed_at": now,
            "mark_entered_at": now,
            "mark_entered_by_id": self.actor.id,
            "posted_at": now,
            "posted_by_id": self.actor.id,
        }
        self.rows = []
        base = [template[c] for c in columns]  # each row: a copy with its own values put in
        i_id, i_student, i_section = (columns.index(c) for c in ("id", "student_id", "section_id"))
        i_status, i_mark, i_basis, i_credits, i_grade = (columns.index(c) for c in _WANTED)
        people, rows = self.students, self.rows
        sections = {key: section.id for key, section in self.sections.items()}
        for row, enrollment_id in zip(plan.enrollments, ids["enrollment"], strict=True):
            owner = people[row.number].id
            assert owner is not None
            mark, amount = row.mark, row.credits
            status, basis = _status_and_basis(row)
            values = base.copy()
            values[i_id], values[i_student] = enrollment_id, owner
            values[i_section] = sections[(row.term, row.course)]
            values[i_status], values[i_mark], values[i_basis] = status, mark, basis
            values[i_credits], values[i_grade] = amount, _POSTED
            rows.append(tuple(values))
            found = detail.get(owner)
            if found is None:
                found = detail[owner] = StudentDetail(columns=_AUDITED)
            found.rows.append(
                [row.line, enrollment_id, row.term, row.course, HISTORY_SECTION, mark, str(amount),
                 basis, status]
            )  # fmt: skip
        for change in plan.updates:
            found = detail.get(change.student_id)
            if found is None:
                found = detail[change.student_id] = StudentDetail(columns=_AUDITED)
            where = {
                "line": change.row.line,
                "enrollment": change.enrollment_id,
                "term": change.row.term,
                "course": change.row.course,
            }
            found.corrected_before.append(where | change.before | {"version": change.version})
            found.corrected_after.append(where | change.after | {"version": change.version + 1})
        for student_id, what in detail.items():
            before, after = what.event()
            batch.add(
                action=IMPORT_ACTION,
                entity="student",
                entity_id=student_id,
                student_id=student_id,
                before=before,
                after=after,
            )
        self.batch = batch
        if self.dialect == "postgresql" and can_stage(self.session):  # sent now, before the lock
            self.staged = {
                table.name: stage_rows(self.session, table, self._columns(table), rows)
                for table, rows in ((_STUDENT, self.student_rows), (_ENROLLMENT, self.rows))
                if rows
            }
        elif self.dialect != "postgresql":  # converted for the driver now, before the lock
            self.student_rows = convert_rows(
                self.session, _STUDENT, self._columns(_STUDENT), self.student_rows
            )
            self.rows = convert_rows(
                self.session, _ENROLLMENT, self._columns(_ENROLLMENT), self.rows
            )
        if not self._noted:  # a redo after another desk took the ids is not counted twice
            self._noted = True
            self.report.note_many("enrollment", "new", plan.enrollments, _new_line)
