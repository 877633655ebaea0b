"""A small office for the desk's tests: students a counter meets, with a full record for one.

Rows are inserted directly with the shared factories (not through services), so these tests do
not depend on the services other issues are building.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlmodel import Session

from recordsdesk.models import ContactNote, TranscriptRequest, TransferCredit
from tests.factories import (
    add,
    make_course,
    make_enrollment,
    make_hold,
    make_program,
    make_section,
    make_student,
    make_term,
    scale_id,
)


@dataclass(frozen=True)
class DeskData:
    garcia_id: int  # the full record: history, registration, holds, notes, requests
    bob_id: int  # a name that looks like Rich markup
    confidential_id: int


def seed_desk(session: Session, staff_id: int) -> DeskData:
    program = make_program(session, code="BSC-BIO", name="Biology")
    fall = make_term(
        session,
        code="2025FA",
        name="Fall 2025",
        start_date=date(2025, 9, 1),
        end_date=date(2025, 12, 19),
        add_drop_deadline=date(2025, 9, 12),
        withdraw_deadline=date(2025, 11, 7),
        grades_due=date(2025, 12, 23),
        status="closed",
    )
    spring = make_term(
        session,
        code="2026SP",
        name="Spring 2026",
        start_date=date(2026, 1, 12),
        end_date=date(2026, 5, 8),
        add_drop_deadline=date(2026, 1, 23),
        withdraw_deadline=date(2026, 4, 3),
        grades_due=date(2026, 5, 12),
        status="registration_open",
    )
    bio = make_course(session, code="BIO101", title="Cells & [i]Life[/i]", credits=Decimal("4"))
    chem = make_course(session, code="CHEM101", title="General Chemistry", credits=Decimal("3"))
    seminar = make_course(
        session,
        code="SEM100",
        title="First-Year Seminar",
        credits=Decimal("1"),
        grading_scale_id=scale_id(session, "PASS-FAIL"),
    )
    bio_fall = make_section(session, bio, fall, section_code="01", instructor="Dr. Ruiz")
    chem_fall = make_section(session, chem, fall, section_code="01")
    sem_fall = make_section(session, seminar, fall, section_code="01")
    chem_spring = make_section(session, chem, spring, section_code="02", room="SCI 204")
    bio_spring = make_section(session, bio, spring, section_code="01")

    garcia = make_student(
        session,
        student_number="2025000101",
        legal_first_name="José",
        legal_last_name="García",
        preferred_name="Pepe",
        birth_date=date(2006, 3, 14),
        email="jose.garcia@example.edu",
        program_id=program.id,
        class_year=2029,
        city="Sevilla",
    )
    posted = {"grade_status": "posted", "status": "completed"}
    make_enrollment(session, garcia, bio_fall, mark="A-", **posted)
    make_enrollment(session, garcia, sem_fall, mark="P", **posted)
    make_enrollment(session, garcia, chem_fall, status="withdrawn")
    make_enrollment(session, garcia, chem_spring)
    make_enrollment(session, garcia, bio_spring, status="waitlisted", waitlist_position=2)
    add(
        session,
        TransferCredit(
            student_id=garcia.id,
            source_institution="Colegio Nacional",
            source_course_code="MAT-1",
            source_course_title="Cálculo",
            credits=Decimal("3"),
            awarded_on=date(2025, 8, 20),
        ),
    )
    make_hold(session, garcia, placed_by_id=staff_id, reason="Library fine [unpaid]")
    make_hold(
        session,
        garcia,
        placed_by_id=staff_id,
        hold_type="advising",
        reason="Meet your advisor",
        released_by_id=staff_id,
        released_at=datetime(2025, 10, 1, tzinfo=UTC),
        release_reason="Met",
    )
    add(
        session,
        ContactNote(student_id=garcia.id, author_id=staff_id, body="Asked about [b]housing[/b]"),
    )
    add(
        session,
        TranscriptRequest(
            student_id=garcia.id, requested_by_id=staff_id, recipient="Univ. of Lisbon"
        ),
    )

    bob = make_student(
        session,
        student_number="2025000102",
        legal_first_name="[b]Bob",
        legal_last_name="Brackets",
        email="bob@example.edu",
    )
    secret = make_student(
        session,
        student_number="2025000103",
        legal_first_name="Siobhán",
        legal_last_name="Gallagher",
        email="sg@example.edu",
        confidential=True,
    )
    for n in range(3):
        make_student(
            session,
            student_number=f"202500020{n}",
            legal_first_name="Kim",
            legal_last_name=f"Garner{n}",
            email=f"kim{n}@example.edu",
        )
    assert garcia.id is not None and bob.id is not None and secret.id is not None
    return DeskData(garcia_id=garcia.id, bob_id=bob.id, confidential_id=secret.id)
