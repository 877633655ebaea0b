"""Registering one student for a term, opened with `r` from the record.

The top band says who, which term and the registered credits against the maximum load; the
table below lists the student's registrations and waitlist places (a seat offered from the
waitlist is marked). Typing a course code filters the term's sections (seats left, waitlist);
the arrow keys pick one and Enter registers. A refusal lists every failed check in plain words;
a full section offers its waitlist; a registrar may override with a reason. With the
registrations table focused (Tab), d drops or withdraws (the question says whether a W will be
left), a accepts an offered seat and x declines it. Every database call runs in a worker.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Literal

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Input, Select, Static
from textual.worker import Worker, WorkerState

from recordsdesk.services.access.permissions import Action, allowed
from recordsdesk.services.grades.basis import label as basis_label
from recordsdesk.services.registration.basis import change_grading_basis
from recordsdesk.services.registration.register import leave_section, register
from recordsdesk.services.registration.rules import Check, RegistrationRefused
from recordsdesk.services.registration.view import (
    RegistrationLine,
    RegistrationSheet,
    SectionChoice,
    TermChoice,
    registration_sheet,
    registration_terms,
    term_sections,
)
from recordsdesk.services.registration.waitlist import accept_seat, decline_seat
from recordsdesk.services.shared.errors import RecordsError
from recordsdesk.ui.screens.base import DeskScreen
from recordsdesk.ui.screens.registration.cells import band, line_cells, section_cells
from recordsdesk.ui.screens.registration.dialogs import (
    BasisChoice,
    BasisModal,
    ConfirmModal,
    OverrideModal,
    WaitlistAnswer,
    WaitlistModal,
    failure_lines,
)
from recordsdesk.ui.typeahead import TypeAheadApp

LINE_COLUMNS = ("Course", "Title", "Sec", "Credits", "Status", "Meets", "Note")
SECTION_COLUMNS = (
    "Course",
    "Sec",
    "Seats left",
    "Waitlist",
    "Credits",
    "Meets",
    "Title",
    "Instructor",
)
LINE_KEYS = (
    "Tab / Shift+Tab: the registrations above · d drop or withdraw · b grading basis · a accept "
    "an offered seat · x decline it"
)
HINT = "Type a course or section (CS 101, CS 101-002); ↑↓ pick, Enter registers."
Kind = Literal["register", "waitlist", "leave", "accept"]


@dataclass(frozen=True)
class Attempt:
    """A request the desk made, kept so a registrar's override can repeat it with a reason."""

    kind: Kind
    target: int  # section id to register in, or enrollment id to leave / accept
    label: str


@dataclass
class TermsLoaded(Message):
    terms: tuple[TermChoice, ...]


@dataclass
class SheetLoaded(Message):
    sheet: RegistrationSheet


@dataclass
class SectionsLoaded(Message):
    typed: str
    sections: tuple[SectionChoice, ...]


@dataclass
class Refused(Message):
    attempt: Attempt
    error: RegistrationRefused


@dataclass
class Done(Message):
    text: str
    #: A registration went through: the course box is emptied for the next course.
    registered: bool = False


@dataclass
class Refusal(Message):
    text: Text


class CourseInput(Input):
    """The course-code box keeps the focus while the arrows move through the sections."""

    BINDINGS = [
        Binding("down", "screen.move_section(1)", "Next section", show=False),
        Binding("up", "screen.move_section(-1)", "Previous section", show=False),
        # A binding, not Input.Submitted: it runs while the key is handled, so the keys behind
        # Enter are held before they can reach the box.
        Binding("enter", "screen.register", "Register", show=False),
    ]


class RegistrationScreen(DeskScreen):
    CSS_PATH = "sheet.tcss"
    SCREEN_NAME = "Registration"
    PURPOSE = (
        "Register the student in a term's sections. Ctrl+T picks the term; type a course "
        "code to list its sections with seats left and waitlist, arrows to pick, Enter to "
        "register. Every rule is checked (status, registration window, holds, prerequisites, "
        "duplicate course, repeat limit, capacity, time conflicts, credit load) and a refusal "
        "lists each failed check; a full section offers its waitlist; a registrar may override "
        "with a reason. Tab to the registrations: d drops (before the add/drop deadline, no "
        "trace) or withdraws (after it, leaves W), b changes the grading basis among those the "
        "course allows (after the term's grading-basis deadline only a registrar, with a "
        "reason), a accepts an offered waitlist seat, x declines it. Esc goes back to the record."
    )
    BINDINGS = [
        Binding("escape", "back", "Back to record"),
        Binding("d", "leave", "Drop/withdraw"),
        Binding("b", "basis", "Grading basis", show=False),
        Binding("a", "accept", "Accept seat"),
        Binding("x", "decline", "Decline seat"),
        Binding("ctrl+t", "choose_term", "Term"),
        Binding("ctrl+r", "reload", "Refresh"),
    ]

    def __init__(self, student_id: int, *, title: str = "") -> None:
        super().__init__()
        self.student_id = student_id
        self.title_hint = title
        self.sheet: RegistrationSheet | None = None
        self.term_id: int | None = None
        self.sections: dict[str, SectionChoice] = {}
        #: The course code the section list was found for (None until the first list).
        self.listed_for: str | None = None
        self.lines: dict[str, RegistrationLine] = {}
        #: Keys (arrows, Enter) typed before the sections for the box's text were listed, kept
        #: for when they are: a burst lands where slow typing would.
        self._after_sections: list[Callable[[], None]] = []
        #: Enter's registration is on its way: the keys behind it wait for its answer.
        self._registering = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(Text(f"Loading {self.title_hint}…"), id="reg-band")
        yield Select[int]([], prompt="Choose a term", allow_blank=True, id="reg-term")
        yield DataTable(id="reg-lines", cursor_type="row", zebra_stripes=True)
        yield Static(LINE_KEYS, id="reg-line-keys", markup=False)
        yield CourseInput(placeholder=HINT, id="reg-course")
        yield Static("", id="reg-result")
        sections: DataTable[Text] = DataTable(id="reg-sections", cursor_type="row")
        sections.can_focus = False  # the course box keeps the keys
        yield sections
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#reg-lines", DataTable).add_columns(*LINE_COLUMNS)
        self.query_one("#reg-sections", DataTable).add_columns(*SECTION_COLUMNS)
        self.query_one("#reg-course", Input).focus()
        self._load_terms()

    # -- loading ---------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="reg-terms", exit_on_error=False)
    def _load_terms(self) -> None:
        self.post_message(TermsLoaded(self.desk.call(registration_terms)))

    @on(TermsLoaded)
    def _terms_loaded(self, message: TermsLoaded) -> None:
        select = self.query_one("#reg-term", Select)
        options = [
            (Text(f"{t.code} {t.name} ({t.status.replace('_', ' ')})"), t.term_id)
            for t in message.terms
        ]
        select.set_options(options)
        if not message.terms:
            self._result(Text("No current or upcoming term to register in.", style="bold"))
            return
        select.value = message.terms[0].term_id

    @on(Select.Changed, "#reg-term")
    def _term_changed(self, event: Select.Changed) -> None:
        if isinstance(event.value, int):
            self.term_id = event.value
            self._refresh()

    def _refresh(self) -> None:
        if self.term_id is not None:
            self._load_sheet(self.term_id)
            self._search(self.term_id, self.query_one("#reg-course", Input).value)

    @work(thread=True, exclusive=True, group="reg-sheet", exit_on_error=False)
    def _load_sheet(self, term_id: int) -> None:
        sheet = self.desk.call(registration_sheet, student_id=self.student_id, term_id=term_id)
        self.post_message(SheetLoaded(sheet))

    @on(SheetLoaded)
    def _sheet_loaded(self, message: SheetLoaded) -> None:
        sheet = self.sheet = message.sheet
        self.query_one("#reg-band", Static).update(band(sheet))
        table = self.query_one("#reg-lines", DataTable)
        row = table.cursor_row
        table.clear()
        self.lines = {}
        for line in sheet.lines:
            key = str(line.enrollment_id)
            self.lines[key] = line
            table.add_row(*line_cells(line), key=key)
        if table.row_count:
            table.move_cursor(row=min(row, table.row_count - 1))

    @on(Input.Changed, "#reg-course")
    def _typed(self, event: Input.Changed) -> None:
        if self.term_id is not None:
            self._search(self.term_id, event.value)

    @work(thread=True, exclusive=True, group="reg-sections", exit_on_error=False)
    def _search(self, term_id: int, typed: str) -> None:
        found = self.desk.call(term_sections, term_id=term_id, code=typed)
        self.post_message(SectionsLoaded(typed, found))

    @on(SectionsLoaded)
    def _sections_loaded(self, message: SectionsLoaded) -> None:
        if message.typed != self.query_one("#reg-course", Input).value:
            return  # the clerk typed on: a newer search is coming
        table = self.query_one("#reg-sections", DataTable)
        table.clear()
        self.sections = {}
        self.listed_for = message.typed
        for choice in message.sections:
            key = str(choice.section_id)
            self.sections[key] = choice
            table.add_row(*section_cells(choice), key=key)
        actions, self._after_sections = self._after_sections, []
        for action in actions:
            action()
        if actions and not self._registering:
            self._release_keys()

    # -- registering -----------------------------------------------------------------------

    def _hold_keys(self) -> None:
        if isinstance(self.app, TypeAheadApp):
            self.app.hold_keys(self)

    def _release_keys(self) -> None:
        self._registering = False
        if isinstance(self.app, TypeAheadApp):
            self.app.release_keys(self)

    def _when_sections_are_in(self, action: Callable[[], None]) -> bool:
        """Keep `action` for when the sections for the box's text are listed, holding the keys
        behind it, if that list is still on its way. True if it was kept."""
        if self.listed_for == self.query_one("#reg-course", Input).value:
            return False
        self._after_sections.append(action)
        self._hold_keys()
        return True

    def action_move_section(self, rows: int) -> None:
        if self._when_sections_are_in(lambda: self.action_move_section(rows)):
            return
        table = self.query_one("#reg-sections", DataTable)
        if table.row_count:
            table.move_cursor(row=max(0, min(table.row_count - 1, table.cursor_row + rows)))

    def _highlighted(self, table_id: str) -> str | None:
        table = self.query_one(table_id, DataTable)
        if not table.row_count:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    def action_register(self) -> None:
        typed = self.query_one("#reg-course", Input).value
        if self.term_id is None:
            self._result(Text("Choose a term first (Ctrl+T)."))
        elif not self._when_sections_are_in(lambda: self._register(typed)):
            self._register(typed)

    def _register(self, typed: str) -> None:
        """Register in the highlighted section, holding the keys behind Enter until the
        answer is in: the box is emptied for the next course only then."""
        choice = self.sections.get(self._highlighted("#reg-sections") or "")
        if choice is None:
            self._result(Text(f"No section this term matches {typed!r}."))
            return
        label = f"{choice.course_code} {choice.section_code}"
        self._registering = True
        self._hold_keys()
        self._run(Attempt("register", choice.section_id, label))

    @work(thread=True, group="reg-change", exit_on_error=False)
    def _run(self, attempt: Attempt, override: str | None = None) -> None:
        try:
            text = self._perform(attempt, override)
        except RegistrationRefused as error:
            self.post_message(Refused(attempt, error))
            return
        self.post_message(Done(text, registered=attempt.kind in ("register", "waitlist")))

    def _perform(self, attempt: Attempt, override: str | None) -> str:
        """Call the service for `attempt` (on the worker thread); the sentence to show."""
        overridden = " (override)" if override else ""
        if attempt.kind in ("register", "waitlist"):
            done = self.desk.call(
                register,
                student_id=self.student_id,
                section_id=attempt.target,
                waitlist=attempt.kind == "waitlist",
                override=override,
            )
            if done.status == "waitlisted":
                text = f"On the waitlist for {attempt.label}, place {done.waitlist_position}."
            else:
                text = f"Registered in {attempt.label}{overridden}."
            if done.provisional:
                text += f" Prerequisite counted provisionally: {'; '.join(done.provisional)}."
            if done.activated:
                text += " The student is now active."
            return text
        if attempt.kind == "leave":
            left = self.desk.call(leave_section, enrollment_id=attempt.target, override=override)
            if left.from_waitlist:
                text = f"Off the waitlist for {attempt.label}."
            elif left.kind == "drop":
                text = f"Dropped {attempt.label}: nothing on the transcript."
            else:
                text = f"Withdrew from {attempt.label}: W on the transcript{overridden}."
            if left.seat_offered_to:
                text += " The freed seat was offered to the first student on the waitlist."
            return text
        accepted = self.desk.call(accept_seat, enrollment_id=attempt.target, override=override)
        text = f"Seat accepted: registered in {attempt.label}{overridden}."
        return text + (" The student is now active." if accepted.activated else "")

    @on(Done)
    def _done(self, message: Done) -> None:
        self._result(Text(message.text, style="bold green"))
        self.notify(message.text, timeout=4, markup=False)
        if message.registered:
            self.query_one("#reg-course", Input).value = ""
        self._refresh()
        self._release_keys()

    @on(Refused)
    def _refused(self, message: Refused) -> None:
        error, attempt = message.error, message.attempt
        may_override = allowed(self.desk.actor, Action.REGISTRATION_OVERRIDE)
        shown = Text(f"Cannot {_verb(attempt)} {attempt.label}:\n", style="bold")
        shown += failure_lines(error.failures)
        if error.overridable and not may_override:
            shown += Text("\nOnly a registrar can override.", style="dim")
        self._result(shown)
        only_capacity = {f.check for f in error.failures} == {Check.CAPACITY}
        if error.waitlist_open and only_capacity:
            question = (
                f"{error.failures[0].message}\nJoin the waitlist for {attempt.label}? "
                "A seat freed later is offered to the first in line."
            )

            def chosen(answer: WaitlistAnswer) -> None:
                if answer == "waitlist":
                    self._run(Attempt("waitlist", attempt.target, attempt.label))
                elif answer == "override":
                    self._ask_override(attempt, error)

            self.app.push_screen(WaitlistModal(question, may_override=may_override), chosen)
        elif may_override and error.overridable:
            self._ask_override(attempt, error)
        self._release_keys()

    @on(Worker.StateChanged)
    def _change_failed(self, event: Worker.StateChanged) -> None:
        """A change that failed otherwise (the base screen says why) lets the keys go on."""
        if event.state == WorkerState.ERROR and event.worker.group == "reg-change":
            self._release_keys()

    def _ask_override(self, attempt: Attempt, error: RegistrationRefused) -> None:
        def reason_given(reason: str | None) -> None:
            if reason:
                self._run(attempt, reason)

        what = f"{_verb(attempt)} {attempt.label}"
        self.app.push_screen(OverrideModal(what, error.failures), reason_given)

    # -- the registrations -----------------------------------------------------------------

    def _selected_line(self) -> RegistrationLine | None:
        return self.lines.get(self._highlighted("#reg-lines") or "")

    def action_leave(self) -> None:
        line = self._selected_line()
        if line is None or self.sheet is None:
            return
        label = f"{line.course_code} {line.section_code}"
        deadline = self.sheet.term.add_drop_deadline
        when = f" ({deadline.isoformat()})" if deadline else ""
        if line.status == "waitlisted":
            question = f"Take {self.sheet.student_name} off the waitlist for {label}?"
        elif line.exit == "drop":
            question = (
                f"Drop {label}? Before the add/drop deadline{when}: "
                "nothing will show on the transcript."
            )
        else:
            question = (
                f"Withdraw from {label}? The add/drop deadline{when} has passed: "
                "this leaves W on the transcript."
            )
            last = self.sheet.term.withdraw_deadline
            if last is not None and date.today() > last:
                question += (
                    f" The withdrawal deadline ({last.isoformat()}) has passed too: "
                    "a registrar's override with a reason is needed."
                )

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._run(Attempt("leave", line.enrollment_id, label))

        self.app.push_screen(ConfirmModal(question), confirmed)

    def action_basis(self) -> None:
        line = self._selected_line()
        if line is None:
            return
        label = f"{line.course_code} {line.section_code}"
        if len(line.grading_bases) < 2:
            self._result(Text(f"{label} is offered {basis_label(line.grading_bases[0])} only."))
            return
        if line.basis_late and not allowed(self.desk.actor, Action.REGISTRATION_OVERRIDE):
            self._result(
                Text(f"The grading-basis deadline has passed: only a registrar can change {label}.")
            )
            return

        def chosen(choice: BasisChoice | None) -> None:
            if choice is not None and choice.basis != line.grading_basis:
                self._change_basis(line, label, choice)

        self.app.push_screen(
            BasisModal(label, line.grading_bases, line.grading_basis, late=line.basis_late),
            chosen,
        )

    @work(thread=True, group="reg-change", exit_on_error=False)
    def _change_basis(self, line: RegistrationLine, label: str, choice: BasisChoice) -> None:
        try:
            done = self.desk.call(
                change_grading_basis,
                enrollment_id=line.enrollment_id,
                basis=choice.basis,
                expected_version=line.version,
                reason=choice.reason,
            )
        except RecordsError as exc:
            self.post_message(Refusal(Text(f"{label}: {exc}", style="bold red")))
            return
        late = " (after the deadline)" if done.late else ""
        self.post_message(Done(f"{label} is now {basis_label(done.after)}{late}."))

    @on(Refusal)
    def _refusal(self, message: Refusal) -> None:
        self._result(message.text)

    def action_accept(self) -> None:
        line = self._selected_line()
        if line is None or line.seat_offered_at is None:
            self._result(Text("Pick a waitlist place with a seat offered (marked 'seat offered')."))
            return
        self._run(Attempt("accept", line.enrollment_id, f"{line.course_code} {line.section_code}"))

    def action_decline(self) -> None:
        line = self._selected_line()
        if line is None or line.seat_offered_at is None:
            self._result(Text("Pick a waitlist place with a seat offered (marked 'seat offered')."))
            return
        label = f"{line.course_code} {line.section_code}"

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._decline(line.enrollment_id, label)

        question = f"Decline the seat in {label}? The place on the waitlist is given up."
        self.app.push_screen(ConfirmModal(question), confirmed)

    @work(thread=True, group="reg-change", exit_on_error=False)
    def _decline(self, enrollment_id: int, label: str) -> None:
        offered = self.desk.call(decline_seat, enrollment_id=enrollment_id)
        text = f"Seat in {label} declined."
        if offered:
            text += " It was offered to the next student on the waitlist."
        self.post_message(Done(text))

    def _result(self, text: Text) -> None:
        self.query_one("#reg-result", Static).update(text)

    def action_choose_term(self) -> None:
        """Open the term list (arrows and Enter pick; the course box gets the keys back)."""
        select = self.query_one("#reg-term", Select)
        select.focus()
        select.expanded = True

    @on(Select.Changed, "#reg-term")
    def _back_to_typing(self) -> None:
        self.query_one("#reg-course", Input).focus()

    def action_reload(self) -> None:
        self._refresh()

    def action_back(self) -> None:
        self.dismiss()


def _verb(attempt: Attempt) -> str:
    return {
        "register": "register in",
        "waitlist": "join the waitlist for",
        "leave": "withdraw from",
        "accept": "accept the seat in",
    }[attempt.kind]
