"""Intake: every field's problem at once, the guardian rule for minors, the duplicate guard, and
student numbers that are never issued twice. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, delete, func
from sqlmodel import select

from recordsdesk.db import session_scope
from recordsdesk.models import (
    AdmissionApplication,
    AuditEvent,
    ScreeningItem,
    Student,
)
from recordsdesk.services.access.actor import Actor, actor_for
from recordsdesk.services.people.intake import (
    DuplicateSuspected,
    IntakeForm,
    IntakeInvalid,
    IntakeResult,
    age_on,
    enroll_applicant,
    intake_choices,
    validate_intake,
)
from recordsdesk.services.people.student import StudentCreate, create_student
from tests.factories import institution, make_program, make_staff, make_student, make_term

ADULT = date.today().replace(year=date.today().year - 30, day=1)
CHILD = date.today().replace(year=date.today().year - 10, day=1)
FORM = IntakeForm(
    legal_first_name="María José",
    legal_last_name="Núñez",
    birth_date=ADULT.isoformat(),
    email="mj.nunez@example.org",
    program="BA-HIS",
    entry_term="2027FA",
    level="FR",
)


@pytest.fixture
def clerk(engine: Engine) -> Actor:
    with session_scope(engine) as session:
        make_program(session, code="BA-HIS", name="History")
        make_program(session, code="OLD-1", name="Closed program", active=False)
        make_term(
            session,
            code="2027FA",
            start_date=date(2027, 9, 1),
            end_date=date(2027, 12, 18),
            add_drop_deadline=None,
            withdraw_deadline=None,
        )
        make_term(
            session,
            code="2019FA",
            start_date=date(2019, 9, 1),
            end_date=date(2019, 12, 18),
            add_drop_deadline=None,
            withdraw_deadline=None,
            status="closed",
        )
        settings = institution(session)
        settings.student_number_pattern = "{year}{seq:05d}"
        session.add(settings)
        return actor_for(session, make_staff(session, role="clerk").username)


def enroll(engine: Engine, actor: Actor, form: IntakeForm, **options: object) -> IntakeResult:
    with session_scope(engine) as session:
        return enroll_applicant(session, actor=actor, form=form, **options)  # type: ignore[arg-type]


def students(engine: Engine) -> int:
    with session_scope(engine) as session:
        return session.exec(select(func.count()).select_from(Student)).one()


def errors_for(engine: Engine, actor: Actor, form: IntakeForm) -> dict[str, str]:
    with session_scope(engine) as session:
        with pytest.raises(IntakeInvalid) as refused:
            validate_intake(session, actor=actor, form=form)
    return refused.value.errors


def test_an_empty_form_names_every_missing_field(engine: Engine, clerk: Actor) -> None:
    errors = errors_for(engine, clerk, IntakeForm())
    assert set(errors) == {
        "legal_first_name",
        "legal_last_name",
        "birth_date",
        "email",
        "program",
        "entry_term",
    }
    assert errors["birth_date"] == "the birth date is required (YYYY-MM-DD)."
    with pytest.raises(IntakeInvalid):
        enroll(engine, clerk, IntakeForm())
    assert students(engine) == 0


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"birth_date": "12/03/2001"}, "birth_date", "is not a date"),
        ({"birth_date": (date.today() + timedelta(days=3)).isoformat()}, "birth_date", "future"),
        ({"birth_date": "1850-01-01"}, "birth_date", "plausible"),
        ({"email": "mj at example"}, "email", "not an email address"),
        ({"email": "", "phone": ""}, "email", "email or a phone"),
        ({"guardian_email": "nope"}, "guardian_email", "not an email address"),
        ({"program": "NOPE"}, "program", "no program 'NOPE'"),
        ({"program": "OLD-1"}, "program", "no longer admits"),
        ({"entry_term": "2019FA"}, "entry_term", "is closed"),
        ({"level": "x" * 21}, "level", "20 characters"),
        ({"city": "y" * 121}, "city", "120 characters"),
    ],
)
def test_each_bad_field_is_named(
    engine: Engine, clerk: Actor, changes: dict[str, str], field: str, words: str
) -> None:
    errors = errors_for(engine, clerk, replace(FORM, **changes))
    assert list(errors) == [field]
    assert words in errors[field]


def test_a_minor_needs_a_guardian(engine: Engine, clerk: Actor) -> None:
    child = replace(FORM, birth_date=CHILD.isoformat(), email="")
    child = replace(child, phone="555-0100")
    errors = errors_for(engine, clerk, child)
    assert set(errors) == {"guardian_name", "guardian_phone"}
    assert "under 18" in errors["guardian_name"]
    with_guardian = replace(child, guardian_name="Ana Núñez", guardian_email="ana@example.org")
    result = enroll(engine, clerk, with_guardian)
    assert result.profile.guardian_name == "Ana Núñez"
    with session_scope(engine) as session:  # the age is the institution's policy
        settings = institution(session)
        settings.minor_age_years = 9
        session.add(settings)
    with session_scope(engine) as session:
        validate_intake(session, actor=clerk, form=replace(child, legal_first_name="Other"))


def test_age_turns_over_on_the_birthday() -> None:
    assert age_on(date(2008, 3, 15), date(2026, 3, 14)) == 17
    assert age_on(date(2008, 3, 15), date(2026, 3, 15)) == 18
    assert age_on(date(2008, 2, 29), date(2026, 2, 28)) == 17


def test_enrolling_makes_an_applicant_with_a_number_and_an_application(
    engine: Engine, clerk: Actor
) -> None:
    result = enroll(engine, clerk, FORM)
    profile = result.profile
    assert profile.student_number == f"{date.today().year}00001"
    assert (profile.status, profile.program_code, profile.entry_term_code) == (
        "applicant",
        "BA-HIS",
        "2027FA",
    )
    assert profile.legal_name == "María José Núñez" and profile.grade_level == "FR"
    assert result.application.decision == "pending"
    assert [i.item for i in result.application.items][:3] == [
        "Identity document",
        "Prior transcript",
        "Immunisation record",
    ]
    with session_scope(engine) as session:
        actions = session.exec(
            select(AuditEvent.entity, AuditEvent.action).where(AuditEvent.student_id == profile.id)
        ).all()
    assert sorted(actions) == [("admission_application", "open"), ("student", "create")]


def test_student_numbers_are_never_reused(engine: Engine, clerk: Actor) -> None:
    year = date.today().year
    first = enroll(engine, clerk, FORM).profile
    second = enroll(
        engine, clerk, replace(FORM, legal_first_name="Jo", email="jo@example.org")
    ).profile
    assert (first.student_number, second.student_number) == (f"{year}00001", f"{year}00002")
    with session_scope(engine) as session:  # a record removed outright (say, a test entry)
        for model in (ScreeningItem, AdmissionApplication):
            session.execute(delete(model))
        session.execute(delete(AuditEvent).where(AuditEvent.student_id == second.id))
        session.execute(delete(Student).where(Student.id == second.id))  # type: ignore[arg-type]
        make_student(session, student_number=f"{year}00003")  # imported with its own number
    with session_scope(engine) as session:
        third = create_student(
            session, actor=clerk, data=StudentCreate(legal_first_name="Min", legal_last_name="Kim")
        )
    assert third.student_number == f"{year}00004"  # not 00002 again, not the imported 00003


def test_same_name_and_birth_date_is_a_suspected_duplicate(engine: Engine, clerk: Actor) -> None:
    existing = enroll(engine, clerk, FORM).profile
    again = replace(FORM, legal_first_name="maria jose", legal_last_name="NUNEZ", email="")
    again = replace(again, phone="555-0101")
    with pytest.raises(DuplicateSuspected) as suspected:
        enroll(engine, clerk, again)
    [candidate] = suspected.value.candidates
    assert (candidate.student_number, candidate.why) == (
        existing.student_number,
        "same name and birth date",
    )
    assert students(engine) == 1
    other_day = replace(again, birth_date=(ADULT - timedelta(days=1)).isoformat())
    assert enroll(engine, clerk, other_day).profile.student_number != existing.student_number


def test_same_email_is_a_suspected_duplicate_and_creating_anyway_is_audited(
    engine: Engine, clerk: Actor
) -> None:
    existing = enroll(engine, clerk, FORM).profile
    twin = replace(FORM, legal_first_name="Lucía", email="MJ.Nunez@Example.org")
    with pytest.raises(DuplicateSuspected) as suspected:
        enroll(engine, clerk, twin)
    [candidate] = suspected.value.candidates
    assert candidate.why == "same email" and candidate.student_id == existing.id
    created = enroll(engine, clerk, twin, confirmed_not_duplicates=frozenset({existing.id}))
    with session_scope(engine) as session:
        event = session.exec(
            select(AuditEvent).where(AuditEvent.action == "duplicate_confirmed")
        ).one()
    assert event.student_id == created.profile.id and event.actor_username == clerk.username
    assert existing.student_number in event.reason


def test_intake_choices_offer_open_programs_and_terms(engine: Engine, clerk: Actor) -> None:
    with session_scope(engine) as session:
        choices = intake_choices(session, actor=clerk)
    assert [p.code for p in choices.programs] == ["BA-HIS"]
    assert [t.code for t in choices.terms] == ["2027FA"]
    assert choices.minor_age_years == 18
