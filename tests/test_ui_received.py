"""The desk's receiving half: a PESC transcript imported from the Imports screen (dry run, then
apply), then the record's Received screen (x) evaluates a course from the keyboard (e), applies
kept rules (p) and undoes an evaluation (u), each reaching the database."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from sqlalchemy import Engine
from sqlmodel import select
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Select, Static

from recordsdesk.db import session_scope
from recordsdesk.models import ExternalCourse, Student, TransferCredit
from recordsdesk.ui.app import make_app
from recordsdesk.ui.screens.interchange.imports import ImportsScreen
from recordsdesk.ui.screens.people.received import EvaluateModal, ReceivedScreen
from recordsdesk.ui.screens.people.record import StudentScreen
from tests.factories import make_course, make_staff
from tests.test_transfer_evaluation import sent

SIZE = (120, 40)


async def settle(pilot: Pilot[int]) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def rows(table: DataTable[object]) -> list[list[str]]:
    return [
        [c.plain if isinstance(c, Text) else str(c) for c in table.get_row_at(i)]
        for i in range(table.row_count)
    ]


def transfer_codes(engine: Engine) -> list[str]:
    with session_scope(engine) as session:
        return [t.source_course_code for t in session.exec(select(TransferCredit)).all()]


async def test_import_then_evaluate_from_the_keyboard(engine: Engine, tmp_path: Path) -> None:
    with session_scope(engine) as session:
        make_staff(session, username="reggie", role="registrar")
        make_course(session, code="CS110", title="Programming I")
    path = sent(tmp_path, "Eva", "Ellis", "2000-06-06", [("15", "A"), ("20", "C")])
    app = make_app(engine, username="reggie")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f10")
        await pilot.pause()
        assert isinstance(app.screen, ImportsScreen)
        app.screen.query_one("#import-kind", Select).value = "pesc"
        field = app.screen.query_one("#import-path", Input)
        field.value = str(path)
        field.focus()
        await pilot.pause()
        await pilot.press("enter")  # the dry run
        await settle(pilot)
        status = str(app.screen.query_one("#import-status", Static).render())
        assert "Dry run" in status and "Ctrl+S applies it" in status
        await pilot.press("ctrl+s")
        await settle(pilot)
        with session_scope(engine) as session:
            student = session.exec(select(Student).where(Student.legal_last_name == "Ellis")).one()
            assert student.id is not None and student.status == "applicant"
            student_id = student.id

        await app.push_screen(StudentScreen(student_id, title="Eva Ellis"))
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, ReceivedScreen)
        table = app.screen.query_one("#received-list", DataTable)
        shown = rows(table)
        assert [r[0] for r in shown] == ["CSC 15", "CSC 20"]
        assert shown[0][2:5] == ["3", "A", ""]

        # e on CSC 15: as CS110, minimum C, Enter in the last field evaluates.
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, EvaluateModal)
        await pilot.press(*"CS110", "enter", "C", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ReceivedScreen)
        assert rows(table)[0][4] == "= CS110"
        assert transfer_codes(engine) == ["CSC 15"]

        # CSC 20 as elective credit; a refusal first (an unknown course) stays in the dialog.
        await pilot.press("down", "e")
        await pilot.pause()
        await pilot.press(*"NOPE1", "enter", "enter")
        await settle(pilot)
        assert isinstance(app.screen, EvaluateModal)
        message = str(app.screen.query_one("#evaluate-message", Static).render())
        assert "not a course in our catalog" in message
        await pilot.press("escape")
        await pilot.pause()

        # u undoes CSC 15; p then applies the rule kept for it again.
        await pilot.press("up", "u")
        await settle(pilot)
        assert rows(table)[0][4] == "proposed: CS110" and transfer_codes(engine) == []
        await pilot.press("p")
        await settle(pilot)
        assert rows(table)[0][4] == "= CS110" and transfer_codes(engine) == ["CSC 15"]
    with session_scope(engine) as session:
        evaluated = session.exec(
            select(ExternalCourse).where(ExternalCourse.transfer_credit_id.is_not(None))  # type: ignore[union-attr]
        ).all()
        assert [c.course_code for c in evaluated] == ["CSC 15"]
