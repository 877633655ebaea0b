"""Grade entry driven from the keyboard: choose the section, key a whole roster (valid, invalid,
percentages, an Incomplete with its date, undo, withdrawn rows skipped), post it, change a posted
grade with a reason; and a conflict from another desk shown on its row."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from rich.text import Text
from sqlalchemy import Engine
from sqlmodel import select
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static

from recordsdesk.db import session_scope
from recordsdesk.models import AuditEvent, Enrollment, Section
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.grades.marks import save_mark
from recordsdesk.ui.app import RecordsDeskApp, make_app
from recordsdesk.ui.screens.grades.entry import GradeEntryScreen, LiveLine, RosterScreen
from recordsdesk.ui.widgets.grade_dialogs import (
    ConfirmPostModal,
    GradeChangeModal,
    ImportModal,
    IncompleteModal,
)
from tests.factories import make_staff
from tests.grading_data import GradedSection, make_graded_section

SIZE = (120, 40)


@pytest.fixture
def graded(engine: Engine) -> GradedSection:
    with session_scope(engine) as session:
        make_staff(session, username="reg", role="registrar")
        return make_graded_section(session, scale="PCT-SEC", course_code="MATH7")


@pytest.fixture
def app(engine: Engine, graded: GradedSection) -> RecordsDeskApp:
    return make_app(engine, username="reg")


async def settle(pilot: Pilot[int]) -> None:
    """Until the screen's one-off workers finish (the roster's saver runs as long as the roster)."""
    one_off = [w for w in pilot.app.workers if w.group != "grade-saves"]
    if one_off:  # an empty list would mean "all workers", the saver included
        await pilot.app.workers.wait_for_complete(one_off)
    await pilot.pause()


async def wait_saved(pilot: Pilot[int], screen: RosterScreen) -> None:
    """Until every key typed has been handled and every queued save has reported back (the
    saver worker runs for the whole screen)."""
    for _ in range(5000):
        await pilot.pause()
        if getattr(pilot.app, "keys_pending", False):
            continue
        if screen._requests.empty() and not any(
            t.plain == "saving…" for t in screen.results.values()
        ):
            return
    raise AssertionError("saves did not finish")


def marks(engine: Engine) -> dict[int, tuple[str | None, str]]:
    with session_scope(engine) as session:
        return {e.id or 0: (e.mark, e.grade_status) for e in session.exec(select(Enrollment))}


def plain(table: DataTable[object], row: int, column: int) -> str:
    value = table.get_row_at(row)[column]
    return value.plain if isinstance(value, Text) else str(value)


async def open_roster(pilot: Pilot[int]) -> RosterScreen:
    app = pilot.app
    await pilot.press("f5")
    await settle(pilot)
    assert isinstance(app.screen, GradeEntryScreen)
    await pilot.press(*"grading", "enter")  # the term, by its name
    await settle(pilot)
    await pilot.press(*"math7", "enter")
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, RosterScreen)
    for _ in range(100):
        if screen.roster is not None:
            break
        await pilot.pause()
    return screen


async def type_mark(pilot: Pilot[int], text: str) -> None:
    await pilot.press(*text, "enter")


async def test_key_a_whole_section_post_and_change(
    app: RecordsDeskApp, engine: Engine, graded: GradedSection
) -> None:
    ids = graded.enrollment_ids
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_roster(pilot)
        table = screen.query_one("#roster-table", DataTable)
        # Rows by last name: [b]Bob, Álvarez, Chen, Moreau (W), Okafor, Zeller.
        assert [plain(table, i, 2) for i in range(6)][:2] == ["[b]Bob, Robert", "Álvarez, José"]
        assert plain(table, 3, 3) == "W" and plain(table, 2, 5) == "F"
        await type_mark(pilot, "92")  # Bob: a percentage -> A
        await type_mark(pilot, "Q")  # invalid: stays, nothing saved
        message = screen.query_one("#roster-message", LiveLine)
        assert "A, B, C, D, F, W, I, AU, IP, or a percentage" in message.text.plain
        assert screen.query_one("#mark-input", Input).value == "Q"
        assert table.cursor_row == 1
        await pilot.press("backspace")
        await type_mark(pilot, "b")  # Álvarez
        await type_mark(pilot, "c")  # Chen, then the W row is skipped
        assert table.cursor_row == 4
        await type_mark(pilot, "i")  # Okafor: an Incomplete asks its expiry
        await pilot.pause()
        assert isinstance(app.screen, IncompleteModal)
        expiry = date.today() + timedelta(days=45)
        date_input = app.screen.query_one(Input)
        date_input.value = ""
        await pilot.press(*expiry.isoformat(), "enter")
        await pilot.pause()
        assert app.screen is screen and table.cursor_row == 5
        await type_mark(pilot, "d")  # Zeller
        await pilot.press("ctrl+z")  # undo Zeller's D
        await type_mark(pilot, "75.5")  # Zeller again: C
        await wait_saved(pilot, screen)
        stored = marks(engine)
        assert stored[ids["[b]Bob"]] == ("A", "entered")
        assert stored[ids["Álvarez"]] == ("B", "entered")
        assert stored[ids["Chen"]] == ("C", "entered")
        assert stored[ids["Okafor"]] == ("I", "entered")
        assert stored[ids["Zeller"]] == ("C", "entered")
        assert stored[ids["Moreau"]] == ("W", "posted")
        progress = screen.query_one("#roster-progress", LiveLine).text.plain
        assert progress.startswith("5/5 entered")
        with session_scope(engine) as session:
            okafor = session.get(Enrollment, ids["Okafor"])
            assert okafor is not None and okafor.incomplete_expires == expiry

        await pilot.press("f8")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmPostModal)
        await pilot.press("y")
        await wait_saved(pilot, screen)
        await settle(pilot)
        assert marks(engine)[ids["Chen"]] == ("C", "posted")
        with session_scope(engine) as session:
            section = session.get(Section, graded.section_id)
            assert section is not None and section.grades_posted_at is not None

        await pilot.press("up", "up")  # Zeller -> Okafor -> (W skipped) Chen
        assert table.cursor_row == 2
        await type_mark(pilot, "B")
        await pilot.pause()
        assert isinstance(app.screen, GradeChangeModal)
        await pilot.press("enter")  # no reason: refused
        assert isinstance(app.screen, GradeChangeModal)
        await pilot.press(*"Exam regraded", "enter")
        await wait_saved(pilot, screen)
        assert marks(engine)[ids["Chen"]] == ("B", "posted")
    with session_scope(engine) as session:
        query = select(AuditEvent).where(AuditEvent.action == "grade.change")
        [event] = session.exec(query).all()
    assert event.reason == "Exam regraded"
    assert json.loads(event.before or "{}")["mark"] == "C"
    assert json.loads(event.after or "{}")["mark"] == "B"


async def test_conflict_from_another_desk_is_shown_not_overwritten(
    app: RecordsDeskApp, engine: Engine, graded: GradedSection, system: Actor
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_roster(pilot)
        bob = graded.enrollment_ids["[b]Bob"]
        with session_scope(engine) as session:  # the other desk, after our roster loaded
            save_mark(session, actor=system, enrollment_id=bob, expected_version=1, mark="D")
        await type_mark(pilot, "A")
        await wait_saved(pilot, screen)
        table = screen.query_one("#roster-table", DataTable)
        assert plain(table, 0, 6) == "conflict" and plain(table, 0, 4) == "D"
        assert marks(engine)[bob] == ("D", "entered")
        assert any("another desk saved D" in n.message for n in app._notifications)
        await pilot.press("up")
        await type_mark(pilot, "A")  # re-keyed after seeing the D: now deliberate
        await wait_saved(pilot, screen)
        assert marks(engine)[bob] == ("A", "entered")


async def test_import_pasted_marks_previews_then_applies(
    app: RecordsDeskApp, engine: Engine, graded: GradedSection
) -> None:
    n = graded.student_numbers
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_roster(pilot)
        await pilot.press("f7")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, ImportModal)
        modal.query_one("#import-text").insert(f"{n['Chen']},88\nnobody,A\n")  # a paste
        await pilot.press("f6")
        await settle(pilot)
        result = str(modal.query_one("#import-result", Static).render())
        assert "ERROR line 2" in result and "-> B" in result
        await pilot.press("f8")
        await settle(pilot)
        assert marks(engine)[graded.enrollment_ids["Chen"]] == (None, "none")
        area = modal.query_one("#import-text")
        area.clear()
        area.insert(f"{n['Chen']},88\n{n['Zeller']},a\n")
        await pilot.press("f6")
        await settle(pilot)
        await pilot.press("f8")
        await settle(pilot)
        await wait_saved(pilot, screen)
        assert app.screen is screen
        assert marks(engine)[graded.enrollment_ids["Chen"]] == ("B", "entered")
        assert screen.query_one("#roster-progress", LiveLine).text.plain.startswith("2/5")


async def test_a_confidential_student_is_flagged_on_the_mark_prompt(
    app: RecordsDeskApp, engine: Engine, graded: GradedSection
) -> None:
    from recordsdesk.models import Student
    from recordsdesk.services.people.directory import CONFIDENTIAL_SHORT

    with session_scope(engine) as session:
        chen = session.get(Student, graded.student_ids["Chen"])
        assert chen is not None
        chen.confidential = True
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_roster(pilot)
        label = screen.query_one("#mark-label", LiveLine)
        seen: dict[str, bool] = {}
        for _ in range(len(screen.rows)):
            seen[screen.rows[screen.cursor].last_name] = CONFIDENTIAL_SHORT in label.text.plain
            await pilot.press("down")
            await settle(pilot)
        assert seen["Chen"] is True
        assert [name for name, flagged in seen.items() if flagged] == ["Chen"]
