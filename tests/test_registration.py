"""Registration under every rule: each check refuses in plain words, a registrar overrides with a
reason (audited, naming the checks), a clerk cannot; nothing is written when refused."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from recordsdesk.db import session_scope
from recordsdesk.models import AuditEvent, Course, Enrollment, Student, Term, TransferCredit
from recordsdesk.services.registration.register import Registered, leave_section, register
from recordsdesk.services.registration.rules import RegistrationRefused
from recordsdesk.services.registration.view import (
    registration_sheet,
    registration_terms,
    term_sections,
)
from recordsdesk.services.shared.errors import PermissionDenied, ValidationFailed
from tests.factories import make_course, make_enrollment, make_hold, make_section, make_student
from tests.registration_office import TODAY, Office, seed_office


@pytest.fixture
def office(engine: Engine) -> Office:
    with session_scope(engine) as session:
        return seed_office(session)


def counts(engine: Engine) -> tuple[int, int]:
    with session_scope(engine) as session:
        enrollments = session.exec(select(func.count()).select_from(Enrollment)).one()
        events = session.exec(select(func.count()).select_from(AuditEvent)).one()
        return enrollments, events


def add(engine: Engine, office: Office, section_id: int, **kw: Any) -> Registered:
    with session_scope(engine) as session:
        kw.setdefault("actor", office.clerk)
        kw.setdefault("student_id", office.student_id)
        kw.setdefault("today", TODAY)
        return register(session, section_id=section_id, **kw)


def refused(engine: Engine, office: Office, section_id: int, **kw: Any) -> RegistrationRefused:
    before = counts(engine)
    with pytest.raises(RegistrationRefused) as caught:
        add(engine, office, section_id, **kw)
    assert counts(engine) == before  # nothing written
    return caught.value


def change(engine: Engine, fn: Callable[[Session], Any]) -> None:
    with session_scope(engine) as session:
        fn(session)


def test_registers_in_an_open_section_and_audits(engine: Engine, office: Office) -> None:
    done = add(engine, office, office.calc2_open)
    assert done.status == "registered" and done.overridden == () and done.provisional == ()
    with session_scope(engine) as session:
        row = session.get_one(Enrollment, done.enrollment_id)
        assert (row.status, row.credits, row.override_reason) == ("registered", Decimal("4"), "")
        event = session.exec(
            select(AuditEvent).where(AuditEvent.entity_id == str(done.enrollment_id))
        ).one()
        assert (event.action, event.entity, event.actor_username) == (
            "register",
            "enrollment",
            "clerk1",
        )
        assert json.loads(event.after or "{}")["course"] == "CALC 102"


@pytest.mark.parametrize("status", ["applicant", "on_leave", "withdrawn", "graduated"])
def test_status_refuses_and_cannot_be_overridden(
    engine: Engine, office: Office, status: str
) -> None:
    def set_status(session: Session) -> None:
        student = session.get_one(Student, office.student_id)
        student.status = status
        if status in ("withdrawn", "graduated"):
            student.departure_date, student.departure_reason = TODAY, "moved"
        session.add(student)

    change(engine, set_status)
    error = refused(engine, office, office.art_open)
    assert error.codes == ("status",)
    assert "Zoë Ångström is " + status.replace("_", " ") in error.failures[0].message
    assert not error.overridable
    refused(engine, office, office.art_open, actor=office.registrar, override="dean said so")


def test_admitted_student_becomes_active_on_first_registration(
    engine: Engine, office: Office
) -> None:
    def admit(session: Session) -> None:
        student = session.get_one(Student, office.student_id)
        student.status = "admitted"
        session.add(student)

    change(engine, admit)
    assert add(engine, office, office.art_open).activated
    with session_scope(engine) as session:
        assert session.get_one(Student, office.student_id).status == "active"
        actions = session.exec(
            select(AuditEvent.action, AuditEvent.entity).where(
                AuditEvent.student_id == office.student_id
            )
        ).all()
        assert ("activate", "student") in actions


def test_window_after_the_add_deadline_needs_a_registrar(engine: Engine, office: Office) -> None:
    late = TODAY + timedelta(days=30)
    error = refused(engine, office, office.art_open, today=late)
    assert error.codes == ("window",)
    assert "add deadline for OPEN was" in error.failures[0].message
    with pytest.raises(PermissionDenied):
        add(engine, office, office.art_open, today=late, override="late add")
    with pytest.raises(ValidationFailed) as blank:
        add(engine, office, office.art_open, today=late, actor=office.registrar, override="  ")
    assert blank.value.field == "override_reason"
    done = add(
        engine, office, office.art_open, today=late, actor=office.registrar, override="Dean ok"
    )
    assert done.overridden == ("window",)
    with session_scope(engine) as session:
        assert session.get_one(Enrollment, done.enrollment_id).override_reason == "Dean ok"
        event = session.exec(
            select(AuditEvent).where(AuditEvent.entity_id == str(done.enrollment_id))
        ).one()
        assert json.loads(event.after or "{}")["overridden"] == ["window"]
        assert (event.reason, event.actor_username) == ("Dean ok", "registrar1")


def test_window_refuses_a_planned_term(engine: Engine, office: Office) -> None:
    def plan(session: Session) -> None:
        term = session.get_one(Term, office.open_term_id)
        term.status = "planned"
        session.add(term)

    change(engine, plan)
    error = refused(engine, office, office.art_open)
    assert error.failures[0].message == "OPEN is not open for registration (planned)."


def test_hold_refuses(engine: Engine, office: Office) -> None:
    def hold(session: Session) -> None:
        student = session.get_one(Student, office.student_id)
        make_hold(session, student, placed_by_id=office.registrar.id, reason="Unpaid [fees]")

    change(engine, hold)
    error = refused(engine, office, office.art_open)
    assert error.codes == ("hold",)
    assert "financial hold (Unpaid [fees])" in error.failures[0].message
    done = add(engine, office, office.art_open, actor=office.registrar, override="paid today")
    assert done.overridden == ("hold",)


def test_prerequisite_minimum_mark(engine: Engine, office: Office) -> None:
    other = _student(engine)
    error = refused(engine, office, office.calc2_open, student_id=other)
    assert error.codes == ("prerequisite",)
    assert error.failures[0].message == "CALC 102 requires CALC 101 with C- or better."

    def low_mark(session: Session) -> None:
        student = session.get_one(Student, other)
        past = make_section(
            session,
            session.get_one(Course, office.calc1_id),
            session.get_one(Term, office.past_term_id),
            section_code="02",
        )
        make_enrollment(session, student, past, status="completed", mark="D", grade_status="posted")

    change(engine, low_mark)
    error = refused(engine, office, office.calc2_open, student_id=other)
    assert "(has D)" in error.failures[0].message
    # The student whose B meets the C- minimum is let through.
    assert add(engine, office, office.calc2_open).status == "registered"


def test_transfer_credit_meets_a_prerequisite(engine: Engine, office: Office) -> None:
    other = _student(engine)

    def transfer(session: Session) -> None:
        session.add(
            TransferCredit(
                student_id=other,
                source_institution="Elsewhere",
                credits=Decimal("4"),
                equivalent_course_id=office.calc1_id,
                awarded_on=TODAY,
            )
        )

    change(engine, transfer)
    assert add(engine, office, office.calc2_open, student_id=other).status == "registered"


def test_prerequisite_in_progress_counts_provisionally_and_is_flagged(
    engine: Engine, office: Office
) -> None:
    done = add(engine, office, office.physics_open)
    assert done.provisional == ("CALC 102 in progress in PAST",)
    with session_scope(engine) as session:
        sheet = registration_sheet(
            session,
            actor=office.clerk,
            student_id=office.student_id,
            term_id=office.open_term_id,
            today=TODAY,
        )
        event = session.exec(
            select(AuditEvent).where(AuditEvent.entity_id == str(done.enrollment_id))
        ).one()
    assert [ln.provisional for ln in sheet.lines] == [("CALC 102 in progress in PAST",)]
    assert json.loads(event.after or "{}")["provisional_prerequisites"] == [
        "CALC 102 in progress in PAST"
    ]


def test_duplicate_course_in_the_term(engine: Engine, office: Office) -> None:
    add(engine, office, office.calc2_open)
    with session_scope(engine) as session:
        other = make_section(
            session,
            session.get_one(Course, office.calc2_id),
            session.get_one(Term, office.open_term_id),
            section_code="02",
            meeting_days="TR",
        )
        other_id = other.id
    assert other_id is not None
    error = refused(engine, office, other_id)
    assert error.codes == ("duplicate",)
    assert error.failures[0].message == "Already registered in CALC 102 this term (section 01)."
    refused(engine, office, office.calc2_open, actor=office.registrar, override="twice")


def test_repeat_limit(engine: Engine, office: Office) -> None:
    # CALC 101: taken once (B); a repeat is allowed once, so a third attempt is refused.
    assert add(engine, office, office.calc1_open).status == "registered"

    def more_attempts(session: Session) -> None:
        enrollment = session.exec(
            select(Enrollment).where(
                Enrollment.student_id == office.student_id,
                Enrollment.section_id == office.calc1_open,
            )
        ).one()
        session.delete(enrollment)
        term = session.get_one(Term, office.past_term_id)
        again = make_section(session, session.get_one(Course, office.calc1_id), term)
        make_enrollment(
            session,
            session.get_one(Student, office.student_id),
            again,
            status="withdrawn",
            mark="W",
            grade_status="posted",
        )

    change(engine, more_attempts)
    error = refused(engine, office, office.calc1_open)
    assert error.codes == ("repeat_limit",)
    assert error.failures[0].message == (
        "CALC 101 may be repeated 1 time(s); already taken 2 times (PAST, PAST)."
    )
    assert add(engine, office, office.calc1_open, actor=office.registrar, override="appeal").status


def test_capacity_offers_the_waitlist_then_joins_it(engine: Engine, office: Office) -> None:
    error = refused(engine, office, office.full_open)
    assert error.codes == ("capacity",)
    assert error.waitlist_open
    assert "is full (2 of 2)" in error.failures[0].message
    first = add(engine, office, office.full_open, waitlist=True)
    assert (first.status, first.waitlist_position) == ("waitlisted", 1)
    second = add(engine, office, office.full_open, waitlist=True, student_id=_student(engine))
    assert second.waitlist_position == 2
    # The line is full too: no waitlist to offer; a registrar can still seat over capacity.
    third = _student(engine)
    error = refused(engine, office, office.full_open, student_id=third, waitlist=True)
    assert not error.waitlist_open
    assert "its waitlist is full too" in error.failures[0].message
    over = add(
        engine, office, office.full_open, student_id=third, actor=office.registrar, override="lab"
    )
    assert (over.status, over.overridden) == ("registered", ("capacity",))


def test_time_conflict(engine: Engine, office: Office) -> None:
    add(engine, office, office.calc2_open)
    error = refused(engine, office, office.history_open)
    assert error.codes == ("time_conflict",)
    assert error.failures[0].message == (
        "HIST 110 meets MWF 09:30-10:20, clashing with CALC 102 01 (MWF 09:00-09:50)."
    )
    # Back to back on the same days is no clash.
    assert add(engine, office, office.physics_open).status == "registered"


def test_credit_load(engine: Engine, office: Office) -> None:
    add(engine, office, office.calc2_open)
    add(engine, office, office.art_open)
    error = refused(engine, office, office.big_open)
    assert error.codes == ("credit_load",)
    assert error.failures[0].message == (
        "12 more credits would make 19 this term, over the maximum load of 18."
    )
    done = add(engine, office, office.big_open, actor=office.registrar, override="honours")
    assert done.overridden == ("credit_load",)


def test_every_failure_is_listed_at_once(engine: Engine, office: Office) -> None:
    other = _student(engine)

    def hold(session: Session) -> None:
        make_hold(session, session.get_one(Student, other), placed_by_id=office.registrar.id)

    change(engine, hold)
    error = refused(
        engine, office, office.physics_open, student_id=other, today=TODAY.replace(year=2028)
    )
    assert error.codes == ("window", "hold", "prerequisite")
    assert error.overridable


def test_a_dropped_enrollment_can_register_again(engine: Engine, office: Office) -> None:
    done = add(engine, office, office.art_open)
    with session_scope(engine) as session:
        leave_section(session, actor=office.clerk, enrollment_id=done.enrollment_id, today=TODAY)
    again = add(engine, office, office.art_open)
    assert again.enrollment_id == done.enrollment_id and again.status == "registered"


def test_views_for_the_screen(engine: Engine, office: Office) -> None:
    add(engine, office, office.calc2_open)
    add(engine, office, office.full_open, waitlist=True)
    with session_scope(engine) as session:
        terms = registration_terms(session, actor=office.clerk)
        assert [t.code for t in terms] == ["OPEN", "PAST"]
        sheet = registration_sheet(
            session,
            actor=office.clerk,
            student_id=office.student_id,
            term_id=office.open_term_id,
            today=TODAY,
        )
        assert [(ln.course_code, ln.status) for ln in sheet.lines] == [
            ("CALC 102", "registered"),
            ("BIO 150", "waitlisted"),
        ]
        assert (sheet.credits, sheet.max_credit_load) == (Decimal("4"), Decimal("18"))
        assert [ln.exit for ln in sheet.lines] == ["drop", "drop"]
        found = term_sections(session, actor=office.clerk, term_id=office.open_term_id, code="calc")
        assert [s.course_code for s in found] == ["CALC 101", "CALC 102"]
        assert [
            s.course_code
            for s in term_sections(
                session, actor=office.clerk, term_id=office.open_term_id, code="bio150"
            )
        ] == ["BIO 150"]
        for typed in ("BIO 150-", "bio150", "BIO-150"):
            assert [
                s.course_code
                for s in term_sections(
                    session, actor=office.clerk, term_id=office.open_term_id, code=typed
                )
            ] == ["BIO 150"], typed
        one = term_sections(session, actor=office.clerk, term_id=office.open_term_id, code="calc")[
            1
        ]
        for typed in (f"CALC 102-{one.section_code}", f"calc102 {one.section_code}"):
            found_one = term_sections(
                session, actor=office.clerk, term_id=office.open_term_id, code=typed
            )
            assert [s.section_id for s in found_one] == [one.section_id], typed
        full = term_sections(session, actor=office.clerk, term_id=office.open_term_id, code="BIO")
        assert (full[0].seats_left, full[0].waitlisted) == (0, 1)
        assert (
            term_sections(session, actor=office.clerk, term_id=office.open_term_id, code="%") == ()
        )


def _student(engine: Engine) -> int:
    with session_scope(engine) as session:
        student = make_student(session)
        assert student.id is not None
        return student.id


def test_clerk_can_register_but_not_override(engine: Engine, office: Office) -> None:
    with pytest.raises(PermissionDenied) as denied:
        add(engine, office, office.art_open, override="because")
    assert "registration override needs the registrar role" in str(denied.value).lower()


def test_two_desks_never_sell_the_same_last_seat(engine: Engine, office: Office) -> None:
    """Both desks see one seat left; the section's lock lets one register, the other is refused
    (and offered the waitlist) instead of both taking it."""
    students = [_student(engine), _student(engine)]
    with session_scope(engine) as session:  # one seat left in a fresh section
        term = session.get_one(Term, office.open_term_id)
        section = make_section(session, make_course(session), term, capacity=1)
        section_id = section.id
    assert section_id is not None
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def desk(student_id: int) -> None:
        start.wait()
        try:
            with session_scope(engine) as session:
                register(
                    session,
                    actor=office.registrar,
                    student_id=student_id,
                    section_id=section_id,
                    today=TODAY,
                    override=None,
                )
            outcomes.append("registered")
        except RegistrationRefused as error:
            outcomes.append(",".join(error.codes))

    threads = [threading.Thread(target=desk, args=(sid,)) for sid in students]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["capacity", "registered"]
