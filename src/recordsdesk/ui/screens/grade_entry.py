"""Grade entry: choose a term and a section, then key the roster's marks from the grade sheet.

Keystrokes never wait on the database. A typed mark is checked against the scale on the spot,
shown on its row and the cursor moves on; one saver thread commits the marks in the order typed
(each its own transaction) and reports every result back by message, so a conflict or an error
lands on its row while the registrar is already three rows further down.
"""

from __future__ import annotations

import queue
from dataclasses import dataclass, replace
from datetime import date
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import DataTable, Footer, Header, Input, Static
from textual.worker import get_current_worker

from recordsdesk.services import grading
from recordsdesk.services.directory import CONFIDENTIAL_SHORT
from recordsdesk.services.errors import ValidationFailed
from recordsdesk.services.grading import MarkConflict, MarkSaved
from recordsdesk.services.roster import (
    DbRosterStore,
    GradingSection,
    GradingTerm,
    Roster,
    RosterRow,
    RosterStore,
)
from recordsdesk.ui.errors import describe_error
from recordsdesk.ui.screens.base import DeskScreen
from recordsdesk.ui.widgets.cells import cell
from recordsdesk.ui.widgets.fit_table import FitTable
from recordsdesk.ui.widgets.grade_dialogs import (
    ConfirmPostModal,
    GradeChangeModal,
    ImportModal,
    IncompleteModal,
)

MAX_CHOICES = 200
BAR_WIDTH = 24
#: A saved mark's ✓ waits at most this long for the next keystroke's repaint to ride on.
RESULT_DELAY = 0.25


class LiveLine(Widget):
    """Text that changes on every keystroke. Unlike Static.update, `show` repaints without a
    layout pass (its size is fixed in CSS), which keeps keying fast beside a 300-row table."""

    def __init__(self, *, id: str) -> None:  # noqa: A002 - Textual's own keyword
        super().__init__(id=id)
        self.text = Text("")

    def show(self, text: Text | str) -> None:
        self.text = text if isinstance(text, Text) else Text(text)
        self.refresh()

    def render(self) -> Text:
        return self.text


@dataclass
class ChoicesLoaded(Message):
    terms: tuple[GradingTerm, ...] = ()
    sections: tuple[GradingSection, ...] = ()
    term: GradingTerm | None = None


class GradeEntryScreen(DeskScreen):
    """The term, then the section, each from a list filtered as you type."""

    CSS_PATH = "grade_entry.tcss"
    SCREEN_NAME = "Grades"
    PURPOSE = (
        "Choose a term, then a section (type to filter, arrows to move, Enter to open). Each "
        "section shows its instructor and how many marks are entered and whether they are posted."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "move(-1)", "Up", show=False),
        Binding("down", "move(1)", "Down", show=False),
        Binding("escape", "back", "Back to terms"),
    ]

    def __init__(self, store: RosterStore | None = None) -> None:
        super().__init__()
        self._store = store
        self._terms: tuple[GradingTerm, ...] = ()
        self._sections: tuple[GradingSection, ...] = ()
        self._term: GradingTerm | None = None
        self._shown: list[int] = []

    @property
    def store(self) -> RosterStore:
        if self._store is None:
            self._store = DbRosterStore(self.desk.engine, self.desk.actor)
        return self._store

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Loading terms…", id="choice-title", markup=False)
        yield Input(placeholder="Type to filter, Enter to open", id="choice-filter")
        yield FitTable(id="choice-table", keep=("Section", "Term", "Progress", "Posted"))
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#choice-table", DataTable).can_focus = False
        self.query_one("#choice-filter", Input).focus()
        self._load_terms()

    def on_screen_resume(self) -> None:
        if self._term is not None:  # back from a roster: progress has moved
            self._load_sections(self._term)

    @work(thread=True, exclusive=True, group="grade-choices", exit_on_error=False)
    def _load_terms(self) -> None:
        self.post_message(ChoicesLoaded(terms=self.store.terms()))

    @work(thread=True, exclusive=True, group="grade-choices", exit_on_error=False)
    def _load_sections(self, term: GradingTerm) -> None:
        self.post_message(ChoicesLoaded(sections=self.store.sections(term.id), term=term))

    @on(ChoicesLoaded)
    def _choices_loaded(self, message: ChoicesLoaded) -> None:
        if message.term is None:
            self._terms, self._term = message.terms, None
        else:
            self._sections, self._term = message.sections, message.term
        self._fill()

    def _rows(self) -> list[tuple[int, tuple[Text, ...]]]:
        if self._term is None:
            return [
                (
                    t.id,
                    (
                        cell(t.code),
                        cell(t.name),
                        cell(t.status.replace("_", " ")),
                        cell(f"{t.sections} sections"),
                    ),
                )
                for t in self._terms
            ]
        return [
            (
                s.id,
                (
                    cell(f"{s.course_code}-{s.section_code}"),
                    cell(s.course_title),
                    cell(s.instructor),
                    cell(s.progress),
                    cell("posted" if s.posted_at else "not posted"),
                ),
            )
            for s in self._sections
        ]

    def _fill(self) -> None:
        table = self.query_one("#choice-table", FitTable)
        wanted = self.query_one("#choice-filter", Input).value.casefold().split()
        if self._term is None:
            columns: tuple[str, ...] = ("Term", "Name", "Status", "Sections")
            title = "Choose a term"
        else:
            columns = ("Section", "Course", "Instructor", "Progress", "Posted")
            title = f"{self._term.code}: choose a section (Esc: back to terms)"
        matches = [
            (key, cells)
            for key, cells in self._rows()
            if all(any(w in c.plain.casefold() for c in cells) for w in wanted)
        ]
        self._shown = [key for key, _ in matches[:MAX_CHOICES]]
        shown = matches[:MAX_CHOICES]
        table.fill(columns, [cells for _, cells in shown], [str(key) for key, _ in shown])
        more = len(matches) - len(self._shown)
        suffix = f" · {more} more, type to narrow" if more > 0 else ""
        self.query_one("#choice-title", Static).update(f"{title} · {len(matches)} shown{suffix}")

    @on(Input.Changed, "#choice-filter")
    def _filter_changed(self) -> None:
        self._fill()

    def action_move(self, step: int) -> None:
        table = self.query_one("#choice-table", DataTable)
        if table.row_count:
            table.move_cursor(row=max(0, min(table.row_count - 1, table.cursor_row + step)))

    def action_back(self) -> None:
        if self._term is not None:
            self._term = None
            self.query_one("#choice-filter", Input).value = ""
            self._fill()
        else:
            self.app.switch_mode("lookup")

    @on(Input.Submitted, "#choice-filter")
    def _choose(self) -> None:
        table = self.query_one("#choice-table", DataTable)
        if not self._shown:
            return
        key = self._shown[min(table.cursor_row, len(self._shown) - 1)]
        self.query_one("#choice-filter", Input).value = ""
        if self._term is None:
            self._load_sections(next(t for t in self._terms if t.id == key))
        else:
            self.app.push_screen(RosterScreen(self.store, key))


# --- the roster --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SaveRequest:
    enrollment_id: int
    mark: str | None
    expires: date | None
    previous: RosterRow
    reason: str | None = None  # a grade change of a posted mark


@dataclass
class RosterLoaded(Message):
    roster: Roster


@dataclass
class MarkResult(Message):
    request: SaveRequest
    saved: MarkSaved | None = None
    conflict: MarkConflict | None = None
    error: str = ""


@dataclass
class Posted(Message):
    text: str
    error: bool = False


_RELOAD = "reload"
_POST = "post"
SAVED_WIDTH = len("not saved")  # the widest word the Saved column shows
ROSTER_COLUMNS = (
    ("num", "#"),
    ("number", "Number"),
    ("name", "Name"),
    ("status", "Status"),
    ("mark", "Mark"),
    ("previous", "Prev"),
    ("result", "Saved"),
)


class RosterScreen(DeskScreen):
    CSS_PATH = "grade_entry.tcss"
    SCREEN_NAME = "Grade entry"
    PURPOSE = (
        "Key a section's marks: type a mark and Enter; it is checked against the section's "
        "scale (a percentage becomes its letter on a banded scale), saved at once and the cursor "
        "moves down. I asks for an expiry date. Withdrawn students (W) are skipped. Ctrl+Z undoes "
        "the last entry. A mark changed at another desk is shown as a conflict, never overwritten."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "move(1)", "Next", show=False),
        Binding("up", "move(-1)", "Previous", show=False),
        Binding("tab", "move(1)", "Next", show=False),
        Binding("shift+tab", "move(-1)", "Previous", show=False),
        Binding("ctrl+z", "undo", "Undo"),
        Binding("f7", "import_marks", "Import CSV"),
        Binding("f8", "post", "Post"),
        Binding("escape", "app.pop_screen", "Sections"),
    ]

    def __init__(self, store: RosterStore, section_id: int) -> None:
        super().__init__()
        self.store = store
        self.section_id = section_id
        self.roster: Roster | None = None
        self.rows: list[RosterRow] = []
        self.results: dict[int, Text] = {}
        self._undo: list[SaveRequest] = []
        self._requests: queue.SimpleQueue[SaveRequest | str | None] = queue.SimpleQueue()
        self._versions: dict[int, int] = {}  # owned by the saver thread
        self._dirty_rows: set[int] = set()  # saved rows whose ✓ is not drawn yet
        self._flush_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Loading the roster…", id="roster-head", markup=False)
        with Horizontal(id="roster-body"):
            yield DataTable(id="roster-table", cursor_type="row", zebra_stripes=True)
            with Vertical(id="roster-side"):
                yield LiveLine(id="roster-progress")
                yield LiveLine(id="roster-chart")
        with Horizontal(id="mark-bar"):
            yield LiveLine(id="mark-label")
            yield Input(id="mark-input", placeholder="type a mark, Enter")
        yield LiveLine(id="roster-message")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#roster-table", DataTable)
        table.can_focus = False
        for key, label in ROSTER_COLUMNS:
            # Saved starts empty and is filled in place: sized for "not saved" from the start.
            table.add_column(label, key=key, width=SAVED_WIDTH if key == "result" else None)
        self.query_one("#mark-input", Input).focus()
        self._saver()
        self._requests.put(_RELOAD)

    def on_unmount(self) -> None:
        self._requests.put(None)

    # -- the saver thread: every store call of the roster, in the order asked --

    @work(thread=True, group="grade-saves", exit_on_error=False)
    def _saver(self) -> None:
        worker = get_current_worker()
        while not worker.is_cancelled:
            request = self._requests.get()
            if request is None:
                return
            if request == _POST:
                self._post_now()
                request = _RELOAD
            if isinstance(request, str):
                roster = self.store.roster(self.section_id)
                self._versions = {r.enrollment_id: r.version for r in roster.rows}
                self.post_message(RosterLoaded(roster))
                continue
            self.post_message(self._save(request))

    def _save(self, request: SaveRequest) -> MarkResult:
        eid = request.enrollment_id
        try:
            if request.reason is None:
                rules = self.roster.rules if self.roster else None
                saved = self.store.save(
                    eid, self._versions[eid], request.mark, request.expires, rules
                )
            else:
                assert request.mark is not None
                saved = self.desk.call(
                    grading.change_grade,
                    enrollment_id=eid,
                    expected_version=self._versions[eid],
                    mark=request.mark,
                    reason=request.reason,
                    incomplete_expires=request.expires,
                )
        except MarkConflict as conflict:
            self._versions[eid] = conflict.current_version
            return MarkResult(request, conflict=conflict)
        except Exception as exc:  # reported on the row; the session goes on
            return MarkResult(request, error=describe_error(exc))
        self._versions[eid] = saved.version
        return MarkResult(request, saved=saved)

    # -- showing the roster --

    @on(RosterLoaded)
    def _roster_loaded(self, message: RosterLoaded) -> None:
        self.roster = message.roster
        self.rows = list(message.roster.rows)
        self.results.clear()
        self._dirty_rows.clear()
        table = self.query_one("#roster-table", DataTable)
        row_at = table.cursor_row
        table.clear()
        for index, row in enumerate(self.rows, start=1):
            table.add_row(*self._cells(index, row), key=str(row.enrollment_id))
        s = message.roster.section
        self.query_one("#roster-head", Static).update(
            Text(
                f"{s.course_code}-{s.section_code} {s.course_title} · "
                f"{s.instructor or 'no instructor'} · {s.term_code} · "
                f"scale {message.roster.rules.scale_code}"
            )
        )
        self._goto(row_at if 0 < row_at < len(self.rows) else self._next_editable(-1, 1))
        self._refresh_stats()

    def _cells(self, index: int, row: RosterRow) -> tuple[Text, ...]:
        if not row.editable:
            status, mark = Text("W", style="dim"), Text(row.mark or "W", style="dim")
        else:
            status = cell(row.status)
            style = "bold" if row.posted else ""
            mark = Text(row.mark or "", style=style)
            if row.posted:
                mark.append(" posted", style="dim")
        return (
            cell(index),
            cell(row.student_number),
            cell(row.name),
            status,
            mark,
            cell(row.previous_mark),
            self.results.get(row.enrollment_id, Text("")),
        )

    def _show_row(self, index: int) -> None:
        row = self.rows[index]
        table = self.query_one("#roster-table", DataTable)
        key = str(row.enrollment_id)
        cells = self._cells(index + 1, row)
        table.update_cell(key, "mark", cells[4], update_width=True)
        table.update_cell(key, "result", cells[6])

    def _refresh_stats(self) -> None:
        if self.roster is None:
            return
        gradable = [r for r in self.rows if r.editable]
        entered = sum(1 for r in gradable if r.mark is not None)
        posted = self.roster.section.posted_at is not None
        self.query_one("#roster-progress", LiveLine).show(
            f"{entered}/{len(gradable)} entered · {'posted' if posted else 'not posted'}"
        )
        counts = dict.fromkeys(self.roster.rules.valid, 0)
        for r in gradable:
            if r.mark is not None:
                counts[r.mark] = counts.get(r.mark, 0) + 1
        top = max(counts.values(), default=0) or 1
        lines = Text()
        for mark, count in counts.items():
            if count or mark in self.roster.rules.marks:
                bar = "█" * round(BAR_WIDTH * count / top)
                lines.append(f"{mark:>3} {bar} {count}\n")
        self.query_one("#roster-chart", LiveLine).show(lines)

    def _message(self, text: str, style: str = "") -> None:
        self.query_one("#roster-message", LiveLine).show(Text(text, style=style))

    # -- moving --

    def _next_editable(self, start: int, step: int) -> int:
        index = start + step
        while 0 <= index < len(self.rows):
            if self.rows[index].editable:
                return index
            index += step
        return max(0, min(start, len(self.rows) - 1))

    def _goto(self, index: int) -> None:
        table = self.query_one("#roster-table", DataTable)
        if not self.rows:
            return
        table.move_cursor(row=index)
        row = self.rows[index]
        label = Text(f"Mark for {row.name}" + (f" (now {row.mark})" if row.mark else "") + ":")
        if row.confidential:  # the confidentiality banner, on the line the registrar reads
            label.append(f"  {CONFIDENTIAL_SHORT}", style="bold reverse red")
        self.query_one("#mark-label", LiveLine).show(label)

    @property
    def cursor(self) -> int:
        return self.query_one("#roster-table", DataTable).cursor_row

    def action_move(self, step: int) -> None:
        self.query_one("#mark-input", Input).value = ""
        self._goto(self._next_editable(self.cursor, step))

    # -- keying --

    @on(Input.Submitted, "#mark-input")
    def _submitted(self, event: Input.Submitted) -> None:
        if self.roster is None or not self.rows:
            return
        index = self.cursor
        row = self.rows[index]
        typed = event.value.strip()
        if not typed:
            self.action_move(1)
            return
        if not row.editable:
            self._message(f"{row.name} has withdrawn (W): read-only.", "yellow")
            return
        try:
            mark = grading.normalize_mark(self.roster.rules, typed)
        except ValidationFailed as exc:
            self._message(exc.message, "bold red")  # the typed text stays in the cell
            return
        if row.posted:
            if mark == row.mark:
                self._message(f"{row.name}'s posted mark is already {mark}.")
                return
            self.app.push_screen(
                GradeChangeModal(row.name, row.mark or "-", mark),
                lambda reason: self._changed(index, mark, reason),
            )
            return
        if mark == grading.INCOMPLETE:
            self.app.push_screen(
                IncompleteModal(row.name, row.incomplete_expires or self.roster.incomplete_default),
                lambda expires: self._enter(index, mark, expires) if expires else None,
            )
            return
        self._enter(index, mark, None)

    def _changed(self, index: int, mark: str, reason: str | None) -> None:
        if reason:
            self._enter(index, mark, None, reason=reason)

    def _enter(
        self,
        index: int,
        mark: str | None,
        expires: date | None,
        reason: str | None = None,
        undoing: bool = False,
    ) -> None:
        """Show the mark on its row, queue its save and move on, all without waiting."""
        row = self.rows[index]
        request = SaveRequest(row.enrollment_id, mark, expires, row, reason)
        if not undoing:
            self._undo.append(request)
        self.rows[index] = replace(row, mark=mark, incomplete_expires=expires)
        self.results[row.enrollment_id] = Text("saving…", style="dim")
        self._dirty_rows.discard(index)
        self._flush_rows()  # earlier rows' ✓, drawn in this keystroke's repaint
        self._show_row(index)
        self._requests.put(request)
        self._refresh_stats()
        self.query_one("#mark-input", Input).value = ""
        shown = mark or "no mark"
        self._message(f"{row.name}: {shown}" + (f" (expires {expires})" if expires else ""))
        self._goto(index if undoing else self._next_editable(index, 1))

    def action_undo(self) -> None:
        if not self._undo:
            self._message("Nothing to undo.")
            return
        last = self._undo.pop()
        index = next(i for i, r in enumerate(self.rows) if r.enrollment_id == last.enrollment_id)
        before = last.previous
        if last.reason is not None or self.rows[index].posted:
            self._message(
                "A posted grade change is not undone here; change it again with a reason.", "yellow"
            )
            return
        self._enter(index, before.mark, before.incomplete_expires, undoing=True)
        self._message(f"Undone: {before.name} back to {before.mark or 'no mark'}.")

    @on(MarkResult)
    def _mark_result(self, message: MarkResult) -> None:
        request = message.request
        index = next(
            (i for i, r in enumerate(self.rows) if r.enrollment_id == request.enrollment_id), None
        )
        if index is None:
            return
        row = self.rows[index]
        if message.saved is not None:
            saved = message.saved
            self.rows[index] = replace(
                row,
                mark=saved.mark,
                grade_status=saved.grade_status,
                incomplete_expires=saved.incomplete_expires,
                version=saved.version,
            )
            self.results[row.enrollment_id] = Text("✓", style="green")
        elif message.conflict is not None:
            other = message.conflict.current_mark
            self.rows[index] = replace(row, mark=other, version=message.conflict.current_version)
            self.results[row.enrollment_id] = Text("conflict", style="bold red")
            self.notify(
                f"{row.name}: another desk saved {other or 'no mark'} since you loaded the "
                f"roster; your {request.mark or 'change'} was NOT saved. Re-key to replace it.",
                title="Conflict",
                severity="warning",
                markup=False,
            )
        else:
            self.rows[index] = replace(
                row,
                mark=request.previous.mark,
                incomplete_expires=request.previous.incomplete_expires,
            )
            self.results[row.enrollment_id] = Text("not saved", style="bold red")
            self.notify(
                f"{row.name}: {message.error}", title="Not saved", severity="error", markup=False
            )
        # A ✓ is drawn with the next keystroke (or after RESULT_DELAY): repainting the table for
        # every result as well as every key doubled the drawing while keying. Anything else
        # (a conflict, an error) is shown at once.
        self._dirty_rows.add(index)
        if message.saved is None:
            self._flush_rows()
        elif self._flush_timer is None:
            self._flush_timer = self.set_timer(RESULT_DELAY, self._flush_rows)

    def _flush_rows(self) -> None:
        if self._flush_timer is not None:
            self._flush_timer.stop()
            self._flush_timer = None
        if not self._dirty_rows:
            return
        for index in sorted(self._dirty_rows):
            self._show_row(index)
        self._dirty_rows.clear()
        self._refresh_stats()

    # -- posting and importing --

    def action_post(self) -> None:
        if self.roster is None:
            return
        missing = tuple(
            f"{r.student_number} {r.name}" for r in self.rows if r.editable and r.mark is None
        )
        to_post = sum(1 for r in self.rows if r.editable and r.mark and not r.posted)
        s = self.roster.section
        self.app.push_screen(
            ConfirmPostModal(f"{s.course_code}-{s.section_code}", to_post, missing),
            lambda yes: self._requests.put(_POST) if yes else None,
        )

    def _post_now(self) -> None:
        """Post in the saver thread, so every mark typed before it is committed first."""
        try:
            result = self.desk.call(grading.post_section, section_id=self.section_id)
        except Exception as exc:
            self.post_message(Posted(describe_error(exc), error=True))
            return
        missing = len(result.without_mark)
        self.post_message(Posted(f"Posted {result.posted} marks; {missing} without a mark."))

    @on(Posted)
    def _posted(self, message: Posted) -> None:
        self.notify(
            message.text,
            title="Post",
            severity="error" if message.error else "information",
            markup=False,
        )

    def action_import_marks(self) -> None:
        if self.roster is None:
            return
        s = self.roster.section
        self.app.push_screen(
            ImportModal(self.section_id, f"{s.course_code}-{s.section_code}"),
            lambda applied: self._requests.put(_RELOAD) if applied else None,
        )
