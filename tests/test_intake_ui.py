"""The New student form through the Pilot: Ctrl+N from the lookup, field errors beside the fields,
the duplicate guard's dialog, and the walk from an empty form to an admitted student."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine
from sqlmodel import select
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static

from recordsdesk.db import session_scope
from recordsdesk.models import AuditEvent, Student
from recordsdesk.ui.app import RecordsDeskApp, make_app
from recordsdesk.ui.screens.admissions.screening import AdmissionScreen
from recordsdesk.ui.screens.people.intake import DuplicateModal, IntakeScreen
from recordsdesk.ui.screens.people.record import StudentScreen
from tests.factories import make_program, make_staff, make_student, make_term

SIZE = (120, 40)
ADULT = "1990-04-02"


@pytest.fixture
def app(engine: Engine) -> RecordsDeskApp:
    with session_scope(engine) as session:
        make_program(session, code="BA-HIS", name="History")
        make_program(session, code="BSC-BIO", name="Biology")
        make_term(
            session,
            code="2027FA",
            start_date=date(2027, 9, 1),
            end_date=date(2027, 12, 18),
            add_drop_deadline=None,
            withdraw_deadline=None,
        )
        make_staff(session, username="clerk1", role="clerk")
    return make_app(engine, username="clerk1")


async def settle(pilot: Pilot[int]) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def message(screen: IntakeScreen, field: str) -> str:
    return str(screen.query_one(f"#e-{field}", Static).render())


async def type_into(pilot: Pilot[int], field: str, text: str) -> None:
    pilot.app.screen.query_one(f"#f-{field}", Input).focus()
    await pilot.pause()
    await pilot.press(*text)


async def fill(pilot: Pilot[int], **fields: str) -> None:
    for name, text in fields.items():
        await type_into(pilot, name, text)


async def open_form(pilot: Pilot[int]) -> IntakeScreen:
    await pilot.press("ctrl+n")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, IntakeScreen)
    return screen


async def test_an_empty_form_shows_each_error_beside_its_field(
    app: RecordsDeskApp, engine: Engine
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_form(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is screen
        assert message(screen, "legal_last_name") == "the legal last name is required."
        assert message(screen, "birth_date") == "the birth date is required (YYYY-MM-DD)."
        assert "choose a program" in message(screen, "program")
        assert message(screen, "legal_middle_name") == ""
        assert screen.focused is screen.query_one("#f-legal_first_name", Input)
        await fill(pilot, birth_date="1990-13-01")
        assert message(screen, "birth_date") == ""  # typing clears the field's message
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "is not a date" in message(screen, "birth_date")
    with session_scope(engine) as session:
        assert session.exec(select(Student)).all() == []


async def test_program_filters_as_it_is_typed(app: RecordsDeskApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_form(pilot)
        await type_into(pilot, "program", "bio")
        assert message(screen, "program").startswith("BSC-BIO Biology")
        assert "BA-HIS" not in message(screen, "program")
        await pilot.press("enter")  # the single match completes the field
        assert screen.query_one("#f-program", Input).value == "BSC-BIO"


async def test_intake_to_admitted(app: RecordsDeskApp, engine: Engine) -> None:
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_form(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "required" in message(screen, "legal_first_name")
        await fill(
            pilot,
            legal_first_name="José",
            legal_last_name="[b]Núñez",
            birth_date=ADULT,
            email="jose@example.org",
            program="BA-HIS",
            entry_term="2027FA",
        )
        await pilot.press("ctrl+s")
        await settle(pilot)
        admission = pilot.app.screen
        assert isinstance(admission, AdmissionScreen)
        band = str(admission.query_one("#admission-band", Static).render())
        assert band.startswith("José [b]Núñez")
        assert "PENDING" in band
        table = admission.query_one("#checklist-table", DataTable)
        assert table.row_count == 5
        await pilot.press("a")  # documents missing: a clerk is refused, nothing changes
        await settle(pilot)
        assert "PENDING" in str(admission.query_one("#admission-band", Static).render())
        for row in range(3):  # the three required documents
            table.move_cursor(row=row)
            await pilot.press("space")
            await settle(pilot)
        received = [table.get_row_at(r)[2].plain for r in range(3)]
        assert received == [date.today().isoformat()] * 3
        status = str(admission.query_one("#admission-status", Static).render())
        assert status.startswith("Every required document is in")
        await pilot.press("a")
        await settle(pilot)
        band = str(admission.query_one("#admission-band", Static).render())
        assert "ADMITTED" in band and "·  admitted\n" in band
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(pilot.app.screen, StudentScreen)
    with session_scope(engine) as session:
        student = session.exec(select(Student)).one()
        assert (student.status, student.legal_last_name) == ("admitted", "[b]Núñez")


async def test_the_duplicate_guard_asks_before_creating_another(
    app: RecordsDeskApp, engine: Engine
) -> None:
    with session_scope(engine) as session:
        make_student(
            session,
            student_number="2020000007",
            legal_first_name="José",
            legal_last_name="Núñez",
            birth_date=date(1990, 4, 2),
            email="other@example.org",
        )
    async with app.run_test(size=SIZE) as pilot:
        await open_form(pilot)
        await fill(
            pilot,
            legal_first_name="jose",
            legal_last_name="NUNEZ",
            birth_date=ADULT,
            phone="555-0100",
            program="BA-HIS",
            entry_term="2027FA",
        )
        await pilot.press("ctrl+s")
        await settle(pilot)
        modal = pilot.app.screen
        assert isinstance(modal, DuplicateModal)
        row = modal.query_one(DataTable).get_row_at(0)
        assert row[0].plain == "2020000007"
        assert row[2].plain == "same name and birth date"
        await pilot.press("escape")  # back to the form: nothing created
        await settle(pilot)
        assert isinstance(pilot.app.screen, IntakeScreen)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(pilot.app.screen, DuplicateModal)
        await pilot.press("c")  # a different person: create anyway
        await settle(pilot)
        assert isinstance(pilot.app.screen, AdmissionScreen)
    with session_scope(engine) as session:
        assert len(session.exec(select(Student)).all()) == 2
        event = session.exec(
            select(AuditEvent).where(AuditEvent.action == "duplicate_confirmed")
        ).one()
        assert "2020000007" in event.reason and event.actor_username == "clerk1"


async def test_leaving_a_field_shows_its_problem_at_once(
    app: RecordsDeskApp, engine: Engine
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_form(pilot)
        await pilot.press("enter")  # past the first name, left empty
        await settle(pilot)
        assert "required" in message(screen, "legal_first_name")
        assert message(screen, "legal_last_name") == ""  # not reached yet: not wrong yet
        await fill(pilot, birth_date="2099-01-01")
        await pilot.press("enter")
        await settle(pilot)
        assert message(screen, "birth_date") == "2099-01-01 is in the future."
        assert message(screen, "email") == ""  # waits until the phone was passed too
        await fill(pilot, legal_first_name="Ana")
        await pilot.press("enter")
        await settle(pilot)
        assert message(screen, "legal_first_name") == ""
    with session_scope(engine) as session:
        assert session.exec(select(Student)).all() == []
