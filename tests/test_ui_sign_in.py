"""The desk opens on a sign-in screen; the first start on an empty database asks for the first
administrator."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from textual import events
from textual.pilot import Pilot
from textual.widgets import Input, Static

from recordsdesk.db import session_scope
from recordsdesk.services.passwords import hash_password
from recordsdesk.ui.app import RecordsDeskApp, make_app
from recordsdesk.ui.screens.sign_in import SignInScreen
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
    starting (the staff accounts not read yet): every key lands and the clerk is signed in."""
    import threading

    from recordsdesk.services import auth

    ready = threading.Event()
    needs_first_admin = auth.needs_first_admin

    def held(session: object) -> bool:
        ready.wait(timeout=10)  # the form appears only once the keys are typed
        return needs_first_admin(session)  # type: ignore[arg-type]

    monkeypatch.setattr(auth, "needs_first_admin", held)
    app = make_app(engine, sign_in=True)
    async with app.run_test(size=SIZE) as pilot:
        assert not any(f.display for f in app.screen.query(Input))  # no form drawn yet
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
