"""PESC High School Transcript copies of secondary records, and the standing and honours codes
both PESC documents carry: every document the desk writes for a demo's secondary record
validates against the shipped 1.5.0 schema and carries the GPAs the JSON copy prints (weighted
and unweighted, overall and term by term), class rank appears exactly when the institution
prints it, and a copy is released like any other, from the command line and from the desk."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import Engine, text
from sqlmodel import select
from textual.widgets import Input

from recordsdesk.cli import main
from recordsdesk.db import open_database, session_scope
from recordsdesk.models import AcademicStanding, Disclosure, Student
from recordsdesk.models.contact import TranscriptRequest
from recordsdesk.render.pesc_codes import STANDING_CODES, honours_level, standing_code
from recordsdesk.render.transcript_json import transcript_dict
from recordsdesk.render.transcript_layout import RenderOptions
from recordsdesk.render.transcript_pesc import render_pesc
from recordsdesk.render.transcript_pesc_hs import NAMESPACE, render_pesc_hs
from recordsdesk.services.access.actor import Actor, system_actor
from recordsdesk.services.demo.build import build_demo_database
from recordsdesk.services.disclosure.genuine import check_document
from recordsdesk.services.institution.settings import set_setting
from recordsdesk.services.transcripts.builder import STANDING_LABELS, Transcript, build_transcript
from recordsdesk.services.transcripts.standing import LABELS
from recordsdesk.ui.app import make_app
from recordsdesk.ui.screens.people.record import StudentScreen
from recordsdesk.ui.screens.transcripts.preview import ExportPathModal, TranscriptScreen
from tests.factories import (
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
from tests.transcript_data import seed_transcript

REPO = Path(__file__).resolve().parent.parent
#: The schemas ship in the repository (tests/fixtures); a checkout without them may still sit
#: beside the project's shared folder (../shared/fixtures), as the working trees here do.
SCHEMA_FOLDERS = (
    REPO / "tests" / "fixtures" / "pesc" / "xsd" / "college-1.6.0",
    REPO.parent / "shared" / "fixtures" / "pesc" / "xsd" / "college-1.6.0",
)
ROOT = f"{{{NAMESPACE}}}HighSchoolTranscript"
ISSUED = date(2026, 5, 10)
OPTIONS = RenderOptions(official=True, issued_on=ISSUED, verification_code="ABCD-2345-EFGH-6789")


def load_schema(name: str) -> etree.XMLSchema:
    for folder in SCHEMA_FOLDERS:
        if (folder / name).is_file():
            return etree.XMLSchema(etree.parse(str(folder / name)))
    pytest.skip(f"the PESC schema {name} is not here: looked in {SCHEMA_FOLDERS}")


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    return load_schema("HighSchoolTranscript_v1.5.0.xsd")


@pytest.fixture(scope="module")
def college_schema() -> etree.XMLSchema:
    return load_schema("CollegeTranscript_v1.6.0.xsd")


def valid(schema: etree.XMLSchema, content: bytes) -> etree._Element:
    """The document parsed, after asserting it validates (naming the first error if not)."""
    document = etree.fromstring(content)
    assert schema.validate(document), schema.error_log.last_error
    return document


def summaries(parent: etree._Element) -> dict[str | None, etree._Element]:
    return {s.findtext("AcademicSummaryType"): s for s in parent.findall("AcademicSummary")}


def average(summary: etree._Element | None) -> str | None:
    return None if summary is None else summary.findtext("GPA/GradePointAverage")


def gpas(document: etree._Element) -> dict[str, object]:
    """The GPAs the document carries: the record's unweighted (All) and weighted, and per
    session the term's, the running one and the term's weighted one, as written."""
    record = document.find("Student/AcademicRecord")
    assert record is not None
    kinds = summaries(record)
    sessions = []
    for session in record.findall("AcademicSession"):
        by_kind = summaries(session)
        sessions.append(
            (
                average(by_kind["SenderOnly"]),
                average(by_kind["Cumulative"]),
                average(by_kind.get("Weighted")),
            )
        )
    return {
        "all": average(kinds.get("All")),
        "weighted": average(kinds.get("Weighted")),
        "sessions": sessions,
    }


def json_gpas(t: Transcript) -> dict[str, object]:
    figures = transcript_dict(t)
    return {
        "all": figures["cumulative"]["gpa"],
        "weighted": figures["cumulative"]["weighted_gpa"],
        "sessions": [
            (term["gpa"], term["cumulative"]["gpa"], term["weighted_gpa"])
            for term in figures["terms"]
        ],
    }


def ranks(document: etree._Element) -> dict[str, object]:
    """Where the document carries a class rank: (rank, size) on each record summary that has
    one, and the class year."""
    record = document.find("Student/AcademicRecord")
    assert record is not None
    found: dict[str, object] = {
        kind or "": (int(s.findtext("ClassRank") or 0), int(s.findtext("ClassSize") or 0))
        for kind, s in summaries(record).items()
        if s.find("ClassRank") is not None
    }
    if record.find("CohortGraduationYear") is not None:
        found["class_of"] = record.findtext("CohortGraduationYear")
    return found


def test_standing_and_honours_codes() -> None:
    # Every standing the desk decides has a code, by its value and as the transcript prints it.
    assert set(STANDING_CODES) == set(LABELS)
    printed = {value: STANDING_LABELS.get(value, "Good standing") for value in LABELS}
    assert {value: standing_code(label) for value, label in printed.items()} == {
        "good": "GoodStanding",
        "warning": "Other",
        "probation": "ProbationGPA",
        "suspension": "SuspensionGPA",
        "dismissal": "ExclusionAcademic",
    }
    assert standing_code("Dean's list") == "GoodStanding"
    assert standing_code("") is None
    assert [honours_level(h) for h in ("Summa cum laude", "magna  cum laude", "Cum laude")] == [
        "FirstHighest",
        "SecondHighest",
        "ThirdHighest",
    ]
    assert honours_level("With honors") is None


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, dict[str, list[str]]]]:
    """A small demo database (fixed seed and day) and its students' numbers by level."""
    path = tmp_path_factory.mktemp("pesc-hs") / "demo.db"
    build_demo_database(
        f"sqlite:///{path}", students=400, seed=2026, rebuild=True, progress=lambda _: None,
        today=ISSUED,
    )  # fmt: skip
    con = sqlite3.connect(path)
    try:
        by_level: dict[str, list[str]] = {}
        for number, level in con.execute(
            "SELECT s.student_number, p.level FROM student s JOIN program p ON p.id = s.program_id "
            "ORDER BY s.student_number"
        ):
            by_level.setdefault(level, []).append(number)
    finally:
        con.close()
    engine = open_database(f"sqlite:///{path}", migrate=False)
    yield engine, by_level
    engine.dispose()


def print_class_rank(engine: Engine, on: bool) -> None:
    with session_scope(engine) as session:
        session.connection().execute(
            text("UPDATE institution SET print_class_rank = :on"), {"on": on}
        )


def test_every_demo_secondary_transcript_validates_and_carries_the_printed_gpas(
    schema: etree.XMLSchema, demo: tuple[Engine, dict[str, list[str]]]
) -> None:
    engine, by_level = demo
    numbers = by_level["secondary"]
    assert len(numbers) >= 20
    seen: set[str] = set()
    for rank_printed in (False, True):
        print_class_rank(engine, rank_printed)
        ranked = 0
        with session_scope(engine) as session:
            actor = system_actor(session)
            for number in numbers:
                t = build_transcript(session, actor=actor, student_number=number)
                document = valid(schema, render_pesc_hs(t, OPTIONS, "Ridge College").encode())
                assert document.tag == ROOT
                assert gpas(document) == json_gpas(t), number
                assert ranks(document) == (
                    {}
                    if t.class_rank is None
                    else {
                        "All": (t.class_rank.unweighted_rank, t.class_rank.size),
                        "Weighted": (t.class_rank.rank, t.class_rank.size),
                        "class_of": str(t.class_rank.class_year),
                    }
                ), number
                ranked += t.class_rank is not None
                content = etree.tostring(document, encoding="unicode")
                assert "Semester" not in content  # secondary credits are Carnegie units
                for marker in (
                    "<Delinquencies>GoodStanding",
                    "<CourseGPAApplicabilityCode>Weighted",
                    "<CourseGPAApplicabilityCode>NotApplicable",
                    "<AcademicAwardTitle>",
                    "<CourseRepeatCode>",
                ):
                    if marker in content:
                        seen.add(marker)
        # Off: no secondary record carries a rank; on: every one that has a GPA and a class.
        assert (ranked > len(numbers) // 2) if rank_printed else ranked == 0
    print_class_rank(engine, False)
    assert {"<Delinquencies>GoodStanding", "<CourseGPAApplicabilityCode>Weighted"} <= seen
    assert "<AcademicAwardTitle>" in seen  # a graduate's diploma


def test_demo_college_transcripts_carry_standing_and_honours_codes(
    college_schema: etree.XMLSchema, demo: tuple[Engine, dict[str, list[str]]]
) -> None:
    engine, by_level = demo
    standings: set[str] = set()
    levels: set[tuple[str, str]] = set()
    with session_scope(engine) as session:
        actor = system_actor(session)
        for number in by_level["undergraduate"] + by_level["graduate"]:
            t = build_transcript(session, actor=actor, student_number=number)
            document = valid(college_schema, render_pesc(t, OPTIONS, "Ridge College").encode())
            record = document.find("Student/AcademicRecord")
            assert record is not None
            sessions = record.findall("AcademicSession")
            # Each term's standing as its code, and the latest one on the record's summary.
            codes = [summaries(s)["SenderOnly"].findtext("Delinquencies") for s in sessions]
            assert codes == [standing_code(term.standing) for term in t.terms], number
            if t.terms and "All" in summaries(record):
                assert summaries(record)["All"].findtext("Delinquencies") == codes[-1]
            standings.update(code for code in codes if code)
            for honours in record.findall("AcademicAward/AcademicHonors"):
                title = honours.findtext("HonorsTitle") or ""
                assert honours.findtext("HonorsLevel") == honours_level(title), number
                levels.add((title, honours.findtext("HonorsLevel") or ""))
    assert {"GoodStanding", "ProbationGPA"} <= standings
    assert any(level for _, level in levels)  # the demo confers Latin honours


@pytest.fixture
def school(engine: Engine) -> None:
    """S0101 (class of 2026): fall ENG9 A, BIO9H B (honors, weight 1), ALG1 F (retaken), PE9 P
    (a pass/fail scale), ART9 W, standing: warning; spring ALG1 B, HIST9 C, MUS9 NP (on the
    pass/no pass basis), standing: probation. S0102 a classmate (ENG9 A, MUS9 S on the
    satisfactory basis). S0103 graduated with a diploma, summa cum laude.
    The college record T0001 and the elementary E0001 of the PESC College tests."""
    with session_scope(engine) as session:
        seed_transcript(session)
        make_staff(session, username="reg", role="registrar")
        program = make_program(session, code="HS-T", name="High School Diploma", level="secondary")
        fall = make_term(
            session, code="H24FA", name="Fall 2024", start_date=date(2024, 8, 26),
            end_date=date(2024, 12, 20), add_drop_deadline=None, withdraw_deadline=None,
            status="closed",
        )  # fmt: skip
        spring = make_term(
            session, code="H25SP", name="Spring 2025", start_date=date(2025, 1, 6),
            end_date=date(2025, 5, 30), add_drop_deadline=None, withdraw_deadline=None,
            status="closed",
        )  # fmt: skip
        half = Decimal("0.5")
        course = {
            code: make_course(
                session, code=code, title=title, credits=half, level="secondary", **extra
            )
            for code, title, extra in [
                ("ENG9", "English 9", {}),
                ("BIO9H", "Honors Biology", {"weight": Decimal("1")}),
                ("ALG1", "Algebra I", {}),
                ("PE9", "Physical Education", {"grading_scale_id": scale_id(session, "PASS-FAIL")}),
                ("ART9", "Art", {}),
                ("HIST9", "World History", {}),
                ("MUS9", "Music", {}),
            ]
        }  # fmt: skip
        sections = {
            (term.code, code): make_section(session, course[code], term)
            for term, code in [
                (fall, "ENG9"), (fall, "BIO9H"), (fall, "ALG1"), (fall, "PE9"), (fall, "ART9"),
                (spring, "ALG1"), (spring, "HIST9"), (spring, "MUS9"),
            ]
        }  # fmt: skip
        posted = {"grade_status": "posted", "status": "completed"}

        def pupil(number: str, marks: list[tuple[str, str, str]], **fields: object) -> Student:
            student = make_student(
                session, student_number=number, legal_first_name="Noor", legal_last_name=number,
                program_id=program.id, **fields,
            )  # fmt: skip
            for term_code, code, mark in marks:
                extra: dict[str, object] = {"status": "withdrawn"} if mark == "W" else {}
                if mark in ("NP", "S"):  # a basis other than graded on a letter-graded course
                    extra["grading_basis"] = "pass_no_pass" if mark == "NP" else "satisfactory"
                make_enrollment(
                    session, student, sections[(term_code, code)], mark=mark,
                    **{**posted, **extra},
                )  # fmt: skip
            return student

        noor = pupil(
            "S0101",
            [
                ("H24FA", "ENG9", "A"), ("H24FA", "BIO9H", "B"), ("H24FA", "ALG1", "F"),
                ("H24FA", "PE9", "P"), ("H24FA", "ART9", "W"), ("H25SP", "ALG1", "B"),
                ("H25SP", "HIST9", "C"), ("H25SP", "MUS9", "NP"),
            ],
            class_year=2026, grade_level="10",
        )  # fmt: skip
        pupil(
            "S0102", [("H24FA", "ENG9", "A"), ("H25SP", "MUS9", "S")], class_year=2026,
            grade_level="10",
        )  # fmt: skip
        pupil(
            "S0103", [("H24FA", "ENG9", "A")], class_year=2025, status="graduated",
            departure_date=date(2025, 6, 10), departure_reason="Graduated",
            degree_conferred="High School Diploma", conferral_date=date(2025, 6, 10),
            honours="Summa cum laude",
        )  # fmt: skip
        for term, standing in ((fall, "warning"), (spring, "probation")):
            session.add(
                AcademicStanding(
                    student_id=noor.id, term_id=term.id, standing=standing, computed=standing
                )
            )


def test_cli_high_school_copy_is_logged_valid_and_as_printed(
    cli_admin: Actor,
    database_url: str,
    engine: Engine,
    school: None,
    schema: etree.XMLSchema,
    tmp_path: Path,
) -> None:
    target = tmp_path / "copy.xml"
    code = main(
        ["transcript", "S0101", "--format", "pesc", "-o", str(target), "--official",
         "--recipient", "Admissions, Ridge College", "--purpose", "admission",
         "--database", database_url]
    )  # fmt: skip
    assert code == 0
    content = target.read_bytes()
    document = valid(schema, content)
    assert document.tag == ROOT
    assert document.findtext("TransmissionData/DocumentOfficialCode") == "Official"
    assert (
        document.findtext("TransmissionData/Destination/Organization/OrganizationName")
        == "Admissions, Ridge College"
    )
    assert document.findtext("Student/Person/SchoolAssignedPersonID") == "S0101"

    # The GPAs are the JSON copy's and the hand-worked ones: fall (A, honors B; the failed
    # ALG1 replaced by its retake) 3.50, weighted 4.00; spring (B, C) 2.50, weighted 2.50;
    # overall 3.00, weighted 3.25.
    with session_scope(engine) as session:
        t = build_transcript(session, actor=system_actor(session), student_number="S0101")
    assert (
        gpas(document)
        == json_gpas(t)
        == {
            "all": "3.00",
            "weighted": "3.25",
            "sessions": [("3.50", "3.50", "4.00"), ("2.50", "3.00", "2.50")],
        }
    )
    record = document.find("Student/AcademicRecord")
    assert record is not None
    fall, spring = record.findall("AcademicSession")
    assert summaries(spring)["Weighted"].findtext("NoteMessage") == "Cumulative weighted GPA 3.25"

    # Each course as printed: credits in Carnegie units, the repeat, pass/fail, withdrawal, the
    # honors course's weight.
    courses = {
        (c.findtext("OriginalCourseID"), c.findtext("CourseAcademicGrade")): c
        for c in record.iter("Course")
    }
    assert {c.findtext("CourseCreditUnits") for c in courses.values()} == {"CarnegieUnits"}
    assert courses[("ALG1", "F")].findtext("CourseRepeatCode") == "ReplacedNotCounted"
    assert courses[("ALG1", "B")].findtext("CourseRepeatCode") == "ReplacementCounted"
    assert courses[("PE9", "P")].findtext("CourseAcademicGradeStatusCode") == "PassFailPass"
    assert courses[("ART9", "W")].findtext("CourseAcademicGradeStatusCode") == "Withdrew"
    honors = courses[("BIO9H", "B")]
    assert honors.findtext("CourseGPAApplicabilityCode") == "Weighted"
    assert honors.findtext("CourseQualityPointsEarned") == "1.5"
    assert honors.findtext("NoteMessage") == "Weighted quality points 2"
    assert courses[("PE9", "P")].findtext("CourseGPAApplicabilityCode") == "NotApplicable"
    assert courses[("ENG9", "A")].findtext("CourseGPAApplicabilityCode") == "Applicable"
    # A mark on a grading basis other than graded: its status code and the basis named.
    no_pass = courses[("MUS9", "NP")]
    assert no_pass.findtext("CourseAcademicGradeStatusCode") == "PassFailFail"
    assert no_pass.findtext("CourseGPAApplicabilityCode") == "NotApplicable"
    assert no_pass.findtext("NoteMessage") == "Grading basis: pass/no pass"

    # The standing decided at posting, term by term, and today's on the record.
    assert [summaries(s)["SenderOnly"].findtext("Delinquencies") for s in (fall, spring)] == [
        "Other",
        "ProbationGPA",
    ]
    assert summaries(fall)["SenderOnly"].findtext("NoteMessage") == "Academic warning"
    assert summaries(record)["All"].findtext("Delinquencies") == "ProbationGPA"
    # The institution does not print class rank: none here.
    assert ranks(document) == {}

    # Logged like any copy: the request, the disclosure, and the code that checks the bytes.
    with session_scope(engine) as session:
        request = session.exec(
            select(TranscriptRequest).where(TranscriptRequest.format == "pesc")
        ).one()
        assert request.official and request.recipient == "Admissions, Ridge College"
        assert document.findtext("TransmissionData/DocumentID") == request.verification_code
        disclosure = session.exec(
            select(Disclosure).where(Disclosure.document_id == request.id)
        ).one()
        assert disclosure.purpose == "admission" and "pesc" in disclosure.note
        answer = check_document(
            session, actor=system_actor(session), code=request.verification_code, content=content
        )
        assert answer.genuine and answer.format == "pesc" and answer.matches


def test_class_rank_appears_when_the_institution_prints_it(
    engine: Engine, school: None, schema: etree.XMLSchema
) -> None:
    with session_scope(engine) as session:
        system = system_actor(session)
        t = build_transcript(session, actor=system, student_number="S0101")
        assert ranks(valid(schema, render_pesc_hs(t, OPTIONS).encode())) == {}
        set_setting(session, actor=system, key="print_class_rank", value="yes")
    with session_scope(engine) as session:
        t = build_transcript(session, actor=system_actor(session), student_number="S0101")
    document = valid(schema, render_pesc_hs(t, OPTIONS).encode())
    # Two in the class of 2026: S0102's 4.00 is first both ways.
    assert ranks(document) == {"All": (2, 2), "Weighted": (2, 2), "class_of": "2026"}
    with session_scope(engine) as session:  # the classmate's S on the satisfactory basis
        classmate = build_transcript(session, actor=system_actor(session), student_number="S0102")
    satisfactory = [
        c
        for c in valid(schema, render_pesc_hs(classmate, OPTIONS).encode()).iter("Course")
        if c.findtext("OriginalCourseID") == "MUS9"
    ]
    assert [c.findtext("CourseAcademicGradeStatusCode") for c in satisfactory] == ["PassFailPass"]
    record = document.find("Student/AcademicRecord")
    assert record is not None
    assert summaries(record)["All"].findtext("ClassRankDate") == ISSUED.isoformat()
    notes = [n.text or "" for n in summaries(record)["All"].findall("NoteMessage")]
    assert "Class of 2026: 2 students; percentile 50, decile 10 (weighted)" in notes


def test_diploma_with_honours(engine: Engine, school: None, schema: etree.XMLSchema) -> None:
    with session_scope(engine) as session:
        t = build_transcript(session, actor=system_actor(session), student_number="S0103")
    document = valid(schema, render_pesc_hs(t, OPTIONS).encode())
    award = document.find("Student/AcademicRecord/AcademicAward")
    assert award is not None
    assert award.findtext("AcademicAwardTitle") == "High School Diploma"
    assert award.findtext("AcademicAwardDate") == "2025-06-10"
    assert award.findtext("AcademicCompletionIndicator") == "true"
    assert award.findtext("AcademicHonors/HonorsTitle") == "Summa cum laude"
    assert award.findtext("AcademicHonors/HonorsLevel") == "FirstHighest"


def test_high_school_copy_is_held_like_any_copy(
    cli_admin: Actor,
    database_url: str,
    engine: Engine,
    school: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with session_scope(engine) as session:
        student = session.exec(select(Student).where(Student.student_number == "S0101")).one()
        make_hold(
            session, student, placed_by_id=1, hold_type="financial", blocks_transcript=True,
            reason="Library fines",
        )  # fmt: skip
    code = main(
        ["transcript", "S0101", "--format", "pesc", "--official", "--database", database_url]
    )
    assert code == 2
    assert "financial hold" in capsys.readouterr().err
    # An elementary progress record has no PESC document: refused before anything is logged.
    code = main(["transcript", "E0001", "--format", "pesc", "--database", database_url])
    assert code == 2
    assert "elementary record" in capsys.readouterr().err
    with session_scope(engine) as session:
        assert session.exec(select(TranscriptRequest)).all() == []


async def test_desk_exports_a_high_school_copy(
    engine: Engine, school: None, schema: etree.XMLSchema, tmp_path: Path
) -> None:
    with session_scope(engine) as session:
        student_id = session.exec(select(Student.id).where(Student.student_number == "S0101")).one()
    app = make_app(engine, username="reg")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.app.push_screen(StudentScreen(student_id, title="Noor S0101"))
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("t")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(pilot.app.screen, TranscriptScreen)
        await pilot.press("c")
        await pilot.pause()
        modal = pilot.app.screen
        assert isinstance(modal, ExportPathModal)
        path_input = modal.query_one("#export-path", Input)
        assert path_input.value.endswith(".xml")
        path_input.value = str(tmp_path / "copy.xml")
        modal.query_one("#export-recipient", Input).value = "Admissions, Ridge College"
        await pilot.press("enter")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
    document = valid(schema, (tmp_path / "copy.xml").read_bytes())
    assert document.tag == ROOT
    assert (
        document.findtext("TransmissionData/Destination/Organization/OrganizationName")
        == "Admissions, Ridge College"
    )
    with session_scope(engine) as session:
        request = session.exec(select(TranscriptRequest)).one()
        assert (request.format, request.recipient) == ("pesc", "Admissions, Ridge College")
