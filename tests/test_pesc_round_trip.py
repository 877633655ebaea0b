"""The round trip: each valid sample imported, exported as PESC (the received coursework as
AcademicRecords of their own), validated against the shipped schema and imported again gives the
same courses, credits, marks and GPA blocks. A received High School record goes out in the
document of the student's own record: a High School Transcript for a secondary student, a
College Transcript for an applicant to a college program. And a demo transcript of either kind
exported as PESC and read into another database gives the GPAs its JSON copy prints."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from recordsdesk.cli import main
from recordsdesk.db import open_database, session_scope
from recordsdesk.models import (
    ExternalCourse,
    ExternalSummary,
    ExternalTranscript,
    Institution,
    Program,
    StaffRole,
    Student,
)
from recordsdesk.render.transcript_json import transcript_dict
from recordsdesk.render.transcript_layout import RenderOptions
from recordsdesk.render.transcript_pesc import render_pesc
from recordsdesk.render.transcript_pesc_hs import render_pesc_hs
from recordsdesk.services.access.actor import Actor, system_actor
from recordsdesk.services.demo.build import build_demo_database
from recordsdesk.services.interchange.imports.pesc import COURSE_FIELDS, SUMMARY_FIELDS
from recordsdesk.services.interchange.imports.runner import run_import
from recordsdesk.services.transcripts.builder import build_transcript
from tests.factories import (
    make_course,
    make_enrollment,
    make_program,
    make_section,
    make_staff,
    make_term,
)
from tests.transcript_data import seed_transcript

pytestmark = pytest.mark.db

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "pesc"
COLLEGE = sorted(
    p for p in (FIXTURES / "samples" / "valid").glob("*.xml") if "HighSchool" not in p.name
)
HIGH_SCHOOL = FIXTURES / "samples" / "valid" / "pescCDS-SampleHighSchoolTranscript-HS1.3.0.xml"
HS_ROOT = "{urn:org:pesc:message:HighSchoolTranscript:v1.5.0}HighSchoolTranscript"
COLLEGE_ROOT = "{urn:org:pesc:message:CollegeTranscript:v1.6.0}CollegeTranscript"
ISSUED = date(2026, 5, 10)


def load_schema(name: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(FIXTURES / "xsd" / "college-1.6.0" / name)))


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    return load_schema("CollegeTranscript_v1.6.0.xsd")


@pytest.fixture(scope="module")
def hs_schema() -> etree.XMLSchema:
    return load_schema("HighSchoolTranscript_v1.5.0.xsd")


def received(session: Session, transcript_id: int) -> tuple[list[tuple[object, ...]], ...]:
    """One received record as values: its courses and GPA blocks, in order."""
    courses = session.exec(
        select(ExternalCourse)
        .where(ExternalCourse.external_transcript_id == transcript_id)
        .order_by(col(ExternalCourse.position))
    ).all()
    blocks = session.exec(
        select(ExternalSummary)
        .where(ExternalSummary.external_transcript_id == transcript_id)
        .order_by(col(ExternalSummary.position))
    ).all()
    return (
        [tuple(getattr(c, n) for n in COURSE_FIELDS) for c in courses],
        [tuple(getattr(s, n) for n in SUMMARY_FIELDS) for s in blocks],
    )


def by_institution(session: Session) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for row in session.exec(select(ExternalTranscript).order_by(col(ExternalTranscript.id))):
        assert row.id is not None
        found.setdefault(row.institution, []).append(row.id)
    return found


def normalised(values: tuple[list[tuple[object, ...]], ...]) -> object:
    """Sessions sent without a designator, or GPA blocks without one, are written at the
    record level; compare as sets of rows within each (designator kept)."""
    courses, blocks = values
    return sorted(map(repr, courses)), sorted(map(repr, blocks))


def give_record(engine: Engine, number: str, level: str) -> None:
    """The applicant the import opened, given a record of our own: a secondary student with a
    term of posted marks (one an honors course, weighted), or an applicant to a college
    program with no marks yet."""
    with session_scope(engine) as session:
        student = session.exec(select(Student).where(Student.student_number == number)).one()
        if level == "secondary":
            program = make_program(session, code="HS-R", name="High School Diploma", level=level)
            student.program_id, student.status = program.id, "active"
            student.class_year, student.grade_level = 2027, "11"
            term = make_term(
                session, code="R25FA", name="Fall 2025", start_date=date(2025, 8, 25),
                end_date=date(2025, 12, 19), add_drop_deadline=None, withdraw_deadline=None,
                status="closed",
            )  # fmt: skip
            for code, weight, mark in (("ENG11", "0", "A"), ("CHEM11H", "1", "B")):
                course = make_course(
                    session, code=code, title=code, credits=Decimal("0.5"), level=level,
                    weight=Decimal(weight),
                )  # fmt: skip
                make_enrollment(
                    session, student, make_section(session, course, term), mark=mark,
                    grade_status="posted", status="completed",
                )  # fmt: skip
        else:
            program = make_program(session, code="BA-R", name="Bachelor of Arts", level=level)
            student.program_id = program.id  # still an applicant
        session.add(student)


@pytest.mark.parametrize("level", ["", "secondary"], ids=["applicant", "secondary-student"])
@pytest.mark.parametrize("path", COLLEGE, ids=lambda p: p.name)
def test_valid_college_sample_round_trips(
    engine: Engine,
    database_url: str,
    cli_login: Callable[..., Actor],
    schema: etree.XMLSchema,
    hs_schema: etree.XMLSchema,
    path: Path,
    level: str,
    tmp_path: Path,
) -> None:
    """Sent on by an applicant in a College Transcript and, as a secondary student's college
    coursework (dual enrolment), in a High School Transcript."""
    actor = cli_login("reg.trip", "registrar")
    report = run_import(engine, actor=actor, kind="pesc", path=path)
    number = report.changes[0].split("-> ")[1].split(" ")[0]
    if level:
        give_record(engine, number, level)
    with Session(engine) as session:
        first = by_institution(session)
    target = tmp_path / "out.xml"
    code = main(
        ["transcript", number, "--format", "pesc", "-o", str(target), "--recipient", "Elsewhere",
         "--database", database_url]
    )  # fmt: skip
    assert code == 0
    document = etree.fromstring(target.read_bytes())
    wanted = hs_schema if level == "secondary" else schema
    assert wanted.validate(document), wanted.error_log.last_error
    assert document.tag == (HS_ROOT if level == "secondary" else COLLEGE_ROOT)
    assert len(document.findall("Student/AcademicRecord")) == 1 + len(first)

    again = run_import(engine, actor=actor, kind="pesc", path=target)
    assert f"-> {number} (by our student number)" in again.changes[0]
    with Session(engine) as session:
        second = by_institution(session)
        assert second.keys() == first.keys()
        for institution, ids in second.items():
            assert len(ids) == 2, institution
            before, after = received(session, ids[0]), received(session, ids[1])
            assert normalised(after) == normalised(before), institution
            assert len(after[0]) + len(after[1]) > 0


@pytest.mark.parametrize(
    ("level", "kind"),
    [("secondary", "highschool"), ("undergraduate", "college"), ("", "college")],
    ids=["secondary-student", "college-applicant", "new-applicant"],
)
def test_valid_high_school_sample_round_trips_in_the_document_of_the_students_own_record(
    engine: Engine,
    database_url: str,
    cli_login: Callable[..., Actor],
    schema: etree.XMLSchema,
    hs_schema: etree.XMLSchema,
    level: str,
    kind: str,
    tmp_path: Path,
) -> None:
    actor = cli_login("reg.trip", "registrar")
    report = run_import(engine, actor=actor, kind="pesc", path=HIGH_SCHOOL)
    number = report.changes[0].split("-> ")[1].split(" ")[0]
    if level:
        give_record(engine, number, level)
    with Session(engine) as session:
        first = by_institution(session)
    assert list(first) == ["Austin High School"]
    target = tmp_path / "out.xml"
    code = main(
        ["transcript", number, "--format", "pesc", "-o", str(target), "--recipient", "Elsewhere",
         "--database", database_url]
    )  # fmt: skip
    assert code == 0
    document = etree.fromstring(target.read_bytes())
    wanted = hs_schema if kind == "highschool" else schema
    assert wanted.validate(document), wanted.error_log.last_error
    assert document.tag == (HS_ROOT if kind == "highschool" else COLLEGE_ROOT)
    ours, theirs = document.findall("Student/AcademicRecord")
    assert theirs.findtext("School/OrganizationName") == "Austin High School"
    # What the High School writer adds goes into our record alone: the received one keeps its
    # units as sent and none of its courses or sessions reads as one of ours.
    assert len(ours.findall("AcademicSession")) == (1 if level == "secondary" else 0)
    received_units = {e.text for e in theirs.iter("CourseCreditUnits")}
    assert received_units == {"Semester"}
    assert theirs.find(".//CourseGPAApplicabilityCode") is None
    assert [s.findtext("AcademicSummaryType") for s in theirs.iter("AcademicSummary")] == ["All"]
    if kind == "highschool":
        assert {e.text for e in ours.iter("CourseCreditUnits")} == {"CarnegieUnits"}
        codes = [e.text for e in ours.iter("CourseGPAApplicabilityCode")]
        assert sorted(codes) == ["Applicable", "Weighted"]

    again = run_import(engine, actor=actor, kind="pesc", path=target)
    assert f"-> {number} (by our student number)" in again.changes[0]
    with Session(engine) as session:
        second = by_institution(session)
        assert second.keys() == first.keys()
        ids = second["Austin High School"]
        assert len(ids) == 2
        before, after = received(session, ids[0]), received(session, ids[1])
        assert normalised(after) == normalised(before)
        assert (len(after[0]), len(after[1])) == (51, 1)
        kinds = session.exec(
            select(ExternalTranscript.document_kind).order_by(col(ExternalTranscript.id))
        ).all()
        assert kinds == ["highschool", kind]


def test_a_transcript_sent_as_pesc_reads_back_with_the_gpa_its_json_prints(
    engine: Engine, empty_database_url: str, tmp_path: Path
) -> None:
    with session_scope(engine) as session:
        seed_transcript(session)
    with session_scope(engine) as session:
        t = build_transcript(session, actor=system_actor(session), student_number="T0001")
    figures = transcript_dict(t)
    text = render_pesc(t, RenderOptions(official=True, issued_on=date(2026, 5, 10)), "Other U")
    elsewhere = open_database(empty_database_url)
    try:
        with session_scope(elsewhere) as session:
            institution = session.exec(select(Institution)).one()
            institution.name, institution.short_name = "Other University", "OU"
            session.add(institution)
            user = make_staff(session, role="registrar")
            assert user.id is not None
            actor = Actor(user.id, user.username, StaffRole(user.role), user.full_name)
        path = tmp_path / "sent.xml"
        path.write_text(text, encoding="utf-8")
        run_import(elsewhere, actor=actor, kind="pesc", path=path)
        with Session(elsewhere) as session:
            summaries = session.exec(select(ExternalSummary)).all()
            overall = [s.gpa for s in summaries if s.summary_type == "All"]
            terms = [
                (s.gpa, c.gpa)
                for s, c in zip(
                    [s for s in summaries if s.summary_type == "SenderOnly"],
                    [s for s in summaries if s.summary_type == "Cumulative"],
                    strict=True,
                )
            ]
            courses = session.exec(select(ExternalCourse)).all()
    finally:
        elsewhere.dispose()
    assert overall == [figures["cumulative"]["gpa"]] == ["3.67"]
    assert terms == [(term["gpa"], term["cumulative"]["gpa"]) for term in figures["terms"]]
    assert len(courses) == sum(len(term.courses) for term in t.terms) + len(t.transfer)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A small demo database (fixed seed and day), built once for the module: the sending
    desk."""
    path = tmp_path_factory.mktemp("pesc-demo") / "demo.db"
    build_demo_database(
        f"sqlite:///{path}", students=120, seed=2026, rebuild=True, progress=lambda _: None,
        today=ISSUED,
    )  # fmt: skip
    return f"sqlite:///{path}"


def receiving_desk(url: str) -> tuple[Engine, Actor]:
    """Another institution's fresh database and a registrar there."""
    elsewhere = open_database(url)
    with session_scope(elsewhere) as session:
        institution = session.exec(select(Institution)).one()
        institution.name, institution.short_name = "Other University", "OU"
        session.add(institution)
        user = make_staff(session, role="registrar")
        assert user.id is not None
        actor = Actor(user.id, user.username, StaffRole(user.role), user.full_name)
    return elsewhere, actor


def demo_numbers(session: Session, levels: tuple[str, ...]) -> list[str]:
    return list(
        session.exec(
            select(Student.student_number)
            .join(Program, col(Program.id) == Student.program_id)
            .where(col(Program.level).in_(levels))
            .order_by(col(Student.student_number))
        ).all()
    )


def newest_blocks(session: Session) -> list[ExternalSummary]:
    """The GPA blocks of the transcript received last, in the order sent."""
    newest = session.exec(
        select(ExternalTranscript).order_by(col(ExternalTranscript.id).desc())
    ).first()
    assert newest is not None and newest.id is not None
    return list(
        session.exec(
            select(ExternalSummary)
            .where(ExternalSummary.external_transcript_id == newest.id)
            .order_by(col(ExternalSummary.position))
        ).all()
    )


def test_demo_transcripts_sent_as_pesc_read_back_with_the_gpas_their_json_prints(
    tmp_path: Path, empty_database_url: str, demo: str
) -> None:
    """A demo database's college records, sent and received by another desk: every term's,
    every running and the overall GPA arrive as the JSON copy prints them."""
    engine = open_database(demo, migrate=False)
    sent_gpas: dict[str, tuple[object, ...]] = {}
    try:
        with Session(engine) as session:
            actor = system_actor(session)
            for number in demo_numbers(session, ("undergraduate", "graduate"))[:25]:
                t = build_transcript(session, actor=actor, student_number=number)
                if t.cumulative_gpa is None:
                    continue
                figures = transcript_dict(t)
                text = render_pesc(t, RenderOptions(issued_on=ISSUED), "Other U")
                (tmp_path / f"{number}.xml").write_text(text, encoding="utf-8")
                sent_gpas[number] = (
                    figures["cumulative"]["gpa"],
                    [(term["gpa"], term["cumulative"]["gpa"]) for term in figures["terms"]],
                )
    finally:
        engine.dispose()
    assert len(sent_gpas) >= 10
    elsewhere, actor = receiving_desk(empty_database_url)
    try:
        for number, (overall, terms) in sent_gpas.items():
            run_import(elsewhere, actor=actor, kind="pesc", path=tmp_path / f"{number}.xml")
            with Session(elsewhere) as session:
                blocks = newest_blocks(session)
            got = [b.gpa or None for b in blocks]
            kinds = [b.summary_type for b in blocks]
            assert got[kinds.index("All")] == overall, number
            term_gpas = [b.gpa or None for b in blocks if b.summary_type == "SenderOnly"]
            running = [b.gpa or None for b in blocks if b.summary_type == "Cumulative"]
            assert list(zip(term_gpas, running, strict=True)) == terms, number
    finally:
        elsewhere.dispose()


def gpa_blocks(blocks: list[ExternalSummary]) -> dict[str, object]:
    """The GPAs as received, the record's by type and each session's (term, running, weighted),
    in the order sent."""
    record = {b.summary_type: b.gpa or None for b in blocks if not b.session_designator}
    sessions: dict[tuple[str, str], dict[str, str | None]] = {}
    for b in blocks:
        if b.session_designator:
            key = (b.session_designator, b.session_name)
            sessions.setdefault(key, {})[b.summary_type] = b.gpa or None
    return {
        "all": record.get("All"),
        "weighted": record.get("Weighted"),
        "sessions": [
            (kinds.get("SenderOnly"), kinds.get("Cumulative"), kinds.get("Weighted"))
            for kinds in sessions.values()
        ],
    }


def test_demo_secondary_transcripts_sent_as_pesc_read_back_with_the_gpas_their_json_prints(
    tmp_path: Path, empty_database_url: str, demo: str
) -> None:
    """A demo database's secondary records, sent as High School Transcripts and received by
    another desk: the overall GPA, weighted and unweighted, and every term's, running and
    weighted one arrive as the JSON copy prints them."""
    engine = open_database(demo, migrate=False)
    sent: dict[str, dict[str, object]] = {}
    try:
        with Session(engine) as session:
            actor = system_actor(session)
            for number in demo_numbers(session, ("secondary",)):
                t = build_transcript(session, actor=actor, student_number=number)
                if t.cumulative_gpa is None:
                    continue
                figures = transcript_dict(t)
                text = render_pesc_hs(t, RenderOptions(issued_on=ISSUED), "Other U")
                (tmp_path / f"{number}.xml").write_text(text, encoding="utf-8")
                sent[number] = {
                    "all": figures["cumulative"]["gpa"],
                    "weighted": figures["cumulative"]["weighted_gpa"],
                    "sessions": [
                        (term["gpa"], term["cumulative"]["gpa"], term["weighted_gpa"])
                        for term in figures["terms"]
                    ],
                }
    finally:
        engine.dispose()
    assert len(sent) >= 5
    assert any(figures["weighted"] not in (None, figures["all"]) for figures in sent.values())
    elsewhere, actor = receiving_desk(empty_database_url)
    try:
        for number, figures in sent.items():
            report = run_import(
                elsewhere, actor=actor, kind="pesc", path=tmp_path / f"{number}.xml"
            )
            assert "(new applicant)" in report.changes[0], number
            with Session(elsewhere) as session:
                assert gpa_blocks(newest_blocks(session)) == figures, number
        with Session(elsewhere) as session:
            kinds = session.exec(select(ExternalTranscript.document_kind)).all()
        assert kinds == ["highschool"] * len(sent)
    finally:
        elsewhere.dispose()
