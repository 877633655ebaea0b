"""The shell around the lookup: catalog and terms screens, F1 help, the command palette, quitting,
who the desk acts as, and errors shown as notifications rather than tracebacks."""

from __future__ import annotations

import pytest
from rich.text import Text
from sqlalchemy import Engine, create_engine
from sqlalchemy.exc import OperationalError
from textual.pilot import Pilot
from textual.widgets import DataTable, Input

from recordsdesk.cli import main
from recordsdesk.db import session_scope
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.catalog.view import InstitutionSummary
from recordsdesk.services.shared.errors import NotFound
from recordsdesk.ui.app import RecordsDeskApp, make_app
from recordsdesk.ui.context import DeskContext
from recordsdesk.ui.errors import describe_error
from recordsdesk.ui.screens.catalog.courses import CatalogScreen
from recordsdesk.ui.screens.catalog.terms import TermsScreen
from recordsdesk.ui.screens.help import HelpModal
from recordsdesk.ui.screens.lookup.search import LookupScreen
from recordsdesk.ui.screens.lookup.table import LookupTable
from recordsdesk.ui.screens.people.record import StudentScreen
from tests.desk_data import DeskData, seed_desk
from tests.factories import make_staff

SIZE = (120, 40)


@pytest.fixture
def desk_data(engine: Engine, system: Actor) -> DeskData:
    with session_scope(engine) as session:
        return seed_desk(session, system.id)


@pytest.fixture
def app(engine: Engine, desk_data: DeskData) -> RecordsDeskApp:
    return make_app(engine, username="system")


async def settle(pilot: Pilot[int]) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def column(table: DataTable[object], index: int) -> list[str]:
    cells = (table.get_row_at(i)[index] for i in range(table.row_count))
    return [c.plain if isinstance(c, Text) else str(c) for c in cells]


def error_messages(app: RecordsDeskApp) -> list[str]:
    return [n.message for n in app._notifications if n.severity == "error"]


async def test_catalog_lists_courses_and_sections(app: RecordsDeskApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(app.screen, CatalogScreen)
        courses = app.screen.query_one("#course-table", DataTable)
        assert column(courses, 0) == ["BIO101", "CHEM101", "SEM100"]
        assert column(courses, 1)[0] == "Cells & [i]Life[/i]"
        await settle(pilot)
        sections = app.screen.query_one("#section-table", DataTable)
        assert column(sections, 0) == ["2026SP", "2025FA"]  # BIO101 highlighted first
        await pilot.press("down")
        await settle(pilot)
        assert column(sections, 2) == ["02", "01"]  # CHEM101
        assert column(sections, 7) == ["1", "0"]
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, LookupScreen)


async def test_terms_list_dates_and_status(app: RecordsDeskApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f4")
        await settle(pilot)
        assert isinstance(app.screen, TermsScreen)
        terms = app.screen.query_one("#term-table", DataTable)
        assert column(terms, 0) == ["2026SP", "2025FA"]
        assert column(terms, 4) == ["2026-01-23", "2025-09-12"]
        assert column(terms, 8) == ["registration open", "closed"]


async def test_modes_keep_the_lookup_as_it_was(app: RecordsDeskApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"kim")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        # F2 is the lookup itself, from any screen: the record closes, the search stays
        assert isinstance(app.screen, LookupScreen) and len(app.screen_stack) == 1
        assert app.screen.query_one("#lookup-query", Input).value == "kim"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, StudentScreen)  # one Enter back to the same record


async def test_f1_shows_help_for_the_current_screen(app: RecordsDeskApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpModal)
        keys = app.screen.query_one("#help-screen-keys", DataTable)
        assert {"Open record", "Clear", "Next"} <= set(column(keys, 1))
        everywhere = app.screen.query_one("#help-app-keys", DataTable)
        assert {"Help", "Catalog", "Terms", "Quit"} <= set(column(everywhere, 1))
        assert "Find a student" in str(app.screen.query_one("#help-purpose").render())
        await pilot.press("f3")  # areas do not switch from under the help
        await pilot.pause()
        assert isinstance(app.screen, HelpModal)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, LookupScreen)

        await pilot.press("f4", "f1")
        await settle(pilot)
        assert isinstance(app.screen, HelpModal)
        assert "deadlines" in str(app.screen.query_one("#help-purpose").render())
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, TermsScreen)


async def test_command_palette_lists_the_screens(app: RecordsDeskApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"catalog")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CatalogScreen)


async def test_ctrl_q_quits(app: RecordsDeskApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert app._exit


async def test_unreachable_database_becomes_a_notification(engine: Engine, system: Actor) -> None:
    gone = create_engine("sqlite:////nonexistent-recordsdesk-dir/records.db")
    desk = DeskContext(
        engine=gone, actor=system, institution=InstitutionSummary("", "X", "", False)
    )
    app = RecordsDeskApp(desk)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"gar")
        await settle(pilot)
        assert isinstance(app.screen, LookupScreen)  # still running, nothing lost on screen
        messages = error_messages(app)
        assert messages and all("database cannot be reached" in m for m in messages)
        assert "Traceback" not in messages[0]


async def test_database_lost_mid_session_keeps_the_screen(
    app: RecordsDeskApp, system: Actor
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"kim")
        await settle(pilot)
        assert len(column(app.screen.query_one("#lookup-results", LookupTable), 0)) == 3
        gone = create_engine("sqlite:////nonexistent-recordsdesk-dir/records.db")
        app.desk = DeskContext(engine=gone, actor=system, institution=app.desk.institution)
        await pilot.press("backspace")
        await settle(pilot)
        assert len(error_messages(app)) == 1
        assert "database cannot be reached" in error_messages(app)[0]
        # The last good answer stays on screen; the clerk can retry when the database is back.
        assert len(column(app.screen.query_one("#lookup-results", LookupTable), 0)) == 3


async def test_service_refusal_becomes_a_notification(app: RecordsDeskApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(StudentScreen(987654))
        await settle(pilot)
        assert error_messages(app) == ["There is no student with id 987654."]


def test_error_descriptions_are_plain() -> None:
    lost = OperationalError("SELECT 1", {}, Exception("server closed the connection\nmore"))
    assert describe_error(lost) == (
        "The database cannot be reached right now (server closed the connection). "
        "Nothing was changed; try again when it is back."
    )
    assert describe_error(ValueError("bad\ndetail")) == "Something went wrong (ValueError: bad)."


def test_acting_user_defaults_and_named(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    with session_scope(engine) as session:
        make_staff(session, username="mlopez", role="registrar")
    monkeypatch.setattr("getpass.getuser", lambda: "mlopez")
    assert make_app(engine).desk.actor.username == "mlopez"
    monkeypatch.setattr("getpass.getuser", lambda: "someone-else")
    assert make_app(engine).desk.actor.username == "system"
    app = make_app(engine, username="mlopez")
    assert app.sub_title == "mlopez (registrar)"
    with pytest.raises(NotFound, match="no staff account named 'nobody'"):
        make_app(engine, username="nobody")


def test_user_on_the_command_line_only_prefills_the_sign_in(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--user` names no one the desk acts as (that needs a password): it opens on the sign-in
    screen, so an unknown name reveals nothing either."""
    opened: list[RecordsDeskApp] = []
    monkeypatch.setattr(RecordsDeskApp, "run", lambda app: opened.append(app))
    assert main(["--database", database_url, "--user", "nobody"]) == 0
    assert opened[0].signed_in is False
    assert opened[0].DEFAULT_MODE == "sign_in"
