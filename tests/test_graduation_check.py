"""Graduation checks the program's requirements (the degree audit the graduation report
computes) and names what is missing; a registrar may confer anyway only with a reason, which the
audit trail keeps. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import Engine
from sqlmodel import col, select

from recordsdesk.db import session_scope
from recordsdesk.models import AuditEvent, ProgramRequirement, Student, TransferCredit
from recordsdesk.services.access.actor import Actor, actor_for
from recordsdesk.services.people.departure import RequirementsNotMet, graduate
from recordsdesk.services.reports.graduation import degree_audit
from tests.factories import add, make_course, make_program, make_staff, make_student

TODAY = date.today()


@pytest.fixture
def registrar(engine: Engine) -> Actor:
    with session_scope(engine) as session:
        return actor_for(session, make_staff(session, role="registrar").username)


def student_with(engine: Engine, earned: str, *, required_course_done: bool) -> int:
    """An active student in a 120-credit program that requires HIS101, with `earned` credits of
    transfer credit (HIS101 among them when `required_course_done`)."""
    with session_scope(engine) as session:
        program = make_program(session, code="BA-HIS", name="History", award="BA History")
        course = make_course(session, code="HIS101")
        add(session, ProgramRequirement(program_id=program.id, course_id=course.id))
        row = make_student(
            session, legal_first_name="Ada", legal_last_name="Quill", program_id=program.id
        )
        add(
            session,
            TransferCredit(
                student_id=row.id,
                source_institution="Elsewhere",
                credits=Decimal(earned),
                equivalent_course_id=course.id if required_course_done else None,
                awarded_on=TODAY,
            ),
        )
        assert row.id is not None
        return row.id


def status_of(engine: Engine, student_id: int) -> str:
    with session_scope(engine) as session:
        row = session.get(Student, student_id)
        assert row is not None
        return row.status


def test_graduating_13_of_120_credits_is_refused_naming_what_is_missing(
    engine: Engine, registrar: Actor
) -> None:
    sid = student_with(engine, "13", required_course_done=False)
    with session_scope(engine) as session:
        with pytest.raises(RequirementsNotMet) as refused:
            graduate(
                session,
                actor=registrar,
                student_id=sid,
                expected_version=1,
                conferral_date=TODAY,
            )
    assert refused.value.field == "program"
    assert refused.value.missing == (
        "credits: 13.00 of 120.00 earned",
        "required course HIS101",
    )
    assert refused.value.message == (
        "Ada Quill does not meet BA-HIS's requirements: credits: 13.00 of 120.00 earned; "
        "required course HIS101."
    )
    assert status_of(engine, sid) == "active"


def test_a_registrar_confers_anyway_with_a_reason_and_the_audit_keeps_it(
    engine: Engine, registrar: Actor
) -> None:
    sid = student_with(engine, "13", required_course_done=False)
    with session_scope(engine) as session:
        graduate(
            session,
            actor=registrar,
            student_id=sid,
            expected_version=1,
            conferral_date=TODAY,
            override_reason="Aegrotat degree, senate decision 12",
        )
    assert status_of(engine, sid) == "graduated"
    with session_scope(engine) as session:
        event = session.exec(
            select(AuditEvent)
            .where(AuditEvent.student_id == sid, AuditEvent.action == "graduate")
            .order_by(col(AuditEvent.id).desc())
        ).first()
        assert event is not None
        assert event.actor_username == registrar.username
        assert event.reason == (
            f"BA History conferred {TODAY.isoformat()}; requirements overridden (credits: "
            "13.00 of 120.00 earned; required course HIS101): Aegrotat degree, senate decision 12"
        )


def test_a_student_who_meets_every_requirement_graduates(engine: Engine, registrar: Actor) -> None:
    sid = student_with(engine, "120", required_course_done=True)
    with session_scope(engine) as session:
        audit = degree_audit(session, student_id=sid)
        assert audit is not None and audit.missing == ()
        result = graduate(
            session, actor=registrar, student_id=sid, expected_version=1, conferral_date=TODAY
        )
    assert result.profile.status == "graduated"
    assert result.profile.degree_conferred == "BA History"
