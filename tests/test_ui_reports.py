"""The Reports screen driven by keys: F8, pick a report, the table and its bar chart, a term
filter, a bad term, CSV export through the path dialog, and the clerk who may not run reports."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from rich.text import Text
from sqlalchemy import Engine, text
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, OptionList, Static

from recordsdesk.db import session_scope
from recordsdesk.services.access.actor import Actor
from recordsdesk.ui.app import RecordsDeskApp, make_app
from recordsdesk.ui.screens.registration.dialogs import ConfirmModal
from recordsdesk.ui.screens.reports.viewer import ExportModal, ReportsScreen
from recordsdesk.ui.widgets.bar_chart import BarChart
from recordsdesk.ui.widgets.fit_table import FitTable
from tests.conftest import demo_engine_for
from tests.desk_data import DeskData, seed_desk
from tests.factories import make_staff

SIZE = (140, 45)


@pytest.fixture
def desk_data(engine: Engine, system: Actor) -> DeskData:
    with session_scope(engine) as session:
        data = seed_desk(session, system.id)
        make_staff(session, username="clk", role="clerk")
        return data


async def settle(pilot: Pilot[int]) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def cells(table: DataTable[object], index: int) -> list[str]:
    values = (table.get_row_at(i)[index] for i in range(table.row_count))
    return [v.plain if isinstance(v, Text) else str(v) for v in values]


def shown(screen: ReportsScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def choose(pilot: Pilot[int], name: str) -> None:
    """Arrow down the report list to `name` and press Enter, as a registrar would."""
    options = pilot.app.screen.query_one("#report-list", OptionList)
    options.focus()
    await pilot.pause()
    while (
        options.highlighted is None or options.get_option_at_index(options.highlighted).id != name
    ):
        await pilot.press("down")
    await pilot.press("enter")
    await settle(pilot)


async def test_run_grade_distribution_chart_and_export(
    engine: Engine, desk_data: DeskData, tmp_path: Path
) -> None:
    app: RecordsDeskApp = make_app(engine, username="system")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f8")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ReportsScreen)
        await choose(pilot, "grade-distribution")
        grid = screen.query_one("#report-table", DataTable)
        assert [str(c.label) for c in grid.columns.values()][:4] == [
            "Course",
            "Title",
            "Term",
            "A-",
        ]
        assert cells(grid, 0) == ["BIO101", "SEM100"]
        assert cells(grid, 1)[0] == "Cells & [i]Life[/i]"  # markup in data shows as typed
        assert "2025FA" in shown(screen, "#report-subtitle")
        chart = screen.query_one("#report-chart", BarChart)
        assert chart.display and chart.chart is not None
        drawn = str(chart.render())
        assert "BIO101" in drawn and "█" in drawn  # the chart follows the row under the cursor
        assert dict(chart.chart.bars) == {"A-": 1, "P": 0}
        while app.focused is not grid:  # Tab past the filters to the table
            await pilot.press("tab")
        await pilot.press("down")
        await pilot.pause()
        assert chart.chart is not None and "SEM100" in chart.chart.title
        assert dict(chart.chart.bars) == {"A-": 0, "P": 1}

        target = tmp_path / "exports" / "distribution.csv"
        await pilot.press("ctrl+e")
        await pilot.pause()
        assert isinstance(app.screen, ExportModal)
        path_input = app.screen.query_one("#export-path", Input)
        assert path_input.value.endswith(".csv") and "reports" in path_input.value
        path_input.value = str(target)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ReportsScreen)
        assert target.read_text(encoding="utf-8-sig").splitlines()[0] == (
            "Course,Title,Term,A-,P,Total"
        )
        assert any("Wrote 2 rows" in n.message for n in app._notifications)

        target.write_text("kept", encoding="utf-8")  # a second export to the same file asks
        await pilot.press("ctrl+e")
        await pilot.pause()
        app.screen.query_one("#export-path", Input).value = str(target)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("n")
        await pilot.pause()
        assert target.read_text(encoding="utf-8") == "kept"
    with engine.connect() as connection:
        assert (
            connection.execute(
                text("SELECT entity_id FROM audit_event WHERE action = 'export'")
            ).scalar_one()
            == "grade-distribution"
        )


async def test_term_filter_and_a_wrong_term(engine: Engine, desk_data: DeskData) -> None:
    app = make_app(engine, username="system")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f8")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ReportsScreen)
        await choose(pilot, "holds")
        grid = screen.query_one("#report-table", DataTable)
        assert cells(grid, 1) == ["García, José (Pepe)"]
        # Beside the chart the reason gives way to what the hold blocks; the report keeps it.
        assert "Reason" not in screen.query_one("#report-table", FitTable).column_widths()
        assert screen.table is not None
        assert screen.table.column("Reason") == ["Library fine [unpaid]"]
        drawn = str(screen.query_one("#report-chart", BarChart).render())
        assert drawn.startswith("Active holds by type\nfinancial █") and drawn.endswith(" 1")

        await choose(pilot, "enrollment")
        screen.query_one("#report-term", Input).focus()
        await pilot.press(*"2026sp", "enter")
        await settle(pilot)
        assert set(cells(grid, 0)) == {"2026SP"}
        assert cells(grid, 4) == ["1", "1"]  # García in Biology, then the term's total

        screen.query_one("#report-term", Input).value = ""
        await pilot.press(*"1999XX", "enter")
        await settle(pilot)
        errors = [n.message for n in app._notifications if n.severity == "error"]
        assert any("there is no term '1999XX'" in e for e in errors)


async def test_a_clerk_is_told_reports_need_the_registrar(
    engine: Engine, desk_data: DeskData
) -> None:
    app = make_app(engine, username="clk")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f8")  # refused at once, naming the role: no screen that can only fail
        await pilot.pause()
        assert not isinstance(app.screen, ReportsScreen)
        errors = [n.message for n in app._notifications if n.severity == "error"]
        assert any("needs the registrar role" in m for m in errors)
        await app.switch_mode("reports")  # however it is reached, it explains and runs nothing
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ReportsScreen)
        assert "need the registrar role" in shown(screen, "#report-title")
        await pilot.press("enter")
        await settle(pilot)
        assert screen.query_one("#report-table", DataTable).row_count == 0


async def test_a_list_of_students_exported_asks_who_receives_it_and_logs_each(
    engine: Engine, desk_data: DeskData, tmp_path: Path
) -> None:
    app = make_app(engine, username="system")
    target = tmp_path / "holds.csv"
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f8")
        await pilot.pause()
        await choose(pilot, "holds")
        await pilot.press("ctrl+e")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ExportModal)
        dialog.query_one("#export-path", Input).value = str(target)
        recipient = dialog.query_one("#export-recipient", Input)
        assert recipient.value == "school officials (internal report)"
        recipient.value = "Bursar\x07"
        recipient.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert "recipient:" in str(dialog.query_one("#export-message", Static).render())
        recipient.value = "County court clerk"
        dialog.query_one("#export-purpose", Input).value = "subpoena 2026-114"
        bases = dialog.query_one("#export-basis", OptionList)
        bases.focus()
        await pilot.pause()
        while bases.get_option_at_index(bases.highlighted or 0).id != "court_order":
            await pilot.press("down")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ReportsScreen) and target.exists()
    with engine.connect() as connection:
        logged = connection.execute(
            text("SELECT student_id, document, recipient, purpose, basis FROM disclosure")
        ).all()
    assert [tuple(row) for row in logged] == [
        (desk_data.garcia_id, "report", "County court clerk", "subpoena 2026-114", "court_order")
    ]


#: What each report is for, on screen at every size: the columns a narrow table keeps.
DECISIVE = {
    "enrollment": ("Term", "Program", "Students", "Enrollments"),
    "section-fill": ("Course", "Capacity", "Registered", "Fill %", "Seats left", "Waitlisted"),
    "deans-list": ("Student no.", "Name", "Term GPA", "Cumulative GPA"),
    "probation": ("Student no.", "Name", "Cumulative GPA", "Standing"),
    "class-rank": ("Class", "Rank", "Student no.", "Name", "Weighted GPA"),
    "incompletes": ("Student no.", "Name", "Course", "Expires", "State"),
    "graduation": ("Student no.", "Name", "Result"),
    "grade-distribution": ("Course", "Total"),
    "holds": ("Student no.", "Name", "Hold", "Blocks"),
}


@pytest.fixture(scope="module")
def demo_desk(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    yield from demo_engine_for(
        request, tmp_path_factory, folder="reports-ui", students=300, seed=7, today=date.today()
    )


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
async def test_every_report_keeps_its_decisive_columns_on_screen(
    demo_desk: Engine, size: tuple[int, int]
) -> None:
    """Each report's row fits the table's width (no sideways scrolling to find a probation
    list's standing), its decisive columns are among those drawn, and the confidential flag is
    drawn whenever a listed student has it (a blank flag column may give way: the footnote
    says nobody is confidential)."""
    app = make_app(demo_desk, username="registrar")
    async with app.run_test(size=size) as pilot:
        await pilot.press("f8")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ReportsScreen)
        grid = screen.query_one("#report-table", FitTable)
        for name, decisive in DECISIVE.items():
            await choose(pilot, name)
            assert screen.table is not None and screen.table.name == name
            assert screen.table.rows, name  # the demo has rows for every report
            drawn = grid.column_widths()
            missing = [label for label in decisive if label not in drawn]
            assert not missing, (name, missing, drawn)
            across = sum(w + 2 * grid.cell_padding for w in drawn.values())
            assert across <= grid.scrollable_content_region.width, (name, drawn)
            assert grid.max_scroll_x == 0, name
            flagged = (
                any(screen.table.column("Confidential"))
                if "Confidential" in (screen.table.columns)
                else False
            )
            assert not flagged or "Confidential" in drawn, name
