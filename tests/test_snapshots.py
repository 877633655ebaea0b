"""Every screen and dialog of the desk at 80x24, compared with its accepted picture.

A layout change that cuts a word, pushes a flag or a figure off screen or breaks a dialog shows
up here as a changed snapshot (tests/__snapshots__/test_snapshots/). The office is small and
fixed (tests/desk_data.py, with every stored timestamp set to one morning), the idle lock's
clock stands still, times are shown in UTC and no cursor blinks, so a picture only changes when
the screen does. After an intended change, look at the report pytest prints and accept the new
pictures with `pytest tests/test_snapshots.py --snapshot-update` (see docs/guide/development.md).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, text
from sqlmodel import SQLModel, select
from textual.pilot import Pilot
from textual.widgets import Input

from recordsdesk.db import session_scope
from recordsdesk.models import Program
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.admissions.applications import open_application
from recordsdesk.ui.app import RecordsDeskApp, make_app
from recordsdesk.ui.screens.admissions.screening import AdmissionScreen
from recordsdesk.ui.screens.grades.entry import RosterScreen
from recordsdesk.ui.screens.people.intake import DuplicateModal, IntakeScreen
from recordsdesk.ui.screens.people.intake_form import ReasonModal
from recordsdesk.ui.screens.people.record import StudentScreen
from tests.desk_data import DeskData, seed_desk
from tests.factories import make_staff, make_student

SIZE = (80, 24)
#: Every stored "when" of the fixed office: a Monday morning in term.
MORNING = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
STAMPED = {"created_at", "updated_at", "placed_at", "requested_at", "registered_at"}

SnapCompare = Callable[..., bool]
Steps = Callable[[Pilot[int]], Awaitable[None]]


@dataclass(frozen=True)
class Office:
    desk: DeskData
    applicant_id: int  # applied to BSC-BIO on 2026-02-16, no documents received yet

    @property
    def garcia_id(self) -> int:
        return self.desk.garcia_id


@pytest.fixture
def office(engine: Engine, system: Actor, monkeypatch: pytest.MonkeyPatch) -> Office:
    """The desk's small test office, a registrar and an administrator, every time fixed."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    with session_scope(engine) as session:
        data = seed_desk(session, system.id)
        make_staff(session, username="registrar", full_name="Rosa Quint", role="registrar")
        make_staff(session, username="admin", full_name="Ada Min", role="admin")
        program = session.exec(select(Program).where(Program.code == "BSC-BIO")).one()
        applicant = make_student(
            session,
            student_number="2026000301",
            legal_first_name="Amara",
            legal_last_name="Okafor-Lindqvist",
            birth_date=date(2008, 5, 17),
            email="amara@example.org",
            program_id=program.id,
            status="applicant",
        )
        assert applicant.id is not None and program.id is not None
        open_application(
            session,
            actor=system,
            student_id=applicant.id,
            program_id=program.id,
            applied_on=date(2026, 2, 16),
        )
    with engine.begin() as connection:
        for table in SQLModel.metadata.sorted_tables:
            for column in table.columns:
                if column.name in STAMPED:
                    connection.execute(
                        text(f"UPDATE {table.name} SET {column.name} = :when"), {"when": MORNING}
                    )
    assert applicant.id is not None
    return Office(data, applicant.id)


@pytest.fixture
def desk(engine: Engine, office: Office) -> Iterator[RecordsDeskApp]:
    yield make_app(engine, username="registrar", clock=lambda: 0.0)


def steady(app: RecordsDeskApp) -> None:
    """No blinking cursor in any input on screen (a snapshot must not catch it half-way)."""
    for screen in app.screen_stack:
        for field in screen.query(Input):
            field.cursor_blink = False


async def settle(pilot: Pilot[int]) -> None:
    """Until the one-off workers finish (a roster's saver runs as long as the roster)."""
    for _ in range(3):
        one_off = [w for w in pilot.app.workers if w.group != "grade-saves" and w.is_running]
        if one_off:
            await pilot.app.workers.wait_for_complete(one_off)
        await pilot.pause()


def snap(snap_compare: SnapCompare, app: RecordsDeskApp, steps: Steps) -> bool:
    """The app at 80x24 after `steps`, compared with its snapshot."""

    async def run_before(pilot: Pilot[int]) -> None:
        await settle(pilot)
        await steps(pilot)
        await settle(pilot)
        steady(pilot.app)
        await pilot.pause()

    return bool(snap_compare(app, terminal_size=SIZE, run_before=run_before))


async def open_record(pilot: Pilot[int], student_id: int) -> StudentScreen:
    await pilot.app.push_screen(StudentScreen(student_id))
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, StudentScreen)
    return screen


async def press(pilot: Pilot[int], *keys: str) -> None:
    await pilot.press(*keys)
    await settle(pilot)


# --- the areas --------------------------------------------------------------------------------


def test_sign_in(snap_compare: SnapCompare, engine: Engine, office: Office) -> None:
    app = make_app(engine, sign_in=True, username_hint="registrar", clock=lambda: 0.0)

    async def steps(pilot: Pilot[int]) -> None:
        pass

    assert snap(snap_compare, app, steps)


def test_lookup_hint(snap_compare: SnapCompare, desk: RecordsDeskApp) -> None:
    async def steps(pilot: Pilot[int]) -> None:
        pass

    assert snap(snap_compare, desk, steps)


def test_lookup_results(snap_compare: SnapCompare, desk: RecordsDeskApp) -> None:
    async def steps(pilot: Pilot[int]) -> None:
        await press(pilot, *"ga")

    assert snap(snap_compare, desk, steps)


def test_catalog(snap_compare: SnapCompare, desk: RecordsDeskApp) -> None:
    async def steps(pilot: Pilot[int]) -> None:
        await press(pilot, "f3")

    assert snap(snap_compare, desk, steps)


def test_terms(snap_compare: SnapCompare, desk: RecordsDeskApp) -> None:
    async def steps(pilot: Pilot[int]) -> None:
        await press(pilot, "f4")

    assert snap(snap_compare, desk, steps)


def test_grade_entry_terms(snap_compare: SnapCompare, desk: RecordsDeskApp) -> None:
    async def steps(pilot: Pilot[int]) -> None:
        await press(pilot, "f5")

    assert snap(snap_compare, desk, steps)


def test_grade_entry_sections(snap_compare: SnapCompare, desk: RecordsDeskApp) -> None:
    async def steps(pilot: Pilot[int]) -> None:
        await press(pilot, "f5")
        await press(pilot, *"2025fa", "enter")

    assert snap(snap_compare, desk, steps)


def test_roster(snap_compare: SnapCompare, desk: RecordsDeskApp) -> None:
    async def steps(pilot: Pilot[int]) -> None:
        await press(pilot, "f5")
        await press(pilot, *"2026sp", "enter")
        await press(pilot, *"chem", "enter")
        screen = pilot.app.screen
        assert isinstance(screen, RosterScreen)
        for _ in range(200):
            if screen.roster is not None:
                break
            await pilot.pause()

    assert snap(snap_compare, desk, steps)


def test_audit(snap_compare: SnapCompare, desk: RecordsDeskApp) -> None:
    async def steps(pilot: Pilot[int]) -> None:
        await press(pilot, "f6")

    assert snap(snap_compare, desk, steps)


def test_staff(snap_compare: SnapCompare, engine: Engine, office: Office) -> None:
    app = make_app(engine, username="admin", clock=lambda: 0.0)

    async def steps(pilot: Pilot[int]) -> None:
        await press(pilot, "f7")

    assert snap(snap_compare, app, steps)


def test_reports_enrollment(snap_compare: SnapCompare, desk: RecordsDeskApp) -> None:
    async def steps(pilot: Pilot[int]) -> None:
        await press(pilot, "f8")
        await press(pilot, "enter")

    assert snap(snap_compare, desk, steps)


def test_imports(snap_compare: SnapCompare, desk: RecordsDeskApp) -> None:
    async def steps(pilot: Pilot[int]) -> None:
        await press(pilot, "f10")

    assert snap(snap_compare, desk, steps)


def test_help(snap_compare: SnapCompare, desk: RecordsDeskApp) -> None:
    async def steps(pilot: Pilot[int]) -> None:
        await press(pilot, "f1")

    assert snap(snap_compare, desk, steps)


def test_lock(snap_compare: SnapCompare, desk: RecordsDeskApp) -> None:
    async def steps(pilot: Pilot[int]) -> None:
        await press(pilot, "ctrl+l")

    assert snap(snap_compare, desk, steps)


# --- a student's record and what opens from it -------------------------------------------------


def test_record(snap_compare: SnapCompare, desk: RecordsDeskApp, office: Office) -> None:
    async def steps(pilot: Pilot[int]) -> None:
        await open_record(pilot, office.garcia_id)

    assert snap(snap_compare, desk, steps)


def test_record_history(snap_compare: SnapCompare, desk: RecordsDeskApp, office: Office) -> None:
    async def steps(pilot: Pilot[int]) -> None:
        await open_record(pilot, office.garcia_id)
        await press(pilot, "2")

    assert snap(snap_compare, desk, steps)


def test_note_dialog(snap_compare: SnapCompare, desk: RecordsDeskApp, office: Office) -> None:
    async def steps(pilot: Pilot[int]) -> None:
        await open_record(pilot, office.garcia_id)
        await press(pilot, "n")

    assert snap(snap_compare, desk, steps)


def test_holds(snap_compare: SnapCompare, desk: RecordsDeskApp, office: Office) -> None:
    async def steps(pilot: Pilot[int]) -> None:
        await open_record(pilot, office.garcia_id)
        await press(pilot, "h")

    assert snap(snap_compare, desk, steps)


def test_place_hold_dialog(snap_compare: SnapCompare, desk: RecordsDeskApp, office: Office) -> None:
    async def steps(pilot: Pilot[int]) -> None:
        await open_record(pilot, office.garcia_id)
        await press(pilot, "h")
        await press(pilot, "p")

    assert snap(snap_compare, desk, steps)


def test_registration(snap_compare: SnapCompare, desk: RecordsDeskApp, office: Office) -> None:
    async def steps(pilot: Pilot[int]) -> None:
        await open_record(pilot, office.garcia_id)
        await press(pilot, "r")

    assert snap(snap_compare, desk, steps)


def test_profile_edit(snap_compare: SnapCompare, desk: RecordsDeskApp, office: Office) -> None:
    async def steps(pilot: Pilot[int]) -> None:
        await open_record(pilot, office.garcia_id)
        await press(pilot, "e")

    assert snap(snap_compare, desk, steps)


def test_departure(snap_compare: SnapCompare, desk: RecordsDeskApp, office: Office) -> None:
    async def steps(pilot: Pilot[int]) -> None:
        await open_record(pilot, office.garcia_id)
        await press(pilot, "d")

    assert snap(snap_compare, desk, steps)


def test_transcript(snap_compare: SnapCompare, desk: RecordsDeskApp, office: Office) -> None:
    async def steps(pilot: Pilot[int]) -> None:
        await open_record(pilot, office.garcia_id)
        await press(pilot, "t")

    assert snap(snap_compare, desk, steps)


# --- intake and admission ----------------------------------------------------------------------


async def fill_duplicate_of_garcia(pilot: Pilot[int]) -> None:
    """The intake form with García's name and birth date, saved: the duplicate guard opens."""
    await press(pilot, "ctrl+n")
    screen = pilot.app.screen
    assert isinstance(screen, IntakeScreen)
    values = {
        "legal_first_name": "Jose",
        "legal_last_name": "Garcia",
        "birth_date": "2006-03-14",
        "email": "pepe@example.org",
        "program": "BSC-BIO",
        "entry_term": "2026SP",
    }
    for name, value in values.items():
        screen.query_one(f"#f-{name}", Input).value = value
    await press(pilot, "ctrl+s")


def test_intake_form(snap_compare: SnapCompare, desk: RecordsDeskApp) -> None:
    async def steps(pilot: Pilot[int]) -> None:
        await press(pilot, "ctrl+n")

    assert snap(snap_compare, desk, steps)


def test_duplicate_guard(snap_compare: SnapCompare, desk: RecordsDeskApp) -> None:
    async def steps(pilot: Pilot[int]) -> None:
        await fill_duplicate_of_garcia(pilot)
        assert isinstance(pilot.app.screen, DuplicateModal)

    assert snap(snap_compare, desk, steps)


async def open_admission(pilot: Pilot[int], student_id: int) -> AdmissionScreen:
    await open_record(pilot, student_id)
    await press(pilot, "a")
    screen = pilot.app.screen
    assert isinstance(screen, AdmissionScreen)
    return screen


def test_admission(snap_compare: SnapCompare, desk: RecordsDeskApp, office: Office) -> None:
    async def steps(pilot: Pilot[int]) -> None:
        await open_admission(pilot, office.applicant_id)

    assert snap(snap_compare, desk, steps)


def test_admit_anyway_prompt(
    snap_compare: SnapCompare, desk: RecordsDeskApp, office: Office
) -> None:
    async def steps(pilot: Pilot[int]) -> None:
        await open_admission(pilot, office.applicant_id)
        await press(pilot, "a")
        assert isinstance(pilot.app.screen, ReasonModal)

    assert snap(snap_compare, desk, steps)


# --- more dialogs -------------------------------------------------------------------------------


async def open_roster(pilot: Pilot[int]) -> RosterScreen:
    await press(pilot, "f5")
    await press(pilot, *"2026sp", "enter")
    await press(pilot, *"chem", "enter")
    screen = pilot.app.screen
    assert isinstance(screen, RosterScreen)
    for _ in range(200):
        if screen.roster is not None:
            break
        await pilot.pause()
    return screen


def test_post_grades_dialog(snap_compare: SnapCompare, desk: RecordsDeskApp) -> None:
    async def steps(pilot: Pilot[int]) -> None:
        await open_roster(pilot)
        await press(pilot, "f8")

    assert snap(snap_compare, desk, steps)


def test_import_marks_dialog(snap_compare: SnapCompare, desk: RecordsDeskApp) -> None:
    async def steps(pilot: Pilot[int]) -> None:
        await open_roster(pilot)
        await press(pilot, "f7")

    assert snap(snap_compare, desk, steps)


def test_report_export_dialog(snap_compare: SnapCompare, desk: RecordsDeskApp) -> None:
    async def steps(pilot: Pilot[int]) -> None:
        await press(pilot, "f8")
        await press(pilot, "enter")
        await press(pilot, "ctrl+e")
        path = pilot.app.screen.query_one(Input)  # the default names the day and the time
        path.value = "reports/enrollment.csv"
        path.cursor_position = len(path.value)

    assert snap(snap_compare, desk, steps)


def test_release_hold_prompt(
    snap_compare: SnapCompare, desk: RecordsDeskApp, office: Office
) -> None:
    async def steps(pilot: Pilot[int]) -> None:
        await open_record(pilot, office.garcia_id)
        await press(pilot, "h")
        await press(pilot, "r")
        assert isinstance(pilot.app.screen, ReasonModal)

    assert snap(snap_compare, desk, steps)


def test_add_staff_dialog(snap_compare: SnapCompare, engine: Engine, office: Office) -> None:
    app = make_app(engine, username="admin", clock=lambda: 0.0)

    async def steps(pilot: Pilot[int]) -> None:
        await press(pilot, "f7")
        await press(pilot, "a")

    assert snap(snap_compare, app, steps)
