"""The Reports screen (F8): pick a report, narrow it by term and program, read the table and its
bar chart, export it as CSV.

Reports run in a thread worker through the services (`run_report`), which return a frozen
ReportTable; the screen only draws it. A report listing tens of thousands of students shows
its first rows here and the whole of it in the CSV export.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Checkbox, DataTable, Footer, Header, Input, OptionList, Static
from textual.widgets.option_list import Option

from recordsdesk.services.access.permissions import Action, allowed
from recordsdesk.services.disclosure.log import BASIS_WORDS, BulkRelease, check_bulk_release
from recordsdesk.services.reports import (
    INTERNAL,
    REPORTS,
    ReportTable,
    cell_text,
    default_export_path,
    export_csv,
    find_report,
    listed_students,
    run_report,
)
from recordsdesk.services.shared.errors import ValidationFailed
from recordsdesk.services.shared.private_files import OutputExists
from recordsdesk.ui.screens.base import DeskScreen
from recordsdesk.ui.screens.registration.dialogs import ConfirmModal
from recordsdesk.ui.widgets.bar_chart import BarChart
from recordsdesk.ui.widgets.fit_table import FitTable

MAX_ROWS = 2000  # rows drawn on screen; the CSV export always holds every row
#: Report columns drawn whole (codes, numbers); names, titles and reasons give way to them.
REPORT_KEEP = ("Student no.", "Term", "Course", "Section", "Program", "Status", "Flags")
#: Left out on a narrow screen rather than push a figure off it (the code stays beside it).
REPORT_DROP = ("Program name",)
#: Each report's columns in the order they give way when its row would not fit (80 columns,
#: or beside the chart): what the report is for stays on screen (a probation list's standing,
#: a graduation audit's result), the detail goes to the CSV and the command line.
NARROW_DROP: dict[str, tuple[str, ...]] = {
    "enrollment": REPORT_DROP,
    "section-fill": ("Instructor", "Waitlist cap", "Title", "Section", "Offers out"),
    "deans-list": ("GPA credits", "Program"),
    "probation": ("Status", "GPA credits", "Program", "Term GPA"),
    "class-rank": ("Unweighted rank", "Unweighted GPA", "Decile", "Percentile"),
    "incompletes": ("Instructor", "Program", "Term", "Days left"),
    "graduation": (
        "Courses in progress",
        "Min GPA",
        "Required",
        "In progress",
        "Courses missing",
        "GPA check",
        "Credits",
        "Earned",
        "GPA",
        "Program",
    ),
    "grade-distribution": ("Title", "Term"),
    "holds": ("Placed by", "Status", "Program", "Reason", "Placed"),
}
#: The bases a list of students may leave on, as the export dialog offers them (no consent:
#: a consent is one student's).
LIST_BASES = tuple(b for b in BASIS_WORDS if b not in ("consent", "student_request"))


@dataclass
class ReportReady(Message):
    table: ReportTable


@dataclass
class ReportWouldOverwrite(Message):
    """The CSV's file exists: the screen asks before replacing it."""

    table: ReportTable
    choice: ExportChoice
    shown: str


@dataclass
class ReportExported(Message):
    path: Path
    rows: int


def table_cell(value: object) -> Text:
    """A report value as a cell: plain text (never markup), numbers to the right."""
    numeric = isinstance(value, int | Decimal) and not isinstance(value, bool)
    return Text(cell_text(value), justify="right" if numeric else "left")  # type: ignore[arg-type]


@dataclass(frozen=True)
class ExportChoice:
    """Where the CSV goes, and for a list of students, to whom and on what basis (the
    disclosure log's row for each student it names)."""

    path: str
    release: BulkRelease = INTERNAL


class ExportModal(ModalScreen[ExportChoice | None]):
    """Where to write the CSV: Enter accepts the path shown (the data folder by default). A
    report listing students also asks who receives it, why, and the legal basis (picked from
    the list with the arrows), since each student it lists gets a disclosure-log row."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, table: ReportTable, default: Path) -> None:
        super().__init__(classes="report-dialog")
        self.table = table
        self.default = default
        self.people = bool(listed_students(table))

    def compose(self) -> ComposeResult:
        warning = (
            "It lists students by name: keep it inside the office unless it was run with "
            "'Leave out confidential'. Each student listed is logged as a disclosure. "
            if self.people
            else ""
        )
        with Vertical(classes="dialog-box"):
            yield Static(
                Text(f"Export {self.table.title} ({len(self.table.rows)} rows) as CSV to:"),
                id="export-prompt",
            )
            yield Input(str(self.default), id="export-path")
            if self.people:
                yield Input(INTERNAL.recipient, id="export-recipient", placeholder="Recipient")
                yield Input(INTERNAL.purpose, id="export-purpose", placeholder="Purpose")
                bases = OptionList(
                    *(Option(BASIS_WORDS[b], id=b) for b in LIST_BASES), id="export-basis"
                )
                bases.border_title = "Legal basis"
                yield bases
            yield Static(
                Text(
                    f"{warning}The export is recorded in the audit log. Enter saves, Esc cancels."
                ),
                id="export-note",
            )
            yield Static("", id="export-message", markup=False)

    def on_mount(self) -> None:
        if self.people:
            bases = self.query_one("#export-basis", OptionList)
            bases.highlighted = LIST_BASES.index(INTERNAL.basis)

    def _release(self) -> BulkRelease:
        if not self.people:
            return INTERNAL
        bases = self.query_one("#export-basis", OptionList)
        index = bases.highlighted
        return BulkRelease(
            recipient=self.query_one("#export-recipient", Input).value,
            purpose=self.query_one("#export-purpose", Input).value,
            basis=LIST_BASES[index] if index is not None else INTERNAL.basis,
        )

    @on(Input.Submitted)
    @on(OptionList.OptionSelected, "#export-basis")
    def _accept(self) -> None:
        path = self.query_one("#export-path", Input).value.strip()
        message = self.query_one("#export-message", Static)
        if not path:
            message.update("Type a file name to save to.")
            return
        try:
            release = check_bulk_release(self._release())
        except ValidationFailed as refused:
            message.update(f"{refused.field}: {refused.message}")
            return
        self.dismiss(ExportChoice(path, release))

    def action_cancel(self) -> None:
        self.dismiss(None)


class ReportsScreen(DeskScreen):
    CSS_PATH = "viewer.tcss"
    SCREEN_NAME = "Reports"
    PURPOSE = (
        "The registrar's reports: enrollment counts, section fill and waitlists, the dean's "
        "list, probation, incompletes, graduation candidates (a degree audit), grade "
        "distribution and holds. Pick a report with the arrows and Enter; type a term code "
        "(e.g. 2026FA) or a program code in the filters and press Enter to run it again (blank "
        "means the report's default). Reports that list students flag confidential ones; tick "
        "'Leave out confidential' for a list that leaves the office. Ctrl+E exports the whole "
        "report as CSV (audited). Reports need the registrar role."
    )
    BINDINGS = [
        Binding("escape", "app.switch_mode('lookup')", "Lookup"),
        Binding("ctrl+r", "run", "Run"),
        Binding("ctrl+e", "export", "Export CSV"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.table: ReportTable | None = None
        self.chosen = REPORTS[0].name

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="reports-body"):
            with Vertical(id="reports-side"):
                yield OptionList(
                    *(Option(Text(spec.title), id=spec.name) for spec in REPORTS),
                    id="report-list",
                )
                yield Static("", id="report-about", markup=False)
            with Vertical(id="reports-main"):
                with Horizontal(id="reports-filters"):
                    yield Input(placeholder="term (e.g. 2026FA)", id="report-term")
                    yield Input(placeholder="program (e.g. BS-CS)", id="report-program")
                    yield Checkbox("Leave out confidential", id="report-directory")
                yield Static("", id="report-title", markup=False)
                yield Static("", id="report-subtitle", markup=False)
                with Horizontal(id="report-view"):
                    yield FitTable(
                        id="report-table", keep=REPORT_KEEP, drop=REPORT_DROP, wrap_labels=True
                    )
                    yield BarChart(id="report-chart")
                yield Static("", id="report-notes", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#report-list", OptionList).focus()
        self.query_one("#report-chart", BarChart).add_class("-empty")  # until a report has one
        self._describe(self.chosen)
        if not allowed(self.desk.actor, Action.REPORT_RUN):
            self._say(
                "Reports need the registrar role",
                f"{self.desk.actor.username} is signed in as {self.desk.actor.role.value}.",
            )

    def _say(self, title: str, subtitle: str = "") -> None:
        self.query_one("#report-title", Static).update(title)
        self.query_one("#report-subtitle", Static).update(subtitle)

    def _describe(self, name: str) -> None:
        spec = find_report(name)
        filters = [
            f for f, on_ in (("term", spec.takes_term), ("program", spec.takes_program)) if on_
        ]
        default = f"\nNo term: {spec.term_default}." if spec.term_default else ""
        self.query_one("#report-about", Static).update(
            f"{spec.summary}.\nFilters: {', '.join(filters) or 'none'}.{default}"
        )
        # A filter the report has no use for is greyed out rather than silently ignored.
        self.query_one("#report-term", Input).disabled = not spec.takes_term
        self.query_one("#report-program", Input).disabled = not spec.takes_program
        self.query_one("#report-directory", Checkbox).disabled = not spec.lists_people

    @on(OptionList.OptionHighlighted, "#report-list")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id:
            self._describe(event.option.id)

    @on(OptionList.OptionSelected, "#report-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.chosen = event.option.id
            self.action_run()

    @on(Input.Submitted, "#reports-filters Input")
    def _filters_submitted(self) -> None:
        self.action_run()

    def action_run(self) -> None:
        if not allowed(self.desk.actor, Action.REPORT_RUN):
            self.notify("Reports need the registrar role.", severity="warning")
            return
        spec = find_report(self.chosen)
        term = self.query_one("#report-term", Input).value.strip() if spec.takes_term else ""
        program = (
            self.query_one("#report-program", Input).value.strip() if spec.takes_program else ""
        )
        directory = self.query_one("#report-directory", Checkbox).value
        self._say(f"Running {spec.title}…")
        self._run(spec.name, term, program, directory)

    @work(thread=True, exclusive=True, group="report", exit_on_error=False)
    def _run(self, name: str, term: str, program: str, directory: bool) -> None:
        table = self.desk.call(
            run_report,
            name=name,
            term_code=term or None,
            program_code=program or None,
            directory_only=directory,
        )
        self.post_message(ReportReady(table))

    @on(ReportReady)
    def _show(self, message: ReportReady) -> None:
        table = message.table
        self.table = table
        shown = table.rows[:MAX_ROWS]
        self._say(table.title, table.subtitle)
        grid = self.query_one("#report-table", FitTable)
        grid.fill(
            table.columns,
            [tuple(table_cell(v) for v in row) for row in shown],
            drop=NARROW_DROP.get(table.name, REPORT_DROP),
        )
        chart = self.query_one("#report-chart", BarChart)
        chart.show(table.chart)
        chart.set_class(table.chart is None, "-empty")  # hidden by the CSS when empty
        notes = list(table.footnotes)
        if len(table.rows) > len(shown):
            notes.insert(
                0,
                f"Showing the first {len(shown)} of {len(table.rows)} rows; "
                "Ctrl+E exports all of them.",
            )
        if not table.rows:
            notes.insert(0, "No rows.")
        self.query_one("#report-notes", Static).update("\n".join(f"• {n}" for n in notes))

    @on(DataTable.RowHighlighted, "#report-table")
    def _row_chart(self, event: DataTable.RowHighlighted) -> None:
        """Grade distribution: the chart follows the course under the cursor."""
        if self.table is None or not self.table.chart_columns:
            return
        chart = self.table.row_chart(event.cursor_row)
        if chart is not None:
            self.query_one("#report-chart", BarChart).show(chart)

    def action_export(self) -> None:
        table = self.table
        if table is None:
            self.notify("Run a report first (Enter on its name).", severity="warning")
            return

        def chosen(choice: ExportChoice | None) -> None:
            if choice:
                self._export(table, choice, overwrite=False)

        self.app.push_screen(ExportModal(table, default_export_path(table)), chosen)

    @work(thread=True, exclusive=True, group="report-export", exit_on_error=False)
    def _export(self, table: ReportTable, choice: ExportChoice, *, overwrite: bool) -> None:
        try:
            written = self.desk.call(
                export_csv,
                table=table,
                path=choice.path,
                overwrite=overwrite,
                release=choice.release,
            )
        except OutputExists as exists:
            self.post_message(ReportWouldOverwrite(table, choice, str(exists.path)))
            return
        self.post_message(ReportExported(written, len(table.rows)))

    @on(ReportWouldOverwrite)
    def _ask_overwrite(self, message: ReportWouldOverwrite) -> None:
        def answered(replace: bool | None) -> None:
            if replace:
                self._export(message.table, message.choice, overwrite=True)

        question = f"{message.shown} already exists. Replace it with this report?"
        self.app.push_screen(ConfirmModal(question), answered)

    @on(ReportExported)
    def _exported(self, message: ReportExported) -> None:
        self.notify(
            f"Wrote {message.rows} rows to {message.path}", title="CSV exported", markup=False
        )
