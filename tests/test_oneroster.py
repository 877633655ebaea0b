"""`import oneroster` and `export oneroster` on the four real sample sets, as they are."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func
from sqlmodel import select

from recordsdesk.db import open_database, session_scope
from recordsdesk.models import (
    AuditEvent,
    Course,
    Enrollment,
    ExternalKey,
    Program,
    Section,
    Student,
    Term,
)
from recordsdesk.services.access.actor import Actor, system_actor
from recordsdesk.services.audit.verify import verify_chain
from recordsdesk.services.interchange.exports.oneroster import export_oneroster
from recordsdesk.services.interchange.imports.common import ImportFailed
from recordsdesk.services.interchange.imports.runner import run_import
from tests.import_helpers import DATA, oneroster_fixtures

#: set -> (programs, terms, courses, sections, students, enrollments) after importing it.
EXPECTED = {
    # a gradingPeriod is not a term; the tobedeleted class and its enrollments are not imported;
    # Jim Smith is a teacher in users.csv but enrolled as a student, so he is a student too.
    "Test_full_data_set": (1, 4, 1, 1, 4, 2),
    "Test_minimal_data_set": (1, 4, 2, 2, 4, 4),
    "v1p2_full_dataset": (1, 4, 1, 1, 4, 2),
    "oneroster_test_data": (1, 1, 1, 1, 1, 1),
}
TABLES = (Program, Term, Course, Section, Student, Enrollment)


def _counts(engine: Engine) -> tuple[int, ...]:
    with session_scope(engine) as session:
        return tuple(
            session.exec(select(func.count()).select_from(model)).one() for model in TABLES
        )


def _records(engine: Engine) -> dict[str, Any]:
    """Every imported record's content, without ids or timestamps, for comparing databases."""
    with session_scope(engine) as session:
        programs = {p.id: p.code for p in session.exec(select(Program))}
        terms = {t.id: t.code for t in session.exec(select(Term))}
        courses = {c.id: c.code for c in session.exec(select(Course))}
        sections = {
            s.id: (terms[s.term_id], courses[s.course_id], s.section_code)
            for s in session.exec(select(Section))
        }
        students = {s.id: s.student_number for s in session.exec(select(Student))}
        skip = {"id", "created_at", "updated_at", "program_id", "version"}
        return {
            "programs": sorted((p.code, p.name, p.level) for p in session.exec(select(Program))),
            "terms": sorted(
                (t.code, t.name, t.start_date, t.end_date, t.status)
                for t in session.exec(select(Term))
            ),
            "courses": sorted((c.code, c.title, c.credits) for c in session.exec(select(Course))),
            "sections": sorted(
                (*sections[s.id], s.instructor, s.room) for s in session.exec(select(Section))
            ),
            "students": sorted(
                (
                    programs.get(s.program_id or 0),
                    *sorted((k, str(v)) for k, v in s.model_dump().items() if k not in skip),
                )
                for s in session.exec(select(Student))
            ),
            "enrollments": sorted(
                (students[e.student_id], sections[e.section_id], e.status)
                for e in session.exec(select(Enrollment))
            ),
        }


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_set_imports_and_reimports_unchanged(
    name: str, engine: Engine, system: Actor
) -> None:
    folder = oneroster_fixtures() / name
    dry = run_import(engine, actor=system, kind="oneroster", path=folder, dry_run=True)
    assert _counts(engine) == (0,) * 6
    report = run_import(engine, actor=system, kind="oneroster", path=folder)
    assert _counts(engine) == EXPECTED[name]
    assert report.total_changes == dry.total_changes == sum(EXPECTED[name])
    again = run_import(engine, actor=system, kind="oneroster", path=folder)
    assert again.total_changes == 0 and _counts(engine) == EXPECTED[name]
    with session_scope(engine) as session:
        keys = session.exec(select(func.count()).select_from(ExternalKey)).one()
        assert keys == sum(EXPECTED[name])
        audited = session.exec(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.entity == "student")
        ).one()
        assert audited == EXPECTED[name][4]
        assert verify_chain(session, actor=system).intact


def test_full_set_details(engine: Engine, system: Actor) -> None:
    report = run_import(
        engine, actor=system, kind="oneroster", path=oneroster_fixtures() / "Test_full_data_set"
    )
    with session_scope(engine) as session:
        section = session.exec(select(Section)).one()
        assert (section.instructor, section.room, section.section_code) == (
            "John Doe",
            "Room 2-B",
            "Phys100-1",
        )
        mary = session.exec(select(Student).where(Student.student_number == "mary.jones")).one()
        assert (mary.guardian_name, mary.guardian_relationship) == ("Thomas Jones", "parent")
        assert session.exec(select(Program)).one().code == "History"
    assert any("course crs-222-2023-456-12345 is not in the set" in w for w in report.warnings)
    assert any("to be deleted" in w for w in report.warnings)


def test_demographics_give_the_birth_date(engine: Engine, system: Actor) -> None:
    run_import(
        engine, actor=system, kind="oneroster", path=oneroster_fixtures() / "oneroster_test_data"
    )
    with session_scope(engine) as session:
        bruce = session.exec(select(Student)).one()
        assert (bruce.student_number, bruce.legal_first_name, str(bruce.birth_date)) == (
            "bruce.wayne",
            "Bruce",
            "2010-04-17",
        )


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_round_trip(
    name: str, engine: Engine, system: Actor, empty_database_url: str, tmp_path: Path
) -> None:
    run_import(engine, actor=system, kind="oneroster", path=oneroster_fixtures() / name)
    out = tmp_path / "export"
    with session_scope(engine) as session:
        result = export_oneroster(session, actor=system, folder=out)
    assert result.counts["students"] == EXPECTED[name][4]
    original = _records(engine)
    again = run_import(engine, actor=system, kind="oneroster", path=out)
    assert again.total_changes == 0 and _records(engine) == original
    fresh = open_database(empty_database_url)
    try:
        with session_scope(fresh) as session:
            fresh_system = system_actor(session)
        run_import(fresh, actor=fresh_system, kind="oneroster", path=out)
        assert _records(fresh) == original
    finally:
        fresh.dispose()


def test_faults_name_file_line_and_column(engine: Engine, system: Actor) -> None:
    with pytest.raises(ImportFailed) as failed:
        run_import(engine, actor=system, kind="oneroster", path=DATA / "oneroster_faults")
    found = {(p.file, p.line, p.column) for p in failed.value.problems}
    assert found == {
        ("manifest.csv", 10, "value"),
        ("orgs.csv", 1, "name"),
        ("academicSessions.csv", 3, "startDate"),
        ("academicSessions.csv", 4, "endDate"),
        ("academicSessions.csv", 5, "sourcedId"),
        ("classes.csv", 3, "status"),
        ("classes.csv", 4, "termSourcedIds"),
        ("users.csv", 3, "sourcedId"),
        ("users.csv", 4, ""),
        ("enrollments.csv", 3, "classSourcedId"),
        ("enrollments.csv", 4, "userSourcedId"),
    }
    assert _counts(engine) == (0,) * 6


def test_not_a_oneroster_folder(engine: Engine, system: Actor, tmp_path: Path) -> None:
    with pytest.raises(ImportFailed, match="no manifest.csv"):
        run_import(engine, actor=system, kind="oneroster", path=tmp_path)


def test_bulk_and_tobedeleted_enrollments_drop(
    engine: Engine, system: Actor, tmp_path: Path
) -> None:
    """The second set (made in tmp_path from the first) lists one student's enrollment as
    tobedeleted and leaves the other out of its bulk file: both are dropped, nothing deleted."""
    source = oneroster_fixtures() / "Test_minimal_data_set"
    run_import(engine, actor=system, kind="oneroster", path=source)
    second = tmp_path / "second"
    second.mkdir()
    for path in source.iterdir():
        text = path.read_text(encoding="utf-8")
        if path.name == "enrollments.csv":
            lines = text.splitlines()
            lines = [
                line.replace("enr-s-222-12345-987654,,", "enr-s-222-12345-987654,tobedeleted,")
                for line in lines
                if not line.startswith("enr-s-222-12345-987655,")
            ]
            text = "\n".join(lines) + "\n"
        (second / path.name).write_text(text, encoding="utf-8")
    report = run_import(engine, actor=system, kind="oneroster", path=second)
    assert report.count("enrollment").updated == 2 and report.total_changes == 2
    with session_scope(engine) as session:
        statuses = sorted(e.status for e in session.exec(select(Enrollment)))
    assert statuses == ["dropped", "dropped", "registered", "registered"]
    assert _counts(engine)[:5] == EXPECTED["Test_minimal_data_set"][:5]
    again = run_import(engine, actor=system, kind="oneroster", path=second)
    assert again.total_changes == 0
