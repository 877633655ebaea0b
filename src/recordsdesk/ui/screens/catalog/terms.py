"""Terms with their dates, deadlines and status: what a clerk checks before saying yes."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Footer, Header, Static

from recordsdesk.services.catalog.view import TermRow, list_terms
from recordsdesk.ui.screens.base import DeskScreen
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


@dataclass
class TermsLoaded(Message):
    terms: tuple[TermRow, ...]


class TermsScreen(DeskScreen):
    CSS_PATH = "terms.tcss"
    SCREEN_NAME = "Terms"
    PURPOSE = (
        "Every term, newest first, read-only: start and end dates, the add/drop, withdrawal "
        "and grades-due deadlines, the term's status and how many sections it offers."
    )
    BINDINGS = [
        Binding("escape", "app.switch_mode('lookup')", "Lookup"),
        Binding("ctrl+r", "reload", "Refresh"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Loading the terms…", id="terms-summary", markup=False)
        # Under 100 columns the name (the code says it), then the start and end give way to
        # the deadlines a counter is asked about.
        yield FitTable(id="term-table", keep=("Code",), drop=("Name", "Starts", "Ends"))
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#term-table", FitTable).focus()
        self._load_terms()

    def action_reload(self) -> None:
        self._load_terms()

    @work(thread=True, exclusive=True, group="terms", exit_on_error=False)
    def _load_terms(self) -> None:
        self.post_message(TermsLoaded(self.desk.call(list_terms)))

    @on(TermsLoaded)
    def _terms_loaded(self, message: TermsLoaded) -> None:
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
