"""The desk opens on a sign-in screen; the first start on an empty database asks for the first
administrator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import select
from textual import events
from textual.pilot import Pilot
from textual.widgets import Button, Input, Static

from recordsdesk.db import session_scope
from recordsdesk.models import StaffUser
from recordsdesk.services.access import accounts as auth
from recordsdesk.services.access.passwords import hash_password
from recordsdesk.ui.app import RecordsDeskApp, make_app, sign_in_desk
from recordsdesk.ui.screens.access.sign_in import SignInScreen
from recordsdesk.ui.screens.lookup.search import LookupScreen
from recordsdesk.ui.screens.people.intake import IntakeScreen
from tests.factories import make_staff

SIZE = (120, 40)
PASSWORD = "counter-pass-1"


async def settle(pilot: Pilot[int]) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


@pytest.fixture
def clerk(engine: Engine) -> str:
    with session_scope(engine) as session:
        make_staff(session, username="jdoe", role="clerk", password_hash=hash_password(PASSWORD))
    return "jdoe"


def field(app: RecordsDeskApp, selector: str) -> Input:
    return app.screen.query_one(selector, Input)


async def test_sign_in_with_a_hint_wrong_then_right(engine: Engine, clerk: str) -> None:
    app = make_app(engine, sign_in=True, username_hint=clerk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, SignInScreen) and not app.signed_in
        assert field(app, "#username").value == clerk
        password = field(app, "#password")
        assert password.password and password.has_focus  # masked, and ready to type
        await pilot.press("f2", "f3", "ctrl+l")  # nothing works before sign-in
        assert isinstance(app.screen, SignInScreen)
        await pilot.press(*"wrong-password", "enter")
        await settle(pilot)
        message = app.screen.query_one("#sign-in-message", Static)
        assert "username or password is wrong" in str(message.render())
        assert field(app, "#password").value == "" and not app.signed_in
        await pilot.press(*PASSWORD, "enter")
        await settle(pilot)
        assert app.signed_in and app.desk.actor.username == clerk
        assert not isinstance(app.screen, SignInScreen)
        assert app.current_mode == "lookup"
        await pilot.press("f3")
        await settle(pilot)
        assert app.current_mode == "catalog"


async def test_unknown_username_reads_like_a_wrong_password(engine: Engine, clerk: str) -> None:
    app = make_app(engine, sign_in=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert field(app, "#username").has_focus
        await pilot.press(*"nobody", "enter")  # Enter moves on to the empty password
        assert field(app, "#password").has_focus
        await pilot.press(*"whatever1", "enter")
        await settle(pilot)
        message = app.screen.query_one("#sign-in-message", Static)
        assert "username or password is wrong" in str(message.render())


async def test_first_start_creates_the_first_admin(engine: Engine) -> None:
    app = make_app(engine, sign_in=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert field(app, "#password-again").display
        for selector, text in (
            ("#username", "ines.admin"),
            ("#full-name", "Inês Ó Súilleabháin"),
            ("#password", "first-admin-pw"),
            ("#password-again", "a different one"),
        ):
            field(app, selector).value = text
        field(app, "#password-again").focus()  # Enter in an earlier field moves on
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        message = app.screen.query_one("#sign-in-message", Static)
        assert "differ" in str(message.render()) and not app.signed_in
        field(app, "#password").value = "first-admin-pw"
        field(app, "#password-again").value = "first-admin-pw"
        field(app, "#password-again").focus()
        await pilot.press("enter")
        await settle(pilot)
        assert app.signed_in
        assert (app.desk.actor.username, app.desk.actor.role.value) == ("ines.admin", "admin")


async def test_a_demo_database_says_how_to_sign_in_and_the_hint_works(database_url: str) -> None:
    from recordsdesk.db import open_database
    from recordsdesk.services.demo import build_demo_database, demo_password

    build_demo_database(database_url, students=30, seed=7, rebuild=True, progress=lambda _: None)
    engine = open_database(database_url)
    app = make_app(engine, sign_in=True, username_hint="registrar")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        intro = str(app.screen.query_one("#sign-in-intro", Static).render())
        assert "Demo database" in intro and demo_password("registrar") in intro
        await pilot.press(*demo_password("registrar"), "enter")
        await settle(pilot)
        assert app.signed_in and app.desk.actor.username == "registrar"
    engine.dispose()


async def test_a_real_database_gives_no_demo_hint(engine: Engine, clerk: str) -> None:
    app = make_app(engine, sign_in=True, username_hint=clerk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        intro = str(app.screen.query_one("#sign-in-intro", Static).render())
        assert intro == "Sign in with your staff account."


async def test_keys_typed_before_the_form_is_ready_land_in_it(
    engine: Engine, clerk: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A clerk types the username, Enter, the password and Enter while the desk is still
    starting (the staff accounts not read yet): every key lands in the fields drawn from the
    first frame, and the sign-in waits for the accounts check before it goes through."""
    import threading

    from recordsdesk.services.access import accounts as auth

    ready = threading.Event()
    needs_first_admin = auth.needs_first_admin

    def held(session: object) -> bool:
        ready.wait(timeout=10)  # the accounts are known only once the keys are typed
        return needs_first_admin(session)  # type: ignore[arg-type]

    monkeypatch.setattr(auth, "needs_first_admin", held)
    app = make_app(engine, sign_in=True)
    async with app.run_test(size=SIZE) as pilot:
        # In one burst, as a terminal hands over what was typed ahead.
        typed = [*clerk, "\r", *PASSWORD, "\r"]
        for char in typed:
            key = {"\r": "enter", "-": "minus"}.get(char, char)
            app.post_message(events.Key(key, char))
        await pilot.pause()
        ready.set()
        for _ in range(100):  # the accounts are read, the keys typed in, the sign-in checked
            await pilot.pause(0.05)
            if app.signed_in:
                break
        await pilot.pause(0.2)  # the sign-in screen leaves
        assert app.signed_in and app.desk.actor.username == clerk


async def test_keys_typed_before_the_database_is_open_sign_in_once_it_is(
    engine: Engine, clerk: str, registrar: str
) -> None:
    """From the command line the form is drawn before the database is opened (in a worker):
    a burst of keys typed over the pre-filled demo name meanwhile fills the form in order, and
    Enter signs in once the database is there, as the person typed."""
    import threading

    from recordsdesk.db import DatabaseUnavailable

    opening = threading.Event()
    opened: list[bool] = []

    def opener() -> Engine:
        if not opening.wait(timeout=10):
            raise DatabaseUnavailable("the test never let the database open")
        opened.append(True)
        return engine

    app = sign_in_desk(opener, username_hint=registrar, hint_named=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*clerk, "tab", *PASSWORD, "enter")
        await pilot.pause(0.1)
        assert not opened and not app.signed_in  # typed, not yet signed in: no database yet
        assert field(app, "#username").value == clerk
        assert field(app, "#password").value == PASSWORD
        opening.set()
        for _ in range(100):  # the database opens, the accounts are read, the sign-in checked
            await pilot.pause(0.05)
            if app.signed_in:
                break
        await pilot.pause(0.2)  # the sign-in screen leaves
        assert app.signed_in and app.desk.actor.username == clerk
        assert app.desk.engine is engine and app.startup_error is None
        assert app.title == app.desk.institution.short_name
    row = staff_row(engine, registrar)
    assert row.failed_logins == 0 and row.locked_until is None  # nothing went to registrar


async def test_a_database_that_cannot_be_opened_closes_the_desk_with_its_reason() -> None:
    """The command line prints `startup_error` in one line and exits 2 (tests/test_startup.py
    runs the real command); here: the desk closes by itself with it, whatever was typed."""
    from recordsdesk.db import DatabaseUnavailable

    def opener() -> Engine:
        raise DatabaseUnavailable("Cannot open the database at sqlite:///gone.db: no such file")

    app = sign_in_desk(opener)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"clerk", "enter")
        for _ in range(100):
            await pilot.pause(0.05)
            if app.return_code is not None:
                break
    assert app.return_code == 2 and not app.signed_in
    assert isinstance(app.startup_error, DatabaseUnavailable)
    assert "sqlite:///gone.db" in str(app.startup_error)


async def test_quitting_before_the_database_is_open_leaves_nothing_waiting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Ctrl+Q while the database is still opening: the desk closes, and the worker waiting for
    it (to check the accounts) gives up; a thread left waiting would keep the process alive."""
    import threading

    from recordsdesk.ui.security import SecureDeskApp

    release, gave_up = threading.Event(), threading.Event()
    wait_for_desk = SecureDeskApp.wait_for_desk

    def watched(app: SecureDeskApp) -> object:
        desk = wait_for_desk(app)
        gave_up.set()
        return desk

    monkeypatch.setattr(SecureDeskApp, "wait_for_desk", watched)

    def opener() -> Engine:
        release.wait(timeout=10)
        raise RuntimeError("not opened")

    app = sign_in_desk(opener)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause(0.1)
            await pilot.press("ctrl+q")
        assert gave_up.wait(timeout=5)  # while the database is still "opening"
        assert not app.signed_in
    finally:
        release.set()


# --- the sign-in screen is a form like any other ----------------------------------------------


def staff_row(engine: Engine, username: str) -> StaffUser:
    with session_scope(engine) as session:
        return session.exec(select(StaffUser).where(StaffUser.username == username)).one()


@pytest.fixture
def registrar(engine: Engine) -> str:
    with session_scope(engine) as session:
        make_staff(
            session, username="registrar", role="registrar", password_hash=hash_password(PASSWORD)
        )
    return "registrar"


async def test_tab_and_shift_tab_move_between_the_fields(engine: Engine, clerk: str) -> None:
    app = make_app(engine, sign_in=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert field(app, "#username").has_focus
        await pilot.press("tab")
        assert field(app, "#password").has_focus
        await pilot.press("tab")
        assert isinstance(app.focused, Button)  # the Sign in button is in the Tab order
        await pilot.press("shift+tab", "shift+tab")
        assert field(app, "#username").has_focus
        assert isinstance(app.screen, SignInScreen) and not app.signed_in


async def test_a_prefilled_demo_name_is_typed_over_in_one_burst(
    engine: Engine, clerk: str, registrar: str
) -> None:
    """The demo pre-fills `registrar`; a clerk types their own name over it, Tab, password,
    Enter, as fast as they like, from the moment the screen appears."""
    app = make_app(engine, sign_in=True, username_hint=registrar, hint_named=False)
    async with app.run_test(size=SIZE) as pilot:
        # no settling: the keys arrive while the screen is still checking the accounts
        await pilot.press(*clerk, "tab", *PASSWORD, "enter")
        await settle(pilot)
        assert app.signed_in and app.desk.actor.username == clerk
    row = staff_row(engine, registrar)
    assert row.failed_logins == 0 and row.locked_until is None  # nothing went to registrar


async def test_enter_moves_to_the_password_and_signs_in_in_one_burst(
    engine: Engine, clerk: str
) -> None:
    app = make_app(engine, sign_in=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press(*clerk, "enter", *PASSWORD, "enter")
        await settle(pilot)
        assert app.signed_in and app.desk.actor.username == clerk
    assert staff_row(engine, clerk).failed_logins == 0


async def test_a_name_given_with_user_puts_the_focus_on_the_password(
    engine: Engine, clerk: str
) -> None:
    app = make_app(engine, sign_in=True, username_hint=clerk, hint_named=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*PASSWORD, "enter")
        await settle(pilot)
        assert app.signed_in and app.desk.actor.username == clerk


async def test_locked_wrong_and_unknown_read_the_same_on_screen(
    engine: Engine, clerk: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The screen shows the service's refusal as it is and behaves the same for all three: it
    adds nothing (no lock time, no 'unknown') that would tell them apart."""
    with session_scope(engine) as session:
        make_staff(
            session,
            username="locked1",
            role="clerk",
            password_hash=hash_password(PASSWORD),
            failed_logins=5,
            locked_until=datetime.now(UTC) + timedelta(minutes=30),
        )
    raised: list[str] = []
    real_sign_in = auth.sign_in

    def spy(*args: object, **kwargs: object) -> object:
        try:
            return real_sign_in(*args, **kwargs)  # type: ignore[arg-type]
        except Exception as exc:
            raised.append(str(exc))
            raise

    monkeypatch.setattr(auth, "sign_in", spy)
    shown: list[tuple[str, str | None, str]] = []
    app = make_app(engine, sign_in=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for username, password in (("locked1", PASSWORD), (clerk, "wrong-one"), ("nobody", "x")):
            field(app, "#username").value = username
            field(app, "#password").focus()
            await pilot.pause()
            await pilot.press(*password, "enter")
            await settle(pilot)
            message = str(app.screen.query_one("#sign-in-message", Static).render())
            shown.append(
                (message, app.focused.id if app.focused else None, field(app, "#password").value)
            )
        assert not app.signed_in
    assert [text for text, _, _ in shown] == raised
    assert {(focus, typed) for _, focus, typed in shown} == {("password", "")}


async def test_sign_out_clears_the_desk_for_the_next_person(engine: Engine, clerk: str) -> None:
    app = make_app(engine, username=clerk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press(*"anything", "f4")
        await settle(pilot)
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert isinstance(app.screen, SignInScreen) and not app.signed_in
        assert app.desk.actor.username == ""
        stacks = [s for stack in app._screen_stacks.values() for s in stack]
        assert all(isinstance(s, SignInScreen) for s in stacks)  # nothing of theirs is left
        assert field(app, "#username").has_focus and field(app, "#username").value == ""
        await pilot.press("f2", "f4")  # nothing works for nobody
        assert isinstance(app.screen, SignInScreen)
        await pilot.press(*clerk, "tab", *PASSWORD, "enter")
        await settle(pilot)
        assert app.signed_in and isinstance(app.screen, LookupScreen)
        assert app.screen.query_one("#lookup-query", Input).value == ""  # a fresh lookup


async def test_sign_out_asks_before_dropping_a_typed_form(engine: Engine, clerk: str) -> None:
    from recordsdesk.ui.navigation import DiscardInputModal

    app = make_app(engine, username=clerk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert isinstance(app.screen, IntakeScreen)
        await pilot.press(*"Ada")
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert isinstance(app.screen, DiscardInputModal)
        await pilot.press("n")  # keep it
        await pilot.pause()
        assert isinstance(app.screen, IntakeScreen) and app.signed_in
        assert "Ada" in [f.value for f in app.screen.query(Input)]
        await pilot.press("ctrl+o")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, SignInScreen) and not app.signed_in


async def test_the_next_person_signs_out_from_the_lock(engine: Engine, clerk: str) -> None:
    """At a desk that locked itself, Ctrl+O hands it over (no wrong password typed into the
    previous person's lock, which would count towards their lockout)."""
    app = make_app(engine, username=clerk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.lock_desk() and app.locked
        await pilot.press("f2", "ctrl+n")  # nothing else works under the lock
        assert app.locked
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert isinstance(app.screen, SignInScreen) and not app.signed_in and not app.locked
    assert staff_row(engine, clerk).failed_logins == 0
