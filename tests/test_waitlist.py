"""Leaving a section and the waitlist: a drop before the add/drop deadline leaves no trace on the
transcript or history, a withdrawal after it leaves W (after the withdrawal deadline only by a
registrar's override), and a freed seat is offered to the first student in line, who accepts or
declines; positions close up."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import col, select

from recordsdesk.db import session_scope
from recordsdesk.models import AuditEvent, Course, Enrollment, Section, Term
from recordsdesk.services.people.record import get_student_record
from recordsdesk.services.registration.register import leave_section, register
from recordsdesk.services.registration.rules import RegistrationRefused
from recordsdesk.services.registration.waitlist import accept_seat, decline_seat
from recordsdesk.services.shared.errors import PermissionDenied, ValidationFailed
from recordsdesk.services.transcripts.builder import build_transcript
from tests.factories import make_section, make_student
from tests.registration_office import TODAY, Office, seed_office

AFTER_ADD_DROP = TODAY + timedelta(days=30)
AFTER_WITHDRAW = TODAY + timedelta(days=90)


@pytest.fixture
def office(engine: Engine) -> Office:
    with session_scope(engine) as session:
        return seed_office(session)


def new_student(engine: Engine) -> int:
    with session_scope(engine) as session:
        student = make_student(session, legal_last_name="Waiting")
        assert student.id is not None
        return student.id


def enroll(engine: Engine, office: Office, section_id: int, student_id: int, **kw: object) -> int:
    with session_scope(engine) as session:
        done = register(
            session,
            actor=office.clerk,
            student_id=student_id,
            section_id=section_id,
            today=TODAY,
            **kw,  # type: ignore[arg-type]
        )
        return done.enrollment_id


def leave(engine: Engine, office: Office, enrollment_id: int, **kw: object) -> object:
    with session_scope(engine) as session:
        kw.setdefault("actor", office.clerk)
        kw.setdefault("today", TODAY)
        return leave_section(session, enrollment_id=enrollment_id, **kw)  # type: ignore[arg-type]


def state(engine: Engine, enrollment_id: int) -> tuple[str, int | None, bool, str | None]:
    with session_scope(engine) as session:
        e = session.get_one(Enrollment, enrollment_id)
        return e.status, e.waitlist_position, e.seat_offered_at is not None, e.mark


def test_drop_before_the_deadline_leaves_no_trace(engine: Engine, office: Office) -> None:
    eid = enroll(engine, office, office.art_open, office.student_id)
    left = leave(engine, office, eid)
    assert (left.kind, left.mark) == ("drop", None)  # type: ignore[attr-defined]
    assert state(engine, eid) == ("dropped", None, False, None)
    with session_scope(engine) as session:
        transcript = build_transcript(session, actor=office.clerk, student_id=office.student_id)
        record = get_student_record(session, actor=office.clerk, student_id=office.student_id)
    codes = [line.course_code for line in transcript.in_progress]
    codes += [c.course_code for t in transcript.terms for c in t.courses]
    assert "ART 120" not in codes
    assert "ART 120" not in [c.course_code for t in record.history for c in t.courses]
    assert "ART 120" not in [r.course_code for r in record.registrations]


def test_withdrawal_after_the_deadline_leaves_w(engine: Engine, office: Office) -> None:
    eid = enroll(engine, office, office.art_open, office.student_id)
    left = leave(engine, office, eid, today=AFTER_ADD_DROP)
    assert (left.kind, left.mark) == ("withdraw", "W")  # type: ignore[attr-defined]
    assert state(engine, eid) == ("withdrawn", None, False, "W")
    with session_scope(engine) as session:
        transcript = build_transcript(session, actor=office.clerk, student_id=office.student_id)
        record = get_student_record(session, actor=office.clerk, student_id=office.student_id)
        action = session.exec(
            select(AuditEvent.action).where(AuditEvent.entity_id == str(eid))
        ).all()
    lines = [(c.course_code, c.mark) for t in transcript.terms for c in t.courses]
    assert ("ART 120", "W") in lines
    history = [(c.course_code, c.mark) for t in record.history for c in t.courses]
    assert ("ART 120", "W") in history
    assert list(action) == ["register", "withdraw"]
    # A withdrawn course cannot be left again, and cannot be re-added this term.
    with pytest.raises(ValidationFailed):
        leave(engine, office, eid, today=AFTER_ADD_DROP)


def test_withdrawal_after_its_deadline_needs_a_registrar(engine: Engine, office: Office) -> None:
    eid = enroll(engine, office, office.art_open, office.student_id)
    with pytest.raises(RegistrationRefused) as refused:
        leave(engine, office, eid, today=AFTER_WITHDRAW)
    assert refused.value.codes == ("window",)
    assert "withdrawal deadline for OPEN" in str(refused.value)
    assert state(engine, eid)[0] == "registered"
    with pytest.raises(PermissionDenied):
        leave(engine, office, eid, today=AFTER_WITHDRAW, override="medical")
    leave(engine, office, eid, today=AFTER_WITHDRAW, actor=office.registrar, override="medical")
    assert state(engine, eid) == ("withdrawn", None, False, "W")
    with session_scope(engine) as session:
        event = session.exec(
            select(AuditEvent)
            .where(AuditEvent.entity_id == str(eid))
            .order_by(col(AuditEvent.id).desc())
        ).first()
        assert event is not None and (event.action, event.reason) == ("withdraw", "medical")
        assert session.get_one(Enrollment, eid).override_reason == "medical"


def test_waitlist_promotion(engine: Engine, office: Office) -> None:
    first = enroll(engine, office, office.full_open, office.student_id, waitlist=True)
    second_student = new_student(engine)
    second = enroll(engine, office, office.full_open, second_student, waitlist=True)
    assert state(engine, first)[:3] == ("waitlisted", 1, False)
    with session_scope(engine) as session:
        seated = session.exec(
            select(Enrollment.id).where(
                Enrollment.section_id == office.full_open, Enrollment.status == "registered"
            )
        ).first()
    assert seated is not None
    left = leave(engine, office, seated)
    assert left.seat_offered_to == (first,)  # type: ignore[attr-defined]
    assert state(engine, first)[:3] == ("waitlisted", 1, True)
    assert state(engine, second)[:3] == ("waitlisted", 2, False)
    # The held seat is not for a newcomer.
    with pytest.raises(RegistrationRefused) as full:
        enroll(engine, office, office.full_open, new_student(engine))
    assert full.value.codes == ("capacity",)

    with session_scope(engine) as session:
        offered = decline_seat(session, actor=office.clerk, enrollment_id=first)
    assert offered == (second,)
    assert state(engine, first)[:3] == ("dropped", None, False)
    assert state(engine, second)[:3] == ("waitlisted", 1, True)  # moved up, offered

    with session_scope(engine) as session:
        accepted = accept_seat(session, actor=office.clerk, enrollment_id=second, today=TODAY)
    assert accepted.enrollment_id == second and accepted.overridden == ()
    assert state(engine, second)[:3] == ("registered", None, False)
    with session_scope(engine) as session:
        actions = session.exec(
            select(AuditEvent.action)
            .where(col(AuditEvent.entity_id).in_([str(first), str(second)]))
            .order_by(col(AuditEvent.id))
        ).all()
        record = get_student_record(session, actor=office.clerk, student_id=second_student)
    assert list(actions) == [
        "waitlist",
        "waitlist",
        "offer_seat",
        "decline_seat",
        "offer_seat",
        "accept_seat",
    ]
    assert [r.status for r in record.registrations] == ["registered"]
    with session_scope(engine) as session, pytest.raises(ValidationFailed):
        accept_seat(session, actor=office.clerk, enrollment_id=first, today=TODAY)


def test_accepting_runs_the_rules_again(engine: Engine, office: Office) -> None:
    first = enroll(engine, office, office.full_open, office.student_id, waitlist=True)
    # Meanwhile the student registered for a course at the same time (MW 15:00).
    with session_scope(engine) as session:
        clash = make_section(
            session,
            session.get_one(Course, office.calc1_id),
            session.get_one(Term, office.open_term_id),
            section_code="09",
            meeting_days="M",
        )
        clash_id = clash.id
        clash.start_time, clash.end_time = (
            clash.start_time.replace(hour=15),
            clash.end_time.replace(hour=15, minute=50),
        )
        session.add(clash)
    assert clash_id is not None
    enroll(engine, office, clash_id, office.student_id)
    with session_scope(engine) as session:
        seated = session.exec(
            select(Enrollment.id).where(
                Enrollment.section_id == office.full_open, Enrollment.status == "registered"
            )
        ).first()
    assert seated is not None
    leave(engine, office, seated)
    with session_scope(engine) as session, pytest.raises(RegistrationRefused) as refused:
        accept_seat(session, actor=office.clerk, enrollment_id=first, today=TODAY)
    assert refused.value.codes == ("time_conflict",)
    with session_scope(engine) as session:
        accepted = accept_seat(
            session, actor=office.registrar, enrollment_id=first, override="ok", today=TODAY
        )
    assert (accepted.overridden, accepted.activated) == (("time_conflict",), False)
    assert state(engine, first)[0] == "registered"


def test_leaving_the_waitlist_closes_up(engine: Engine, office: Office) -> None:
    first = enroll(engine, office, office.full_open, office.student_id, waitlist=True)
    second = enroll(engine, office, office.full_open, new_student(engine), waitlist=True)
    left = leave(engine, office, first, today=AFTER_WITHDRAW)  # a place in line: always a drop
    assert left.kind == "drop" and left.seat_offered_to == ()  # type: ignore[attr-defined]
    assert state(engine, second)[:3] == ("waitlisted", 1, False)


def test_a_free_seat_is_owed_to_the_line_before_a_newcomer(engine: Engine, office: Office) -> None:
    """A seat freed other than by a drop (here: the capacity raised) is not for a newcomer while
    a student waits in line without an offer; the next change to the line offers it to them."""
    first = enroll(engine, office, office.full_open, office.student_id, waitlist=True)
    with session_scope(engine) as session:
        section = session.get_one(Section, office.full_open)
        section.capacity = 3
        session.add(section)
    newcomer = new_student(engine)
    with pytest.raises(RegistrationRefused) as refused:
        enroll(engine, office, office.full_open, newcomer)
    assert refused.value.codes == ("capacity",)
    assert "is full (2 of 3, 1 held for the waitlist)" in str(refused.value)
    second = enroll(engine, office, office.full_open, newcomer, waitlist=True)
    assert state(engine, first)[:3] == ("waitlisted", 1, True)  # offered when the line moved
    assert state(engine, second)[:3] == ("waitlisted", 2, False)


def test_a_student_who_dropped_a_full_section_can_join_its_waitlist(
    engine: Engine, office: Office
) -> None:
    """Dropping a seat and joining the line again reuses the dropped row; its position must be
    set before its status says waitlisted, or a query in between flushes a half-set row."""
    with session_scope(engine) as session:
        seated = session.exec(
            select(Enrollment).where(
                Enrollment.section_id == office.full_open, Enrollment.status == "registered"
            )
        ).first()
        assert seated is not None and seated.id is not None
        seated_id, seated_student = seated.id, seated.student_id
    waiting = enroll(engine, office, office.full_open, new_student(engine), waitlist=True)
    leave(engine, office, seated_id)  # the seat goes to the first in line
    again = enroll(engine, office, office.full_open, seated_student, waitlist=True)
    assert again == seated_id  # the dropped row is reused
    assert state(engine, again)[:3] == ("waitlisted", 2, False)
    assert state(engine, waiting)[:3] == ("waitlisted", 1, True)


def test_drop_and_rejoin_churn_keeps_the_line_whole(engine: Engine, office: Office) -> None:
    """A reduced churn: students take seats, drop, and rejoin the line over and over; every
    step succeeds and the line stays numbered 1..n without gaps."""
    with session_scope(engine) as session:
        section = session.get_one(Section, office.full_open)
        section.waitlist_capacity = 10
        session.add(section)
    students = [new_student(engine) for _ in range(3)]
    for round_ in range(4):
        for student_id in students:
            with session_scope(engine) as session:
                row = session.exec(
                    select(Enrollment).where(
                        Enrollment.section_id == office.full_open,
                        Enrollment.student_id == student_id,
                    )
                ).first()
                current = row.status if row is not None else None
                row_id = row.id if row is not None else None
            if current in ("registered", "waitlisted") and row_id is not None:
                leave(engine, office, row_id)
            else:
                enroll(engine, office, office.full_open, student_id, waitlist=True)
        with session_scope(engine) as session:
            positions = sorted(
                p
                for p in session.exec(
                    select(Enrollment.waitlist_position).where(
                        Enrollment.section_id == office.full_open,
                        Enrollment.status == "waitlisted",
                    )
                ).all()
                if p is not None
            )
        assert positions == list(range(1, len(positions) + 1)), round_
