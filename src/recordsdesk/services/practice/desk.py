"""A trainee's practice desk: a demo institution of its own, with every exercise's set-up.

The database is a file in the data directory's `practice/` folder named after the trainee, never
the real database and never reachable from it: it is built by the demo builder (which refuses
anything but a demo) and flagged `institution.practice`, so every screen and document made from
it says PRACTICE. The build is deterministic per trainee and exercise set: the seed is a digest
of both.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, time, timedelta

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from recordsdesk.config import PRIVATE_FOLDER_MODE, data_dir, sqlite_url
from recordsdesk.db import open_database, session_scope
from recordsdesk.models import (
    AdmissionApplication,
    Course,
    Enrollment,
    Hold,
    Institution,
    Program,
    ScreeningItem,
    Section,
    StaffUser,
    Student,
    Term,
)
from recordsdesk.services.access.actor import system_actor
from recordsdesk.services.admissions.checklist import checklist_items
from recordsdesk.services.audit import trail as audit
from recordsdesk.services.demo import build_demo_database
from recordsdesk.services.practice.exercise import Exercise, Setup, load_exercises
from recordsdesk.services.shared.errors import RecordsError

#: A practice institution is small: it is built while the trainee waits.
PRACTICE_STUDENTS = 300
DEFAULT_TRAINEE = "trainee"
FOLDER = "practice"


def trainee_slug(name: str) -> str:
    """The trainee's name as a file name: letters and digits kept, the rest joined by '-'."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.strip().lower()).strip("-")[:40]
    if not slug:
        raise RecordsError("--trainee: give the trainee's name (letters or digits).")
    return slug


def practice_database_url(trainee: str) -> str:
    """Where the trainee's practice database lives: `practice/<name>.db` in the data folder
    (0700, as the data folder is)."""
    folder = data_dir() / FOLDER
    folder.mkdir(mode=PRIVATE_FOLDER_MODE, exist_ok=True)
    return sqlite_url(folder / f"{trainee_slug(trainee)}.db")


def practice_seed(trainee: str, exercises: Sequence[Exercise]) -> int:
    """A seed from the trainee and the exercise set: the same pair builds the same desk."""
    digest = hashlib.sha256(trainee_slug(trainee).encode())
    for exercise in exercises:
        digest.update(f"\0{exercise.id}\0{exercise.source}".encode())
    return int.from_bytes(digest.digest()[:7], "big")


@dataclass(frozen=True)
class PracticeDesk:
    url: str
    trainee: str
    reused: bool


def build_practice_database(
    trainee: str,
    *,
    rebuild: bool = False,
    progress: Callable[[str], None] = lambda _line: None,
    exercises: Sequence[Exercise] | None = None,
    url: str | None = None,
    today: date | None = None,
) -> PracticeDesk:
    """Build (or reuse) the trainee's practice desk and set up every exercise in it. Raises
    NotADemoDatabase, changing nothing, if the target holds real records."""
    exercises = load_exercises() if exercises is None else exercises
    url = url or practice_database_url(trainee)
    summary = build_demo_database(
        url,
        students=PRACTICE_STUDENTS,
        seed=practice_seed(trainee, exercises),
        rebuild=rebuild,
        progress=progress,
        today=today,
    )
    if summary.reused:
        engine = open_database(url)
        try:
            if not is_practice(engine):
                raise RecordsError(
                    "That database is a demo, not a practice desk; give another --database, "
                    "or add --rebuild to replace the demo with a practice desk."
                )
        finally:
            engine.dispose()
        return PracticeDesk(url, trainee, reused=True)
    engine = open_database(url)
    try:
        with session_scope(engine) as session:
            session.execute(update(Institution).values(practice=True))
            for exercise in exercises:
                apply_setup(session, exercise.setup, exercise_id=exercise.id)
    finally:
        engine.dispose()
    return PracticeDesk(url, trainee, reused=False)


def _term(session: Session, kind: str) -> Term:
    term = session.exec(
        select(Term).where(Term.status == ("in_progress" if kind == "current" else kind))
        .order_by(col(Term.start_date))
    ).first()  # fmt: skip
    if term is None:
        raise RecordsError(f"The demo has no {kind.replace('_', ' ')} term for an exercise.")
    return term


def apply_setup(session: Session, setup: Setup, *, exercise_id: str = "") -> None:
    """Write one exercise's set-up (students, sections, enrollments, holds, applications) into
    the session, as data the demo might hold, and one audit event saying so: action `setup`,
    entity `practice`, by the system account (the checks read only the trainee's events, never
    the system's), with what it made, so the trail tells set-up rows from the trainee's work."""
    registrar = session.exec(select(StaffUser).where(StaffUser.username == "registrar")).first()
    placed_by = registrar or session.exec(select(StaffUser).order_by(col(StaffUser.id))).first()
    assert placed_by is not None and placed_by.id is not None
    students: dict[str, int] = {}
    for s in setup.students:
        program = (
            session.exec(select(Program).where(Program.code == s.program)).first()
            if s.program
            else None
        )
        row = Student(
            student_number=s.number,
            legal_first_name=s.first_name,
            legal_last_name=s.last_name,
            birth_date=date.fromisoformat(s.birth_date),
            email=f"{s.first_name}.{s.last_name}@example.edu".lower().replace(" ", ""),
            status=s.status,
            program_id=program.id if program else None,
            admission_date=None if s.status == "applicant" else date(2025, 8, 20),
        )
        session.add(row)
        session.flush()
        assert row.id is not None
        students[s.ref] = row.id
    sections: dict[str, int] = {}
    for sec in setup.sections:
        course = session.exec(select(Course).where(Course.code == sec.course)).first()
        if course is None:
            raise RecordsError(f"The demo catalog has no course {sec.course} for an exercise.")
        section = Section(
            course_id=course.id or 0,
            term_id=_term(session, sec.term).id or 0,
            section_code=sec.code,
            instructor="Dr. Practice",
            capacity=sec.capacity,
            meeting_days="TR",
            start_time=time(8, 0),
            end_time=time(8, 50),
            room="PRACTICE",
        )
        session.add(section)
        session.flush()
        assert section.id is not None
        sections[sec.ref] = section.id
        for ref in sec.filled_by:
            session.add(Enrollment(student_id=students[ref], section_id=section.id))
    for e in setup.enrollments:
        session.add(Enrollment(student_id=students[e.student], section_id=sections[e.section]))
    for h in setup.holds:
        session.add(
            Hold(
                student_id=students[h.student],
                hold_type=h.hold_type,
                reason=h.reason,
                blocks_registration=h.blocks_registration,
                blocks_transcript=h.blocks_transcript,
                placed_by_id=placed_by.id,
            )
        )
    session.flush()
    for a in setup.applications:
        _application(session, students[a.student], a.missing, placed_by.id)
    audit.record(
        session,
        system_actor(session),
        action="setup",
        entity="practice",
        entity_id=exercise_id,
        after={
            "students": sorted(s.number for s in setup.students),
            "sections": [f"{s.course} {s.code}" for s in setup.sections],
            "enrollments": len(setup.enrollments) + sum(len(s.filled_by) for s in setup.sections),
            "holds": len(setup.holds),
            "applications": len(setup.applications),
        },
        reason="practice exercise set-up: demo data, not a trainee's work",
    )


def _application(
    session: Session, student_id: int, missing: Sequence[str], recorded_by_id: int
) -> None:
    """An open application to the student's program for the term open for registration, with
    the office's checklist, every document received but those `missing` (each of which must be
    on the checklist, or the exercise does not fit this office)."""
    student = session.get(Student, student_id)
    assert student is not None
    if student.program_id is None:
        raise RecordsError(f"An exercise's applicant {student.student_number} names no program.")
    items = checklist_items(session, student.program_id)
    names = {item for item, _required in items}
    for item in missing:
        if item not in names:
            raise RecordsError(
                f"An exercise needs {item!r} on the admission checklist, and this office's "
                f"checklist has {', '.join(sorted(names)) or 'nothing'}."
            )
    term = _term(session, "registration_open")
    application = AdmissionApplication(
        student_id=student_id,
        program_id=student.program_id,
        entry_term_id=term.id,
        applied_on=date.today() - timedelta(days=21),
    )
    session.add(application)
    session.flush()
    assert application.id is not None
    received = date.today() - timedelta(days=14)
    for item, required in items:
        got = item not in missing
        session.add(
            ScreeningItem(
                application_id=application.id,
                item=item,
                required=required,
                received_on=received if got else None,
                recorded_by_id=recorded_by_id if got else None,
            )
        )
    session.flush()


def subject_ids(session: Session, exercise: Exercise) -> dict[str, int]:
    """The set-up's ref names -> ids in this database (students by number, sections by course,
    term kind and code)."""
    ids: dict[str, int] = {}
    for s in exercise.setup.students:
        found = session.exec(select(Student.id).where(Student.student_number == s.number)).first()
        if found is None:
            raise RecordsError(f"This practice desk has no student {s.number}; rebuild it.")
        ids[s.ref] = found
    for sec in exercise.setup.sections:
        term = _term(session, sec.term)
        section_id = session.exec(
            select(Section.id).join(Course, col(Course.id) == col(Section.course_id))
            .where(Course.code == sec.course, Section.term_id == term.id,
                   Section.section_code == sec.code)
        ).first()  # fmt: skip
        if section_id is None:
            raise RecordsError(f"This practice desk has no section {sec.course} {sec.code}.")
        ids[sec.ref] = section_id
    for a in exercise.setup.applications:
        application_id = session.exec(
            select(AdmissionApplication.id)
            .where(AdmissionApplication.student_id == ids[a.student])
            .order_by(col(AdmissionApplication.id))
        ).first()
        if application_id is None:
            raise RecordsError(f"This practice desk has no application for {a.student}.")
        ids[a.ref] = application_id
    return ids


def is_practice(engine: Engine) -> bool:
    with session_scope(engine) as session:
        return bool(session.exec(select(Institution.practice)).first())
