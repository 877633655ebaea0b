"""A hand-worked academic record for the transcript tests (figures worked out in the tests)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlmodel import Session

from recordsdesk.models import TransferCredit
from tests.factories import (
    add,
    make_course,
    make_enrollment,
    make_program,
    make_section,
    make_student,
    make_term,
    scale_id,
)


@dataclass(frozen=True)
class TranscriptData:
    student_id: int
    student_number: str
    elementary_number: str


def seed_transcript(
    session: Session, *, name: tuple[str, str] = ("Zoë", "Ødegård")
) -> TranscriptData:
    """2024FA: MATH101 F (retaken), ENGL101 A-, SEM100 P, ART100 W, HIST101 I.
    2025SP: MATH101 B+, HON200 A (honors, weight 1), ART100 AU. 2025FA: ENGL200 in progress.
    Six transfer credits."""
    program = make_program(session, code="BA-T", name="Bachelor of Arts")
    fall = make_term(
        session,
        code="2024FA",
        name="Fall 2024",
        start_date=date(2024, 9, 2),
        end_date=date(2024, 12, 20),
        add_drop_deadline=None,
        withdraw_deadline=None,
        status="closed",
    )
    spring = make_term(
        session,
        code="2025SP",
        name="Spring 2025",
        start_date=date(2025, 1, 13),
        end_date=date(2025, 5, 9),
        add_drop_deadline=None,
        withdraw_deadline=None,
        status="closed",
    )
    now = make_term(
        session,
        code="2025FA",
        name="Fall 2025",
        start_date=date(2025, 9, 1),
        end_date=date(2025, 12, 19),
        add_drop_deadline=None,
        withdraw_deadline=None,
        status="in_progress",
    )
    c = {
        code: make_course(session, code=code, title=title, credits=Decimal(cr), **extra)
        for code, title, cr, extra in [
            ("MATH101", "Calculus I", "3", {}),
            ("ENGL101", "Composition", "3", {}),
            ("HIST101", "World History", "4", {}),
            (
                "SEM100",
                "First-Year Seminar",
                "1",
                {"grading_scale_id": scale_id(session, "PASS-FAIL")},
            ),
            ("ART100", "Drawing", "2", {}),
            ("HON200", "Honors Colloquium", "3", {"weight": Decimal("1")}),
            ("ENGL200", "Literature", "3", {}),
        ]
    }
    student = make_student(
        session,
        student_number="T0001",
        legal_first_name=name[0],
        legal_last_name=name[1],
        program_id=program.id,
        admission_date=date(2024, 6, 1),
    )
    posted = {"grade_status": "posted", "status": "completed"}
    for term, code, mark in [
        (fall, "MATH101", "F"),
        (fall, "ENGL101", "A-"),
        (fall, "SEM100", "P"),
        (fall, "ART100", "W"),
        (fall, "HIST101", "I"),
        (spring, "MATH101", "B+"),
        (spring, "HON200", "A"),
        (spring, "ART100", "AU"),
    ]:
        extra = {"status": "withdrawn"} if mark == "W" else {}
        make_enrollment(
            session, student, make_section(session, c[code], term), mark=mark, **{**posted, **extra}
        )
    make_enrollment(session, student, make_section(session, c["ENGL200"], now))
    add(
        session,
        TransferCredit(
            student_id=student.id,
            source_institution="City College",
            source_course_code="BIO 1",
            source_course_title="Biology",
            credits=Decimal("6"),
            awarded_on=date(2024, 8, 1),
        ),
    )

    elementary = make_program(session, code="ELEM-T", name="Lab School K-5", level="elementary")
    reading = make_course(
        session,
        code="G1-READ",
        title="Reading",
        credits=Decimal("1"),
        level="elementary",
        grading_scale_id=scale_id(session, "SBG-4"),
    )
    child = make_student(
        session,
        student_number="E0001",
        legal_first_name="李",
        legal_last_name="小龍",
        program_id=elementary.id,
    )
    make_enrollment(session, child, make_section(session, reading, fall), mark="3", **posted)
    assert student.id is not None
    return TranscriptData(student.id, "T0001", "E0001")
