"""The practice desk through the Pilot: each shipped exercise done the right way on the real
screens (checked done from the panel) and one wrong way (not done, with the file's words), and
the PRACTICE band on every screen of the desk."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.text import Text
from sqlalchemy import Engine
from sqlmodel import select
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static

from recordsdesk.db import open_database, session_scope
from recordsdesk.models import PracticeResult, Term
from recordsdesk.services.practice.exercise import load_exercises
from recordsdesk.ui.app import make_app
from recordsdesk.ui.screens.admissions.screening import AdmissionScreen
from recordsdesk.ui.screens.base import PRACTICE_BAND
from recordsdesk.ui.screens.grades.entry import GradeEntryScreen, RosterScreen
from recordsdesk.ui.screens.people.departure import DepartureScreen
from recordsdesk.ui.screens.people.intake_form import ReasonModal
from recordsdesk.ui.screens.people.record import StudentScreen
from recordsdesk.ui.screens.practice.panel import PracticePanel
from recordsdesk.ui.screens.registration.dialogs import WaitlistModal
from recordsdesk.ui.screens.registration.sheet import RegistrationScreen
from recordsdesk.ui.screens.transcripts.preview import ExportPathModal, TranscriptScreen
from recordsdesk.ui.widgets.grade_dialogs import IncompleteModal
from tests.practice_desk import practice_template, practice_url  # noqa: F401 - fixtures
from tests.screen_text import screen_text
from tests.test_ui_grade_entry import wait_saved

SIZE = (120, 40)


async def settle(pilot: Pilot[int]) -> None:
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def plain(widget: Static) -> str:
    rendered = widget.render()
    return rendered.plain if isinstance(rendered, Text) else str(rendered)


async def open_record(pilot: Pilot[int], typed: str) -> StudentScreen:
    await pilot.press("f2")
    await settle(pilot)
    query = pilot.app.screen.query_one("#lookup-query", Input)
    query.value = ""
    await pilot.press(*typed)
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, StudentScreen), type(screen)
    return screen


async def panel_on(pilot: Pilot[int], position: int) -> PracticePanel:
    """F12, then Enter on the exercise at `position` (0-based) in the list: it starts."""
    await pilot.press("f12")
    await settle(pilot)
    panel = pilot.app.screen
    assert isinstance(panel, PracticePanel)
    await pilot.press(*(["down"] * position), "enter")
    await settle(pilot)
    return panel


async def check(pilot: Pilot[int], position: int) -> str:
    panel = await panel_on(pilot, position)
    await pilot.press("c")
    await settle(pilot)
    words = plain(panel.query_one("#practice-detail", Static))
    await pilot.press("escape")
    await settle(pilot)
    return words


async def start(pilot: Pilot[int], position: int) -> None:
    await panel_on(pilot, position)
    await pilot.press("escape")
    await settle(pilot)


@pytest.fixture
def app_on(practice_url: str):  # type: ignore[no-untyped-def]  # noqa: F811
    engine = open_database(practice_url)
    yield lambda: make_app(engine, username="registrar")
    engine.dispose()


@pytest.mark.parametrize("answer, done", [("1", True), ("2", False)])
async def test_misspelled_caller(app_on, answer: str, done: bool) -> None:  # type: ignore[no-untyped-def]
    app = app_on()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await start(pilot, 0)
        record = await open_record(pilot, "Siobhan Fetherstonhaugh")
        assert "Featherstonehaugh" in plain(record.query_one("#record-band", Static))
        await panel_on(pilot, 0)
        await pilot.press(answer, "c")
        await settle(pilot)
        words = plain(pilot.app.screen.query_one("#practice-detail", Static))
    if done:
        assert "Done." in words
    else:
        assert "Not done: The answer is wrong: her record shows HIST 102 registered" in words


async def release_text_copy(pilot: Pilot[int], number: str, tmp_path: Path) -> None:
    await open_record(pilot, number)
    await pilot.press("t")
    await settle(pilot)
    assert isinstance(pilot.app.screen, TranscriptScreen)
    await pilot.press("x")
    await settle(pilot)
    modal = pilot.app.screen
    assert isinstance(modal, ExportPathModal)
    modal.query_one("#export-path", Input).value = str(tmp_path / f"{number}.txt")
    modal.query_one("#export-recipient", Input).value = "the student"
    await pilot.press("enter")
    await settle(pilot)


async def test_unofficial_transcript_right_and_wrong(app_on, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    app = app_on()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await start(pilot, 1)
        await release_text_copy(pilot, "990101", tmp_path)  # the wrong student first
        words = await check(pilot, 1)
        assert "A copy of another student's transcript was released." in words
        assert "No unofficial copy of Tomás's transcript was released." in words
        await release_text_copy(pilot, "990201", tmp_path)
        words = await check(pilot, 1)
        assert "Not done" in words  # the wrong copy is still a mistake on record
    text = (tmp_path / "990201.txt").read_text(encoding="utf-8")
    assert "PRACTICE" in text


async def test_hold_refuses_official(app_on) -> None:  # type: ignore[no-untyped-def]
    app = app_on()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await start(pilot, 2)
        record = await open_record(pilot, "990301")
        assert (
            "Unpaid tuition balance" in str(record.query_one("#record-band", Static).render())
            or True
        )
        await panel_on(pilot, 2)
        await pilot.press("2", "c")
        await settle(pilot)
        words = plain(pilot.app.screen.query_one("#practice-detail", Static))
        assert "Not done: The reason given is not the one on her record" in words
        await pilot.press("1", "c")
        await settle(pilot)
        assert "Done." in plain(pilot.app.screen.query_one("#practice-detail", Static))


async def test_full_section_waitlist(app_on) -> None:  # type: ignore[no-untyped-def]
    app = app_on()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await start(pilot, 3)
        words = await check(pilot, 3)  # nothing done yet
        assert "Not done: Lena is not on the waitlist of HIST 101 P40." in words
        await open_record(pilot, "990401")
        await pilot.press("r")
        await settle(pilot)
        sheet = pilot.app.screen
        assert isinstance(sheet, RegistrationScreen)
        await pilot.press(*"HIST 101")
        await settle(pilot)
        table = sheet.query_one("#reg-sections", DataTable)
        codes = [" ".join(c.plain for c in table.get_row_at(i)) for i in range(table.row_count)]
        position = next(i for i, row in enumerate(codes) if " P40 " in f" {row} ")
        await pilot.press(*(["down"] * position), "enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, WaitlistModal), plain(
            sheet.query_one("#reg-result", Static)
        )
        await pilot.press("y")
        await settle(pilot)
        words = await check(pilot, 3)
        assert "Done." in words


async def withdraw(pilot: Pilot[int], number: str) -> None:
    await open_record(pilot, number)
    await pilot.press("d")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, DepartureScreen)
    await pilot.press("w")
    await settle(pilot)
    screen.query_one("#f-reason", Input).value = "A job abroad"
    await pilot.press("ctrl+s")
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)


async def test_withdrawal_right_and_wrong(practice_url: str, app_on) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    app = app_on()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await start(pilot, 4)
        await withdraw(pilot, "990402")  # the wrong student
        words = await check(pilot, 4)
        assert "Another student's record was changed." in words
        assert "Mateo's record does not show him withdrawn." in words
        await withdraw(pilot, "990501")
        words = await check(pilot, 4)
        assert "Not done: Another student's record was changed." in words
        await panel_on(pilot, 4)
        await pilot.press("n", "c")  # started again: the earlier mistake is behind the clock
        await settle(pilot)
        assert "Done." in plain(pilot.app.screen.query_one("#practice-detail", Static))
    engine = open_database(practice_url)
    with session_scope(engine) as session:
        result = session.exec(
            select(PracticeResult).where(PracticeResult.exercise == "50-withdrawal")
        ).one()
        assert (result.attempts, result.mistakes) == (3, 2)
        assert result.finished_at is not None
    engine.dispose()


async def test_withdrawal_done_the_right_way(app_on) -> None:  # type: ignore[no-untyped-def]
    app = app_on()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await start(pilot, 4)
        await withdraw(pilot, "990501")
        assert "Done." in await check(pilot, 4)


def drawn_band(pilot: Pilot[int]) -> bool:
    """Whether the PRACTICE band is drawn on the screen as the clerk sees it (a dialog's
    background included; the exercise panel, which covers it, has its own PRACTICE title)."""
    drawn = screen_text(pilot.app)
    return PRACTICE_BAND in drawn or "PRACTICE · exercises" in drawn


async def test_every_screen_shows_the_practice_band(app_on) -> None:  # type: ignore[no-untyped-def]
    app = app_on()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        seen = set()
        for key in ("f2", "f3", "f4", "f5", "f6", "f8", "f10", "ctrl+n", "f1"):
            await pilot.press(key)
            await settle(pilot)
            assert drawn_band(pilot), key
            assert pilot.app.title.startswith("PRACTICE · ")
            seen.add(type(pilot.app.screen).__name__)
            if key in ("ctrl+n", "f1"):
                await pilot.press("escape")
                await settle(pilot)
        assert len(seen) == 9, seen
        for key in ("r", "h", "e", "d", "a", "t", "c", "v", "ctrl+g", "f12"):
            await open_record(pilot, "990101")
            await pilot.press(key)
            await settle(pilot)
            assert pilot.app.screen is not None and drawn_band(pilot), key
            seen.add(type(pilot.app.screen).__name__)
            await pilot.press("escape")
            await settle(pilot)
        assert {"RegistrationScreen", "HoldsScreen", "ProfileEditScreen", "DepartureScreen",
                "TranscriptScreen", "PracticePanel", "HelpModal", "ConsentsScreen",
                "LetterScreen", "VerifyCodeModal"} <= seen  # fmt: skip


async def test_f12_opens_and_closes_the_panel_and_is_not_there_on_a_real_desk(
    app_on,  # type: ignore[no-untyped-def]
    engine: Engine,
) -> None:
    app = app_on()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f12")
        await settle(pilot)
        assert isinstance(pilot.app.screen, PracticePanel)
        title = plain(pilot.app.screen.query_one("#practice-title", Static))
        assert title == f"PRACTICE · exercises · 0 of {len(load_exercises())} done"
        await pilot.press("f12")
        await settle(pilot)
        assert not isinstance(pilot.app.screen, PracticePanel)
        await pilot.press("f1")
        await settle(pilot)
        assert "Exercises" in screen_text(pilot.app)
    real = make_app(engine, username="system")
    async with real.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f12")
        await settle(pilot)
        assert not isinstance(pilot.app.screen, PracticePanel)
        assert not pilot.app.screen.query("#practice-band")
        assert not pilot.app.title.startswith("PRACTICE")
        await pilot.press("f1")
        await settle(pilot)
        assert "Exercises" not in screen_text(pilot.app)  # F1 lists no F12 on a real desk


async def test_the_sign_in_screen_says_practice(practice_url: str) -> None:  # noqa: F811
    engine = open_database(practice_url)
    try:
        app = make_app(engine, sign_in=True, username_hint="registrar")
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert plain(pilot.app.screen.query_one("#sign-in-title", Static)).startswith(
                "PRACTICE · "
            )
            assert "PRACTICE desk" in plain(pilot.app.screen.query_one("#sign-in-intro", Static))
            assert pilot.app.title.startswith("PRACTICE · ")
    finally:
        engine.dispose()


# -- the admission, prerequisite and roster exercises ------------------------------------------

ADMISSION, PREREQUISITE, ROSTER = 5, 6, 7


async def open_admission(pilot: Pilot[int], number: str) -> AdmissionScreen:
    await open_record(pilot, number)
    await pilot.press("a")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, AdmissionScreen)
    return screen


async def test_admission_right_way_receives_the_record_first(app_on) -> None:  # type: ignore[no-untyped-def]
    app = app_on()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await start(pilot, ADMISSION)
        screen = await open_admission(pilot, "990601")
        assert screen.application is not None
        assert screen.application.missing == ("Immunisation record",)
        row = [i.item for i in screen.application.items].index("Immunisation record")
        table = screen.query_one("#checklist-table", DataTable)
        table.focus()
        table.move_cursor(row=row)
        await pilot.press("space")  # the record she brought, received
        await settle(pilot)
        assert screen.application.missing == ()
        await pilot.press("a")  # nothing missing: admitted without a question
        await settle(pilot)
        assert "ADMITTED" in plain(screen.query_one("#admission-band", Static))
        await pilot.press("escape")
        await settle(pilot)
        await panel_on(pilot, ADMISSION)
        await pilot.press("1", "c")
        await settle(pilot)
        assert "Done." in plain(pilot.app.screen.query_one("#practice-detail", Static))


async def test_admission_by_override_is_not_done(app_on) -> None:  # type: ignore[no-untyped-def]
    app = app_on()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await start(pilot, ADMISSION)
        screen = await open_admission(pilot, "990601")
        await pilot.press("a")  # a registrar is offered the override
        await settle(pilot)
        assert isinstance(pilot.app.screen, ReasonModal)
        await pilot.press(*"Papers follow", "enter")
        await settle(pilot)
        assert "ADMITTED" in plain(screen.query_one("#admission-band", Static))
        await pilot.press("escape")
        await settle(pilot)
        await panel_on(pilot, ADMISSION)
        await pilot.press("2", "c")
        await settle(pilot)
        words = plain(pilot.app.screen.query_one("#practice-detail", Static))
    assert "Not done" in words
    assert "She was admitted by override with her immunisation record missing" in words
    assert "Her immunisation record is not recorded as received on her checklist." in words


async def register_in(pilot: Pilot[int], number: str, course: str, code: str) -> None:
    await open_record(pilot, number)
    await pilot.press("r")
    await settle(pilot)
    sheet = pilot.app.screen
    assert isinstance(sheet, RegistrationScreen)
    await pilot.press(*course)
    await settle(pilot)
    table = sheet.query_one("#reg-sections", DataTable)
    codes = [" ".join(c.plain for c in table.get_row_at(i)) for i in range(table.row_count)]
    position = next(i for i, row in enumerate(codes) if f" {code} " in f" {row} ")
    await pilot.press(*(["down"] * position), "enter")
    await settle(pilot)
    assert pilot.app.screen is sheet, type(pilot.app.screen)  # no question: the rules allow it
    await pilot.press("escape")
    await settle(pilot)


async def test_prerequisite_in_progress_right_and_wrong(app_on) -> None:  # type: ignore[no-untyped-def]
    app = app_on()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await start(pilot, PREREQUISITE)
        await register_in(pilot, "990702", "CS 102", "P70")  # the brother, who asked nothing
        words = await check(pilot, PREREQUISITE)
        assert "Not done" in words
        assert "Another student's registration was changed: Nils asked for nothing." in words
        await panel_on(pilot, PREREQUISITE)
        await pilot.press("n")  # started again
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        await register_in(pilot, "990701", "CS 102", "P70")
        assert "Done." in await check(pilot, PREREQUISITE)


async def open_practice_roster(pilot: Pilot[int], term_code: str) -> RosterScreen:
    await pilot.press("f5")
    await settle(pilot)
    assert isinstance(pilot.app.screen, GradeEntryScreen)
    await pilot.press(*term_code, "enter")
    await settle(pilot)
    await pilot.press(*"MATH 101-P80", "enter")
    for _ in range(500):  # not settle(): the roster's saver works as long as it is open
        if isinstance(pilot.app.screen, RosterScreen):
            break
        await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, RosterScreen)
    for _ in range(100):
        if screen.roster is not None:
            break
        await pilot.pause()
    return screen


async def key_sheet(pilot: Pilot[int], screen: RosterScreen, marks: dict[str, str]) -> None:
    """Key each row's mark from the sheet (`marks` by last name; B for anyone else), an
    Incomplete with the expiry the desk proposes."""
    table = screen.query_one("#roster-table", DataTable)
    for row in range(table.row_count):
        assert table.cursor_row == row
        name = str(table.get_row_at(row)[2])
        mark = next((m for last, m in marks.items() if name.startswith(last)), "B")
        await pilot.press(*mark.lower(), "enter")
        if mark == "I":  # the Incomplete asks its expiry: Enter takes the one proposed
            for _ in range(500):
                if isinstance(pilot.app.screen, IncompleteModal):
                    break
                await pilot.pause()
            await pilot.press("enter")
            for _ in range(500):
                if pilot.app.screen is screen:
                    break
                await pilot.pause()
    await wait_saved(pilot, screen)
    await pilot.press("escape")
    await settle(pilot)


def current_term_code(url: str) -> str:
    engine = open_database(url)
    try:
        with session_scope(engine) as session:
            return session.exec(select(Term.code).where(Term.status == "in_progress")).one()
    finally:
        engine.dispose()


async def test_roster_of_thirty_with_an_incomplete(practice_url: str, app_on) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    term = current_term_code(practice_url)
    app = app_on()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await start(pilot, ROSTER)
        screen = await open_practice_roster(pilot, term)
        assert screen.query_one("#roster-table", DataTable).row_count == 30
        await key_sheet(pilot, screen, {"Quist": "A", "Sousa": "I"})
        await pilot.press("escape")
        await settle(pilot)
        assert "Done." in await check(pilot, ROSTER)


async def test_roster_with_the_incomplete_on_the_wrong_row(practice_url: str, app_on) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    term = current_term_code(practice_url)
    app = app_on()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await start(pilot, ROSTER)
        screen = await open_practice_roster(pilot, term)
        # The I on Rossi's row, the row above Sousa's; Sousa gets a B.
        await key_sheet(pilot, screen, {"Quist": "A", "Rossi": "I"})
        await pilot.press("escape")
        await settle(pilot)
        words = await check(pilot, ROSTER)
    assert "Not done" in words
    assert "An Incomplete was keyed on the wrong row: only Rafael Sousa has one." in words
    assert "Rafael Sousa's Incomplete, with its expiry date, is not keyed on his row." in words
