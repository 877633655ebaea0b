"""F1 and the footers say the same thing: the help lists every key the footer shows, and every
key the signed-in role may use, hidden ones included. (That the guide's key tables match the
bindings is tests/test_guide.py.) Screens are found by class name, wherever their modules live."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine
from textual.pilot import Pilot
from textual.widgets import DataTable

from recordsdesk.db import session_scope
from recordsdesk.services.access.actor import Actor
from tests.desk_classes import desk_class, desk_object
from tests.desk_data import seed_desk
from tests.factories import make_staff

RecordsDeskApp = desk_class("RecordsDeskApp")
HelpModal = desk_class("HelpModal")
LookupScreen = desk_class("LookupScreen")
StudentScreen = desk_class("StudentScreen")
make_app = desk_object("make_app")
key_bindings = desk_object("key_bindings")
usable = desk_object("usable")


async def settle(pilot: Pilot[int]) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def help_descriptions(app: Any) -> set[str]:
    assert isinstance(app.screen, HelpModal)
    return {
        str(table.get_row_at(i)[1])
        for table in app.screen.query(DataTable)
        for i in range(table.row_count)
    }


async def test_f1_lists_every_key_the_footer_shows(engine: Engine, system: Actor) -> None:
    with session_scope(engine) as session:
        seed_desk(session, system.id)
        make_staff(session, username="reggie", role="registrar")
    app = make_app(engine, username="reggie")
    async with app.run_test(size=(160, 48)) as pilot:
        for step in ((), (*"garcia",), ("enter",)):
            await pilot.press(*step)
            await settle(pilot)
        for screen_type in (StudentScreen, LookupScreen):
            assert isinstance(app.screen, screen_type)
            footer = {
                b.binding.description
                for b in app.screen.active_bindings.values()
                if b.binding.show and b.enabled
            }
            # every key of the screen and the app the role may use (F7 is the admin's)
            listed = usable(app.screen, key_bindings(screen_type)) + usable(
                app, key_bindings(RecordsDeskApp)
            )
            await pilot.press("f1")
            await pilot.pause()
            described = help_descriptions(app)
            assert footer <= described, footer - described
            assert {b.description for b in listed} <= described  # hidden keys too (1-7, ↑ ↓)
            await pilot.press("escape", "escape")
            await settle(pilot)
