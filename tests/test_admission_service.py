"""Admission screening: the checklist (seeded, configurable), receiving documents, decisions and
the admitted -> active step registration takes. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import col, select

from recordsdesk.cli import main
from recordsdesk.db import open_database, session_scope
from recordsdesk.models import AuditEvent, Student
from recordsdesk.services.access.actor import Actor, actor_for
from recordsdesk.services.admissions.applications import (
    ApplicationView,
    activate_on_first_registration,
    current_application,
    decide,
    mark_received,
    open_application,
)
from recordsdesk.services.admissions.checklist import (
    DEFAULT_CHECKLIST,
    add_requirement,
    list_requirements,
    remove_requirement,
)
from recordsdesk.services.shared.errors import (
    NotFound,
    PermissionDenied,
    StaleRecord,
    ValidationFailed,
)
from tests.factories import make_program, make_staff, make_student, make_term


@pytest.fixture
def clerk(engine: Engine) -> Actor:
    with session_scope(engine) as session:
        return actor_for(session, make_staff(session, role="clerk").username)


@pytest.fixture
def registrar(engine: Engine) -> Actor:
    with session_scope(engine) as session:
        return actor_for(session, make_staff(session, role="registrar").username)


@pytest.fixture
def applicant(engine: Engine) -> tuple[int, int, int]:
    """(student id, program id, term id): an applicant with no application yet."""
    with session_scope(engine) as session:
        program = make_program(session, code="BSC-CS", award="BSc Computer Science")
        term = make_term(session)
        student = make_student(session, status="applicant")
        assert student.id and program.id and term.id
        return student.id, program.id, term.id


def opened(engine: Engine, actor: Actor, ids: tuple[int, int, int]) -> ApplicationView:
    with session_scope(engine) as session:
        return open_application(
            session,
            actor=actor,
            student_id=ids[0],
            program_id=ids[1],
            entry_term_id=ids[2],
            applied_on=date.today() - timedelta(days=10),
        )


def receive_all(engine: Engine, actor: Actor, application: ApplicationView) -> ApplicationView:
    with session_scope(engine) as session:
        for item in application.items:
            application = mark_received(session, actor=actor, item_id=item.id)
    return application


def student_status(engine: Engine, student_id: int) -> Student:
    with session_scope(engine) as session:
        row = session.get(Student, student_id)
        assert row is not None
        session.expunge(row)
        return row


def test_a_new_database_has_the_default_checklist(engine: Engine, system: Actor) -> None:
    with session_scope(engine) as session:
        rows = list_requirements(session, actor=system)
    assert [(r.item, r.required, r.program_code) for r in rows] == [
        (item, required, "") for item, required in DEFAULT_CHECKLIST
    ]


def test_an_emptied_checklist_stays_empty_on_the_next_open(
    database_url: str, engine: Engine, system: Actor
) -> None:
    with session_scope(engine) as session:
        for item, _ in DEFAULT_CHECKLIST:
            remove_requirement(session, actor=system, item=item)
    reopened = open_database(database_url)
    try:
        with session_scope(reopened) as session:
            assert list_requirements(session, actor=system) == []
    finally:
        reopened.dispose()


def test_checklist_changes_are_for_admins_and_audited(
    engine: Engine, system: Actor, registrar: Actor, applicant: tuple[int, int, int]
) -> None:
    with session_scope(engine) as session:
        with pytest.raises(PermissionDenied):
            add_requirement(session, actor=registrar, item="Portfolio")
        add_requirement(session, actor=system, item="Portfolio", program_code="bsc-cs")
        # The program's own row overrides the all-program row of the same name.
        add_requirement(
            session, actor=system, item="Proof of residence", program_code="BSC-CS", required=True
        )
        with pytest.raises(ValidationFailed) as twice:
            add_requirement(session, actor=system, item="Portfolio", program_code="BSC-CS")
        assert twice.value.field == "item"
        with pytest.raises(ValidationFailed):
            add_requirement(session, actor=system, item="  ")
        with pytest.raises(ValidationFailed) as unknown:
            add_requirement(session, actor=system, item="X", program_code="NOPE")
        assert unknown.value.field == "program"
        with pytest.raises(NotFound):
            remove_requirement(session, actor=system, item="Portfolio")  # not an all-program row
        for_program = list_requirements(session, actor=system, program_code="BSC-CS")
        assert [r.item for r in for_program if r.program_code == "BSC-CS"] == [
            "Portfolio",
            "Proof of residence",
        ]
        events = session.exec(
            select(AuditEvent).where(AuditEvent.entity == "screening_requirement")
        ).all()
        assert [e.action for e in events] == ["add", "add"]
    application = opened(engine, system, applicant)
    required = {i.item: i.required for i in application.items}
    assert required["Proof of residence"] is True  # overridden for this program
    assert required["Portfolio"] is True
    assert required["Language proficiency"] is False
    assert list(required)[:3] == ["Identity document", "Prior transcript", "Immunisation record"]


def test_documents_are_received_with_date_and_staff(
    engine: Engine, clerk: Actor, applicant: tuple[int, int, int]
) -> None:
    application = opened(engine, clerk, applicant)
    assert application.decision == "pending" and application.program_code == "BSC-CS"
    assert application.missing == ("Identity document", "Prior transcript", "Immunisation record")
    first = application.items[0]
    with session_scope(engine) as session:
        with pytest.raises(ValidationFailed) as future:
            mark_received(
                session,
                actor=clerk,
                item_id=first.id,
                received_on=date.today() + timedelta(days=1),
            )
        assert future.value.field == "received_on"
        after = mark_received(
            session, actor=clerk, item_id=first.id, received_on=date(2026, 1, 5), note="passport"
        )
    item = after.items[0]
    assert (item.received_on, item.recorded_by, item.note) == (
        date(2026, 1, 5),
        clerk.username,
        "passport",
    )
    assert after.missing == ("Prior transcript", "Immunisation record")
    with session_scope(engine) as session:
        undone = mark_received(session, actor=clerk, item_id=first.id, received=False)
        assert undone.items[0].received_on is None
        actions = session.exec(
            select(AuditEvent.action)
            .where(AuditEvent.entity == "screening_item")
            .order_by(col(AuditEvent.id))
        ).all()
    assert actions == ["receive", "unreceive"]


def test_one_open_application_at_a_time(
    engine: Engine, clerk: Actor, applicant: tuple[int, int, int]
) -> None:
    opened(engine, clerk, applicant)
    with pytest.raises(ValidationFailed) as again:
        opened(engine, clerk, applicant)
    assert "awaiting a decision" in again.value.message


def test_admit_is_refused_while_required_documents_are_missing(
    engine: Engine, clerk: Actor, registrar: Actor, applicant: tuple[int, int, int]
) -> None:
    application = opened(engine, clerk, applicant)
    with session_scope(engine) as session:
        with pytest.raises(ValidationFailed) as missing:
            decide(
                session,
                actor=clerk,
                application_id=application.id,
                expected_version=application.version,
                decision="admit",
            )
        assert "Identity document, Prior transcript, Immunisation record" in str(missing.value)
        with pytest.raises(PermissionDenied):  # a clerk cannot override, even with a reason
            decide(
                session,
                actor=clerk,
                application_id=application.id,
                expected_version=application.version,
                decision="admit",
                override_reason="Documents promised by Friday",
            )
    assert student_status(engine, applicant[0]).status == "applicant"
    with session_scope(engine) as session:
        admitted = decide(
            session,
            actor=registrar,
            application_id=application.id,
            expected_version=application.version,
            decision="admit",
            override_reason="Documents promised by Friday",
        )
        event = session.exec(
            select(AuditEvent).where(
                AuditEvent.entity == "admission_application", AuditEvent.action == "admit"
            )
        ).one()
    assert admitted.decision == "admit" and admitted.decided_by == registrar.username
    assert event.reason == "Documents promised by Friday"
    assert "Immunisation record" in (event.after or "")
    assert student_status(engine, applicant[0]).status == "admitted"


def test_admit_with_the_checklist_complete(
    engine: Engine, clerk: Actor, applicant: tuple[int, int, int]
) -> None:
    application = receive_all(engine, clerk, opened(engine, clerk, applicant))
    with session_scope(engine) as session:
        admitted = decide(
            session,
            actor=clerk,
            application_id=application.id,
            expected_version=application.version,
            decision="admit",
            notes="Strong file",
        )
        with pytest.raises(ValidationFailed):  # decided once, not twice
            decide(
                session,
                actor=clerk,
                application_id=application.id,
                expected_version=admitted.version,
                decision="deny",
            )
        assert current_application(session, actor=clerk, student_id=applicant[0]) == admitted
        student_events = session.exec(
            select(AuditEvent.action).where(
                AuditEvent.entity == "student", AuditEvent.entity_id == str(applicant[0])
            )
        ).all()
    assert admitted.decision_date == date.today() and admitted.notes == "Strong file"
    student = student_status(engine, applicant[0])
    assert (student.status, student.admission_date) == ("admitted", date.today())
    assert (student.program_id, student.entry_term_id) == (applicant[1], applicant[2])
    assert student_events == ["admit"]


def test_deny_and_waitlist_keep_an_applicant(
    engine: Engine, clerk: Actor, applicant: tuple[int, int, int]
) -> None:
    application = receive_all(engine, clerk, opened(engine, clerk, applicant))
    with session_scope(engine) as session:
        with pytest.raises(ValidationFailed) as bad:
            decide(
                session,
                actor=clerk,
                application_id=application.id,
                expected_version=application.version,
                decision="maybe",
            )
        assert bad.value.field == "decision"
        waiting = decide(
            session,
            actor=clerk,
            application_id=application.id,
            expected_version=application.version,
            decision="waitlist",
        )
    assert waiting.decision == "waitlist" and waiting.open
    assert student_status(engine, applicant[0]).status == "applicant"
    with session_scope(engine) as session:
        with pytest.raises(StaleRecord):  # another desk decided since this one looked
            decide(
                session,
                actor=clerk,
                application_id=application.id,
                expected_version=application.version,
                decision="deny",
            )
        denied = decide(
            session,
            actor=clerk,
            application_id=application.id,
            expected_version=waiting.version,
            decision="deny",
        )
    assert denied.decision == "deny" and not denied.open
    assert student_status(engine, applicant[0]).status == "applicant"


def test_first_registration_makes_an_admitted_student_active(engine: Engine, clerk: Actor) -> None:
    with session_scope(engine) as session:
        admitted = make_student(session, status="admitted")
        applicant = make_student(session, status="applicant")
        assert admitted.id and applicant.id
        assert activate_on_first_registration(session, admitted.id, clerk) is True
        assert activate_on_first_registration(session, admitted.id, clerk) is False
        assert activate_on_first_registration(session, applicant.id, clerk) is False
        with pytest.raises(NotFound):
            activate_on_first_registration(session, 987_654, clerk)
    row = student_status(engine, admitted.id)
    assert (row.status, row.version) == ("active", 2)
    with session_scope(engine) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "activate")).one()
    assert event.reason == "first registration" and '"status": "active"' in (event.after or "")


def test_checklist_command_line(
    database_url: str,
    engine: Engine,
    cli_login: Callable[..., Actor],
    capsys: pytest.CaptureFixture[str],
) -> None:
    with session_scope(engine) as session:
        make_program(session, code="MED")
        make_staff(session, username="desk.registrar", role="registrar")
    db = ["--database", database_url]
    cli_login()
    assert main(["admission", "checklist", "add", "Portfolio", "--optional", *db]) == 0
    assert main(["admission", "checklist", "add", "Police check", "--program", "MED", *db]) == 0
    assert main(["admission", "checklist", "remove", "Language proficiency", *db]) == 0
    capsys.readouterr()
    assert main(["admission", "checklist", "show", "--program", "MED", *db]) == 0
    shown = capsys.readouterr().out.splitlines()
    assert [line.split("  ")[0] for line in shown] == [
        "Identity document",
        "Prior transcript",
        "Immunisation record",
        "Proof of residence",
        "Portfolio",
        "Police check",
    ]
    assert shown[-1].endswith("required  program MED")
    user = ["--user", "desk.registrar"]
    cli_login("desk.registrar")
    assert main(["admission", "checklist", "add", "X", *user, *db]) != 0  # admins only
    assert "needs the admin role" in capsys.readouterr().err
