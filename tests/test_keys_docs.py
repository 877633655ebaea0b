"""The README's key tables, the footers and the F1 help say the same thing: the README is parsed
and compared with each screen's BINDINGS, and F1 is compared with what the footer shows."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import Engine
from textual.pilot import Pilot
from textual.widgets import DataTable

from recordsdesk.db import session_scope
from recordsdesk.services.access.actor import Actor
from recordsdesk.ui.app import RecordsDeskApp, make_app
from recordsdesk.ui.screens.access.sign_in import SignInScreen
from recordsdesk.ui.screens.grades.entry import RosterScreen
from recordsdesk.ui.screens.help import HelpModal, key_bindings, usable
from recordsdesk.ui.screens.lookup.search import LookupScreen
from recordsdesk.ui.screens.people.record import StudentScreen
from tests.desk_data import seed_desk
from tests.factories import make_staff

README = Path(__file__).resolve().parents[1] / "README.md"
WORDS = {"↑": "up", "↓": "down", "esc": "escape", "enter": "enter"}
KEY = re.compile(r"^(f\d{1,2}|ctrl\+[a-z]|shift\+tab|tab|enter|escape|up|down|[a-z0-9])$")
#: README "where" -> the screen whose bindings the row describes.
WHERE = {"Sign in": SignInScreen, "Lookup": LookupScreen, "record": StudentScreen}


def key_tables() -> dict[str, list[list[str]]]:
    """Each README table whose first heading is `key`, by the section (## heading) it is in."""
    tables: dict[str, list[list[str]]] = {}
    section = ""
    rows: list[list[str]] | None = None
    for line in README.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            section = line[3:].strip()
        if not line.startswith("|"):
            rows = None
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if rows is None:
            rows = tables.setdefault(section, []) if cells[0] == "key" else []
        elif not set(cells[0]) <= set("- "):
            rows.append(cells)
    return {name: found for name, found in tables.items() if found}


def keys_in(text: str) -> set[str]:
    """`F2 / F3`, `↑ ↓, Enter`, `1-7, t, Ctrl+R` -> Textual key names; phrases are not keys."""
    found: set[str] = set()
    for part in re.split(r"[,/]", text):
        part = part.strip().lower()
        if re.fullmatch(r"\d-\d", part):
            found |= {str(n) for n in range(int(part[0]), int(part[2]) + 1)}
            continue
        words = part.split()
        if len(words) > 1 and not all(w in WORDS for w in words):
            continue  # "type a mark", "Enter on an empty box": described, not a key
        for word in words:
            key = WORDS.get(word, word)
            if KEY.match(key):
                found.add(key)
    return found


def bound(node_type: type[object], *, shown_only: bool = False) -> set[str]:
    return {b.key for b in key_bindings(node_type) if b.show or not shown_only}


def test_the_anywhere_keys_are_the_apps_keys() -> None:
    rows = key_tables()["Using the desk"]
    documented = set().union(*(keys_in(key) for key, where, _ in rows if where == "anywhere"))
    assert documented == bound(RecordsDeskApp)


@pytest.mark.parametrize("where", sorted(WHERE))
def test_each_screens_row_matches_its_bindings(where: str) -> None:
    rows = key_tables()["Using the desk"]
    documented = set().union(
        *(keys_in(key) for key, places, _ in rows if where in places.split(" / "))
    )
    screen = WHERE[where]
    assert documented <= bound(screen), documented - bound(screen)
    assert bound(screen, shown_only=True) <= documented  # the footer's keys are all there


def test_the_grade_entry_table_matches_the_roster() -> None:
    documented = set().union(*(keys_in(row[0]) for row in key_tables()["Grade entry"]))
    assert documented - {"enter"} <= bound(RosterScreen)  # Enter is the mark box's own
    assert bound(RosterScreen, shown_only=True) <= documented


async def settle(pilot: Pilot[int]) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def help_descriptions(app: RecordsDeskApp) -> set[str]:
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


def test_the_parser_reads_the_tables() -> None:
    """Guard the guard: the tables are found and parsed into real keys."""
    tables = key_tables()
    assert {"Using the desk", "Grade entry"} <= set(tables)
    assert keys_in("↑ ↓, Enter") == {"up", "down", "enter"}
    assert keys_in("F5 / F6 / F7") == {"f5", "f6", "f7"}
    assert keys_in("1-7, t, Ctrl+R") == {*"1234567", "t", "ctrl+r"}
    assert keys_in("type a mark, Enter") == {"enter"}
