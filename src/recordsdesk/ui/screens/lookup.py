"""The home screen: type part of a name, a number, an email or a birth date; Enter opens the
record. The search box keeps the focus, so the arrow keys move through the results while the
clerk keeps typing."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Input, Static
from textual.worker import get_current_worker

from recordsdesk.services.lookup import LookupResult, StudentRow, search
from recordsdesk.ui.screens.base import DeskScreen
from recordsdesk.ui.screens.student import StudentScreen
from recordsdesk.ui.widgets.cells import cell, flags, words

RESULT_LIMIT = 50
HINT = "Type part of a name, a student number, an email or a birth date (YYYY-MM-DD)."
COLUMNS = ("Number", "Name", "Birth date", "Program", "Level/Year", "Status", "Flags")


@dataclass
class LookupFinished(Message):
    """A search came back; `query` says which one, so a stale answer can be dropped."""

    query: str
    result: LookupResult


class LookupScreen(DeskScreen):
    CSS_PATH = "lookup.tcss"
    SCREEN_NAME = "Lookup"
    PURPOSE = (
        "Find a student at the counter. Results follow every keystroke: part of any name "
        "(legal or preferred), the start of a student number or email, or a birth date in "
        "YYYY-MM-DD form. Use the arrow keys to pick a student and Enter to open the record."
    )
    BINDINGS = [
        Binding("enter", "open_record", "Open record", priority=True),
        Binding("escape", "clear", "Clear", priority=True),
        Binding("down", "move(1)", "Next", show=False, priority=True),
        Binding("up", "move(-1)", "Previous", show=False, priority=True),
        Binding("pagedown", "move(10)", "Page down", show=False, priority=True),
        Binding("pageup", "move(-10)", "Page up", show=False, priority=True),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._rows: dict[str, StudentRow] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder=HINT, id="lookup-query")
        yield Static(HINT, id="lookup-summary", markup=False)
        table: DataTable[Text] = DataTable(
            id="lookup-results", cursor_type="row", zebra_stripes=True
        )
        table.can_focus = False  # the search box keeps the keys; the screen moves the cursor
        yield table
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#lookup-results", DataTable).add_columns(*COLUMNS)
        self.query_one("#lookup-query", Input).focus()

    @property
    def query_text(self) -> str:
        return self.query_one("#lookup-query", Input).value

    @on(Input.Changed, "#lookup-query")
    def _query_changed(self, event: Input.Changed) -> None:
        if not event.value.strip():
            self.workers.cancel_group(self, "lookup")
            self._show(event.value, LookupResult(rows=(), total=0))
            return
        self._search(event.value)

    @work(thread=True, exclusive=True, group="lookup", exit_on_error=False)
    def _search(self, query: str) -> None:
        result = self.desk.call(search, query=query, limit=RESULT_LIMIT)
        if not get_current_worker().is_cancelled:
            self.post_message(LookupFinished(query, result))

    @on(LookupFinished)
    def _lookup_finished(self, message: LookupFinished) -> None:
        if message.query == self.query_text:  # an answer to an older query is dropped
            self._show(message.query, message.result)

    def _show(self, query: str, result: LookupResult) -> None:
        table = self.query_one("#lookup-results", DataTable)
        table.clear()
        self._rows = {str(row.id): row for row in result.rows}
        for row in result.rows:
            table.add_row(*_cells(row), key=str(row.id))
        self.query_one("#lookup-summary", Static).update(_summary(query, result))

    def action_move(self, rows: int) -> None:
        table = self.query_one("#lookup-results", DataTable)
        if table.row_count:
            target = max(0, min(table.row_count - 1, table.cursor_row + rows))
            table.move_cursor(row=target)

    def action_clear(self) -> None:
        self.query_one("#lookup-query", Input).value = ""

    def action_open_record(self) -> None:
        row = self.highlighted_row
        if row is not None:
            self.app.push_screen(StudentScreen(row.id, title=row.display_name))

    @on(DataTable.RowSelected, "#lookup-results")
    def _row_clicked(self, event: DataTable.RowSelected) -> None:
        self.action_open_record()

    @property
    def highlighted_row(self) -> StudentRow | None:
        table = self.query_one("#lookup-results", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self._rows.get(key or "")


def _cells(row: StudentRow) -> tuple[Text, ...]:
    return (
        cell(row.student_number),
        cell(row.display_name),
        cell(row.birth_date),
        cell(row.program_code),
        cell(row.level),
        words(row.status),
        flags(hold=row.has_hold, confidential=row.confidential),
    )


def _summary(query: str, result: LookupResult) -> str:
    if not query.strip():
        return HINT
    if result.total == 0:
        return "No student matches. Try fewer letters, a student number or a birth date."
    noun = "match" if result.total == 1 else "matches"
    if result.truncated:
        return f"{result.total} {noun}, showing {len(result.rows)}. Type more to narrow."
    return f"{result.total} {noun}"
