"""A large history import holds the write lock only for its write phase, and checks again, once
it holds the lock, what its plan read: another desk's save while the file is being checked goes
through at once, and a record another desk made or changed meanwhile stops the import with a
plain message, having written nothing. Run on both engines."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func
from sqlmodel import select

from recordsdesk import db
from recordsdesk.db import make_engine, session_scope
from recordsdesk.models import AuditEvent, Enrollment, Student
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.audit.verify import verify_chain
from recordsdesk.services.grades.marks import save_mark
from recordsdesk.services.interchange.imports.history_write import ImportStale
from recordsdesk.services.interchange.imports.runner import run_import
from recordsdesk.services.shared.errors import StaleRecord
from tests.factories import make_student
from tests.grading_data import GradedSection, make_graded_section
from tests.test_faults import history_csv

ROWS = 2000  # 50 students of 40 courses each


@pytest.fixture
def impatient(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """Another desk that gives up on a held lock after 0.2 s instead of 10."""
    monkeypatch.setattr(db, "SQLITE_BUSY_TIMEOUT_MS", 200)
    monkeypatch.setattr(db, "POSTGRES_LOCK_TIMEOUT_MS", 200)
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def graded(engine: Engine) -> GradedSection:
    with session_scope(engine) as session:
        return make_graded_section(session, scale="PCT-SEC", course_code="MATH7")


def _count(engine: Engine, model: type) -> int:
    with session_scope(engine) as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def _import_with(
    engine: Engine, system: Actor, csv: Path, meanwhile: Callable[[], None], *, end: bool = False
) -> list[str]:
    """Import `csv`, running `meanwhile` once half-way through the plan (reads only), or with
    `end` once the plan is done and its rows prepared, just before the write phase."""
    stages: list[str] = []

    def progress(stage: str, done: int, total: int) -> None:
        stages.append(stage)
        due = done == total if end else 0 < done < total and done >= total // 2
        if stage == "planning" and due and "ran" not in stages:
            stages.append("ran")
            meanwhile()

    run_import(engine, actor=system, kind="history", path=csv, progress=progress)
    return stages


def test_a_mark_save_during_the_plan_goes_through_at_once(
    engine: Engine, impatient: Engine, graded: GradedSection, system: Actor, tmp_path: Path
) -> None:
    csv = history_csv(tmp_path / "history.csv", ROWS)
    bob = graded.enrollment_ids["[b]Bob"]
    saved: list[str] = []

    def save() -> None:
        with session_scope(impatient) as session:
            done = save_mark(session, actor=system, enrollment_id=bob, expected_version=1, mark="B")
            saved.append(str(done))

    stages = _import_with(engine, system, csv, save)
    assert "ran" in stages and saved, stages
    with session_scope(engine) as session:
        assert session.get(Enrollment, bob).mark == "B"  # type: ignore[union-attr]
        assert verify_chain(session, actor=system).intact
    assert _count(engine, Enrollment) == ROWS + len(graded.enrollment_ids) + 1  # + the repeat


def test_a_student_made_meanwhile_stops_the_import(
    engine: Engine, impatient: Engine, system: Actor, tmp_path: Path
) -> None:
    csv = history_csv(tmp_path / "history.csv", ROWS)
    enrollments, events = _count(engine, Enrollment), _count(engine, AuditEvent)

    def admit(number: str = "K000007") -> None:
        with session_scope(impatient) as session:
            make_student(session, student_number=number)

    with pytest.raises(ImportStale, match="student K000007 was created at another desk"):
        _import_with(engine, system, csv, admit)
    assert _count(engine, Enrollment) == enrollments
    with pytest.raises(ImportStale, match="student K000008 was created at another desk"):
        _import_with(engine, system, csv, lambda: admit("K000008"), end=True)
    assert _count(engine, Enrollment) == enrollments
    assert _count(engine, AuditEvent) == events


def test_other_desks_rows_meanwhile_only_move_the_new_ids(
    engine: Engine, impatient: Engine, graded: GradedSection, system: Actor, tmp_path: Path
) -> None:
    """Rows another desk added that the plan did not depend on (a student not in the file, an
    enrollment of another student) take ids the plan had counted on: the import takes the next
    ones and goes on."""
    csv = history_csv(tmp_path / "history.csv", ROWS)
    before = _count(engine, Enrollment)

    def admit() -> None:
        with session_scope(impatient) as session:
            make_student(session, student_number="Z-OTHER")

    _import_with(engine, system, csv, admit, end=True)
    with session_scope(engine) as session:
        assert verify_chain(session, actor=system).intact
        owners = session.exec(
            select(Student.student_number).join(Enrollment).where(Enrollment.mark == "B")
        ).all()
    assert _count(engine, Enrollment) == before + ROWS
    assert len(owners) == ROWS and all(number.startswith("K") for number in owners)


def test_an_enrollment_changed_meanwhile_stops_the_import(
    engine: Engine, impatient: Engine, system: Actor, tmp_path: Path
) -> None:
    csv = history_csv(tmp_path / "history.csv", ROWS)
    run_import(engine, actor=system, kind="history", path=csv)
    changed = csv.read_text(encoding="utf-8").replace(",3,B\n", ",3,A\n")
    (tmp_path / "changed.csv").write_text(changed, encoding="utf-8")
    with session_scope(engine) as session:
        first = session.exec(select(Enrollment).order_by(Enrollment.id)).first()  # type: ignore[arg-type]
        assert first is not None and first.id is not None
        target, version = first.id, first.version
    events = _count(engine, AuditEvent)

    def bump() -> None:
        with session_scope(impatient) as session:
            row = session.get(Enrollment, target)
            assert row is not None and row.version == version
            row.override_reason, row.version = "corrected at the counter", version + 1

    with pytest.raises(ImportStale, match=f"Enrollment {target} was changed at another desk"):
        _import_with(engine, system, tmp_path / "changed.csv", bump)
    assert _count(engine, AuditEvent) == events
    with session_scope(engine) as session:
        marks = set(session.exec(select(Enrollment.mark)).all())
    assert marks == {"B"}


def test_a_student_admitted_while_a_students_file_is_checked_stops_it(
    engine: Engine, impatient: Engine, system: Actor, tmp_path: Path
) -> None:
    lines = ["student_number,last_name,first_name,birth_date"]
    lines += [f"S{n:05d},Ngata,Aroha,2004-02-0{1 + n % 9}" for n in range(3000)]
    csv = tmp_path / "students.csv"
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    students, events = _count(engine, Student), _count(engine, AuditEvent)
    ran: list[bool] = []

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "planning" and 0 < done < total and not ran:
            ran.append(True)
            with session_scope(impatient) as session:  # another desk saves at once
                make_student(session, student_number="S02999")

    with pytest.raises(StaleRecord, match="Student S02999 was changed at another desk"):
        run_import(engine, actor=system, kind="students", path=csv, progress=progress)
    assert ran and _count(engine, Student) == students + 1
    assert _count(engine, AuditEvent) == events


def test_a_student_changed_while_a_students_file_is_checked_stops_it(
    engine: Engine, impatient: Engine, system: Actor, tmp_path: Path
) -> None:
    """Changed rows are written guarded by the version the plan read (one statement for many
    rows): a save at another desk meanwhile is seen and nothing of the file is written."""
    with session_scope(engine) as session:
        for n in range(3):
            make_student(session, student_number=f"S{n:05d}")
    lines = ["student_number,city"] + [f"S{n:05d},Wellington" for n in range(3)]
    csv = tmp_path / "students.csv"
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    events = _count(engine, AuditEvent)
    ran: list[bool] = []

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "planning" and done == total and not ran:
            ran.append(True)
            with session_scope(impatient) as session:  # another desk saves at once
                row = session.exec(select(Student).where(Student.student_number == "S00001"))
                student = row.one()
                student.city, student.version = "Hamilton", student.version + 1

    with pytest.raises(StaleRecord, match="changed at another desk"):
        run_import(engine, actor=system, kind="students", path=csv, progress=progress)
    assert ran and _count(engine, AuditEvent) == events
    with session_scope(engine) as session:
        cities = set(session.exec(select(Student.city)).all())
    assert "Wellington" not in cities


def test_a_student_admitted_after_a_students_file_is_prepared_only_moves_the_ids(
    engine: Engine, impatient: Engine, system: Actor, tmp_path: Path
) -> None:
    """The new students' rows and audit events are prepared before the write lock with the
    next ids; another desk's admission meanwhile takes one, so they are prepared again."""
    lines = ["student_number,last_name,first_name,birth_date"]
    lines += [f"S{n:05d},Ngata,Aroha,2004-02-0{1 + n % 9}" for n in range(1500)]
    csv = tmp_path / "students.csv"
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ran: list[bool] = []

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "preparing new students" and done == total and not ran:
            ran.append(True)
            with session_scope(impatient) as session:  # another desk saves at once
                make_student(session, student_number="X00001")

    report = run_import(engine, actor=system, kind="students", path=csv, progress=progress)
    assert ran and report.count("student").new == 1500
    with session_scope(engine) as session:
        ids = dict(session.exec(select(Student.student_number, Student.id)).all())
        created = session.exec(
            select(AuditEvent).where(AuditEvent.action == "create", AuditEvent.entity == "student")
        ).all()
        by_number = {json.loads(e.after or "")["student_number"]: e for e in created}
        assert all(by_number[n].entity_id == str(ids[n]) for n in ids if n.startswith("S"))
        assert verify_chain(session, actor=system).intact
