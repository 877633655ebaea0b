"""Terms with their dates, deadlines and status: what a clerk checks before saying yes; an
administrator sets the highlighted term's grading-basis deadline (b) here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Static

from recordsdesk.services.access.permissions import Action
from recordsdesk.services.catalog.view import TermRow, list_terms
from recordsdesk.services.registration.basis import set_basis_deadline
from recordsdesk.services.shared.errors import ValidationFailed
from recordsdesk.ui.navigation import Gate, may_use, refusal
from recordsdesk.ui.screens.base import DeskScreen
from recordsdesk.ui.screens.people.form_modal import FormField, FormModal
from recordsdesk.ui.widgets.cells import cell, words
from recordsdesk.ui.widgets.fit_table import FitTable

COLUMNS = (
    "Code",
    "Name",
    "Starts",
    "Ends",
    "Add/drop by",
    "Withdraw by",
    "Basis by",
    "Grades due",
    "Status",
    "Sections",
)

#: The terms' one change, for administrators.
DEADLINE_GATE = Gate("Changing a term's grading-basis deadline", Action.TERM_MANAGE)


@dataclass
class TermsLoaded(Message):
    terms: tuple[TermRow, ...]


class TermsScreen(DeskScreen):
    CSS_PATH = "terms.tcss"
    SCREEN_NAME = "Terms"
    PURPOSE = (
        "Every term, newest first, read-only: start and end dates, the add/drop, withdrawal "
        "and grades-due deadlines, the term's status and how many sections it offers. b sets "
        "the highlighted term's grading-basis deadline, the last day a student may change a "
        "grading basis (admin; blank: the term's last day)."
    )
    BINDINGS = [
        Binding("escape", "app.switch_mode('lookup')", "Lookup"),
        Binding("ctrl+r", "reload", "Refresh"),
        Binding("b", "basis_deadline", "Basis deadline"),
        # The twin a role without the change gets (hidden by check_action): it names the role.
        Binding("b", "refuse_deadline", "", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.terms: dict[str, TermRow] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Loading the terms…", id="terms-summary", markup=False)
        # Under 100 columns the name (the code says it), then the start and end give way to
        # the deadlines a counter is asked about; at 80 the grades' due date (the faculty's,
        # not the counter's) gives way too, so the status and section count show whole.
        yield FitTable(
            id="term-table", keep=("Code",), drop=("Name", "Starts", "Ends", "Grades due")
        )
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#term-table", FitTable).focus()
        self._load_terms()

    def action_reload(self) -> None:
        self._load_terms()

    @work(thread=True, exclusive=True, group="terms", exit_on_error=False)
    def _load_terms(self) -> None:
        self.post_message(TermsLoaded(self.desk.call(list_terms)))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """b is the administrator's; any other role gets its twin, which says who may."""
        if action in ("basis_deadline", "refuse_deadline"):
            return may_use(self.desk.actor, DEADLINE_GATE) == (action == "basis_deadline")
        return True

    def action_refuse_deadline(self) -> None:
        self.notify(
            refusal(self.desk.actor, DEADLINE_GATE),
            title="Not for this role",
            severity="error",
            markup=False,
        )

    def action_basis_deadline(self) -> None:
        """The highlighted term's deadline in a form; saved through the same service as
        `recordsdesk catalog basis-deadline`, audited there."""
        table = self.query_one("#term-table", DataTable)
        if not table.row_count:
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        term = self.terms.get(str(key))
        if term is None:
            return
        code = term.code
        current = term.grading_basis_deadline.isoformat() if term.grading_basis_deadline else ""
        fields = (
            FormField(
                "grading_basis_deadline",
                "Basis by",
                current,
                f"YYYY-MM-DD; blank: the term's last day ({term.end_date.isoformat()})",
            ),
        )

        def submit(typed: dict[str, str]) -> date | None:
            text = typed["grading_basis_deadline"].strip()
            try:
                day = date.fromisoformat(text) if text else None
            except ValueError:
                raise ValidationFailed(
                    "grading_basis_deadline", f"{text!r} is not a date (YYYY-MM-DD)."
                ) from None
            self.desk.call(set_basis_deadline, term_code=code, deadline=day)
            return day

        def saved(result: object | None) -> None:
            if result is not None:
                when = result.isoformat() if isinstance(result, date) else "the end of the term"
                self.notify(f"{code}: grading basis by {when}.", title="Saved", markup=False)
                self._load_terms()

        note = (
            f"The last day of {code} a student may change a grading basis; after it only a "
            "registrar may, with a reason."
        )
        self.app.push_screen(
            FormModal(f"Grading-basis deadline of {code}", fields, submit, note=note), saved
        )

    @on(TermsLoaded)
    def _terms_loaded(self, message: TermsLoaded) -> None:
        self.terms = {str(t.id): t for t in message.terms}
        self.query_one("#term-table", FitTable).fill(
            COLUMNS,
            [
                (
                    cell(t.code),
                    cell(t.name),
                    cell(t.start_date),
                    cell(t.end_date),
                    cell(t.add_drop_deadline),
                    cell(t.withdraw_deadline),
                    cell(t.grading_basis_deadline),
                    cell(t.grades_due),
                    words(t.status),
                    cell(t.section_count),
                )
                for t in message.terms
            ],
            [str(t.id) for t in message.terms],
        )
        noun = "term" if len(message.terms) == 1 else "terms"
        self.query_one("#terms-summary", Static).update(f"{len(message.terms)} {noun}")
