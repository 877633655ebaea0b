"""Holds from the record through the Pilot: h opens them, p places one (a missing reason is shown
beside the field), r releases; a clerk is told placing needs a registrar; the hold's effect on
official transcripts is enforced by the service."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlmodel import select
from textual.pilot import Pilot
from textual.widgets import Checkbox, DataTable, Static

from recordsdesk.db import session_scope
from recordsdesk.models import Hold
from recordsdesk.services.access.actor import actor_for
from recordsdesk.services.transcripts.release import TranscriptHeld, release_transcript
from recordsdesk.ui.app import make_app
from recordsdesk.ui.screens.people.holds import HoldsScreen, PlaceHoldModal
from recordsdesk.ui.screens.people.intake_form import ReasonModal
from recordsdesk.ui.screens.people.record import StudentScreen
from tests.factories import make_staff, make_student

SIZE = (120, 40)


@pytest.fixture
def student_id(engine: Engine) -> int:
    with session_scope(engine) as session:
        make_staff(session, username="reg1", role="registrar")
        make_staff(session, username="clerk1", role="clerk")
        row = make_student(session, legal_first_name="Åsa", legal_last_name="[i]Berg")
        assert row.id is not None
        return row.id


async def settle(pilot: Pilot[int]) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def open_holds(pilot: Pilot[int], student_id: int) -> HoldsScreen:
    await pilot.app.push_screen(StudentScreen(student_id))
    await settle(pilot)
    await pilot.press("h")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, HoldsScreen)
    return screen


async def test_place_and_release_a_hold(engine: Engine, student_id: int) -> None:
    app = make_app(engine, username="reg1")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_holds(pilot, student_id)
        assert screen.query_one(DataTable).row_count == 0
        await pilot.press("p")
        await settle(pilot)
        modal = pilot.app.screen
        assert isinstance(modal, PlaceHoldModal)
        await pilot.press("ctrl+s")  # no reason yet
        await settle(pilot)
        assert str(modal.query_one("#e-reason", Static).render()) == "a reason is required."
        await pilot.press(*"Unpaid fees [2026]")
        modal.query_one("#blocks-registration", Checkbox).value = False
        await pilot.press("ctrl+s")
        await settle(pilot)
        message = str(modal.query_one("#e-blocks", Static).render())
        assert message == "a hold must block registration, transcripts or both."
        modal.query_one("#blocks-transcript", Checkbox).value = True
        modal.query_one("#f-reason").focus()
        await pilot.press("enter")
        await settle(pilot)
        assert pilot.app.screen is screen
        table = screen.query_one(DataTable)
        row = [c.plain for c in table.get_row_at(0)]
        assert row[:3] == ["FINANCIAL", "transcripts", "Unpaid fees [2026]"]
        assert row[4] == "active"
        with session_scope(engine) as session:  # the effect: no official transcript
            with pytest.raises(TranscriptHeld):
                release_transcript(
                    session,
                    actor=actor_for(session, "reg1"),
                    student_id=student_id,
                    official=True,
                    fmt="text",
                )
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ReasonModal)
        await pilot.press(*"Paid in full", "enter")
        await settle(pilot)
        row = [c.plain for c in table.get_row_at(0)]
        assert row[4].endswith(" reg1: Paid in full")
        assert "0 active holds" in str(screen.query_one("#holds-band", Static).render())
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(pilot.app.screen, StudentScreen)
    with session_scope(engine) as session:
        hold = session.exec(select(Hold)).one()
        assert hold.released_at is not None and hold.blocks_transcript


async def test_a_clerk_is_told_holds_need_a_registrar(engine: Engine, student_id: int) -> None:
    app = make_app(engine, username="clerk1")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_holds(pilot, student_id)
        await pilot.press("p")
        await settle(pilot)
        assert pilot.app.screen is screen
        assert any("registrar role" in str(n.message) for n in pilot.app._notifications)
