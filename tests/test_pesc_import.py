"""Receiving PESC transcripts: every valid sample imports with every course and GPA block; each
lenient sample imports with its repairs listed or is refused naming file, line and element, with
nothing written; students are matched by identifier, then by name and birth date, or opened as
applicants; a dry run writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from recordsdesk.db import session_scope
from recordsdesk.models import (
    AuditEvent,
    ExternalCourse,
    ExternalSummary,
    ExternalTranscript,
    StaffRole,
    Student,
)
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.interchange.imports.common import ImportFailed
from recordsdesk.services.interchange.imports.pesc_read import PescRefused, read_pesc
from recordsdesk.services.interchange.imports.runner import run_import
from tests.factories import make_staff, make_student

pytestmark = pytest.mark.db

SAMPLES = Path(__file__).resolve().parent / "fixtures" / "pesc" / "samples"
VALID = sorted((SAMPLES / "valid").glob("*.xml"))
LENIENT = sorted((SAMPLES / "lenient").glob("*.xml"))


def registrar(engine: Engine) -> Actor:
    with session_scope(engine) as session:
        user = make_staff(session, role="registrar")
        assert user.id is not None
        return Actor(user.id, user.username, StaffRole(user.role), user.full_name)


def counts(engine: Engine) -> tuple[int, int, int, int]:
    with Session(engine) as session:
        return (
            session.exec(select(func.count()).select_from(Student)).one(),
            session.exec(select(func.count()).select_from(ExternalTranscript)).one(),
            session.exec(select(func.count()).select_from(ExternalCourse)).one(),
            session.exec(select(func.count()).select_from(ExternalSummary)).one(),
        )


def expected(path: Path) -> tuple[int, int]:
    """Courses and GPA blocks in the file, counted with lxml alone (the reader not trusted)."""
    root = etree.parse(str(path)).getroot()

    def local(e: etree._Element) -> str:
        return etree.QName(e).localname if isinstance(e.tag, str) else ""

    courses = [e for e in root.iter() if local(e) == "Course"]
    blocks = [
        e
        for e in root.iter()
        if local(e) == "AcademicSummary"
        and local(e.getparent()) in ("AcademicRecord", "AcademicSession")
        and any(local(c) == "GPA" for c in e)
    ]
    return len(courses), len(blocks)


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_each_valid_sample_imports_every_course_and_gpa_block(engine: Engine, path: Path) -> None:
    actor = registrar(engine)
    students, *_ = counts(engine)
    report = run_import(engine, actor=actor, kind="pesc", path=path)
    courses, blocks = expected(path)
    now = counts(engine)
    assert now[0] == students + 1  # a new applicant
    assert (now[2], now[3]) == (courses, blocks)
    assert report.count("external_course").new == courses
    with Session(engine) as session:
        student = session.exec(select(Student).order_by(Student.id.desc())).first()  # type: ignore[union-attr]
        assert student is not None and student.status == "applicant"
        actions = session.exec(
            select(AuditEvent.action).where(AuditEvent.student_id == student.id)
        ).all()
        assert "create" in actions and "receive" in actions


def test_the_sample_college_transcript_reads_as_sent() -> None:
    path = SAMPLES / "valid" / "pescCDS-SampleCollegeTranscript-1.4.0.xml"
    assert path.read_bytes()[:2] == b"\xfe\xff"  # UTF-16, big-endian mark
    read = read_pesc(path.read_bytes(), path.name)
    (t,) = read.transcripts
    assert (t.kind, t.version) == ("college", "1.4.0")
    assert (t.student.last_name, str(t.student.birth_date)) == ("Speede", "1967-07-14")
    ut = t.records[-1]
    assert ut.institution == "THE UNIVERSITY OF TEXAS AT AUSTIN"
    assert (len(ut.courses), len(ut.summaries)) == (24, 7)
    assert any(c.repeat_code for c in ut.courses)
    assert read.warnings == []


@pytest.mark.parametrize("path", LENIENT, ids=lambda p: p.name)
def test_each_lenient_sample_imports_with_warnings_or_is_refused_whole(
    engine: Engine, path: Path
) -> None:
    actor = registrar(engine)
    before = counts(engine)
    try:
        report = run_import(engine, actor=actor, kind="pesc", path=path)
    except ImportFailed as refused:
        (problem,) = refused.problems
        assert problem.file == path.name and problem.line > 0
        assert str(problem).startswith(f"{path.name}:{problem.line}: <")  # names the element
        assert counts(engine) == before
        return
    courses, _blocks = expected(path)
    assert counts(engine)[2] - before[2] == courses
    assert report.count("external_course").new == courses


def test_what_the_lenient_samples_do() -> None:
    """The repairs named, and the two refusals: a template with no student's name in it, and
    nothing else."""
    outcomes = {}
    for path in LENIENT:
        try:
            outcomes[path.name] = read_pesc(path.read_bytes(), path.name).warnings
        except PescRefused as refused:
            outcomes[path.name] = [f"refused: line {refused.line} <{refused.element}>"]
    joined = "\n".join(w for ws in outcomes.values() for w in ws)
    assert outcomes["canpesc-Nova-Scotia-HighSchool-HighSchoolTranscript.xml"] == [
        "refused: line 49 <Name>"
    ]
    assert sum("refused" in w for w in joined.splitlines()) == 1
    for repair in ("batch (<AcademicRecordBatch>) unwrapped", "trimmed", "has no namespace"):
        assert repair in joined
    assert "course titles longer than 60 characters" in joined


def test_a_dry_run_writes_nothing_and_says_what_would_happen(engine: Engine) -> None:
    actor = registrar(engine)
    before = counts(engine)
    path = SAMPLES / "valid" / "pescCDS-college-transcript-1.6.0.xml"
    report = run_import(engine, actor=actor, kind="pesc", path=path, dry_run=True)
    assert counts(engine) == before
    assert report.count("student").new == 1 and report.count("external_course").new == 1
    assert "John Doe ->" in report.changes[0] and "new applicant" in report.changes[0]


def test_students_are_matched_by_name_and_birth_date_then_by_identifier(engine: Engine) -> None:
    actor = registrar(engine)
    path = SAMPLES / "valid" / "pescCDS-SampleHighSchoolTranscript-HS1.3.0.xml"
    with session_scope(engine) as session:
        from datetime import date

        known = make_student(
            session,
            legal_first_name="John",
            legal_last_name="Student",
            birth_date=date(1987, 7, 20),
        )
        number = known.student_number
    report = run_import(engine, actor=actor, kind="pesc", path=path)
    assert "by name and birth date" in report.changes[0] and number in report.changes[0]
    # The second time the identifiers the first import remembered find the student, and the
    # same document is not kept twice.
    with session_scope(engine) as session:
        row = session.exec(select(Student).where(Student.student_number == number)).one()
        row.birth_date = None
        session.add(row)
    again = run_import(engine, actor=actor, kind="pesc", path=path)
    assert "by an identifier received before" in again.changes[0]
    assert again.count("external_transcript").unchanged == 1
    assert any("received" in w and "before" in w for w in again.warnings)


def test_two_possible_students_refuse_the_file(engine: Engine) -> None:
    from datetime import date

    actor = registrar(engine)
    with session_scope(engine) as session:
        for _ in range(2):
            make_student(
                session, legal_first_name="John", legal_last_name="Doe", birth_date=date(1995, 1, 1)
            )
    before = counts(engine)
    path = SAMPLES / "valid" / "pescCDS-college-transcript-1.6.0.xml"
    with pytest.raises(ImportFailed, match="could be any of"):
        run_import(engine, actor=actor, kind="pesc", path=path)
    assert counts(engine) == before


def test_an_identifier_received_before_does_not_file_another_person_on_the_record(
    engine: Engine,
) -> None:
    """The Ontario samples share one provincial number among different people (test values):
    the second is refused naming both, not filed on the first one's record."""
    actor = registrar(engine)
    first = SAMPLES / "valid" / "canpesc-Ontario-UniversityTranscript2-1.4.0.xml"
    other = SAMPLES / "lenient" / "canpesc-Ontario-CollegeTranscript-1.3.0-ocas.xml"
    run_import(engine, actor=actor, kind="pesc", path=first)
    before = counts(engine)
    with pytest.raises(ImportFailed) as refused:
        run_import(engine, actor=actor, kind="pesc", path=other)
    problem = refused.value.problems[0]
    assert (problem.file, problem.line) == (other.name, 1)
    assert "Hermione Granger" in problem.message and "Test Learner" in problem.message
    assert "does not fit" in problem.message
    assert counts(engine) == before


def test_unsafe_or_unknown_documents_are_refused(engine: Engine, tmp_path: Path) -> None:
    actor = registrar(engine)
    cases = {
        "entity.xml": (
            '<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n'
            '<CollegeTranscript xmlns="urn:org:pesc:message:CollegeTranscript:v1.6.0">&e;'
            "</CollegeTranscript>",
            "DOCTYPE",
        ),
        "old.xml": (
            '<?xml version="1.0"?>\n'
            '<CollegeTranscript xmlns="urn:org:pesc:message:CollegeTranscript:v1.1.0"/>',
            "version 1.1.0 is not read",
        ),
        "other.xml": ("<Invoice/>", "not a College Transcript"),
        "broken.xml": ("<CollegeTranscript>\n<Student>", "not well-formed"),
    }
    for name, (text, message) in cases.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        with pytest.raises(ImportFailed, match=message):
            run_import(engine, actor=actor, kind="pesc", path=path)
