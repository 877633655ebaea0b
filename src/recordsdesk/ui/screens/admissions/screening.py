"""Admission screening for one student: the application's document checklist and the decision.

Space marks the highlighted document received today by the signed-in staff member (again to
undo). a admits, x denies, w waitlists. Admitting with required documents missing is refused;
a registrar is asked for the reason to admit anyway, and the reason is audited. A student with
no application yet (say, one entered before screening was kept) gets one with o, for the
program on their record.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Static

from recordsdesk.models import StaffRole
from recordsdesk.services.admissions.applications import (
    ApplicationView,
    current_application,
    decide,
    mark_received,
    open_application,
)
from recordsdesk.services.people.student import StudentProfile, get_student_profile
from recordsdesk.ui.screens.base import DeskScreen
from recordsdesk.ui.screens.people.intake_form import ReasonModal
from recordsdesk.ui.widgets.cells import HOLD_STYLE, cell

COLUMNS = ("Document", "Needed", "Received", "By", "Note")
DECISION_WORDS = {"admit": "admitted", "deny": "denied", "waitlist": "waitlisted"}


@dataclass
class ApplicationLoaded(Message):
    profile: StudentProfile
    application: ApplicationView | None


@dataclass
class Decided(Message):
    application: ApplicationView


class AdmissionScreen(DeskScreen):
    CSS_PATH = "screening.tcss"
    SCREEN_NAME = "Admission"
    PURPOSE = (
        "The student's admission application: the documents it needs and the decision. "
        "Space marks the highlighted document received today (press again to undo). a admits, "
        "x denies, w puts the application on the waitlist. Admission waits for every required "
        "document; a registrar may admit anyway with a reason, which is kept in the audit "
        "trail. o opens an application for a student who has none. Esc goes back."
    )
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("space", "toggle_received", "Received"),
        Binding("a", "decide('admit')", "Admit"),
        Binding("x", "decide('deny')", "Deny"),
        Binding("w", "decide('waitlist')", "Waitlist"),
        Binding("o", "open_application", "Open application"),
    ]

    def __init__(self, student_id: int) -> None:
        super().__init__()
        self.student_id = student_id
        self.profile: StudentProfile | None = None
        self.application: ApplicationView | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(Text("Loading…"), id="admission-band")
        yield DataTable(id="checklist-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="admission-status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#checklist-table", DataTable).focus()
        self._load()

    @work(thread=True, exclusive=True, group="admission", exit_on_error=False)
    def _load(self) -> None:
        profile = self.desk.call(get_student_profile, student_id=self.student_id)
        application = self.desk.call(current_application, student_id=self.student_id)
        self.post_message(ApplicationLoaded(profile, application))

    @on(ApplicationLoaded)
    def _loaded(self, message: ApplicationLoaded) -> None:
        self.profile = message.profile
        self._show(message.application)

    def _show(self, application: ApplicationView | None) -> None:
        self.application = application
        p = self.profile
        band = Text()
        if p is not None:
            band.append(p.legal_name, style="bold")
            band.append(f"  {p.student_number}  ·  {p.status.replace('_', ' ')}")
        band.append("\n")
        table = self.query_one("#checklist-table", DataTable)
        row = table.cursor_row
        table.clear(columns=True)  # columns again, so their widths fit the new rows
        table.add_columns(*COLUMNS)
        if application is None:
            band.append("No admission application yet: press o to open one.")
        else:
            band.append(
                f"{application.program_code} {application.program_name}"
                f"  ·  entry {application.entry_term_code or '-'}"
                f"  ·  applied {application.applied_on.isoformat()}  ·  "
            )
            decision = DECISION_WORDS.get(application.decision, application.decision)
            band.append(decision.upper(), style="bold")
            if application.decision_date:
                band.append(f" {application.decision_date.isoformat()} by {application.decided_by}")
            for item in application.items:
                table.add_row(
                    cell(item.item),
                    Text("required" if item.required else "optional"),
                    cell(item.received_on)
                    if item.received_on
                    else Text("missing", style=HOLD_STYLE if item.required else "dim"),
                    cell(item.recorded_by),
                    cell(item.note),
                )
            if table.row_count:
                table.move_cursor(row=min(row, table.row_count - 1), animate=False)
        self.query_one("#admission-band", Static).update(band)
        status = Text()
        if application is not None and application.missing:
            status.append("Still missing: " + ", ".join(application.missing), style=HOLD_STYLE)
        elif application is not None and application.open:
            status.append("Every required document is in: ready for a decision.")
        self.query_one("#admission-status", Static).update(status)

    def action_back(self) -> None:
        self.dismiss()

    def action_toggle_received(self) -> None:
        application = self.application
        if application is None or not application.items:
            return
        item = application.items[self.query_one("#checklist-table", DataTable).cursor_row]
        self._mark(item.id, item.received_on is None)

    @work(thread=True, group="admission-write", exit_on_error=False)
    def _mark(self, item_id: int, received: bool) -> None:
        application = self.desk.call(mark_received, item_id=item_id, received=received)
        self.post_message(Decided(application))

    @on(Decided)
    def _decided(self, message: Decided) -> None:
        before = self.application.decision if self.application else "pending"
        self._show(message.application)
        if message.application.decision != before:
            word = DECISION_WORDS.get(message.application.decision, "")
            self.notify(f"Application {word}.", title="Decision recorded", markup=False)
            self._load()  # the student's status changed with an admission

    def action_decide(self, decision: str) -> None:
        application = self.application
        if application is None:
            self.notify("There is no application to decide: press o to open one.")
            return
        registrar = self.desk.actor.at_least(StaffRole.REGISTRAR)
        if decision == "admit" and application.missing and registrar:
            missing = ", ".join(application.missing)

            def admit_anyway(reason: str | None) -> None:
                if reason:
                    self._decide(application.id, application.version, decision, reason)

            self.app.push_screen(
                ReasonModal(
                    f"Missing: {missing}. Admit anyway? Give the reason (kept in the audit "
                    "trail); Esc cancels.",
                    placeholder="why the missing documents may follow",
                ),
                admit_anyway,
            )
            return
        self._decide(application.id, application.version, decision, "")

    @work(thread=True, group="admission-write", exit_on_error=False)
    def _decide(self, application_id: int, version: int, decision: str, reason: str) -> None:
        application = self.desk.call(
            decide,
            application_id=application_id,
            expected_version=version,
            decision=decision,
            override_reason=reason,
        )
        self.post_message(Decided(application))

    def action_open_application(self) -> None:
        if self.application is not None and self.application.open:
            self.notify("The student already has an application awaiting a decision.")
            return
        if self.profile is None or self.profile.program_id is None:
            self.notify(
                "The record names no program to apply to.",
                severity="warning",
            )
            return
        self._open(self.profile.program_id, self.profile.entry_term_id)

    @work(thread=True, group="admission-write", exit_on_error=False)
    def _open(self, program_id: int, entry_term_id: int | None) -> None:
        application = self.desk.call(
            open_application,
            student_id=self.student_id,
            program_id=program_id,
            entry_term_id=entry_term_id,
        )
        self.post_message(Decided(application))
