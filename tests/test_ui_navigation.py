"""Getting around the desk: F2 is the lookup from anywhere, screens replace rather than pile up,
and a role never meets a screen, key or tab it cannot use."""

from __future__ import annotations

import contextlib

import pytest
from sqlalchemy import Engine
from textual.pilot import Pilot
from textual.widgets import Input, Static, TabbedContent
from textual.worker import WorkerFailed

from recordsdesk.db import session_scope
from recordsdesk.services.access.actor import Actor
from recordsdesk.ui.app import RecordsDeskApp, make_app
from recordsdesk.ui.commands import DeskScreensProvider
from recordsdesk.ui.screens.admissions.screening import AdmissionScreen
from recordsdesk.ui.screens.grades.entry import GradeEntryScreen
from recordsdesk.ui.screens.help import HelpModal
from recordsdesk.ui.screens.lookup.search import LookupScreen
from recordsdesk.ui.screens.people.intake import IntakeScreen
from recordsdesk.ui.screens.people.record import StudentScreen
from tests.desk_data import DeskData, seed_desk
from tests.factories import make_staff

SIZE = (120, 40)


@pytest.fixture
def desk_data(engine: Engine, system: Actor) -> DeskData:
    with session_scope(engine) as session:
        data = seed_desk(session, system.id)
        make_staff(session, username="clerky", role="clerk")
        make_staff(session, username="reggie", role="registrar")
    return data


async def settle(pilot: Pilot[int]) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def open_record(pilot: Pilot[int], query: str) -> StudentScreen:
    await pilot.press(*query)
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(pilot.app.screen, StudentScreen)
    return pilot.app.screen


def errors(app: RecordsDeskApp) -> list[str]:
    return [n.message for n in app._notifications if n.severity == "error"]


async def test_f2_from_a_record_is_the_lookup_with_the_search_kept(
    engine: Engine, desk_data: DeskData
) -> None:
    app = make_app(engine, username="clerky")
    async with app.run_test(size=SIZE) as pilot:
        await open_record(pilot, "garcia")
        await pilot.press("a")  # the admission checklist over the record
        await settle(pilot)
        assert isinstance(app.screen, AdmissionScreen)
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, LookupScreen) and len(app.screen_stack) == 1
        assert app.screen.query_one("#lookup-query", Input).value == "garcia"


async def test_new_students_one_after_another_do_not_pile_up(
    engine: Engine, desk_data: DeskData
) -> None:
    """Ctrl+N from an applicant's admission checklist (where intake leaves the clerk) opens the
    form over the lookup, not over the previous record: Esc goes straight back."""
    app = make_app(engine, username="clerky")
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(2):
            await open_record(pilot, "garcia")
            await pilot.press("a")
            await settle(pilot)
            await pilot.press("ctrl+n")
            await settle(pilot)
            assert isinstance(app.screen, IntakeScreen)
            assert [type(s) for s in app.screen_stack] == [LookupScreen, IntakeScreen]
            await pilot.press("escape")
            await settle(pilot)
            assert isinstance(app.screen, LookupScreen)
            await pilot.press("escape")  # clear the search for the next round
            await settle(pilot)


async def test_a_clerk_meets_no_registrar_screen_key_or_tab(
    engine: Engine, desk_data: DeskData
) -> None:
    app = make_app(engine, username="clerky")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        footer_keys = set(app.screen.active_bindings)
        assert {"f2", "f3", "f4", "ctrl+n"} <= footer_keys
        assert not {"f5", "f6", "f7", "f8", "f10"} & {
            key for key, b in app.screen.active_bindings.items() if b.binding.show
        }
        for key, needs in (("f5", "registrar"), ("f6", "registrar"), ("f7", "admin")):
            await pilot.press(key)
            await settle(pilot)
            assert isinstance(app.screen, LookupScreen)  # refused at once, no empty screen
            assert any(f"needs the {needs} role" in m for m in errors(app)), key
        record = await open_record(pilot, "garcia")
        tabs = record.query_one("#record-tabs", TabbedContent)
        await pilot.press("7")
        await pilot.pause()
        assert tabs.active != "audit"
        assert any("audit trail needs the registrar role" in m for m in errors(app))
        await pilot.press("d")
        await pilot.pause()
        assert app.screen is record
        assert any("departure or leave needs the registrar role" in m for m in errors(app))
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpModal)
        help_text = " ".join(
            str(cell) for table in app.screen.query("DataTable") for cell in _cells(table)
        )
        assert (
            "Grades" not in help_text
            and "Audit" not in help_text
            and "Leave/depart" not in help_text
        )
        await pilot.press("escape")
        provider = DeskScreensProvider(app.screen)
        names = [text for text, _, _ in provider._commands()]
        assert "Lookup students" in names and "Grade entry" not in names
        assert "Staff accounts" not in names


def _cells(table: object) -> list[object]:
    from textual.widgets import DataTable

    assert isinstance(table, DataTable)
    return [cell for i in range(table.row_count) for cell in table.get_row_at(i)]


async def test_a_registrar_gets_the_registrar_keys(engine: Engine, desk_data: DeskData) -> None:
    app = make_app(engine, username="reggie")
    async with app.run_test(size=SIZE) as pilot:
        record = await open_record(pilot, "garcia")
        await pilot.press("7")
        await pilot.pause()
        assert record.query_one("#record-tabs", TabbedContent).active == "audit"
        await pilot.press("f6", *"2025000101", "enter")  # F6 invites a number and takes it
        await settle(pilot)
        summary = str(app.screen.query_one("#audit-summary", Static).render())
        assert "for 2025000101" in summary and not errors(app)


async def test_a_refused_load_says_why_instead_of_loading_forever(
    engine: Engine, desk_data: DeskData
) -> None:
    """However a clerk reaches grade entry (here straight to the area), the refused load
    replaces 'Loading terms…' with the reason."""
    app = make_app(engine, username="clerky")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await app.switch_mode("grades")
        with contextlib.suppress(WorkerFailed):  # the refusal is the point here
            await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, GradeEntryScreen)
        title = str(app.screen.query_one("#choice-title", Static).render())
        assert not title.startswith("Loading")
        assert "needs the registrar role" in title
