"""The student service: records created and changed with their audit events in one transaction,
validated field by field, numbered without reuse, and never silently overwritten by another desk."""

from __future__ import annotations

import dataclasses
import json
import threading
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select
from sqlmodel import Session, SQLModel, col
from sqlmodel import select as sql_select

from recordsdesk.db import session_scope
from recordsdesk.models import AuditEvent, Student
from recordsdesk.services.access.actor import Actor, actor_for
from recordsdesk.services.people.student import (
    StudentCreate,
    StudentProfile,
    create_student,
    get_student_profile,
    update_student,
)
from recordsdesk.services.shared.errors import (
    NotFound,
    PermissionDenied,
    RecordsError,
    StaleRecord,
    ValidationFailed,
)
from tests.factories import institution, make_program, make_staff, make_student

ADA = StudentCreate(
    legal_first_name="  Ada ",
    legal_last_name="Lovelace",
    preferred_name="Addie",
    birth_date=date(2005, 12, 10),
    email="ada@example.edu",
)


def count(engine: Engine, model: type[SQLModel]) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(model)).scalar_one())


def audit_events(engine: Engine, student_id: int) -> list[AuditEvent]:
    with Session(engine) as session:
        query = (
            sql_select(AuditEvent)
            .where(AuditEvent.entity == "student", AuditEvent.entity_id == str(student_id))
            .order_by(col(AuditEvent.id))
        )
        return list(session.exec(query).all())


def sequence(engine: Engine) -> int:
    with Session(engine) as session:
        return institution(session).student_number_seq


def create(engine: Engine, actor: Actor, data: StudentCreate = ADA) -> StudentProfile:
    with session_scope(engine) as session:
        return create_student(session, actor=actor, data=data)


def update(
    engine: Engine, actor: Actor, profile: StudentProfile, changes: dict[str, object]
) -> StudentProfile:
    with session_scope(engine) as session:
        return update_student(
            session,
            actor=actor,
            student_id=profile.id,
            expected_version=profile.version,
            changes=changes,
        )


@pytest.fixture
def clerk(engine: Engine) -> Actor:
    with session_scope(engine) as session:
        staff = make_staff(session, username="desk.clerk", role="clerk")
        return actor_for(session, staff.username)


@pytest.fixture
def numbered(engine: Engine) -> None:
    """A predictable numbering pattern for the tests that check numbers."""
    with session_scope(engine) as session:
        settings = institution(session)
        settings.student_number_pattern = "S{seq:05d}"
        session.add(settings)


# --- create -------------------------------------------------------------------------------------


def test_create_returns_a_frozen_profile_with_cleaned_values(engine: Engine, clerk: Actor) -> None:
    profile = create(engine, clerk)
    assert profile.legal_first_name == "Ada"
    assert profile.display_name == "Lovelace, Ada (Addie)"
    assert profile.status == "applicant" and profile.version == 1
    assert profile.birth_date == date(2005, 12, 10)
    with pytest.raises(dataclasses.FrozenInstanceError):
        profile.email = "x@example.edu"  # type: ignore[misc]
    with Session(engine) as session:
        assert get_student_profile(session, actor=clerk, student_id=profile.id) == profile


def test_create_and_its_audit_event_share_one_transaction(engine: Engine, clerk: Actor) -> None:
    students, events = count(engine, Student), count(engine, AuditEvent)
    with Session(engine) as session:
        profile = create_student(session, actor=clerk, data=ADA)
        pending = session.exec(
            sql_select(AuditEvent).where(AuditEvent.entity_id == str(profile.id))
        ).one()
        assert pending.action == "create" and pending.actor_username == "desk.clerk"
        session.rollback()
    assert (count(engine, Student), count(engine, AuditEvent)) == (students, events)

    profile = create(engine, clerk)
    [created] = audit_events(engine, profile.id)
    assert created.action == "create"
    assert created.student_id == profile.id
    assert created.actor_id == clerk.id
    assert created.before is None
    after = json.loads(created.after or "{}")
    assert after["student_number"] == profile.student_number
    assert after["legal_last_name"] == "Lovelace"
    assert after["birth_date"] == "2005-12-10"
    assert after["version"] == 1


def _departed(**fields: Any) -> StudentCreate:
    return dataclasses.replace(ADA, **fields)


BAD_CREATES = [
    ("no last name", _departed(legal_last_name=""), "legal_last_name"),
    ("blank last name", _departed(legal_last_name="   "), "legal_last_name"),
    ("born tomorrow", _departed(birth_date=date.today() + timedelta(days=1)), "birth_date"),
    ("born in 1850", _departed(birth_date=date(1850, 1, 1)), "birth_date"),
    ("birth date not a date", _departed(birth_date="10/12/2005"), "birth_date"),
    ("email without at", _departed(email="ada.example.edu"), "email"),
    ("email with space", _departed(email="ada lovelace@example.edu"), "email"),
    ("guardian email", _departed(guardian_email="mum@"), "guardian_email"),
    ("unknown status", _departed(status="expelled"), "status"),
    (
        "withdrawn, no date",
        _departed(status="withdrawn", departure_reason="Moved"),
        "departure_date",
    ),
    (
        "graduated, no reason",
        _departed(status="graduated", departure_date=date(2026, 5, 1)),
        "departure_reason",
    ),
    (
        "left before admitted",
        _departed(admission_date=date(2026, 9, 1), departure_date=date(2026, 8, 1)),
        "departure_date",
    ),
    ("unknown program", _departed(program_id=987_654), "program_id"),
    ("unknown entry term", _departed(entry_term_id=987_654), "entry_term_id"),
    ("class year", _departed(class_year=20266), "class_year"),
    ("grade level too long", _departed(grade_level="x" * 21), "grade_level"),
    ("confidential not a flag", _departed(confidential="yes"), "confidential"),
    ("blank given number", _departed(student_number="  "), "student_number"),
]


@pytest.mark.parametrize(("data", "field"), [pytest.param(d, f, id=i) for i, d, f in BAD_CREATES])
def test_invalid_create_names_the_field_and_writes_nothing(
    engine: Engine, clerk: Actor, data: StudentCreate, field: str
) -> None:
    before = (count(engine, Student), count(engine, AuditEvent), sequence(engine))
    with pytest.raises(ValidationFailed) as refused:
        create(engine, clerk, data)
    assert refused.value.field == field
    assert refused.value.message
    assert (count(engine, Student), count(engine, AuditEvent), sequence(engine)) == before


def test_departed_student_with_date_and_reason_is_accepted(engine: Engine, clerk: Actor) -> None:
    with session_scope(engine) as session:
        program = make_program(session)
    data = _departed(
        status="transferred_out",
        program_id=program.id,
        admission_date="2024-09-01",
        departure_date=date(2026, 1, 15),
        departure_reason="Transferred to another university",
    )
    profile = create(engine, clerk, data)
    assert profile.departed and profile.admission_date == date(2024, 9, 1)


# --- student numbers ----------------------------------------------------------------------------


@pytest.mark.usefixtures("numbered")
def test_numbers_follow_the_pattern_skip_taken_ones_and_are_never_reused(
    engine: Engine, clerk: Actor
) -> None:
    first, second = create(engine, clerk), create(engine, clerk)
    assert (first.student_number, second.student_number) == ("S00001", "S00002")

    with session_scope(engine) as session:  # an import already used the next number
        make_student(session, student_number="S00003")
    third = create(engine, clerk)
    assert third.student_number == "S00004"

    with session_scope(engine) as session:  # the newest record is removed outside the desk
        for audit_row in session.exec(
            sql_select(AuditEvent).where(AuditEvent.student_id == third.id)
        ).all():
            session.delete(audit_row)
        session.flush()
        removed = session.get(Student, third.id)
        assert removed is not None
        session.delete(removed)
    fourth = create(engine, clerk)
    assert fourth.student_number == "S00005"


@pytest.mark.usefixtures("numbered")
def test_desks_creating_at_once_get_distinct_numbers(engine: Engine, clerk: Actor) -> None:
    numbers: list[str] = []
    failures: list[BaseException] = []

    def desk() -> None:
        try:
            for _ in range(5):
                numbers.append(create(engine, clerk).student_number)
        except BaseException as exc:  # surfaced in the main thread below
            failures.append(exc)

    desks = [threading.Thread(target=desk) for _ in range(4)]
    for thread in desks:
        thread.start()
    for thread in desks:
        thread.join(timeout=120)
    assert failures == []
    assert sorted(numbers) == [f"S{n:05d}" for n in range(1, 21)]
    assert sequence(engine) == 20


@pytest.mark.usefixtures("numbered")
def test_a_refused_create_does_not_use_up_a_number(engine: Engine, clerk: Actor) -> None:
    create(engine, clerk)
    with pytest.raises(ValidationFailed):
        create(engine, clerk, _departed(email="nope"))
    assert create(engine, clerk).student_number == "S00002"


def test_default_pattern_is_year_and_five_digit_sequence(engine: Engine, clerk: Actor) -> None:
    first, second = create(engine, clerk), create(engine, clerk)
    assert len(first.student_number) == 9 and first.student_number.isdigit()
    assert int(second.student_number[4:]) == int(first.student_number[4:]) + 1


def test_bad_pattern_is_explained_and_nothing_written(engine: Engine, clerk: Actor) -> None:
    with session_scope(engine) as session:
        settings = institution(session)
        settings.student_number_pattern = "{campus}-{seq}"
        session.add(settings)
    students = count(engine, Student)
    with pytest.raises(RecordsError, match="pattern"):
        create(engine, clerk)
    assert count(engine, Student) == students


def test_given_student_number_is_kept_and_must_be_free(engine: Engine, clerk: Actor) -> None:
    imported = create(engine, clerk, _departed(student_number="LEGACY-42"))
    assert imported.student_number == "LEGACY-42"
    with pytest.raises(ValidationFailed) as refused:
        create(engine, clerk, _departed(student_number="LEGACY-42"))
    assert refused.value.field == "student_number"


# --- update -------------------------------------------------------------------------------------


def test_update_writes_changed_fields_bumps_version_and_audits_them(
    engine: Engine, clerk: Actor
) -> None:
    profile = create(engine, clerk)
    updated = update(
        engine,
        clerk,
        profile,
        {"email": "ada@lovelace.org", "phone": " 555-0100 ", "legal_last_name": "Lovelace"},
    )
    assert (updated.email, updated.phone, updated.version) == ("ada@lovelace.org", "555-0100", 2)
    assert updated.updated_at >= profile.updated_at
    assert updated.created_at == profile.created_at

    _created, changed = audit_events(engine, profile.id)
    assert changed.action == "update" and changed.actor_username == clerk.username
    assert json.loads(changed.before or "") == {
        "email": "ada@example.edu",
        "phone": "",
        "version": 1,
    }
    assert json.loads(changed.after or "") == {
        "email": "ada@lovelace.org",
        "phone": "555-0100",
        "version": 2,
    }


def test_update_with_nothing_different_writes_nothing(engine: Engine, clerk: Actor) -> None:
    profile = create(engine, clerk)
    same = update(engine, clerk, profile, {"email": "ada@example.edu", "legal_first_name": "Ada"})
    assert same.version == 1
    assert len(audit_events(engine, profile.id)) == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"shoe_size": 9}, "shoe_size"),
        ({"student_number": "X1", "phone": "1"}, "student_number"),
        ({"version": 7}, "version"),
        ({"phone": "555-0101", "email": "not-an-email"}, "email"),
        ({"birth_date": date.today() + timedelta(days=30)}, "birth_date"),
        ({"status": "withdrawn"}, "departure_date"),
        ({"status": "withdrawn", "departure_date": "2026-03-01"}, "departure_reason"),
        ({"legal_last_name": ""}, "legal_last_name"),
        ({"program_id": 987_654}, "program_id"),
    ],
)
def test_invalid_update_names_the_field_and_writes_nothing(
    engine: Engine, clerk: Actor, system: Actor, changes: dict[str, object], field: str
) -> None:
    profile = create(engine, clerk)
    with pytest.raises(ValidationFailed) as refused:
        update(engine, system, profile, changes)  # status changes need the registrar role
    assert refused.value.field == field
    with Session(engine) as session:
        assert get_student_profile(session, actor=clerk, student_id=profile.id) == profile
    assert len(audit_events(engine, profile.id)) == 1


def test_a_legacy_oddity_does_not_block_unrelated_changes(engine: Engine, clerk: Actor) -> None:
    """A record imported with a birth date the desk would refuse today can still be edited."""
    with session_scope(engine) as session:
        legacy = StudentProfile.from_row(make_student(session, birth_date=date(1850, 1, 1)))
    changed = update(engine, clerk, legacy, {"phone": "555-0142"})
    assert (changed.phone, changed.birth_date, changed.version) == ("555-0142", date(1850, 1, 1), 2)
    with pytest.raises(ValidationFailed) as refused:
        update(engine, clerk, changed, {"birth_date": date(1849, 12, 31)})
    assert refused.value.field == "birth_date"


def test_withdrawal_with_date_and_reason_is_saved(
    engine: Engine, clerk: Actor, system: Actor
) -> None:
    profile = create(engine, clerk)
    with pytest.raises(PermissionDenied):  # a status change is a registrar's decision
        update(engine, clerk, profile, {"status": "withdrawn"})
    left = update(
        engine,
        system,
        profile,
        {"status": "withdrawn", "departure_date": "2026-03-01", "departure_reason": "Moved abroad"},
    )
    assert left.departed and left.departure_date == date(2026, 3, 1)
    after = json.loads(audit_events(engine, profile.id)[-1].after or "")
    assert after["departure_date"] == "2026-03-01" and after["status"] == "withdrawn"


def test_missing_student_is_not_found(engine: Engine, clerk: Actor) -> None:
    with Session(engine) as session:
        with pytest.raises(NotFound):
            get_student_profile(session, actor=clerk, student_id=987_654)
        with pytest.raises(NotFound):
            update_student(session, actor=clerk, student_id=987_654, expected_version=1, changes={})


# --- two desks ----------------------------------------------------------------------------------


def test_second_desk_saving_a_stale_record_is_refused_with_the_fields_named(
    engine: Engine, clerk: Actor, system: Actor
) -> None:
    profile = create(engine, clerk)
    with Session(engine) as desk_a, Session(engine) as desk_b:
        seen_by_a = get_student_profile(desk_a, actor=clerk, student_id=profile.id)
        seen_by_b = get_student_profile(desk_b, actor=system, student_id=profile.id)
        desk_a.commit()

        update_student(
            desk_b,
            actor=system,
            student_id=profile.id,
            expected_version=seen_by_b.version,
            changes={"email": "ada@b-desk.org", "city": "London"},
        )
        desk_b.commit()

        with pytest.raises(StaleRecord) as refused:
            update_student(
                desk_a,
                actor=clerk,
                student_id=profile.id,
                expected_version=seen_by_a.version,
                changes={"phone": "555-0199"},
            )
        desk_a.rollback()
    assert refused.value.changed == ["city", "email"]
    assert "city, email" in str(refused.value)

    with Session(engine) as session:
        now = get_student_profile(session, actor=clerk, student_id=profile.id)
    assert (now.email, now.phone, now.version) == ("ada@b-desk.org", "", 2)
    assert [e.action for e in audit_events(engine, profile.id)] == ["create", "update"]

    retried = update(engine, clerk, now, {"phone": "555-0199"})
    assert (retried.phone, retried.email, retried.version) == ("555-0199", "ada@b-desk.org", 3)


def test_stale_fields_are_those_saved_after_the_version_seen(engine: Engine, clerk: Actor) -> None:
    v1 = create(engine, clerk)
    v2 = update(engine, clerk, v1, {"email": "one@example.edu"})
    update(engine, clerk, v2, {"city": "Paris"})
    for seen, expected in ((v1, ["city", "email"]), (v2, ["city"])):
        with pytest.raises(StaleRecord) as refused:
            update(engine, clerk, seen, {"phone": "1"})
        assert refused.value.changed == expected


def test_desk_that_saves_between_read_and_write_wins(engine: Engine, clerk: Actor) -> None:
    """The race the version check alone would miss: the row is read at the expected version, then
    another desk commits before the UPDATE runs; the guarded UPDATE matches no row."""
    profile = create(engine, clerk)
    interloped: list[bool] = []

    def other_desk_saves_first(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if interloped or not statement.lstrip().upper().startswith("UPDATE STUDENT"):
            return
        interloped.append(True)
        with engine.begin() as other:
            other.execute(
                Student.__table__.update()  # type: ignore[attr-defined]
                .where(Student.__table__.c.id == profile.id)  # type: ignore[attr-defined]
                .values(email="race@example.edu", version=2)
            )

    event.listen(engine, "before_cursor_execute", other_desk_saves_first)
    try:
        with pytest.raises(StaleRecord):
            update(engine, clerk, profile, {"phone": "555-0123"})
    finally:
        event.remove(engine, "before_cursor_execute", other_desk_saves_first)
    assert interloped == [True]
    with Session(engine) as session:
        now = get_student_profile(session, actor=clerk, student_id=profile.id)
    assert (now.email, now.phone, now.version) == ("race@example.edu", "", 2)
    assert len(audit_events(engine, profile.id)) == 1
