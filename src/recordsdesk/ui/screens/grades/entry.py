"""Grade entry: choose a term and a section, then key the roster's marks from the grade sheet
(the roster itself is in roster.py).

A term or section typed at once after F5 waits for its list: the screen holds the type-ahead
while a list loads, and Enter picks from the list as filtered by the keys typed before it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Input, Static
from textual.worker import Worker, WorkerState

from recordsdesk.services.grades.roster import (
    DbRosterStore,
    GradingSection,
    GradingTerm,
    RosterStore,
)
from recordsdesk.ui.screens.base import DeskScreen
from recordsdesk.ui.screens.grades.roster import LiveLine, RosterScreen
from recordsdesk.ui.widgets.cells import cell
from recordsdesk.ui.widgets.fit_table import FitTable
from recordsdesk.ui.widgets.typeahead import KeyedInput, TypeAheadScreen, typeahead

MAX_CHOICES = 200


@dataclass
class ChoicesLoaded(Message):
    terms: tuple[GradingTerm, ...] = ()
    sections: tuple[GradingSection, ...] = ()
    term: GradingTerm | None = None


class GradeEntryScreen(TypeAheadScreen, DeskScreen):
    """The term, then the section, each from a list filtered as you type."""

    CSS_PATH = "entry.tcss"
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
        self._filled_for: tuple[GradingTerm | None, str] | None = None

    @property
    def store(self) -> RosterStore:
        if self._store is None:
            self._store = DbRosterStore(self.desk.engine, self.desk.actor)
        return self._store

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Loading terms…", id="choice-title", markup=False)
        choice = KeyedInput(placeholder="Type to filter, Enter to open", id="choice-filter")
        choice.submit_now = self._choose
        yield choice
        yield FitTable(id="choice-table", keep=("Section", "Term", "Progress", "Posted"))
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#choice-table", DataTable).can_focus = False
        typeahead(self.app).hold(self)  # a term typed at once waits for the list of terms
        self.query_one("#choice-filter", KeyedInput).focus()
        self._load_terms()

    def on_unmount(self) -> None:
        typeahead(self.app).release(self, self.app)

    @on(Worker.StateChanged)
    def _load_failed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:  # reported by DeskScreen; keys go on to the filter
            typeahead(self.app).release(self, self.app)

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
        typeahead(self.app).release(self, self.app)

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
        self._filled_for = (self._term, self.query_one("#choice-filter", Input).value)
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

    def _choose(self, typed: str) -> None:
        """Enter, handled the moment it is typed: open what the filter typed before it picks
        (the list is refreshed first if the filter's own update has not run yet)."""
        if self._filled_for != (self._term, typed):
            self._fill()
        table = self.query_one("#choice-table", DataTable)
        if not self._shown:
            return
        key = self._shown[min(table.cursor_row, len(self._shown) - 1)]
        self.query_one("#choice-filter", Input).value = ""
        if self._term is None:
            typeahead(self.app).hold(self)  # the section code typed at once waits for the list
            self._load_sections(next(t for t in self._terms if t.id == key))
        else:
            self.app.push_screen(RosterScreen(self.store, key))


__all__ = ["GradeEntryScreen", "LiveLine", "RosterScreen"]
