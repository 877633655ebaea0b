"""The roster of one section, keyed from the grade sheet.

Keystrokes never wait on the database. A typed mark is checked against the scale on the spot,
shown on its row and the cursor moves on; one saver thread commits the marks in the order typed
(each its own transaction) and reports every result back by message, so a conflict or an error
lands on its row while the registrar is already three rows further down. Keys typed ahead are
handled in order by the mark box (ui/widgets/typeahead.py): each Enter closes the mark typed
before it, on the row it was typed on.
"""

from __future__ import annotations

import queue
from dataclasses import dataclass, replace
from datetime import date
from typing import ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import DataTable, Footer, Header, Static
from textual.worker import Worker, WorkerState, get_current_worker

from recordsdesk.services.grades import marks as grading
from recordsdesk.services.grades.basis import GRADED, short_name
from recordsdesk.services.grades.marks import MarkConflict, MarkSaved
from recordsdesk.services.grades.roster import Roster, RosterRow, RosterStore
from recordsdesk.services.people.directory import CONFIDENTIAL_SHORT
from recordsdesk.services.shared.errors import ValidationFailed
from recordsdesk.services.transcripts.standing import post_and_decide
from recordsdesk.ui.errors import describe_error
from recordsdesk.ui.screens.base import DeskScreen
from recordsdesk.ui.widgets.cells import cell
from recordsdesk.ui.widgets.grade_dialogs import (
    ConfirmPostModal,
    GradeChange,
    GradeChangeModal,
    ImportModal,
    IncompleteModal,
)
from recordsdesk.ui.widgets.typeahead import KeyedInput, TypeAheadScreen, key_label, typeahead

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


class RosterScreen(TypeAheadScreen, DeskScreen):
    CSS_PATH = "entry.tcss"
    SCREEN_NAME = "Grade entry"
    PURPOSE = (
        "Key a section's marks: type a mark and Enter; it is checked against the section's "
        "scale (a percentage becomes its letter on a banded scale) or against the student's "
        "grading basis (P/NP, S/U, CR/NC, AU: a Basis column shows it), saved at once and "
        "the cursor moves down; an empty Enter skips a student. Type ahead freely: each Enter "
        "closes the mark typed before it, and keys typed behind a refused mark are set aside "
        "and counted. I asks for an expiry date. Withdrawn students (W) are skipped. Ctrl+Z "
        "undoes the last entry. A mark changed at another desk is shown as a conflict, never "
        "overwritten."
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
        self._refusal = ""
        self._set_aside: tuple[str, list[str]] = ("", [])
        self._basis_column = False

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
            box = KeyedInput(id="mark-input", placeholder="type a mark, Enter")
            box.submit_now = self.submit_mark
            box.on_set_aside = self._key_set_aside
            yield box
        yield LiveLine(id="roster-message")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#roster-table", DataTable)
        table.can_focus = False
        for key, label in ROSTER_COLUMNS:
            # Saved starts empty and is filled in place: sized for "not saved" from the start.
            table.add_column(label, key=key, width=SAVED_WIDTH if key == "result" else None)
        typeahead(self.app).hold(self)  # marks typed while the roster loads wait for it
        self.query_one("#mark-input", KeyedInput).focus()
        self._saver()
        self._requests.put(_RELOAD)

    def on_unmount(self) -> None:
        typeahead(self.app).release(self, self.app)
        self._requests.put(None)

    @on(Worker.StateChanged)
    def _saver_failed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:  # reported by DeskScreen; Esc must still work
            typeahead(self.app).release(self, self.app)

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
                rules = self.roster.rules_for(request.previous) if self.roster else None
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
        if not self._basis_column and any(r.grading_basis != GRADED for r in self.rows):
            # Shown only where some student is on another basis: a graded section keeps its
            # columns (and its width at 80 columns).
            table.add_column("Basis", key="basis")
            self._basis_column = True
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
        typeahead(self.app).release(self, self.app)

    def _cells(self, index: int, row: RosterRow) -> tuple[Text, ...]:
        if not row.editable:
            status, mark = Text("W", style="dim"), Text(row.mark or "W", style="dim")
        else:
            status = cell(row.status)
            style = "bold" if row.posted else ""
            mark = Text(row.mark or "", style=style)
            if row.posted:
                mark.append(" posted", style="dim")
        cells = (
            cell(index),
            cell(row.student_number),
            cell(row.name),
            status,
            mark,
            cell(row.previous_mark),
            self.results.get(row.enrollment_id, Text("")),
        )
        if self._basis_column:
            return (*cells, Text(short_name(row.grading_basis)))
        return cells

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
        basis = short_name(row.grading_basis)
        label = Text(
            f"Mark for {row.name}"
            + (f" ({basis})" if basis else "")
            + (f" (now {row.mark})" if row.mark else "")
            + ":"
        )
        if row.confidential:  # the confidentiality banner, on the line the registrar reads
            label.append(f"  {CONFIDENTIAL_SHORT}", style="bold reverse red")
        self.query_one("#mark-label", LiveLine).show(label)

    @property
    def cursor(self) -> int:
        return self.query_one("#roster-table", DataTable).cursor_row

    def action_move(self, step: int) -> None:
        self._clear_box()
        self._goto(self._next_editable(self.cursor, step))

    # -- keying --

    def submit_mark(self, typed_raw: str) -> None:
        """Enter, handled the moment it is typed: close the mark typed before it, on the row it
        was typed on. An empty Enter skips one student; a refused mark stays in the box with its
        reason, and the keys typed behind it are set aside (counted on the message line)."""
        if self.roster is None or not self.rows:
            return
        index = self.cursor
        row = self.rows[index]
        typed = typed_raw.strip()
        if not typed:
            self.action_move(1)
            return
        if not row.editable:
            self._refuse(f"{row.name} has withdrawn (W): read-only.", typed)
            return
        try:
            mark = grading.normalize_mark(self.roster.rules_for(row), typed)
        except ValidationFailed as exc:
            self._refuse(exc.message, typed)  # the typed text stays in the box
            return
        if row.posted:
            if mark == row.mark:
                self._refuse(f"{row.name}'s posted mark is already {mark}.", typed)
                return
            self._clear_box()
            incomplete = self.roster.incomplete_default if mark == grading.INCOMPLETE else None
            self.app.push_screen(
                GradeChangeModal(
                    row.name,
                    row.mark or "-",
                    mark,
                    lambda change: self._changed(index, mark, change),
                    incomplete_default=row.incomplete_expires or incomplete,
                )
            )
            return
        if mark == grading.INCOMPLETE:
            self._clear_box()
            self.app.push_screen(
                IncompleteModal(
                    row.name,
                    row.incomplete_expires or self.roster.incomplete_default,
                    lambda expires: self._enter(index, mark, expires) if expires else None,
                )
            )
            return
        self._enter(index, mark, None)

    def _clear_box(self) -> None:
        self.query_one("#mark-input", KeyedInput).value = ""

    def _refuse(self, reason: str, typed: str) -> None:
        """A refused mark: the reason on the message line and every key already typed behind
        it set aside, so none of them lands on another student."""
        self._refusal = reason
        self._message(reason, "bold red")
        self.query_one("#mark-input", KeyedInput).set_aside_until_now(repr(typed))

    def _key_set_aside(self, cause: str, event: events.Key) -> None:
        if self._set_aside[0] != cause:  # a new refusal (or F1): count afresh
            self._set_aside = (cause, [])
            if not cause.startswith("'"):
                self._refusal = ""
        keys_list = self._set_aside[1]
        keys_list.append(key_label(event))
        count = len(keys_list)
        keys = "".join(keys_list)
        shown = keys if len(keys) <= 40 else keys[:39] + "…"
        reason = f" · {self._refusal}" if self._refusal else ""
        self._message(  # the count first: at 80 columns the reason may not fit after it
            f"{count} key{'s' if count != 1 else ''} typed after {cause} set aside, not "
            f"entered: {shown}{reason}",
            "bold red",
        )

    def _changed(self, index: int, mark: str, change: GradeChange | None) -> None:
        if change is not None:
            self._enter(index, mark, change.incomplete_expires, reason=change.reason)

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
        self._clear_box()
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
            ConfirmPostModal(
                f"{s.course_code}-{s.section_code}",
                to_post,
                missing,
                lambda yes: self._requests.put(_POST) if yes else None,
            )
        )

    def _post_now(self) -> None:
        """Post in the saver thread, so every mark typed before it is committed first."""
        try:
            result = self.desk.call(post_and_decide, section_id=self.section_id)
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
