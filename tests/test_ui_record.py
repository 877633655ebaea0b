"""The student record screen through the Pilot: band, tabs, confidentiality banner, no audit."""

from __future__ import annotations

import pytest
from rich.text import Text
from sqlalchemy import Engine, func
from sqlmodel import select
from textual.pilot import Pilot
from textual.widgets import DataTable, Static, TabbedContent

from recordsdesk.db import session_scope
from recordsdesk.models import AuditEvent
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.people.notes import add_note
from recordsdesk.ui.app import RecordsDeskApp, make_app
from recordsdesk.ui.screens.lookup.search import LookupScreen
from recordsdesk.ui.screens.people.record import StudentScreen
from recordsdesk.ui.widgets.confidential import ConfidentialBanner
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


def table_rows(screen: StudentScreen, pane: str) -> list[list[str]]:
    table = screen.query_one(f"#{pane}-table", DataTable)
    return [
        [Text(c).plain if isinstance(c, str) else c.plain for c in table.get_row_at(i)]
        for i in range(table.row_count)
    ]


async def open_record(pilot: Pilot[int], query: str) -> StudentScreen:
    await pilot.press(*query)
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, StudentScreen)
    return screen


async def test_record_band_and_every_tab(app: RecordsDeskApp, engine: Engine) -> None:
    with session_scope(engine) as session:
        audit_before = session.exec(select(func.count()).select_from(AuditEvent)).one()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_record(pilot, "2025000101")
        band = str(screen.query_one("#record-band", Static).render())
        assert band.startswith("José García (Pepe)   HOLD \n")
        assert (
            "2025000101  ·  active  ·  BSC-BIO  ·  class of 2029  ·  8.0 credits earned"
            "  ·  GPA 3.70"
        ) in band
        assert "CONFIDENTIAL" not in band
        assert not screen.query_one("#confidential-banner").display

        profile = {r[0]: r[1] for r in table_rows(screen, "profile")}
        assert profile["Email"] == "jose.garcia@example.edu"
        assert profile["Birth date"] == "2006-03-14"
        history = table_rows(screen, "history")
        assert [r[1:5] for r in history] == [
            ["MAT-1", "Cálculo (Colegio Nacional)", "3.0", "TR"],
            ["BIO101", "Cells & [i]Life[/i]", "4.0", "A-"],
            ["CHEM101", "General Chemistry", "3.0", "W"],
            ["SEM100", "First-Year Seminar", "1.0", "P"],
            ["", "Term GPA 3.70", "", ""],
            ["", "Cumulative 3.70", "", ""],
        ]
        assert [r[6] for r in history][-2:] == ["Dean's list", ""]
        gpa_line = str(screen.query_one("#gpa-summary", Static).render())
        assert gpa_line.startswith("Cumulative GPA 3.70")
        assert [r[5] for r in table_rows(screen, "registration")] == ["waitlisted #2", "registered"]
        holds = table_rows(screen, "holds")
        assert [(r[0], r[2], r[5]) for r in holds][0] == (
            "FINANCIAL",
            "Library fine [unpaid]",
            "active",
        )
        assert table_rows(screen, "notes")[0][3] == "Asked about [b]housing[/b]"
        assert table_rows(screen, "requests")[0][3] == "Univ. of Lisbon"

        tabs = screen.query_one("#record-tabs", TabbedContent)
        assert tabs.get_tab("holds").label.plain == "Holds (2)"
        assert tabs.get_tab("history").label.plain == "Academic history (4)"  # not the GPA line
        await pilot.press("4")
        assert tabs.active == "holds"
        await pilot.press("2")
        assert tabs.active == "history"
        await pilot.press("7")
        assert tabs.active == "audit"  # system is an admin: the audit tab is there
    with session_scope(engine) as session:
        assert session.exec(select(func.count()).select_from(AuditEvent)).one() == audit_before


async def test_confidential_student_shows_the_banner(app: RecordsDeskApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_record(pilot, "2025000103")
        banner = screen.query_one("#confidential-banner", ConfidentialBanner)
        assert banner.display
        assert "written consent" in str(banner.render())
        assert "CONFIDENTIAL" in str(screen.query_one("#record-band", Static).render())
        assert table_rows(screen, "holds") == []


async def test_markup_in_a_name_is_shown_literally(app: RecordsDeskApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_record(pilot, "2025000102")
        band = str(screen.query_one("#record-band", Static).render())
        assert band.startswith("[b]Bob Brackets\n2025000102")


async def test_escape_returns_to_the_lookup(app: RecordsDeskApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        record = await open_record(pilot, "garner")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, LookupScreen)
        # The closed record lets go of the app: its privacy watch (Textual keeps watchers in
        # the app until the flag changes) would otherwise keep every record opened alive.
        watchers = getattr(app, "__watchers", {}).get("privacy", [])
        assert watchers and all(node is not record for node, _ in watchers)


async def test_add_a_note_in_two_keys(app: RecordsDeskApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_record(pilot, "2025000101")
        await pilot.press("n")
        await pilot.pause()
        await pilot.press(*"Asked about [fees]", "enter")
        await settle(pilot)
        await settle(pilot)
        assert pilot.app.screen is screen
        notes = table_rows(screen, "notes")
        assert [n[1:] for n in notes][0] == ["system", "counter", "Asked about [fees]"]
        assert screen.query_one("#record-tabs", TabbedContent).active == "notes"
        audit = table_rows(screen, "audit")
        assert audit[0][2:4] == ["create", "contact_note"]
        await pilot.press("n")
        await pilot.pause()
        await pilot.press("escape")  # cancelled: nothing written
        await settle(pilot)
        assert len(table_rows(screen, "notes")) == 2


async def test_ctrl_r_refreshes_and_f5_still_opens_grade_entry(
    app: RecordsDeskApp, engine: Engine, system: Actor, desk_data: DeskData
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_record(pilot, "2025000101")
        assert len(table_rows(screen, "notes")) == 1
        with session_scope(engine) as session:  # someone else adds a note meanwhile
            add_note(session, actor=system, student_id=desk_data.garcia_id, body="By phone")
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert len(table_rows(screen, "notes")) == 2
        await pilot.press("f5")  # the app's key, not shadowed by the record
        await settle(pilot)
        assert app.current_mode == "grades"


async def test_clerks_do_not_see_the_audit_tab(engine: Engine, desk_data: DeskData) -> None:
    with session_scope(engine) as session:
        make_staff(session, username="clerk1", role="clerk")
    app = make_app(engine, username="clerk1")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_record(pilot, "2025000101")
        tabs = screen.query_one("#record-tabs", TabbedContent)
        assert not tabs.get_tab("audit").display
        assert tabs.get_tab("history").display
