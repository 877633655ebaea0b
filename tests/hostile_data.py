"""Stored values that try to be code: unbalanced and working Rich markup, terminal escapes (as an
old database might hold them, written straight to the tables), very long names and right-to-left
text. The hostile-values test drives every screen that shows them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from recordsdesk.models import ContactNote
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.audit import trail as audit
from recordsdesk.services.shared.clean_flush import refuse_on_flush
from tests.factories import (
    add,
    make_course,
    make_enrollment,
    make_hold,
    make_program,
    make_section,
    make_staff,
    make_student,
    make_term,
)

UNBALANCED = "bad[/b]"
BOLD = "[b]evil[/b]"
LINK = "[link=x]click"
CLEAR_SCREEN = "\x1b[2Jwipe"
OSC8 = "\x1b]8;;https://evil.example\x07osc\x1b]8;;\x07"
C1_CSI = "\x9b31mred"
LONG = "L" * 290 + "-long-name"
ARABIC = "محمد العربي"
HEBREW = "שלום כהן"

#: What must show literally somewhere on each screen (brackets kept, nothing styled away).
LITERAL_MARKERS = (UNBALANCED, BOLD, LINK)


@dataclass(frozen=True)
class HostileDesk:
    student_id: int
    student_number: str
    staff_username: str


@contextmanager
def as_an_old_database_holds_them() -> Iterator[None]:
    """Store values the desk now refuses (control characters), as a database written before
    the refusal may hold them: the flush gate is lifted for the seeding only."""
    event.remove(OrmSession, "before_flush", refuse_on_flush)
    try:
        yield
    finally:
        event.listen(OrmSession, "before_flush", refuse_on_flush)


def seed_hostile(session: Session, actor: Actor, staff_id: int) -> HostileDesk:
    """The hostile values in every kind of record (control characters included, stored as an
    old database may hold them); commit inside `as_an_old_database_holds_them`."""
    program = make_program(session, code="HX-1", name=f"Program {BOLD}")
    term = make_term(
        session,
        code="2026FA",
        name=f"Fall {UNBALANCED}",
        start_date=date(2026, 9, 1),
        end_date=date(2026, 12, 18),
        status="registration_open",
    )
    course = make_course(session, code="HX101", title=f"{BOLD} {CLEAR_SCREEN}", credits=Decimal(3))
    section = make_section(
        session, course, term, section_code="01", instructor=f"Dr {LINK}", room=UNBALANCED
    )
    student = make_student(
        session,
        student_number="2099000001",
        legal_first_name=UNBALANCED,
        legal_last_name=f"{BOLD} {CLEAR_SCREEN}",
        preferred_name=LINK,
        former_names=f"{ARABIC} {HEBREW}",
        city=OSC8,
        address_line1=C1_CSI,
        email="hostile@example.edu",
        program_id=program.id,
    )
    make_student(
        session,
        student_number="2099000002",
        legal_first_name=ARABIC,
        legal_last_name=LONG,
        email="long@example.edu",
    )
    make_student(
        session,
        student_number="2099000003",
        legal_first_name=HEBREW,
        legal_last_name=f"{UNBALANCED}{OSC8}",
        email="rtl@example.edu",
    )
    make_enrollment(session, student, section)
    make_hold(session, student, placed_by_id=staff_id, reason=f"{BOLD} owes {CLEAR_SCREEN}")
    add(session, ContactNote(student_id=student.id, author_id=staff_id, body=f"{LINK} {OSC8}"))
    hostile_staff = make_staff(
        session, username=UNBALANCED, role="clerk", full_name=f"{BOLD} {CLEAR_SCREEN}"
    )
    audit.record(
        session,
        actor,
        action="update",
        entity="student",
        entity_id=student.id,
        student_id=student.id,
        before={"legal_first_name": BOLD},
        after={"legal_first_name": UNBALANCED, "city": CLEAR_SCREEN},
        reason=LINK,
    )
    assert student.id is not None
    return HostileDesk(student.id, student.student_number, hostile_staff.username)
