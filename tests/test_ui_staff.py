"""F7 staff accounts: an administrator adds and disables accounts; anyone else is refused."""

from __future__ import annotations

from sqlalchemy import Engine
from textual.pilot import Pilot
from textual.widgets import DataTable, Input

from recordsdesk.db import session_scope
from recordsdesk.services.access import accounts as auth
from recordsdesk.ui.app import make_app
from recordsdesk.ui.screens.access.staff import AddStaffModal, StaffScreen
from tests.factories import make_staff

SIZE = (120, 40)


async def settle(pilot: Pilot[int]) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def test_admin_adds_and_disables_an_account(engine: Engine) -> None:
    with session_scope(engine) as session:
        make_staff(session, username="boss", role="admin")
        make_staff(session, username="aaron", role="clerk")
    app = make_app(engine, username="boss")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f7")
        await settle(pilot)
        assert isinstance(app.screen, StaffScreen)
        table = app.screen.query_one("#staff-table", DataTable)
        assert table.row_count == 2
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, AddStaffModal)
        for selector, value in (
            ("#new-username", "núria"),
            ("#new-full-name", "Núria Puig"),
            ("#new-password", "nuria-pass-1"),
            ("#new-password-again", "nuria-pass-1"),
        ):
            app.screen.query_one(selector, Input).value = value
        app.screen.query_one("#new-password-again", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, StaffScreen) and table.row_count == 3
        await pilot.press("d")  # the cursor is on the first row: aaron
        await settle(pilot)
    assert auth.sign_in(engine, "núria", "nuria-pass-1").role.value == "clerk"
    with session_scope(engine) as session:
        aaron = next(
            a for a in auth.list_users(session, actor=app.desk.actor) if a.username == "aaron"
        )
        assert not aaron.active


async def test_clerk_is_refused(engine: Engine) -> None:
    with session_scope(engine) as session:
        make_staff(session, username="clerky", role="clerk")
    app = make_app(engine, username="clerky")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f7")
        await settle(pilot)
        errors = [n.message for n in app._notifications if n.severity == "error"]
        assert any("needs the admin role" in m for m in errors)


async def test_usernames_that_look_like_markup_are_added_and_disabled_as_typed(
    engine: Engine,
) -> None:
    """`bad[/b]` crashed the desk (the "Added ..." toast parsed it as markup); `[b]evil[/b]`
    turned bold. Both are names like any other."""
    with session_scope(engine) as session:
        make_staff(session, username="boss", role="admin")
    app = make_app(engine, username="boss")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f7")
        await settle(pilot)
        for name in ("bad[/b]", "[b]evil[/b]"):
            await pilot.press("a")
            await pilot.pause()
            for selector, value in (
                ("#new-username", name),
                ("#new-full-name", f"Full {name}"),
                ("#new-password", "hostile-pass-1"),
                ("#new-password-again", "hostile-pass-1"),
            ):
                app.screen.query_one(selector, Input).value = value
            app.screen.query_one("#new-password-again", Input).focus()
            await pilot.press("enter")
            await settle(pilot)
        assert app.is_running and isinstance(app.screen, StaffScreen)
        toasts = [n.message for n in app._notifications]
        assert "Added bad[/b] (clerk)." in toasts and "Added [b]evil[/b] (clerk)." in toasts
        assert all(n.markup is False for n in app._notifications)
        table = app.screen.query_one("#staff-table", DataTable)
        shown = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
        assert "bad[/b]" in shown and "[b]evil[/b]" in shown
        table.move_cursor(row=shown.index("bad[/b]"))
        await pilot.press("d")
        await settle(pilot)
        assert app.is_running
        assert "Disabled bad[/b]." in [n.message for n in app._notifications]
    with session_scope(engine) as session:
        accounts = {a.username: a for a in auth.list_users(session, actor=app.desk.actor)}
    assert not accounts["bad[/b]"].active and accounts["[b]evil[/b]"].active
