"""What an 80x24 terminal shows after the sequences that used to cut it: every test reads the
rendered screen (or a table's drawn lines) and asserts the words, flags and figures are whole,
then, where the sequence wrote, the database."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import Engine
from sqlmodel import select
from textual.pilot import Pilot
from textual.widgets import DataTable, Input

from recordsdesk.db import session_scope
from recordsdesk.models import Enrollment, Hold, Program, Term
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.grades.marks import save_mark
from recordsdesk.ui.app import RecordsDeskApp, make_app
from recordsdesk.ui.screens.admissions.screening import AdmissionScreen
from recordsdesk.ui.screens.grades.entry import GradeEntryScreen, RosterScreen
from recordsdesk.ui.screens.lookup.table import LookupTable
from recordsdesk.ui.screens.people.holds import HoldsScreen, PlaceHoldModal
from recordsdesk.ui.screens.people.intake import DuplicateModal, IntakeScreen
from recordsdesk.ui.screens.people.intake_form import ReasonModal
from recordsdesk.ui.screens.people.record import StudentScreen
from recordsdesk.ui.screens.reports.viewer import ReportsScreen
from tests.desk_data import DeskData, seed_desk
from tests.factories import make_course, make_section, make_staff, make_student
from tests.grading_data import GradedSection, make_graded_section
from tests.screen_text import screen_text

SIZE = (80, 24)
LONG_NAME = "Wolfeschlegelsteinhausenbergerdorff-" * 3 + "Featherstonehaugh"  # 125 letters


@pytest.fixture
def desk_data(engine: Engine, system: Actor) -> DeskData:
    with session_scope(engine) as session:
        make_staff(session, username="reg", role="registrar")
        return seed_desk(session, system.id)


async def settle(pilot: Pilot[int]) -> None:
    """Until the one-off workers finish (a roster's saver runs as long as the roster)."""
    for _ in range(2):
        one_off = [w for w in pilot.app.workers if w.group != "grade-saves" and w.is_running]
        if one_off:
            await pilot.app.workers.wait_for_complete(one_off)
        await pilot.pause()


def screen_lines(app: RecordsDeskApp) -> list[str]:
    """The terminal's lines as drawn (dialogs over their screens), as plain text."""
    return screen_text(app).splitlines()[: app.size.height]


def screen_words(app: RecordsDeskApp) -> str:
    """The screen's text with frames and borders dropped and lines joined: wrapped prose reads
    as one sentence."""
    text = " ".join(re.sub(r"[\u2500-\u259f]", " ", line) for line in screen_lines(app))
    return " ".join(text.split())


def drawn_rows(table: DataTable[object]) -> list[str]:
    """A DataTable's visible lines (header first) as drawn, cut at the table's own width."""
    return [table.render_line(y).text for y in range(min(table.size.height, table.row_count + 1))]


def assert_fits(table: DataTable[object]) -> None:
    """Every column of the table starts and ends inside its width: nothing is off screen."""
    used = sum(c.get_render_width(table) for c in table.columns.values())
    assert used <= table.scrollable_content_region.width, [
        (str(c.label), c.get_render_width(table)) for c in table.columns.values()
    ]


# --- the lookup -------------------------------------------------------------------------------


async def test_a_long_name_does_not_keep_the_name_column_wide(
    engine: Engine, desk_data: DeskData
) -> None:
    with session_scope(engine) as session:
        make_student(
            session, student_number="2025000900", legal_first_name="Ana", legal_last_name=LONG_NAME
        )
    app = make_app(engine, username="reg")
    async with app.run_test(size=SIZE) as pilot:
        table = app.screen.query_one("#lookup-results", LookupTable)
        await pilot.press(*"wolfe")
        await settle(pilot)
        assert table.row_count == 1
        first = table.render_line(1).text
        assert first.startswith(" 2025000900 Wolfeschlegel") and "…" in first  # ellipsized
        assert "active" in first  # the status stays on screen beside it
        app.screen.query_one("#lookup-query", Input).value = ""
        await pilot.press(*"garc")
        await settle(pilot)
        header, garcia = table.render_line(0).text, table.render_line(1).text
        assert "Flags" in header and garcia.rstrip().endswith("HOLD")
        assert "García, José (Pepe)" in garcia
        name_width = table.column_widths[1]
        assert name_width == len("García, José (Pepe)")  # measured for this answer only
        assert len(garcia.rstrip()) <= table.size.width


# --- holds ------------------------------------------------------------------------------------


async def test_the_first_hold_placed_reads_whole(engine: Engine, desk_data: DeskData) -> None:
    app = make_app(engine, username="reg")
    async with app.run_test(size=SIZE) as pilot:
        await app.push_screen(StudentScreen(desk_data.bob_id))
        await settle(pilot)
        await pilot.press("h")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, HoldsScreen)
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, PlaceHoldModal)
        await pilot.press(*"Unpaid fees", "ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        table = screen.query_one("#holds-list", DataTable)
        assert_fits(table)
        row = drawn_rows(table)[1]
        for word in ("FINANCIAL", "registration", "Unpaid fees", "reg", "active"):
            assert word in row
        assert re.search(r"\d{4}-\d\d-\d\d reg", row)  # the day placed, whole
    with session_scope(engine) as session:
        hold = session.exec(select(Hold).where(Hold.student_id == desk_data.bob_id)).one()
        assert hold.reason == "Unpaid fees" and hold.released_at is None


# --- grade entry ------------------------------------------------------------------------------


@pytest.fixture
def graded(engine: Engine) -> GradedSection:
    with session_scope(engine) as session:
        make_staff(session, username="reg", role="registrar")
        return make_graded_section(session, course_code="MATH7")


async def open_roster(pilot: Pilot[int]) -> RosterScreen:
    await pilot.press("f5")
    await settle(pilot)
    assert isinstance(pilot.app.screen, GradeEntryScreen)
    await pilot.press(*"grading", "enter")
    await settle(pilot)
    await pilot.press(*"math7", "enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, RosterScreen)
    for _ in range(200):
        if screen.roster is not None:
            break
        await pilot.pause()
    return screen


async def test_the_saved_column_shows_conflict_whole(
    engine: Engine, graded: GradedSection, system: Actor
) -> None:
    app = make_app(engine, username="reg")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_roster(pilot)
        table = screen.query_one("#roster-table", DataTable)
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        assert key is not None
        with session_scope(engine) as session:  # another desk saves first
            save_mark(session, actor=system, enrollment_id=int(key), expected_version=1, mark="D")
        await pilot.press("A", "enter")
        for _ in range(300):
            await pilot.pause()
            if any(r.plain == "conflict" for r in screen.results.values()):
                break
        await pilot.pause()
        assert_fits(table)
        assert any("conflict" in line for line in drawn_rows(table)[1:])
        assert "Saved" in drawn_rows(table)[0]
    with session_scope(engine) as session:
        enrollment = session.get(Enrollment, int(key))
        assert enrollment is not None and enrollment.mark == "D"  # ours was not saved


async def test_the_section_list_after_esc_from_a_roster(
    engine: Engine, graded: GradedSection
) -> None:
    with session_scope(engine) as session:  # a long title beside the roster's section
        term = session.get(Term, graded.term_id)
        course = make_course(
            session, code="HIST9", title="The History of Records Offices, Registers and Ledgers"
        )
        make_section(session, course, term, instructor="Prof. Maria de los Ángeles Castellanos")
    app = make_app(engine, username="reg")
    async with app.run_test(size=SIZE) as pilot:
        await open_roster(pilot)
        await pilot.press("escape")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, GradeEntryScreen)
        table = screen.query_one("#choice-table", DataTable)
        assert_fits(table)
        header = drawn_rows(table)[0]
        for label in ("Section", "Course", "Instructor", "Progress", "Posted"):
            assert label in header
        rows = drawn_rows(table)[1:]
        assert any("Dr. Ruiz" in r for r in rows)
        assert all("not posted" in r and re.search(r"\d+/\d+ entered", r) for r in rows)


# --- reports ----------------------------------------------------------------------------------


async def test_the_enrollment_report_keeps_its_figures_in_view(
    engine: Engine, desk_data: DeskData
) -> None:
    app = make_app(engine, username="reg")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f8")
        await settle(pilot)
        assert isinstance(app.screen, ReportsScreen)
        await pilot.press("enter")
        await settle(pilot)
        table = app.screen.query_one("#report-table", DataTable)
        assert table.row_count >= 2
        assert_fits(table)
        header = drawn_rows(table)[0]
        for label in ("Term", "Students", "Enrollments", "Credits", "Withdrawn"):
            assert label in header
        assert re.search(r"2025FA .* 1 +2 +5\.00 +1\s*$", drawn_rows(table)[1])


# --- dialogs ----------------------------------------------------------------------------------


async def test_the_duplicate_guard_prompt_is_whole(engine: Engine, desk_data: DeskData) -> None:
    with session_scope(engine) as session:
        program = session.exec(select(Program).where(Program.code == "BSC-BIO")).one()
        assert program.id is not None
    app = make_app(engine, username="reg")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+n")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, IntakeScreen)
        for name, value in {
            "legal_first_name": "Jose",
            "legal_last_name": "Garcia",
            "birth_date": "2006-03-14",
            "email": "pepe@example.org",
            "program": "BSC-BIO",
            "entry_term": "2026SP",
        }.items():
            form.query_one(f"#f-{name}", Input).value = value
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, DuplicateModal)
        words = screen_words(app)
        assert (
            "This person may already have a record. Open it (Enter), or press c to create a "
            "new record because this is a different person (recorded in the audit trail). "
            "Esc goes back to the form."
        ) in words
        assert "2025000101" in words and "2006-03-14" in words


async def test_the_admit_anyway_prompt_is_whole(engine: Engine, desk_data: DeskData) -> None:
    with session_scope(engine) as session:
        program = session.exec(select(Program).where(Program.code == "BSC-BIO")).one()
        applicant = make_student(session, program_id=program.id, status="applicant")
        assert applicant.id is not None
        applicant_id = applicant.id
    app = make_app(engine, username="reg")
    async with app.run_test(size=SIZE) as pilot:
        await app.push_screen(StudentScreen(applicant_id))
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, AdmissionScreen)
        await pilot.press("o")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, ReasonModal)
        assert (
            "Missing: Identity document, Prior transcript, Immunisation record. Admit anyway? "
            "Give the reason (kept in the audit trail); Esc cancels."
        ) in screen_words(app)


# --- catalog ----------------------------------------------------------------------------------


async def test_the_catalog_sections_read_whole(engine: Engine, desk_data: DeskData) -> None:
    app = make_app(engine, username="reg")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f3")
        await settle(pilot)
        table = app.screen.query_one("#section-table", DataTable)
        assert table.row_count == 2  # BIO101 in 2026SP and 2025FA
        assert_fits(table)
        rows = drawn_rows(table)
        assert "Wait" in rows[0]
        assert rows[1].split()[:3] == ["2026SP", "registration", "open"]
        assert rows[2].split()[:2] == ["2025FA", "closed"]
