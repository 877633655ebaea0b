"""PESC College Transcript copies: every document the desk writes for a college record
validates against the shipped 1.6.0 schema, carries the GPAs the JSON copy prints, and is
released like any copy (logged, held by holds, checked by its verification code), from the
command line and from the transcript preview's export."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import Engine
from sqlmodel import select
from textual.widgets import Input

from recordsdesk.cli import main
from recordsdesk.db import open_database, session_scope
from recordsdesk.models import Disclosure, Student
from recordsdesk.models.contact import TranscriptRequest
from recordsdesk.render.transcript_json import transcript_dict
from recordsdesk.render.transcript_layout import RenderOptions
from recordsdesk.render.transcript_pesc import NAMESPACE, render_pesc
from recordsdesk.services.access.actor import Actor, system_actor
from recordsdesk.services.demo.build import build_demo_database
from recordsdesk.services.disclosure.genuine import check_document
from recordsdesk.services.transcripts.builder import Transcript, build_transcript
from recordsdesk.ui.app import make_app
from recordsdesk.ui.screens.people.record import StudentScreen
from recordsdesk.ui.screens.transcripts.preview import ExportPathModal, TranscriptScreen
from tests.factories import make_hold, make_program, make_staff, make_student
from tests.transcript_data import seed_transcript

REPO = Path(__file__).resolve().parent.parent
#: The schema ships in the repository (tests/fixtures); a checkout without it may still sit
#: beside the project's shared folder (../shared/fixtures), as the working trees here do.
SCHEMA_CANDIDATES = (
    REPO / "tests" / "fixtures" / "pesc" / "xsd" / "college-1.6.0",
    REPO.parent / "shared" / "fixtures" / "pesc" / "xsd" / "college-1.6.0",
)
ROOT = f"{{{NAMESPACE}}}CollegeTranscript"


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    for folder in SCHEMA_CANDIDATES:
        if (folder / "CollegeTranscript_v1.6.0.xsd").is_file():
            return etree.XMLSchema(etree.parse(str(folder / "CollegeTranscript_v1.6.0.xsd")))
    pytest.skip(f"the PESC 1.6.0 schema is not here: looked in {SCHEMA_CANDIDATES}")


def valid(schema: etree.XMLSchema, content: bytes) -> etree._Element:
    """The document parsed, after asserting it validates (naming the first error if not)."""
    document = etree.fromstring(content)
    assert schema.validate(document), schema.error_log.last_error
    return document


def gpas(document: etree._Element) -> dict[str, object]:
    """The GPAs the document carries: the record's (All), and per session the term's
    (SenderOnly) and the running one (Cumulative), as written."""

    def average(summary: etree._Element) -> str | None:
        found = summary.find("GPA/GradePointAverage")
        return None if found is None else found.text

    record = document.find("Student/AcademicRecord")
    assert record is not None
    kinds = {s.findtext("AcademicSummaryType"): s for s in record.findall("AcademicSummary")}
    sessions = []
    for session in record.findall("AcademicSession"):
        by_kind = {s.findtext("AcademicSummaryType"): s for s in session.findall("AcademicSummary")}
        sessions.append((average(by_kind["SenderOnly"]), average(by_kind["Cumulative"])))
    return {"all": average(kinds["All"]) if "All" in kinds else None, "sessions": sessions}


def json_gpas(t: Transcript) -> dict[str, object]:
    figures = transcript_dict(t)
    return {
        "all": figures["cumulative"]["gpa"],
        "sessions": [(term["gpa"], term["cumulative"]["gpa"]) for term in figures["terms"]],
    }


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, list[str]]]:
    """A small demo database (fixed seed and day) and its college students' numbers."""
    path = tmp_path_factory.mktemp("pesc") / "demo.db"
    build_demo_database(
        f"sqlite:///{path}", students=150, seed=2026, rebuild=True, progress=lambda _: None,
        today=date(2026, 5, 10),
    )  # fmt: skip
    con = sqlite3.connect(path)
    try:
        numbers = [
            row[0]
            for row in con.execute(
                "SELECT s.student_number FROM student s JOIN program p ON p.id = s.program_id "
                "WHERE p.level IN ('undergraduate', 'graduate') ORDER BY s.student_number"
            )
        ]
    finally:
        con.close()
    engine = open_database(f"sqlite:///{path}", migrate=False)
    yield engine, numbers
    engine.dispose()


def test_every_demo_college_transcript_validates_and_carries_the_printed_gpa(
    schema: etree.XMLSchema, demo: tuple[Engine, list[str]]
) -> None:
    engine, numbers = demo
    assert len(numbers) > 100
    seen: set[str] = set()
    with session_scope(engine) as session:
        actor = system_actor(session)
        for number in numbers:
            t = build_transcript(session, actor=actor, student_number=number)
            options = RenderOptions(
                official=True, issued_on=date(2026, 5, 10), verification_code="ABCD-2345-EFGH-6789"
            )
            document = valid(
                schema, render_pesc(t, options, "Riverland Community College").encode()
            )
            assert gpas(document) == json_gpas(t), number
            text = etree.tostring(document, encoding="unicode")
            for marker in ("TransferOnly", "CourseRepeatCode", "AuditedCourse", "PassFailPass"):
                if marker in text:
                    seen.add(marker)
            if t.student.degree_conferred:
                seen.add("AcademicAward")
    # The demo has every case the mapping writes: transfer credit, repeats, audits,
    # pass/no pass and conferred degrees.
    assert seen == {
        "TransferOnly",
        "CourseRepeatCode",
        "AuditedCourse",
        "PassFailPass",
        "AcademicAward",
    }


@pytest.fixture
def seeded(engine: Engine) -> None:
    with session_scope(engine) as session:
        seed_transcript(session)
        make_staff(session, username="reg", role="registrar")
        secondary = make_program(session, code="HS", name="High School Diploma", level="secondary")
        make_student(session, student_number="S0001", program_id=secondary.id)


def test_cli_pesc_copy_is_logged_and_valid(
    cli_admin: Actor,
    database_url: str,
    engine: Engine,
    seeded: None,
    schema: etree.XMLSchema,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    target = tmp_path / "copy.xml"
    code = main(
        ["transcript", "T0001", "--format", "pesc", "-o", str(target), "--official",
         "--recipient", "Riverland Community College", "--purpose", "admission",
         "--database", database_url]
    )  # fmt: skip
    assert code == 0
    content = target.read_bytes()
    document = valid(schema, content)
    assert document.tag == ROOT
    assert document.findtext("TransmissionData/DocumentOfficialCode") == "Official"
    assert (
        document.findtext("TransmissionData/Destination/Organization/OrganizationName")
        == "Riverland Community College"
    )
    assert document.findtext("Student/Person/Name/FirstName") == "Zoë"
    assert document.findtext("Student/Person/Name/LastName") == "Ødegård"

    # The GPAs are the JSON copy's, term by term and overall.
    assert main(["transcript", "T0001", "--format", "json", "--database", database_url]) == 0
    capsys.readouterr()  # the PESC copy's message
    with session_scope(engine) as session:
        t = build_transcript(session, actor=system_actor(session), student_number="T0001")
    assert (
        gpas(document)
        == json_gpas(t)
        == {
            "all": "3.67",
            "sessions": [("3.70", "3.70"), ("3.65", "3.67")],
        }
    )

    # Each course line as the seeded record has it: the retaken F replaced, P, W, I and AU
    # by their status codes, the transfer credit with its source school.
    ours = [c for c in document.iter("Course") if c.find("CourseOverrideSchool") is None]
    fall = document.findall("Student/AcademicRecord/AcademicSession")[0]
    fall_math = next(c for c in fall.iter("Course") if c.findtext("OriginalCourseID") == "MATH101")
    assert fall_math.findtext("CourseAcademicGrade") == "F"
    assert fall_math.findtext("CourseRepeatCode") == "ReplacedNotCounted"
    statuses = {
        c.findtext("CourseAcademicGrade"): c.findtext("CourseAcademicGradeStatusCode") for c in ours
    }
    assert statuses["P"] == "PassFailPass"
    assert statuses["W"] == "Withdrew"
    assert statuses["I"] == "Incomplete"
    assert statuses["AU"] == "AuditedCourse"
    assert statuses["A-"] is None
    transfer = [c for c in document.iter("Course") if c.find("CourseOverrideSchool") is not None]
    assert transfer and all(
        c.findtext("CourseAcademicGradeStatusCode") == "TransferNoGrade" for c in transfer
    )

    # Logged like any copy: the request, the disclosure, and the code that checks the bytes.
    with session_scope(engine) as session:
        request = session.exec(
            select(TranscriptRequest).where(TranscriptRequest.format == "pesc")
        ).one()
        assert request.official and request.recipient == "Riverland Community College"
        assert document.findtext("TransmissionData/DocumentID") == request.verification_code
        disclosure = session.exec(
            select(Disclosure).where(Disclosure.document_id == request.id)
        ).one()
        assert disclosure.purpose == "admission" and "pesc" in disclosure.note
        answer = check_document(
            session, actor=system_actor(session), code=request.verification_code, content=content
        )
        assert answer.genuine and answer.format == "pesc" and answer.matches


def test_pesc_copy_is_held_and_refused_like_any_copy(
    cli_admin: Actor,
    database_url: str,
    engine: Engine,
    seeded: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with session_scope(engine) as session:
        student = session.exec(select(Student).where(Student.student_number == "T0001")).one()
        make_hold(
            session,
            student,
            placed_by_id=1,
            hold_type="financial",
            blocks_transcript=True,
            reason="Tuition balance due",
        )
    code = main(
        ["transcript", "T0001", "--format", "pesc", "--official", "--database", database_url]
    )
    assert code == 2
    assert "financial hold" in capsys.readouterr().err
    # An elementary progress record has no PESC document (a secondary one goes as a High
    # School Transcript, tests/test_transcript_pesc_hs.py): refused before anything is logged.
    code = main(["transcript", "E0001", "--format", "pesc", "--database", database_url])
    assert code == 2
    assert "elementary record" in capsys.readouterr().err
    with session_scope(engine) as session:
        assert session.exec(select(TranscriptRequest)).all() == []


def test_unofficial_copy_to_standard_output(
    cli_admin: Actor, database_url: str, seeded: None, schema: etree.XMLSchema,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    assert (
        main(["transcript", "T0001", "--format", "pesc", "--weighted", "--database", database_url])
        == 0
    )
    document = valid(schema, capsys.readouterr().out.encode())
    assert document.findtext("TransmissionData/DocumentOfficialCode") == "Unofficial"
    # --weighted adds the weighted GPA the copy prints (the honors course's weight).
    summaries = document.findall("Student/AcademicRecord/AcademicSummary")
    weighted = [s for s in summaries if s.findtext("AcademicSummaryType") == "Weighted"]
    assert [s.findtext("GPA/GradePointAverage") for s in weighted] == ["4.00"]  # 36 / 9
    notes = [n.text for n in document.findall("TransmissionData/NoteMessage")]
    assert any(note and note.startswith("Verification code ") for note in notes)


async def test_desk_exports_a_pesc_copy(
    engine: Engine, seeded: None, schema: etree.XMLSchema, tmp_path: Path
) -> None:
    with session_scope(engine) as session:
        student_id = session.exec(select(Student.id).where(Student.student_number == "T0001")).one()
    app = make_app(engine, username="reg")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.app.push_screen(StudentScreen(student_id, title="Zoë"))
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
    assert (
        document.findtext("TransmissionData/Destination/Organization/OrganizationName")
        == "Admissions, Ridge College"
    )
    with session_scope(engine) as session:
        request = session.exec(select(TranscriptRequest)).one()
        assert (request.format, request.recipient) == ("pesc", "Admissions, Ridge College")
