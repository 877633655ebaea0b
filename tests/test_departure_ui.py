"""Departure and leave through the Pilot: d from the record, the fields each kind needs, a
refusal beside its field, leave and return recorded, and the record still there afterwards."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import select
from textual.pilot import Pilot
from textual.widgets import Input, Static

from recordsdesk.db import session_scope
from recordsdesk.models import Student
from recordsdesk.ui.app import make_app
from recordsdesk.ui.screens.people.departure import DepartureScreen
from recordsdesk.ui.screens.people.record import StudentScreen
from tests.factories import make_program, make_staff, make_student

SIZE = (120, 40)
TODAY = date.today()


@pytest.fixture
def student_id(engine: Engine) -> int:
    with session_scope(engine) as session:
        make_staff(session, username="reg1", role="registrar")
        program = make_program(
            session, code="BSC-BIO", name="Biology", award="BSc Biology", required_credits=0
        )
        row = make_student(
            session,
            program_id=program.id,
            admission_date=TODAY - timedelta(days=700),
        )
        assert row.id is not None
        return row.id


async def settle(pilot: Pilot[int]) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def stored(engine: Engine, student_id: int) -> Student:
    with session_scope(engine) as session:
        row = session.exec(select(Student).where(Student.id == student_id)).one()
        session.expunge(row)
        return row


async def open_departure(pilot: Pilot[int], student_id: int) -> DepartureScreen:
    await pilot.app.push_screen(StudentScreen(student_id))
    await settle(pilot)
    await pilot.press("d")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, DepartureScreen)
    return screen


async def test_leave_then_return(engine: Engine, student_id: int) -> None:
    app = make_app(engine, username="reg1")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_departure(pilot, student_id)
        await pilot.press("l")
        assert screen.query_one("#f-leave_start", Input).value == date.today().isoformat()
        assert not screen.query_one("#row-reason").display  # withdrawal's field is hidden
        await pilot.press("ctrl+s")  # no reason
        await settle(pilot)
        error = str(screen.query_one("#e-leave_reason", Static).render())
        assert error == "a reason is required."
        screen.query_one("#f-leave_reason", Input).focus()
        await pilot.press(*"Medical")
        screen.query_one("#f-leave_expected_return", Input).focus()
        await pilot.press(*"2020-01-01")
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("enter")  # recorded: the service refuses, beside the field
        await settle(pilot)
        error = str(screen.query_one("#e-leave_expected_return", Static).render())
        assert error == "must be after the start of the leave."
        assert stored(engine, student_id).status == "active"
        screen.query_one("#f-leave_expected_return", Input).value = ""
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("enter")  # the decision in words: Enter records it
        await settle(pilot)
        record = pilot.app.screen
        assert isinstance(record, StudentScreen)
        assert "on leave" in str(record.query_one("#record-band", Static).render())
        row = stored(engine, student_id)
        assert (row.status, row.leave_start, row.leave_reason) == (
            "on_leave",
            date.today(),
            "Medical",
        )

        await pilot.press("d")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, DepartureScreen)
        assert "On leave since" in str(screen.query_one("#departure-band", Static).render())
        await pilot.press("b", "ctrl+s")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, StudentScreen)
    assert stored(engine, student_id).status == "active"


async def test_graduate_with_honours(engine: Engine, student_id: int) -> None:
    app = make_app(engine, username="reg1")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_departure(pilot, student_id)
        await pilot.press("g")
        assert screen.query_one("#f-program", Input).value == "BSC-BIO"
        screen.query_one("#f-conferral_date", Input).value = "next week"
        await pilot.press("ctrl+s")
        await settle(pilot)
        error = str(screen.query_one("#e-conferral_date", Static).render())
        assert error == "'next week' is not a date (YYYY-MM-DD)."
        screen.query_one("#f-conferral_date", Input).value = TODAY.isoformat()
        screen.query_one("#f-honours", Input).focus()
        await pilot.press(*"Cum laude", "ctrl+s", "enter")
        await settle(pilot)
        # The record earns no honours: the decision asks for the reason, and nothing is saved.
        error = str(screen.query_one("#e-honours_reason", Static).render())
        assert error.endswith("earns no Latin honours: other honours need a reason.")
        assert stored(engine, student_id).status != "graduated"
        screen.query_one("#f-honours_reason", Input).focus()
        await pilot.press(*"Senate [b]ruling", "ctrl+s")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, StudentScreen)
    row = stored(engine, student_id)
    assert (row.status, row.degree_conferred, row.honours) == (
        "graduated",
        "BSc Biology",
        "Cum laude",
    )
