"""Stored values are never code: markup, terminal escapes, 300-character names and right-to-left
text, driven through every screen that shows them. No crash, brackets shown as typed, and no
control character reaches the screen's lines (what the terminal is sent)."""

from __future__ import annotations

import contextlib

import pytest
from sqlalchemy import Engine
from textual.pilot import Pilot
from textual.worker import WorkerFailed

from recordsdesk.db import session_scope
from recordsdesk.services.access.actor import Actor
from recordsdesk.ui.app import RecordsDeskApp, make_app
from recordsdesk.ui.screens.access.staff import StaffScreen
from recordsdesk.ui.screens.audit.viewer import AuditScreen
from recordsdesk.ui.screens.grades.entry import GradeEntryScreen
from recordsdesk.ui.screens.lookup.search import LookupScreen
from recordsdesk.ui.screens.people.holds import HoldsScreen
from recordsdesk.ui.screens.people.record import StudentScreen
from recordsdesk.ui.screens.registration.sheet import RegistrationScreen
from recordsdesk.ui.screens.reports.viewer import ReportsScreen
from recordsdesk.ui.screens.transcripts.preview import TranscriptScreen
from tests.factories import make_staff
from tests.hostile_data import (
    BOLD,
    LINK,
    UNBALANCED,
    HostileDesk,
    as_an_old_database_holds_them,
    seed_hostile,
)

SIZE = (160, 48)
CONTROL = [chr(c) for c in (*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0))]


@pytest.fixture
def hostile(engine: Engine, system: Actor) -> HostileDesk:
    with as_an_old_database_holds_them(), session_scope(engine) as session:
        boss = make_staff(session, username="boss", role="admin")
        assert boss.id is not None
        return seed_hostile(session, system, boss.id)


async def settle(pilot: Pilot[int]) -> None:
    """Wait for the screen on top's workers (a roster left open in the Grades area keeps its
    saver thread running)."""
    for _ in range(2):
        screen = pilot.app.screen
        mine = [w for w in pilot.app.workers if w.node is screen]
        with contextlib.suppress(WorkerFailed):
            if mine:  # an empty list would mean every worker
                await pilot.app.workers.wait_for_complete(mine)
        await pilot.pause()


def screen_lines(app: RecordsDeskApp) -> str:
    """The screen as drawn: every line the compositor hands to the terminal."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def check(app: RecordsDeskApp, screen_type: type, *markers: str) -> str:
    assert isinstance(app.screen, screen_type), app.screen
    text = screen_lines(app)
    assert not [c for c in CONTROL if c in text], f"control character on {screen_type.__name__}"
    for marker in markers:
        assert marker in text, f"{marker!r} not shown literally on {screen_type.__name__}"
    assert not [n for n in app._notifications if n.severity == "error"], [
        n.message for n in app._notifications
    ]
    return text


async def test_every_screen_shows_hostile_values_as_typed(
    engine: Engine, hostile: HostileDesk
) -> None:
    app = make_app(engine, username="boss")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"2099")
        await settle(pilot)
        text = check(app, LookupScreen, UNBALANCED, BOLD)
        assert "␛[2Jwipe" in text  # the escape shown, never obeyed
        await pilot.press("enter")
        await settle(pilot)
        check(app, StudentScreen, UNBALANCED, BOLD, LINK)
        for tab in "1234567":
            await pilot.press(tab)
            await pilot.pause()
            check(app, StudentScreen, UNBALANCED)
        await pilot.press("n")
        await pilot.pause()
        assert UNBALANCED in screen_lines(app)  # the note dialog names the student
        await pilot.press("escape")
        await pilot.pause()

        for key, screen_type, markers in (
            ("r", RegistrationScreen, (UNBALANCED,)),
            ("h", HoldsScreen, (BOLD,)),
            ("t", TranscriptScreen, (UNBALANCED,)),
        ):
            await pilot.press(key)
            await settle(pilot)
            check(app, screen_type, *markers)
            await pilot.press("escape")
            await settle(pilot)
            assert isinstance(app.screen, StudentScreen)

        await pilot.press("f5")
        await settle(pilot)
        check(app, GradeEntryScreen, UNBALANCED)  # the term's name
        await pilot.press(*"2026FA", "enter")
        await settle(pilot)
        check(app, GradeEntryScreen, BOLD)  # the course title
        await pilot.press("enter")  # the roster: its saver thread runs for the screen's life
        for _ in range(50):
            if UNBALANCED in screen_lines(app):
                break
            await pilot.pause(0.02)
        check(app, type(app.screen), UNBALANCED, BOLD)

        await pilot.press("f2")
        await settle(pilot)
        await pilot.press("f7")
        await settle(pilot)
        check(app, StaffScreen, UNBALANCED, BOLD)
        await pilot.press("f6")
        await settle(pilot)
        check(app, AuditScreen, UNBALANCED, BOLD, LINK)
        await pilot.press("f8", "ctrl+r")
        await settle(pilot)
        check(app, ReportsScreen)
