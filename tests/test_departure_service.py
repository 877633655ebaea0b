"""Departures and leave: status, dates and reasons kept; future registrations dropped with a
note; registrar only; the record stays searchable. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import col, select

from recordsdesk.db import session_scope
from recordsdesk.models import AuditEvent, ContactNote, Enrollment, Term
from recordsdesk.services.access.actor import Actor, actor_for
from recordsdesk.services.lookup.search import search
from recordsdesk.services.people.departure import (
    DepartureResult,
    graduate,
    return_from_leave,
    start_leave,
    transfer_out,
    withdraw,
)
from recordsdesk.services.shared.errors import PermissionDenied, StaleRecord, ValidationFailed
from tests.factories import (
    make_enrollment,
    make_program,
    make_section,
    make_staff,
    make_student,
    make_term,
)

TODAY = date.today()


def term_starting(session: object, days: int, code: str) -> int:
    start = TODAY + timedelta(days=days)
    term = make_term(
        session,  # type: ignore[arg-type]
        code=code,
        start_date=start,
        end_date=start + timedelta(days=100),
        add_drop_deadline=None,
        withdraw_deadline=None,
    )
    assert term.id is not None
    return term.id


@pytest.fixture
def registrar(engine: Engine) -> Actor:
    with session_scope(engine) as session:
        return actor_for(session, make_staff(session, role="registrar").username)


def _setup(engine: Engine) -> dict[str, int]:
    """An active student in a current term's course, registered in a term starting in 60 days
    and waitlisted in one starting in 200."""
    with session_scope(engine) as session:
        program = make_program(
            session, code="BSC-BIO", name="Biology", award="BSc Biology", required_credits=0
        )
        row = make_student(
            session,
            legal_first_name="Zoë",
            legal_last_name="Ødegård",
            program_id=program.id,
            admission_date=TODAY - timedelta(days=400),
        )
        sections = {}
        for code, days in (("NOW", -30), ("NEXT", 60), ("LATER", 200)):
            term = session.get(Term, term_starting(session, days, code))
            sections[code] = make_section(session, term=term)
        make_enrollment(session, row, sections["NOW"])
        make_enrollment(session, row, sections["NEXT"])
        make_enrollment(session, row, sections["LATER"], status="waitlisted", waitlist_position=1)
        assert row.id is not None
        return {"student": row.id, **{k: s.id or 0 for k, s in sections.items()}}


def statuses(engine: Engine, student_id: int) -> list[str]:
    with session_scope(engine) as session:
        return list(
            session.exec(
                select(Enrollment.status)
                .where(Enrollment.student_id == student_id)
                .order_by(col(Enrollment.id))
            ).all()
        )


def notes(engine: Engine, student_id: int) -> list[str]:
    with session_scope(engine) as session:
        return list(
            session.exec(select(ContactNote.body).where(ContactNote.student_id == student_id)).all()
        )


def test_withdrawal_keeps_date_and_reason_and_drops_future_registrations(
    engine: Engine, registrar: Actor
) -> None:
    ids = _setup(engine)
    with session_scope(engine) as session:
        result = withdraw(
            session,
            actor=registrar,
            student_id=ids["student"],
            expected_version=1,
            on=TODAY,
            reason="Moved abroad",
        )
    profile = result.profile
    assert (profile.status, profile.departure_date, profile.departure_reason) == (
        "withdrawn",
        TODAY,
        "Moved abroad",
    )
    assert [(d.term_code, d.was) for d in result.dropped] == [
        ("NEXT", "registered"),
        ("LATER", "waitlisted"),
    ]
    assert statuses(engine, ids["student"]) == ["registered", "dropped", "dropped"]
    [note] = notes(engine, ids["student"])
    assert note.startswith("Registrations dropped (withdraw): NEXT ")
    assert "(waitlist)" in note
    with session_scope(engine) as session:
        drops = session.exec(select(AuditEvent).where(AuditEvent.action == "drop")).all()
        assert len(drops) == 2
        found = search(session, actor=registrar, query="zoe odegard")
    assert [r.id for r in found.rows] == [ids["student"]]  # still found after leaving


def test_departures_are_for_registrars(engine: Engine, registrar: Actor) -> None:
    ids = _setup(engine)
    with session_scope(engine) as session:
        clerk = actor_for(session, make_staff(session, role="clerk").username)
    with session_scope(engine) as session:
        with pytest.raises(PermissionDenied):
            withdraw(
                session,
                actor=clerk,
                student_id=ids["student"],
                expected_version=1,
                on=TODAY,
                reason="x",
            )
    assert statuses(engine, ids["student"]) == ["registered", "registered", "waitlisted"]


def test_bad_departures_name_the_field_and_change_nothing(engine: Engine, registrar: Actor) -> None:
    ids = _setup(engine)
    cases: list[tuple[dict[str, object], str]] = [
        ({"on": TODAY, "reason": "  "}, "reason"),
        ({"on": TODAY + timedelta(days=2), "reason": "Moving"}, "departure_date"),
        ({"on": TODAY - timedelta(days=900), "reason": "Moving"}, "departure_date"),
    ]
    for arguments, field in cases:
        with session_scope(engine) as session:
            with pytest.raises(ValidationFailed) as refused:
                withdraw(
                    session,
                    actor=registrar,
                    student_id=ids["student"],
                    expected_version=1,
                    **arguments,  # type: ignore[arg-type]
                )
        assert refused.value.field == field
    with session_scope(engine) as session:
        with pytest.raises(StaleRecord):
            withdraw(
                session,
                actor=registrar,
                student_id=ids["student"],
                expected_version=7,
                on=TODAY,
                reason="Moving",
            )
    assert statuses(engine, ids["student"]) == ["registered", "registered", "waitlisted"]
    assert notes(engine, ids["student"]) == []


def test_graduation_confers_the_programs_award(engine: Engine, registrar: Actor) -> None:
    ids = _setup(engine)
    with session_scope(engine) as session:
        with pytest.raises(ValidationFailed) as unknown:
            graduate(
                session,
                actor=registrar,
                student_id=ids["student"],
                expected_version=1,
                conferral_date=TODAY,
                program_code="NOPE",
            )
        assert unknown.value.field == "program"
        with pytest.raises(ValidationFailed) as unearned:
            graduate(
                session,
                actor=registrar,
                student_id=ids["student"],
                expected_version=1,
                conferral_date=TODAY,
                honours="Magna cum laude",
            )
        assert unearned.value.field == "honours_reason"
        result: DepartureResult = graduate(
            session,
            actor=registrar,
            student_id=ids["student"],
            expected_version=1,
            conferral_date=TODAY,
            honours="Magna cum laude",
            honours_reason="Senate decision 2026-04",
        )
    p = result.profile
    assert (p.status, p.degree_conferred, p.conferral_date, p.honours) == (
        "graduated",
        "BSc Biology",
        TODAY,
        "Magna cum laude",
    )
    assert p.departure_date == TODAY and p.departure_reason == "Graduated: BSc Biology"
    with session_scope(engine) as session:  # a graduate does not graduate twice or withdraw
        with pytest.raises(ValidationFailed) as again:
            withdraw(
                session,
                actor=registrar,
                student_id=ids["student"],
                expected_version=p.version,
                on=TODAY,
                reason="x",
            )
    assert again.value.message == "a student who is graduated cannot withdraw."


def test_an_applicant_cannot_graduate(engine: Engine, registrar: Actor) -> None:
    with session_scope(engine) as session:
        row = make_student(session, status="applicant")
        assert row.id is not None
        with pytest.raises(ValidationFailed) as refused:
            graduate(
                session,
                actor=registrar,
                student_id=row.id,
                expected_version=1,
                conferral_date=TODAY,
            )
    assert refused.value.field == "status"


def test_transfer_out_names_the_destination(engine: Engine, registrar: Actor) -> None:
    ids = _setup(engine)
    with session_scope(engine) as session:
        result = transfer_out(
            session,
            actor=registrar,
            student_id=ids["student"],
            expected_version=1,
            on=TODAY,
            reason="Family moved",
            destination="Universidade de Lisboa",
        )
    assert result.profile.status == "transferred_out"
    assert result.profile.departure_reason == "Family moved (to Universidade de Lisboa)"
    assert len(result.dropped) == 2


def test_leave_drops_only_terms_before_the_expected_return_and_return_reactivates(
    engine: Engine, registrar: Actor
) -> None:
    ids = _setup(engine)
    back = TODAY + timedelta(days=150)  # after NEXT starts, before LATER starts
    with session_scope(engine) as session:
        with pytest.raises(ValidationFailed) as order:
            start_leave(
                session,
                actor=registrar,
                student_id=ids["student"],
                expected_version=1,
                start=TODAY,
                expected_return=TODAY - timedelta(days=1),
                reason="Medical",
            )
        assert order.value.field == "leave_expected_return"
        result = start_leave(
            session,
            actor=registrar,
            student_id=ids["student"],
            expected_version=1,
            start=TODAY,
            expected_return=back,
            reason="Medical",
        )
    p = result.profile
    assert (p.status, p.leave_start, p.leave_expected_return, p.leave_reason) == (
        "on_leave",
        TODAY,
        back,
        "Medical",
    )
    assert [d.term_code for d in result.dropped] == ["NEXT"]
    assert statuses(engine, ids["student"]) == ["registered", "dropped", "waitlisted"]
    with session_scope(engine) as session:
        with pytest.raises(ValidationFailed):  # not on leave twice
            start_leave(
                session,
                actor=registrar,
                student_id=ids["student"],
                expected_version=p.version,
                start=TODAY,
                expected_return=None,
                reason="Again",
            )
        returned = return_from_leave(
            session,
            actor=registrar,
            student_id=ids["student"],
            expected_version=p.version,
            on=TODAY,
        )
        with pytest.raises(ValidationFailed) as not_on_leave:
            return_from_leave(
                session,
                actor=registrar,
                student_id=ids["student"],
                expected_version=returned.profile.version,
                on=TODAY,
            )
    assert not_on_leave.value.field == "status"
    assert returned.profile.status == "active"
    assert returned.profile.leave_reason == "Medical"  # the last leave stays on the record
    assert any(n.startswith("Returned from leave on") for n in notes(engine, ids["student"]))


def test_a_seat_freed_by_a_departure_is_offered_to_the_waitlist(
    engine: Engine, registrar: Actor
) -> None:
    with session_scope(engine) as session:
        term = session.get(Term, term_starting(session, 30, "SOON"))
        section = make_section(session, term=term, capacity=1)
        leaving = make_student(session, admission_date=TODAY - timedelta(days=30))
        waiting = make_student(session, email="next@example.edu")
        make_enrollment(session, leaving, section)
        queued = make_enrollment(
            session, waiting, section, status="waitlisted", waitlist_position=1
        )
        assert leaving.id is not None and queued.id is not None
        ids = (leaving.id, queued.id)
    with session_scope(engine) as session:
        withdraw(
            session,
            actor=registrar,
            student_id=ids[0],
            expected_version=1,
            on=TODAY,
            reason="Moved",
        )
    with session_scope(engine) as session:
        offered = session.get(Enrollment, ids[1])
        assert offered is not None and offered.seat_offered_at is not None
