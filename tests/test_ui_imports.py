"""The Imports screen (F10): dry run lists changes or every fault, apply only after a clean one,
a progress bar fed from the worker, and a clerk refused by the service, shown as a notice."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from sqlalchemy import Engine, func
from sqlmodel import select
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, ProgressBar, Select, Static

from recordsdesk.db import session_scope
from recordsdesk.models import Student
from recordsdesk.services.access.actor import Actor
from recordsdesk.ui.app import RecordsDeskApp, make_app
from recordsdesk.ui.screens.interchange.imports import ImportsScreen
from tests.factories import make_staff
from tests.import_helpers import DATA, oneroster_fixtures

SIZE = (120, 40)


async def settle(pilot: Pilot[int]) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def lines(app: RecordsDeskApp) -> list[tuple[str, str, str]]:
    table = app.screen.query_one("#import-lines", DataTable)
    rows = (table.get_row_at(i) for i in range(table.row_count))
    return [tuple(c.plain if isinstance(c, Text) else str(c) for c in row) for row in rows]  # type: ignore[misc]


def status(app: RecordsDeskApp) -> str:
    return str(app.screen.query_one("#import-status", Static).render())


def students(engine: Engine) -> int:
    with session_scope(engine) as session:
        return session.exec(select(func.count()).select_from(Student)).one()


async def open_imports(pilot: Pilot[int], path: Path, kind: str = "students") -> None:
    await pilot.press("f10")
    await pilot.pause()
    assert isinstance(pilot.app.screen, ImportsScreen)
    pilot.app.screen.query_one("#import-kind", Select).value = kind
    path_input = pilot.app.screen.query_one("#import-path", Input)
    path_input.value = str(path)
    path_input.focus()
    await pilot.pause()


async def test_dry_run_then_apply(engine: Engine, system: Actor, tmp_path: Path) -> None:
    app = make_app(engine, username="system")
    async with app.run_test(size=SIZE) as pilot:
        await open_imports(pilot, DATA / "students_good.csv")
        await pilot.press("ctrl+s")  # no dry run yet: refused, nothing written
        await pilot.pause()
        assert "dry run of this file first" in status(app) and students(engine) == 0
        await pilot.press("enter")
        await settle(pilot)
        assert "Dry run" in status(app) and "3 records would change" in status(app)
        assert lines(app)[0] == ("change", "", "line 2: new student S1001 García, José")
        assert ("change", "", "line 3: new student S1002 O'Neil, [b]Bob") in lines(app)
        bar = app.screen.query_one("#import-progress", ProgressBar)
        assert bar.total is not None and bar.progress == bar.total
        assert students(engine) == 0
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert students(engine) == 3 and "3 records changed" in status(app)
        await pilot.press("enter")  # the same file again: nothing to do
        await settle(pilot)
        assert "0 records would change" in status(app) and "Nothing to apply" in status(app)


async def test_every_fault_is_listed(engine: Engine, system: Actor) -> None:
    app = make_app(engine, username="system")
    async with app.run_test(size=SIZE) as pilot:
        await open_imports(pilot, DATA / "students_faults.csv")
        await pilot.press("enter")
        await settle(pilot)
        shown = lines(app)
        assert len(shown) == 12 and all(kind == "error" for kind, _, _ in shown)
        assert shown[0][1:] == (
            "students_faults.csv:2 birth_date",
            "'2001-02-30' is not a date (YYYY-MM-DD).",
        )
        assert "Nothing was imported: 12 problems" in status(app)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert students(engine) == 0


async def test_oneroster_folder(engine: Engine, system: Actor) -> None:
    folder = oneroster_fixtures() / "Test_full_data_set"
    app = make_app(engine, username="system")
    async with app.run_test(size=SIZE) as pilot:
        await open_imports(pilot, folder, kind="oneroster")
        await pilot.press("enter")
        await settle(pilot)
        assert "13 records would change" in status(app)
        assert any(kind == "warning" for kind, _, _ in lines(app))
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert students(engine) == 4


async def test_a_clerk_is_told_no(engine: Engine) -> None:
    with session_scope(engine) as session:
        clerk = make_staff(session, role="clerk")
    app = make_app(engine, username=clerk.username)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f10")  # refused at once: the imports screen never opens for a clerk
        await settle(pilot)
        assert not isinstance(app.screen, ImportsScreen)
        errors = [n.message for n in app._notifications if n.severity == "error"]
        assert any("needs the registrar role" in m for m in errors)
        assert students(engine) == 0
