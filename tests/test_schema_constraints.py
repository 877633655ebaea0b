"""The database itself refuses rows the domain forbids, on SQLite and PostgreSQL alike.

Each case starts from a world of valid rows built by the factories and inserts one row that breaks
exactly one rule; the error must come from the database and name the constraint (or, where SQLite
does not name it, the columns), so a case cannot pass by failing for an unrelated reason.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel

from recordsdesk.db import SQLITE_BUSY_TIMEOUT_MS, open_database
from recordsdesk.models import (
    AdmissionApplication,
    AuditEvent,
    ContactNote,
    Course,
    Enrollment,
    GradeMark,
    GradingScale,
    Hold,
    Institution,
    Prerequisite,
    Program,
    ProgramRequirement,
    ScreeningItem,
    Section,
    StaffUser,
    Student,
    Term,
    TranscriptRequest,
    TransferCredit,
)
from tests.factories import (
    add,
    make_course,
    make_enrollment,
    make_hold,
    make_program,
    make_section,
    make_staff,
    make_student,
    make_term,
    scale_id,
)

MISSING_ID = 987_654


@dataclass
class World:
    """Valid rows every case can point at."""

    session: Session
    staff: StaffUser
    program: Program
    course: Course
    other_course: Course
    term: Term
    section: Section
    student: Student
    application: AdmissionApplication
    scale_id: int

    @property
    def staff_id(self) -> int:
        assert self.staff.id is not None
        return self.staff.id


@pytest.fixture
def world(engine: Engine) -> Iterator[World]:
    with Session(engine) as session:
        program = make_program(session)
        course = make_course(session)
        term = make_term(session)
        student = make_student(session, program_id=program.id)
        application = add(
            session,
            AdmissionApplication(
                student_id=student.id, program_id=program.id, applied_on=date(2026, 1, 15)
            ),
        )
        yield World(
            session=session,
            staff=make_staff(session),
            program=program,
            course=course,
            other_course=make_course(session),
            term=term,
            section=make_section(session, course=course, term=term),
            student=student,
            application=application,
            scale_id=scale_id(session),
        )
        session.rollback()


def check(table: str, name: str) -> tuple[str, ...]:
    """Both engines name a violated CHECK constraint in the message."""
    return (f"ck_{table}_{name}",)


def unique(table: str, *columns: str) -> tuple[str, ...]:
    """PostgreSQL names the constraint; SQLite lists the columns."""
    return (
        f"uq_{table}_{'_'.join(columns)}",
        "UNIQUE constraint failed: " + ", ".join(f"{table}.{c}" for c in columns),
    )


def foreign_key(table: str, column: str, referred: str) -> tuple[str, ...]:
    """PostgreSQL names the constraint; SQLite only says a foreign key failed."""
    return (f"fk_{table}_{column}_{referred}", "FOREIGN KEY constraint failed")


Build = Callable[[World], SQLModel]
Case = tuple[str, Build, tuple[str, ...]]


def _dup_enrollment(w: World) -> SQLModel:
    make_enrollment(w.session, w.student, w.section)
    return Enrollment(student_id=w.student.id, section_id=w.section.id)


def _dup_section(w: World) -> SQLModel:
    return Section(course_id=w.course.id, term_id=w.term.id, section_code=w.section.section_code)


def _dup_prerequisite(w: World) -> SQLModel:
    add(w.session, Prerequisite(course_id=w.course.id, required_course_id=w.other_course.id))
    return Prerequisite(course_id=w.course.id, required_course_id=w.other_course.id)


def _dup_requirement(w: World) -> SQLModel:
    add(w.session, ProgramRequirement(program_id=w.program.id, course_id=w.course.id))
    return ProgramRequirement(program_id=w.program.id, course_id=w.course.id)


def _dup_screening(w: World) -> SQLModel:
    add(w.session, ScreeningItem(application_id=w.application.id, item="transcript"))
    return ScreeningItem(application_id=w.application.id, item="transcript")


def _hold(w: World, **fields: object) -> Hold:
    values: dict[str, object] = {
        "student_id": w.student.id,
        "hold_type": "financial",
        "reason": "Unpaid balance",
        "placed_by_id": w.staff_id,
    }
    values.update(fields)
    return Hold(**values)


def _student(**fields: object) -> Student:
    values: dict[str, object] = {"student_number": "X-1", "legal_last_name": "Okafor"}
    values.update(fields)
    return Student(**values)


def _enrollment(w: World, **fields: object) -> Enrollment:
    return Enrollment(student_id=w.student.id, section_id=w.section.id, **fields)


def _term(**fields: object) -> Term:
    values: dict[str, object] = {
        "code": "2027SP",
        "name": "Spring 2027",
        "start_date": date(2027, 1, 10),
        "end_date": date(2027, 5, 10),
    }
    values.update(fields)
    return Term(**values)


def _mark(w: World, **fields: object) -> GradeMark:
    values: dict[str, object] = {"scale_id": w.scale_id, "mark": "Z", "points": Decimal("1")}
    values.update(fields)
    return GradeMark(**values)


def _institution(**fields: object) -> Institution:
    return Institution(name="Second", short_name="2nd", **fields)


DEPARTED = date(2026, 6, 1)

CASES: list[Case] = [
    # student
    (
        "student number duplicate",
        lambda w: _student(student_number=w.student.student_number),
        unique("student", "student_number"),
    ),
    (
        "student status unknown",
        lambda w: _student(status="expelled"),
        check("student", "status_valid"),
    ),
    (
        "student withdrawn without departure date",
        lambda w: _student(status="withdrawn", departure_reason="Moved away"),
        check("student", "departure_dated"),
    ),
    (
        "student graduated without departure date",
        lambda w: _student(status="graduated", departure_reason="Completed BSc"),
        check("student", "departure_dated"),
    ),
    (
        "student transferred out without departure date",
        lambda w: _student(status="transferred_out", departure_reason="Transfer"),
        check("student", "departure_dated"),
    ),
    (
        "student departed without reason",
        lambda w: _student(status="withdrawn", departure_date=DEPARTED),
        check("student", "departure_reasoned"),
    ),
    (
        "student last name empty",
        lambda w: _student(legal_last_name=""),
        check("student", "last_name_present"),
    ),
    (
        "student admitted after departure",
        lambda w: _student(admission_date=date(2026, 9, 1), departure_date=DEPARTED),
        check("student", "dates_ordered"),
    ),
    ("student version zero", lambda w: _student(version=0), check("student", "version_positive")),
    (
        "student program missing",
        lambda w: _student(program_id=MISSING_ID),
        foreign_key("student", "program_id", "program"),
    ),
    (
        "student entry term missing",
        lambda w: _student(entry_term_id=MISSING_ID),
        foreign_key("student", "entry_term_id", "term"),
    ),
    # hold
    (
        "hold blocks nothing",
        lambda w: _hold(w, blocks_registration=False, blocks_transcript=False),
        check("hold", "blocks_something"),
    ),
    ("hold reason empty", lambda w: _hold(w, reason=""), check("hold", "reason_present")),
    (
        "hold type unknown",
        lambda w: _hold(w, hold_type="parking"),
        check("hold", "hold_type_valid"),
    ),
    (
        "hold released by nobody",
        lambda w: _hold(w, released_at=datetime(2026, 10, 1, tzinfo=UTC)),
        check("hold", "release_complete"),
    ),
    (
        "hold released at no time",
        lambda w: _hold(w, released_by_id=w.staff_id),
        check("hold", "release_complete"),
    ),
    (
        "hold student missing",
        lambda w: _hold(w, student_id=MISSING_ID),
        foreign_key("hold", "student_id", "student"),
    ),
    (
        "hold placed by missing staff",
        lambda w: _hold(w, placed_by_id=MISSING_ID),
        foreign_key("hold", "placed_by_id", "staff_user"),
    ),
    # enrollment
    (
        "enrollment duplicate student and section",
        _dup_enrollment,
        unique("enrollment", "student_id", "section_id"),
    ),
    (
        "enrollment graded without mark",
        lambda w: _enrollment(w, grade_status="entered"),
        check("enrollment", "graded_has_mark"),
    ),
    (
        "enrollment posted without mark",
        lambda w: _enrollment(w, grade_status="posted", status="completed"),
        check("enrollment", "graded_has_mark"),
    ),
    (
        "enrollment waitlisted without position",
        lambda w: _enrollment(w, status="waitlisted"),
        check("enrollment", "waitlist_positioned"),
    ),
    (
        "enrollment status unknown",
        lambda w: _enrollment(w, status="auditing"),
        check("enrollment", "status_valid"),
    ),
    (
        "enrollment grade status unknown",
        lambda w: _enrollment(w, grade_status="final", mark="A"),
        check("enrollment", "grade_status_valid"),
    ),
    (
        "enrollment version zero",
        lambda w: _enrollment(w, version=0),
        check("enrollment", "version_positive"),
    ),
    (
        "enrollment student missing",
        lambda w: Enrollment(student_id=MISSING_ID, section_id=w.section.id),
        foreign_key("enrollment", "student_id", "student"),
    ),
    (
        "enrollment section missing",
        lambda w: Enrollment(student_id=w.student.id, section_id=MISSING_ID),
        foreign_key("enrollment", "section_id", "section"),
    ),
    # term
    (
        "term ends before it starts",
        lambda w: _term(end_date=date(2027, 1, 9)),
        check("term", "dates_ordered"),
    ),
    (
        "term add/drop after the end",
        lambda w: _term(add_drop_deadline=date(2027, 5, 11)),
        check("term", "add_drop_in_term"),
    ),
    (
        "term withdraw deadline after the end",
        lambda w: _term(withdraw_deadline=date(2027, 6, 1)),
        check("term", "withdraw_in_term"),
    ),
    ("term status unknown", lambda w: _term(status="open"), check("term", "status_valid")),
    ("term code duplicate", lambda w: _term(code=w.term.code), unique("term", "code")),
    # section
    (
        "section capacity negative",
        lambda w: Section(course_id=w.course.id, term_id=w.term.id, section_code="X", capacity=-1),
        check("section", "capacity_nonnegative"),
    ),
    (
        "section waitlist capacity negative",
        lambda w: Section(
            course_id=w.course.id, term_id=w.term.id, section_code="X", waitlist_capacity=-1
        ),
        check("section", "waitlist_nonnegative"),
    ),
    (
        "section ends before it starts",
        lambda w: Section(
            course_id=w.course.id,
            term_id=w.term.id,
            section_code="X",
            start_time=time(10, 0),
            end_time=time(9, 0),
        ),
        check("section", "times_ordered"),
    ),
    (
        "section code duplicate in term",
        _dup_section,
        unique("section", "term_id", "course_id", "section_code"),
    ),
    (
        "section course missing",
        lambda w: Section(course_id=MISSING_ID, term_id=w.term.id, section_code="X"),
        foreign_key("section", "course_id", "course"),
    ),
    (
        "section term missing",
        lambda w: Section(course_id=w.course.id, term_id=MISSING_ID, section_code="X"),
        foreign_key("section", "term_id", "term"),
    ),
    # catalog
    (
        "course credits negative",
        lambda w: Course(
            code="NEG1",
            title="t",
            credits=Decimal("-1"),
            level="graduate",
            grading_scale_id=w.scale_id,
        ),
        check("course", "credits_nonnegative"),
    ),
    (
        "course weight negative",
        lambda w: Course(
            code="NEG2",
            title="t",
            credits=Decimal("3"),
            level="secondary",
            grading_scale_id=w.scale_id,
            weight=Decimal("-0.5"),
        ),
        check("course", "weight_nonnegative"),
    ),
    (
        "course level unknown",
        lambda w: Course(
            code="LVL",
            title="t",
            credits=Decimal("3"),
            level="doctoral",
            grading_scale_id=w.scale_id,
        ),
        check("course", "level_valid"),
    ),
    (
        "course scale missing",
        lambda w: Course(
            code="SCL",
            title="t",
            credits=Decimal("3"),
            level="graduate",
            grading_scale_id=MISSING_ID,
        ),
        foreign_key("course", "grading_scale_id", "grading_scale"),
    ),
    (
        "course code duplicate",
        lambda w: Course(
            code=w.course.code,
            title="t",
            credits=Decimal("3"),
            level="graduate",
            grading_scale_id=w.scale_id,
        ),
        unique("course", "code"),
    ),
    (
        "prerequisite on itself",
        lambda w: Prerequisite(course_id=w.course.id, required_course_id=w.course.id),
        check("prerequisite", "not_self"),
    ),
    (
        "prerequisite duplicate",
        _dup_prerequisite,
        unique("prerequisite", "course_id", "required_course_id"),
    ),
    (
        "prerequisite course missing",
        lambda w: Prerequisite(course_id=w.course.id, required_course_id=MISSING_ID),
        foreign_key("prerequisite", "required_course_id", "course"),
    ),
    (
        "program level unknown",
        lambda w: Program(code="PX", name="x", level="postdoc"),
        check("program", "level_valid"),
    ),
    (
        "program credits negative",
        lambda w: Program(code="PY", name="y", level="graduate", required_credits=Decimal("-3")),
        check("program", "required_credits_nonnegative"),
    ),
    (
        "program code duplicate",
        lambda w: Program(code=w.program.code, name="z", level="graduate"),
        unique("program", "code"),
    ),
    (
        "program requirement duplicate",
        _dup_requirement,
        unique("program_requirement", "program_id", "course_id"),
    ),
    # grading
    (
        "grade mark band inverted",
        lambda w: _mark(w, min_percent=Decimal("90"), max_percent=Decimal("80")),
        check("grade_mark", "percent_band"),
    ),
    (
        "grade mark band half open",
        lambda w: _mark(w, min_percent=Decimal("90")),
        check("grade_mark", "percent_band"),
    ),
    (
        "grade mark points negative",
        lambda w: _mark(w, points=Decimal("-1")),
        check("grade_mark", "points_nonnegative"),
    ),
    (
        "grade mark in GPA without points",
        lambda w: _mark(w, points=None, counts_in_gpa=True),
        check("grade_mark", "gpa_needs_points"),
    ),
    (
        "grade mark duplicate in scale",
        lambda w: _mark(w, mark="A-"),
        unique("grade_mark", "scale_id", "mark"),
    ),
    (
        "grade mark scale missing",
        lambda w: _mark(w, scale_id=MISSING_ID),
        foreign_key("grade_mark", "scale_id", "grading_scale"),
    ),
    (
        "grading scale kind unknown",
        lambda w: GradingScale(code="ODD", name="odd", kind="emoji"),
        check("grading_scale", "kind_valid"),
    ),
    (
        "grading scale code duplicate",
        lambda w: GradingScale(code="US-PM", name="again", kind="letter"),
        unique("grading_scale", "code"),
    ),
    # institution and staff
    (
        "institution GPA decimals out of range",
        lambda w: _institution(gpa_decimals=5),
        check("institution", "gpa_decimals_range"),
    ),
    (
        "institution credit load zero",
        lambda w: _institution(max_credit_load=Decimal("0")),
        check("institution", "max_credit_load_positive"),
    ),
    (
        "institution repeat policy unknown",
        lambda w: _institution(repeat_policy="first"),
        check("institution", "repeat_policy_valid"),
    ),
    (
        "institution rounding unknown",
        lambda w: _institution(gpa_rounding="banker"),
        check("institution", "gpa_rounding_valid"),
    ),
    (
        "institution level unknown",
        lambda w: _institution(level="kindergarten"),
        check("institution", "level_valid"),
    ),
    (
        "institution idle lock negative",
        lambda w: _institution(idle_lock_minutes=-1),
        check("institution", "idle_lock_nonnegative"),
    ),
    (
        "institution default scale missing",
        lambda w: _institution(default_grading_scale_id=MISSING_ID),
        foreign_key("institution", "default_grading_scale_id", "grading_scale"),
    ),
    (
        "staff role unknown",
        lambda w: StaffUser(username="someone", role="dean"),
        check("staff_user", "role_valid"),
    ),
    (
        "staff username duplicate",
        lambda w: StaffUser(username=w.staff.username, role="clerk"),
        unique("staff_user", "username"),
    ),
    # admission, contact, transcripts, transfer credit, audit
    (
        "application decided without date",
        lambda w: AdmissionApplication(
            student_id=w.student.id,
            program_id=w.program.id,
            applied_on=date(2026, 2, 1),
            decision="admit",
        ),
        check("admission_application", "decision_dated"),
    ),
    (
        "application decision unknown",
        lambda w: AdmissionApplication(
            student_id=w.student.id,
            program_id=w.program.id,
            applied_on=date(2026, 2, 1),
            decision="maybe",
            decision_date=date(2026, 3, 1),
        ),
        check("admission_application", "decision_valid"),
    ),
    (
        "application student missing",
        lambda w: AdmissionApplication(
            student_id=MISSING_ID, program_id=w.program.id, applied_on=date(2026, 2, 1)
        ),
        foreign_key("admission_application", "student_id", "student"),
    ),
    (
        "screening item duplicate",
        _dup_screening,
        unique("screening_item", "application_id", "item"),
    ),
    (
        "contact note empty",
        lambda w: ContactNote(student_id=w.student.id, author_id=w.staff_id, body=""),
        check("contact_note", "body_present"),
    ),
    (
        "contact note author missing",
        lambda w: ContactNote(student_id=w.student.id, author_id=MISSING_ID, body="Called"),
        foreign_key("contact_note", "author_id", "staff_user"),
    ),
    (
        "transcript request format unknown",
        lambda w: TranscriptRequest(
            student_id=w.student.id, requested_by_id=w.staff_id, format="fax"
        ),
        check("transcript_request", "format_valid"),
    ),
    (
        "transcript request status unknown",
        lambda w: TranscriptRequest(
            student_id=w.student.id, requested_by_id=w.staff_id, status="lost"
        ),
        check("transcript_request", "status_valid"),
    ),
    (
        "transfer credit negative",
        lambda w: TransferCredit(
            student_id=w.student.id,
            source_institution="Elsewhere College",
            credits=Decimal("-3"),
            awarded_on=date(2026, 1, 5),
        ),
        check("transfer_credit", "credits_nonnegative"),
    ),
    (
        "transfer credit student missing",
        lambda w: TransferCredit(
            student_id=MISSING_ID,
            source_institution="Elsewhere College",
            credits=Decimal("3"),
            awarded_on=date(2026, 1, 5),
        ),
        foreign_key("transfer_credit", "student_id", "student"),
    ),
    (
        "audit event actor missing",
        lambda w: AuditEvent(
            actor_id=MISSING_ID, actor_username="ghost", action="create", entity="student"
        ),
        foreign_key("audit_event", "actor_id", "staff_user"),
    ),
]


@pytest.mark.parametrize(
    ("build", "evidence"), [pytest.param(b, e, id=name) for name, b, e in CASES]
)
def test_database_rejects(world: World, build: Build, evidence: tuple[str, ...]) -> None:
    row = build(world)
    with pytest.raises(IntegrityError) as raised:
        with world.session.begin_nested():
            world.session.add(row)
            world.session.flush()
    message = str(raised.value.orig)
    assert any(word in message for word in evidence), message


def test_world_rows_are_accepted(world: World) -> None:
    """The control: the factories' rows and a fully valid row of each guarded kind go in."""
    session = world.session
    make_enrollment(session, world.student, world.section, grade_status="entered", mark="B+")
    make_enrollment(
        session, make_student(session), world.section, status="waitlisted", waitlist_position=1
    )
    make_hold(session, world.student, placed_by_id=world.staff_id, blocks_transcript=True)
    make_student(
        session,
        status="graduated",
        admission_date=date(2022, 9, 1),
        departure_date=date(2026, 5, 20),
        departure_reason="Completed the programme",
    )
    add(session, Prerequisite(course_id=world.course.id, required_course_id=world.other_course.id))
    add(session, _mark(world, min_percent=Decimal("50"), max_percent=Decimal("50")))
    session.flush()
    assert world.section.id is not None and world.term.id is not None


# --- SQLite settings (these open their own file databases; PostgreSQL has no pragmas) ---------


def _pragma(engine: Engine, name: str) -> object:
    with engine.connect() as connection:
        return connection.exec_driver_sql(f"PRAGMA {name}").scalar()


def test_sqlite_pragmas_in_effect(tmp_path: Path) -> None:
    engine = open_database(f"sqlite:///{tmp_path / 'records.db'}")
    try:
        assert _pragma(engine, "foreign_keys") == 1
        assert _pragma(engine, "journal_mode") == "wal"
        assert _pragma(engine, "synchronous") == 2  # FULL
        busy_timeout = _pragma(engine, "busy_timeout")
        assert isinstance(busy_timeout, int) and busy_timeout > 0
        assert busy_timeout == SQLITE_BUSY_TIMEOUT_MS
    finally:
        engine.dispose()


def test_sqlite_pragmas_on_every_pooled_connection(tmp_path: Path) -> None:
    """Pragmas are per connection: a second connection checked out at once has them too."""
    engine = open_database(f"sqlite:///{tmp_path / 'records.db'}")
    try:
        with engine.connect() as first, engine.connect() as second:
            for connection in (first, second):
                assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
                assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2
    finally:
        engine.dispose()


def test_new_sqlite_database_is_private(tmp_path: Path) -> None:
    """Student records are confidential: a new database file is readable by its owner only,
    and so are the WAL files SQLite creates beside it."""
    old_umask = os.umask(0o022)
    try:
        path = tmp_path / "nested" / "records.db"
        engine = open_database(f"sqlite:///{path}")
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
            assert mode == 0o600, oct(mode)
            with engine.connect() as connection:
                wal = Path(f"{path}-wal")
                assert wal.exists()
                assert stat.S_IMODE(wal.stat().st_mode) == 0o600
                connection.exec_driver_sql("SELECT 1")
        finally:
            engine.dispose()
    finally:
        os.umask(old_umask)
