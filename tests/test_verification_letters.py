"""Enrollment verification letters on a real database (SQLite and PostgreSQL): the status from
the institution's credit thresholds per level, every copy logged with a code that "is this
document genuine?" answers, a confidential student's letter to a third party refused without
consent, the PDF read back, and the command line."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from recordsdesk.cli import main
from recordsdesk.db import session_scope
from recordsdesk.models import (
    AuditEvent,
    Disclosure,
    Enrollment,
    Program,
    Student,
    Term,
    VerificationLetter,
)
from recordsdesk.services.access.actor import Actor, actor_for
from recordsdesk.services.disclosure.consents import add_consent
from recordsdesk.services.disclosure.genuine import check_document
from recordsdesk.services.disclosure.letters import build_letter, enrollment_status, release_letter
from recordsdesk.services.institution.settings import set_setting
from recordsdesk.services.shared.errors import ValidationFailed
from tests.factories import (
    institution,
    make_course,
    make_enrollment,
    make_program,
    make_section,
    make_staff,
    make_student,
    make_term,
)

pytestmark = pytest.mark.db


@dataclass(frozen=True)
class School:
    student_id: int
    number: str
    graduate_number: str


def _load(session: Session, student: Student, term_code: str, *loads: str) -> None:
    found = session.exec(select(Term).where(Term.code == term_code)).one()
    for value in loads:
        course = make_course(session, credits=Decimal(value))
        make_enrollment(session, student, make_section(session, course, found), status="registered")


@pytest.fixture
def school(engine: Engine) -> School:
    with session_scope(engine) as session:
        make_staff(session, username="clerk", role="clerk")
        institution(session).registrar_name = "Ana Reyes"
        make_term(session, code="2026FA", name="Fall 2026")
        make_term(
            session,
            code="2027SP",
            name="Spring 2027",
            start_date=date(2027, 1, 11),
            end_date=date(2027, 5, 7),
            add_drop_deadline=None,
            withdraw_deadline=None,
        )
        make_term(
            session,
            code="2027SU",
            name="Summer 2027",
            start_date=date(2027, 6, 1),
            end_date=date(2027, 8, 1),
            add_drop_deadline=None,
            withdraw_deadline=None,
        )
        bachelor = make_program(session, code="BSC-BIO", name="Biology")
        master = make_program(session, code="MSC-BIO", name="Biology (MSc)", level="graduate")
        pupil = make_student(
            session,
            student_number="L0001",
            legal_first_name="Zoë",
            legal_last_name="Ødegård",
            program_id=bachelor.id,
            class_year=2029,
        )
        _load(session, pupil, "2026FA", "4", "4", "4")  # 12: full-time
        _load(session, pupil, "2027SP", "3", "4")  # 7: half-time
        _load(session, pupil, "2027SU", "3")  # 3: less than half-time
        grad = make_student(session, student_number="G0001", program_id=master.id)
        _load(session, grad, "2026FA", "3", "3", "3")  # 9: full-time for a graduate
        assert pupil.id is not None
        return School(pupil.id, "L0001", "G0001")


@pytest.fixture
def clerk(engine: Engine, school: School) -> Actor:
    with session_scope(engine) as session:
        return actor_for(session, "clerk")


def test_expected_graduation_counts_the_programs_regular_terms_from_the_first(
    engine: Engine, school: School, clerk: Actor
) -> None:
    """Fall 2026 entry, summers not counted: 8 regular terms end in Spring 2030 (beyond the
    terms on file, the last year's pattern repeats); 2 end in Spring 2027, on file."""
    with session_scope(engine) as session:
        for code, terms in (("BSC-BIO", 8), ("MSC-BIO", 2)):
            program = session.exec(select(Program).where(Program.code == code)).one()
            program.normal_terms = terms
            session.add(program)
    with session_scope(engine) as session:
        bachelor = build_letter(
            session, actor=clerk, student_number=school.number, terms=["2026FA"]
        )
        master = build_letter(
            session, actor=clerk, student_number=school.graduate_number, terms=["2026FA"]
        )
        pupil = session.exec(select(Student).where(Student.student_number == school.number)).one()
        fall = session.exec(select(Term).where(Term.code == "2027SP")).one()
        pupil.entry_term_id = fall.id  # an entry term on file is counted from, not the first
        session.add(pupil)
        session.flush()
        later = build_letter(session, actor=clerk, student_number=school.number, terms=["2026FA"])
    assert bachelor.expected_graduation == "May 2030"
    assert master.expected_graduation == "Spring 2027 (May 2027)"
    assert later.expected_graduation == "December 2030"


def test_status_follows_the_thresholds_per_level(
    engine: Engine, school: School, clerk: Actor, system: Actor
) -> None:
    assert enrollment_status(Decimal("0"), (Decimal("12"), Decimal("6"))) == "not enrolled"
    assert enrollment_status(Decimal("1"), None) == "full-time"  # schools: enrolled is full-time
    with session_scope(engine) as session:
        letter = build_letter(
            session, actor=clerk, student_number=school.number, terms=["2027su", "2026FA", "2027SP"]
        )
        grad = build_letter(
            session, actor=clerk, student_number=school.graduate_number, terms=["2026FA", "2027SP"]
        )
    assert [(t.code, f"{t.credits:f}", t.status) for t in letter.terms] == [
        ("2026FA", "12.00", "full-time"),
        ("2027SP", "7.00", "half-time"),
        ("2027SU", "3.00", "less than half-time"),
    ]
    assert letter.program_code == "BSC-BIO" and letter.expected_graduation == "2029"
    assert [t.status for t in grad.terms] == ["full-time", "not enrolled"]
    with session_scope(engine) as session:
        set_setting(session, actor=system, key="half_time_undergrad", value="7.5")
        with pytest.raises(ValidationFailed):
            set_setting(session, actor=system, key="half_time_undergrad", value="13")
    with session_scope(engine) as session:
        again = build_letter(session, actor=clerk, student_number=school.number, terms=["2027SP"])
        assert again.terms[0].status == "less than half-time"
        with pytest.raises(ValidationFailed) as refused:
            build_letter(session, actor=clerk, student_number=school.number, terms=["1999XX"])
        assert refused.value.field == "term"


def test_a_released_letter_is_logged_and_answers_to_its_code(
    engine: Engine, school: School, clerk: Actor
) -> None:
    with session_scope(engine) as session:
        copy = release_letter(
            session,
            actor=clerk,
            student_number=school.number,
            terms=["2026FA"],
            fmt="text",
            recipient="Acme Insurance",
            purpose="student health cover",
            issued_on=date(2026, 12, 7),
        )
    text = copy.content.decode("utf-8")
    assert "ENROLLMENT VERIFICATION" in text and "To: Acme Insurance" in text
    assert "Zoë Ødegård (student number L0001)" in text and "full-time" in text
    assert "Ana Reyes" in text and copy.verification_code in text
    with session_scope(engine) as session:
        row = session.exec(select(VerificationLetter)).one()
        assert (row.terms, row.recipient, row.format) == ("2026FA", "Acme Insurance", "text")
        disclosure = session.exec(select(Disclosure)).one()
        assert (disclosure.document, disclosure.document_id) == ("verification_letter", row.id)
        assert disclosure.purpose == "student health cover"
        actions = session.exec(
            select(AuditEvent.action).where(AuditEvent.entity == "verification_letter")
        ).all()
        assert list(actions) == ["release"]
        answer = check_document(
            session, actor=clerk, code=copy.verification_code, content=copy.content
        )
    assert answer.genuine and answer.matches and answer.changed_since is False
    assert answer.document == "enrollment verification letter (2026FA)"
    assert answer.recipient == "Acme Insurance"
    with session_scope(engine) as session:  # a course dropped: the letter no longer holds
        enrollment = session.exec(
            select(Enrollment).where(Enrollment.student_id == school.student_id)
        ).first()
        assert enrollment is not None
        enrollment.status = "dropped"
    with session_scope(engine) as session:
        later = check_document(session, actor=clerk, code=copy.verification_code)
    assert later.genuine and later.changed_since is True


def test_a_confidential_students_letter_needs_consent(
    engine: Engine, school: School, clerk: Actor
) -> None:
    with session_scope(engine) as session:
        session.exec(
            select(Student).where(Student.id == school.student_id)
        ).one().confidential = True
        grades = add_consent(
            session,
            actor=clerk,
            student_id=school.student_id,
            recipient="Acme",
            records="grades",
            signed_on=date(2026, 1, 5),
        )
        enrollment = add_consent(
            session,
            actor=clerk,
            student_id=school.student_id,
            recipient="Acme",
            records="enrollment",
            signed_on=date(2026, 1, 5),
        )
    for attempt in ({}, {"basis": "directory"}, {"consent_id": grades.id}):
        with pytest.raises(ValidationFailed) as refused, session_scope(engine) as session:
            release_letter(
                session,
                actor=clerk,
                student_id=school.student_id,
                terms=["2026FA"],
                fmt="text",
                recipient="Acme",
                **attempt,  # type: ignore[arg-type]
            )
        assert refused.value.field in {"consent", "basis"}
    with session_scope(engine) as session:
        assert session.exec(select(VerificationLetter)).first() is None
        release_letter(  # to the student: no third party
            session, actor=clerk, student_id=school.student_id, terms=["2026FA"], fmt="text"
        )
        release_letter(
            session,
            actor=clerk,
            student_id=school.student_id,
            terms=["2026FA"],
            fmt="json",
            recipient="Acme",
            consent_id=enrollment.id,
        )
        bases = session.exec(select(Disclosure.basis).order_by(Disclosure.id)).all()
    assert list(bases) == ["student_request", "consent"]


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")
def test_the_pdf_letter_reads_back(
    engine: Engine, school: School, clerk: Actor, tmp_path: Path
) -> None:
    with session_scope(engine) as session:
        copy = release_letter(
            session, actor=clerk, student_number=school.number, terms=["2026FA", "2027SP"]
        )
    pdf = tmp_path / "letter.pdf"
    pdf.write_bytes(copy.content)
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "ENROLLMENT VERIFICATION" in text and "Zoë Ødegård" in text
    assert "full-time" in text and "half-time" in text and "Ana Reyes" in text
    assert copy.verification_code in text


def test_the_verification_command(
    school: School, cli_admin: Actor, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ["--database", database_url]
    assert main(["verification", school.number, "--term", "2027SP", "--format", "json", *db]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["terms"][0]["enrollment_status"] == "half-time"
    assert document["terms"][0]["credits"] == "7.00"
    code = document["copy"]["verification_code"]
    assert main(["verify", code, *db]) == 0
    assert "enrollment verification letter (2027SP)" in capsys.readouterr().out
    assert main(["verification", school.number, "--term", "NOPE", *db]) == 2
    assert "term" in capsys.readouterr().err
