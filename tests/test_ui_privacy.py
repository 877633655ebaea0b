"""The privacy key masks birth dates and contact details on screen (audit viewer, lookup,
student record); a confidential student carries a banner (audit viewer, record, the highlighted
lookup row) and stays out of directory listings; registrars see one student's trail."""

from __future__ import annotations

from datetime import date

from rich.text import Text
from sqlalchemy import Engine
from sqlmodel import select
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static

from recordsdesk.db import session_scope
from recordsdesk.models import Student
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.people.directory import directory_condition, directory_visible
from recordsdesk.services.people.student import update_student
from recordsdesk.ui.app import make_app
from recordsdesk.ui.privacy import MASK, mask
from recordsdesk.ui.screens.audit.viewer import AuditScreen
from recordsdesk.ui.screens.lookup.table import LookupTable
from recordsdesk.ui.screens.people.record import StudentScreen
from recordsdesk.ui.widgets.confidential import ConfidentialBanner
from tests.desk_data import seed_desk
from tests.factories import make_staff

SIZE = (120, 40)
SECRET_NUMBER = "2025000103"


async def settle(pilot: Pilot[int]) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def change_column(table: DataTable[object]) -> list[str]:
    cells = (table.get_row_at(i)[6] for i in range(table.row_count))
    return [c.plain if isinstance(c, Text) else str(c) for c in cells]


def seed(engine: Engine, system: Actor) -> None:
    with session_scope(engine) as session:
        data = seed_desk(session, system.id)
        make_staff(session, username="reg", role="registrar")
        make_staff(session, username="clerk9", role="clerk")
    with session_scope(engine) as session:
        update_student(
            session,
            actor=system,
            student_id=data.confidential_id,
            expected_version=1,
            changes={"birth_date": date(2001, 2, 3), "phone": "+353 1 555 0199"},
        )


def test_mask_and_directory_helpers(engine: Engine, system: Actor) -> None:
    assert mask("2001-02-03", hidden=True) == MASK
    assert mask("2001-02-03", hidden=False) == "2001-02-03"
    assert mask("", hidden=True) == "" and mask(None, hidden=True) == ""
    seed(engine, system)
    with session_scope(engine) as session:
        listed = session.exec(select(Student.student_number).where(directory_condition())).all()
        everyone = session.exec(select(Student)).all()
        visible = directory_visible(everyone)
    assert SECRET_NUMBER not in listed and len(listed) == len(everyone) - 1
    assert [s.student_number for s in visible] == [
        s.student_number for s in everyone if not s.confidential
    ]


async def test_privacy_key_masks_and_banner_marks_a_confidential_student(
    engine: Engine, system: Actor
) -> None:
    seed(engine, system)
    app = make_app(engine, username="system")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f6")
        await settle(pilot)
        banner = app.screen.query_one(ConfidentialBanner)
        assert not banner.display  # the whole log: no single student shown
        app.screen.query_one("#student", Input).value = SECRET_NUMBER
        app.screen.query_one("#student", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert banner.display and "CONFIDENTIAL" in str(banner.render())
        table = app.screen.query_one("#audit-table", DataTable)
        [change] = change_column(table)
        assert "2001-02-03" in change and "phone:  → +353" in change
        await pilot.press("f9")
        await pilot.pause()
        assert app.privacy
        assert change_column(table) == [MASK]
        await pilot.press("f9")
        await pilot.pause()
        assert "2001-02-03" in change_column(table)[0]


async def test_registrar_sees_one_students_trail_and_clerk_none(
    engine: Engine, system: Actor
) -> None:
    seed(engine, system)
    app = make_app(engine, username="reg")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f6")
        await settle(pilot)
        summary = app.screen.query_one("#audit-summary", Static)
        assert "registrar sees one student" in str(summary.render())
        app.screen.query_one("#student", Input).value = SECRET_NUMBER
        app.screen.query_one("#student", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.query_one("#audit-table", DataTable).row_count == 1
    app = make_app(engine, username="clerk9")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f6")  # refused at once: no audit viewer that invites, then refuses
        await settle(pilot)
        assert not isinstance(app.screen, AuditScreen)
        errors = [n.message for n in app._notifications if n.severity == "error"]
        assert any("needs the registrar role" in m for m in errors)


def lookup_rows(pilot: Pilot[int]) -> list[list[str]]:
    table = pilot.app.screen.query_one("#lookup-results", LookupTable)
    return [
        [c.plain if isinstance(c, Text) else str(c) for c in table.get_row_at(i)]
        for i in range(table.row_count)
    ]


async def test_lookup_masks_birth_dates_and_banners_the_highlighted_row(
    engine: Engine, system: Actor
) -> None:
    seed(engine, system)
    app = make_app(engine, username="system")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("g", "a")  # Gallagher (confidential), García, three Garners
        await settle(pilot)
        shown = lookup_rows(pilot)
        assert [r[1] for r in shown][:2] == ["Gallagher, Siobhán", "García, José (Pepe)"]
        assert [r[2] for r in shown][:2] == ["2001-02-03", "2006-03-14"]
        banner = app.screen.query_one(ConfidentialBanner)
        assert banner.display and "CONFIDENTIAL" in str(banner.render())
        await pilot.press("down")  # García: not confidential
        await pilot.pause()
        assert not banner.display
        await pilot.press("up")
        await pilot.pause()
        assert banner.display
        await pilot.press("f9")
        await pilot.pause()
        assert [r[2] for r in lookup_rows(pilot)] == [MASK] * len(shown)
        assert [r[1] for r in lookup_rows(pilot)] == [r[1] for r in shown]  # names stay
        table = app.screen.query_one("#lookup-results", LookupTable)
        assert table.cursor_row == 0  # masking redraws in place: the clerk's row is kept
        assert banner.display
        await pilot.press("f9")
        await pilot.pause()
        assert lookup_rows(pilot) == shown
        await pilot.press("f9", "escape", *"gar")  # results drawn while privacy is on
        await settle(pilot)
        assert lookup_rows(pilot) and all(r[2] == MASK for r in lookup_rows(pilot))
        await pilot.press("escape")
        await settle(pilot)
        assert not banner.display  # no rows, no banner


def profile(screen: StudentScreen) -> dict[str, str]:
    table = screen.query_one("#profile-table", DataTable)
    cells = (table.get_row_at(i) for i in range(table.row_count))
    return {str(label): value.plain for label, value in cells}


async def test_record_masks_profile_and_banners_only_the_confidential(
    engine: Engine, system: Actor
) -> None:
    seed(engine, system)
    with session_scope(engine) as session:
        student = session.exec(select(Student).where(Student.student_number == SECRET_NUMBER)).one()
        update_student(
            session,
            actor=system,
            student_id=student.id,
            expected_version=student.version,
            changes={
                "address_line1": "12 Quay Street",
                "city": "Galway",
                "guardian_name": "Áine Gallagher",
                "guardian_phone": "+353 91 555 0100",
            },
        )
    app = make_app(engine, username="system")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*SECRET_NUMBER)
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, StudentScreen)
        banner = screen.query_one(ConfidentialBanner)
        assert banner.display and "written consent" in str(banner.render())
        shown = profile(screen)
        assert shown["Birth date"] == "2001-02-03"
        assert shown["Phone"] == "+353 1 555 0199"
        assert shown["Email"] == "sg@example.edu"
        assert shown["Address"] == "12 Quay Street, Galway"
        assert shown["Guardian"] == "Áine Gallagher +353 91 555 0100"
        await pilot.press("f9")
        await pilot.pause()
        masked = profile(screen)
        for field in ("Birth date", "Phone", "Email", "Address"):
            assert masked[field] == MASK, field
        assert masked["Guardian"] == f"Áine Gallagher {MASK}"
        assert masked["Legal name"] == shown["Legal name"]  # only the private fields
        await pilot.press("f9")
        await pilot.pause()
        assert profile(screen) == shown
        await pilot.press("escape", "escape", *"2025000101")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        other = app.screen
        assert isinstance(other, StudentScreen) and other is not screen
        assert not other.query_one(ConfidentialBanner).display
        assert profile(other)["Birth date"] == "2006-03-14"
