"""The idle lock, driven by a fake clock: after the institution's idle time the screen is
covered; the signed-in user's password uncovers it with unsaved input intact; Ctrl+L locks at
once. Nothing sleeps: the test moves the clock and runs the check the timer would run."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text
from textual.pilot import Pilot
from textual.widgets import Input, Static

from recordsdesk.db import session_scope
from recordsdesk.services.access.passwords import hash_password
from recordsdesk.ui.app import RecordsDeskApp, make_app
from recordsdesk.ui.screens.access.lock import LockScreen
from recordsdesk.ui.screens.audit.viewer import AuditScreen
from tests.factories import make_staff

SIZE = (120, 40)
PASSWORD = "admin-pass-77"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def settle(pilot: Pilot[int]) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


@pytest.fixture
def admin(engine: Engine) -> str:
    with session_scope(engine) as session:
        make_staff(session, username="ada", role="admin", password_hash=hash_password(PASSWORD))
    return "ada"


def staff_filter(app: RecordsDeskApp) -> Input:
    for candidate in app.screen_stack:
        if isinstance(candidate, AuditScreen):
            return candidate.query_one("#staff", Input)
    raise AssertionError("no audit screen on the stack")


async def test_idle_lock_keeps_unsaved_input(engine: Engine, admin: str) -> None:
    clock = FakeClock()
    app = make_app(engine, username=admin, clock=clock)
    assert app.idle_minutes == 5  # the institution's default
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f6")
        await settle(pilot)
        app.screen.query_one("#staff", Input).focus()
        await pilot.press(*"half-typed")  # unsaved filter input
        clock.now += 5 * 60 - 1
        app.check_idle_lock()
        await pilot.pause()
        assert not app.locked
        clock.now += 1
        app.check_idle_lock()
        await pilot.pause()
        assert isinstance(app.screen, LockScreen) and app.locked
        assert app.screen.styles.background.a == 1  # opaque: nothing shows through
        await pilot.press("f2", "ctrl+p")  # no switching areas or palette while locked
        assert isinstance(app.screen, LockScreen) and app.current_mode == "audit"
        await pilot.press(*"not-my-password", "enter")
        await settle(pilot)
        assert isinstance(app.screen, LockScreen)
        message = app.screen.query_one("#lock-message", Static)
        assert "wrong" in str(message.render())
        await pilot.press(*PASSWORD, "enter")
        await settle(pilot)
        assert not app.locked and isinstance(app.screen, AuditScreen)
        assert staff_filter(app).value == "half-typed"
        # Typing counts as activity: 4 minutes after the last key the desk stays open.
        await pilot.press("x")
        clock.now += 4 * 60
        app.check_idle_lock()
        await pilot.pause()
        assert not app.locked


async def test_ctrl_l_locks_at_once_and_the_setting_is_read(engine: Engine, admin: str) -> None:
    with engine.begin() as connection:
        connection.execute(text("UPDATE institution SET idle_lock_minutes = 0"))
    clock = FakeClock()
    app = make_app(engine, username=admin, clock=clock)
    assert app.idle_minutes == 0
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        clock.now += 24 * 3600
        app.check_idle_lock()  # 0 minutes: never lock on idle
        await pilot.pause()
        assert not app.locked
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert isinstance(app.screen, LockScreen)
        await pilot.press(*PASSWORD, "enter")
        await settle(pilot)
        assert not app.locked


async def test_password_less_system_account_is_never_locked_in(engine: Engine) -> None:
    app = make_app(engine, username="system", clock=FakeClock())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert not app.locked
        assert any("no password" in n.message for n in app._notifications)
