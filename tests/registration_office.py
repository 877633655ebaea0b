"""A small registration office for the registration tests: a term open for registration, the
term before it, sections with seats, a full one with a waitlist, prerequisites and meeting times.

Rows are inserted with the shared factories, so the tests do not depend on other services.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta
from decimal import Decimal

from sqlmodel import Session

from recordsdesk.models import Section, StaffRole
from recordsdesk.services.access.actor import Actor
from tests.factories import (
    institution,
    make_course,
    make_enrollment,
    make_prerequisite,
    make_section,
    make_staff,
    make_student,
    make_term,
    scale_id,
)

# The office's "today" in service tests: registration is open, before the add/drop deadline.
TODAY = date(2027, 1, 5)


@dataclass(frozen=True)
class Office:
    clerk: Actor
    registrar: Actor
    student_id: int  # active, passed CALC 101 with a B in the term before
    open_term_id: int
    past_term_id: int
    calc1_id: int  # course ids
    calc2_id: int  # requires CALC 101 with C- or better
    physics_id: int  # requires CALC 102 (in progress in the past term: provisional)
    calc1_open: int  # section ids in the open term
    calc2_open: int  # MWF 09:00-09:50, 30 seats
    history_open: int  # MWF 09:30-10:20: clashes with calc2_open
    art_open: int  # TR 13:00-14:15
    full_open: int  # capacity 2, both taken; waitlist of 2 places
    physics_open: int
    big_open: int  # a 12-credit course, TR 18:00


def actor(session: Session, role: StaffRole, name: str) -> Actor:
    user = make_staff(session, username=name, role=role.value)
    assert user.id is not None
    return Actor(id=user.id, username=user.username, role=role)


def seed_office(session: Session, *, today: date = TODAY) -> Office:
    """The office around `today`: the open term starts a week later (add/drop deadline two
    weeks after that, withdrawal deadline eleven weeks after), the past term is in progress."""
    start = today + timedelta(days=6)
    open_term = make_term(
        session,
        code="OPEN",
        name="Open Term",
        start_date=start,
        end_date=start + timedelta(days=110),
        add_drop_deadline=start + timedelta(days=11),
        withdraw_deadline=start + timedelta(days=75),
        status="registration_open",
    )
    past = make_term(
        session,
        code="PAST",
        name="Past Term",
        start_date=start - timedelta(days=140),
        end_date=start - timedelta(days=30),
        add_drop_deadline=start - timedelta(days=130),
        withdraw_deadline=start - timedelta(days=70),
        status="in_progress",
    )
    calc1 = make_course(session, code="CALC 101", title="Calculus I", credits=Decimal("4"))
    calc2 = make_course(session, code="CALC 102", title="Calculus II", credits=Decimal("4"))
    physics = make_course(session, code="PHYS 201", title="Mechanics", credits=Decimal("3"))
    history = make_course(session, code="HIST 110", title="World History", credits=Decimal("3"))
    art = make_course(session, code="ART 120", title="Drawing & [b]Colour", credits=Decimal("3"))
    full = make_course(session, code="BIO 150", title="Field Biology", credits=Decimal("3"))
    big = make_course(
        session,
        code="LAB 400",
        title="Research Practicum",
        credits=Decimal("12"),
        grading_scale_id=scale_id(session, "PASS-FAIL"),
    )
    make_prerequisite(session, calc2, calc1, min_mark="C-")
    make_prerequisite(session, physics, calc2, min_mark="C")

    def section(course: object, days: str, start_at: time, end_at: time, **kw: object) -> int:
        row = make_section(
            session,
            course,  # type: ignore[arg-type]
            open_term,
            section_code="01",
            meeting_days=days,
            start_time=start_at,
            end_time=end_at,
            **kw,
        )
        assert row.id is not None
        return row.id

    office_ids = {
        "calc1_open": section(calc1, "TR", time(8, 0), time(9, 15)),
        "calc2_open": section(calc2, "MWF", time(9, 0), time(9, 50)),
        "history_open": section(history, "MWF", time(9, 30), time(10, 20)),
        "art_open": section(art, "TR", time(13, 0), time(14, 15)),
        "full_open": section(
            full, "MW", time(15, 0), time(16, 15), capacity=2, waitlist_capacity=2
        ),
        "physics_open": section(physics, "MWF", time(11, 0), time(11, 50)),
        "big_open": section(big, "TR", time(18, 0), time(20, 50)),
    }
    student = make_student(session, legal_first_name="Zoë", legal_last_name="Ångström")
    calc1_past = make_section(session, calc1, past, section_code="01")
    calc2_past = make_section(session, calc2, past, section_code="01")
    make_enrollment(
        session, student, calc1_past, status="completed", mark="B", grade_status="posted"
    )
    make_enrollment(session, student, calc2_past, status="registered")
    full_section = session.get_one(Section, office_ids["full_open"])
    for _ in range(2):
        make_enrollment(session, make_student(session), full_section)
    inst = institution(session)
    inst.max_credit_load = Decimal("18")
    session.add(inst)
    session.flush()
    assert student.id and open_term.id and past.id and calc1.id and calc2.id and physics.id
    return Office(
        clerk=actor(session, StaffRole.CLERK, "clerk1"),
        registrar=actor(session, StaffRole.REGISTRAR, "registrar1"),
        student_id=student.id,
        open_term_id=open_term.id,
        past_term_id=past.id,
        calc1_id=calc1.id,
        calc2_id=calc2.id,
        physics_id=physics.id,
        **office_ids,
    )
