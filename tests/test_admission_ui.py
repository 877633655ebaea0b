"""The admission screen for a registrar: admitting with documents missing asks for a reason,
which is kept in the audit trail; waitlist and deny from the keys."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine
from sqlmodel import select
from textual.pilot import Pilot
from textual.widgets import Static

from recordsdesk.db import session_scope
from recordsdesk.models import AuditEvent, Student
from recordsdesk.services.access.actor import actor_for
from recordsdesk.services.admissions.applications import open_application
from recordsdesk.ui.app import make_app
from recordsdesk.ui.screens.admissions.screening import AdmissionScreen
from recordsdesk.ui.screens.people.intake_form import ReasonModal
from recordsdesk.ui.screens.people.record import StudentScreen
from tests.factories import make_program, make_staff, make_student

SIZE = (120, 40)


@pytest.fixture
def student_id(engine: Engine) -> int:
    with session_scope(engine) as session:
        make_staff(session, username="reg1", role="registrar")
        program = make_program(session, code="BSC-CS")
        row = make_student(session, status="applicant")
        assert row.id is not None and program.id is not None
        open_application(
            session,
            actor=actor_for(session, "reg1"),
            student_id=row.id,
            program_id=program.id,
            applied_on=date(2026, 1, 5),
        )
        return row.id


async def settle(pilot: Pilot[int]) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def test_registrar_admits_with_documents_missing_giving_a_reason(
    engine: Engine, student_id: int
) -> None:
    app = make_app(engine, username="reg1")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.app.push_screen(StudentScreen(student_id))
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, AdmissionScreen)
        await pilot.press("w")
        await settle(pilot)
        assert "WAITLISTED" in str(screen.query_one("#admission-band", Static).render())
        await pilot.press("a")
        await settle(pilot)
        modal = pilot.app.screen
        assert isinstance(modal, ReasonModal)
        assert "Missing: Identity document, Prior transcript" in modal.prompt
        await pilot.press("escape")  # cancelled: nothing decided
        await settle(pilot)
        assert "WAITLISTED" in str(screen.query_one("#admission-band", Static).render())
        await pilot.press("a")
        await settle(pilot)
        await pilot.press(*"Scholarship deadline; papers follow", "enter")
        await settle(pilot)
        assert "ADMITTED" in str(screen.query_one("#admission-band", Static).render())
        await pilot.press("escape")
        await settle(pilot)
        record = pilot.app.screen
        assert isinstance(record, StudentScreen)
        assert "admitted" in str(record.query_one("#record-band", Static).render())
    with session_scope(engine) as session:
        assert session.get(Student, student_id).status == "admitted"  # type: ignore[union-attr]
        event = session.exec(
            select(AuditEvent).where(
                AuditEvent.entity == "admission_application", AuditEvent.action == "admit"
            )
        ).one()
        assert event.reason == "Scholarship deadline; papers follow"
