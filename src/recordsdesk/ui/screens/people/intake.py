"""New student: the intake form, reachable from anywhere with Ctrl+N.

Every field's problem is shown beside the field when the clerk saves (Ctrl+S); nothing is
written until the whole form is valid. Program and entry term filter as they are typed (the
matches are listed beside the field, Tab or → completes the first). When the person may already
be on file the candidates are shown and the clerk decides: open the existing record, or create
the new one anyway (audited). A saved applicant opens on their record with the admission
checklist on top, ready to tick documents as they are handed over.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import DataTable, Footer, Header, Input, Label, Static

from recordsdesk.services.people.intake import (
    FORM_FIELDS,
    Choice,
    DuplicateCandidate,
    DuplicateSuspected,
    IntakeChoices,
    IntakeForm,
    IntakeInvalid,
    IntakeResult,
    enroll_applicant,
    intake_choices,
    validate_intake,
)
from recordsdesk.ui.screens.admissions.screening import AdmissionScreen
from recordsdesk.ui.screens.base import DeskScreen
from recordsdesk.ui.screens.people.intake_form import (
    DecisionModal,
    FieldRow,
    clear_error,
    show_errors,
    values,
)
from recordsdesk.ui.screens.people.record import StudentScreen
from recordsdesk.ui.widgets.cells import cell, words
from recordsdesk.ui.widgets.fit_table import FitTable
from recordsdesk.ui.widgets.form_input import FormInput, fields_settled

# (field, label, placeholder, required)
SECTIONS: tuple[tuple[str, tuple[tuple[str, str, str, bool], ...]], ...] = (
    (
        "Who",
        (
            ("legal_first_name", "Legal first name", "as on the identity document", True),
            ("legal_middle_name", "Middle name", "", False),
            ("legal_last_name", "Legal last name", "", True),
            ("preferred_name", "Preferred name", "what they like to be called", False),
            ("birth_date", "Birth date", "YYYY-MM-DD", True),
        ),
    ),
    (
        "Contact",
        (
            ("email", "Email", "name@example.org (or a phone)", False),
            ("phone", "Phone", "", False),
            ("address_line1", "Address", "", False),
            ("city", "City", "", False),
            ("region", "Region", "", False),
            ("postal_code", "Postal code", "", False),
            ("country", "Country", "", False),
        ),
    ),
    (
        "Guardian (required for a minor)",
        (
            ("guardian_name", "Guardian name", "", False),
            ("guardian_relationship", "Relationship", "mother, father, guardian…", False),
            ("guardian_phone", "Guardian phone", "", False),
            ("guardian_email", "Guardian email", "", False),
        ),
    ),
    (
        "Studies",
        (
            ("program", "Program", "type to filter: code or name", True),
            ("entry_term", "Entry term", "type to filter: e.g. 2027FA", True),
            ("level", "Level", "grade (K, 1-12) or year (FR, SO…)", False),
        ),
    ),
)
FILTERED = ("program", "entry_term")
MAX_MATCHES = 4


@dataclass
class ChoicesLoaded(Message):
    choices: IntakeChoices


@dataclass
class IntakeRefused(Message):
    errors: dict[str, str]


@dataclass
class DuplicatesFound(Message):
    candidates: list[DuplicateCandidate]


@dataclass
class FieldsChecked(Message):
    """The whole form checked after a field was left: the problems, by field."""

    errors: dict[str, str]


@dataclass
class IntakeSaved(Message):
    result: IntakeResult


def matches(choices: tuple[Choice, ...], typed: str) -> list[Choice]:
    """Choices whose code or words contain what was typed (case-insensitive), codes starting
    with it first."""
    text = typed.strip().casefold()
    if not text:
        return list(choices)
    starts = [c for c in choices if c.code.casefold().startswith(text)]
    contains = [
        c
        for c in choices
        if c not in starts and (text in c.code.casefold() or text in c.label.casefold())
    ]
    return starts + contains


class DuplicateModal(ModalScreen[str | None]):
    """The records that may be this person: open one (Enter), create anyway (c), or go back to
    the form (Esc)."""

    BINDINGS = [
        Binding("escape", "cancel", "Back to the form"),
        Binding("enter", "open_existing", "Open this record", priority=True),
        Binding("c", "create_anyway", "Create anyway"),  # the prompt says when
    ]

    def __init__(self, candidates: list[DuplicateCandidate]) -> None:
        super().__init__()
        self.candidates = candidates

    def compose(self) -> ComposeResult:
        with Vertical(id="duplicate-dialog"):
            yield Label(
                Text(
                    "This person may already have a record. Open it (Enter), or press c to "
                    "create a new record because this is a different person (recorded in the "
                    "audit trail). Esc goes back to the form.",
                )
            )
            yield FitTable(id="duplicate-table", keep=("Number", "Birth date", "Status"))
            yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(FitTable)
        table.fill(
            ("Number", "Name", "Why", "Birth date", "Status", "Email"),
            [
                (
                    cell(c.student_number),
                    cell(c.name),
                    cell(c.why),
                    cell(c.birth_date),
                    words(c.status),
                    cell(c.email),
                )
                for c in self.candidates
            ],
        )
        table.focus()

    def action_open_existing(self) -> None:
        row = self.query_one(DataTable).cursor_row
        self.dismiss(f"open:{self.candidates[row].student_id}")

    def action_create_anyway(self) -> None:
        self.dismiss("create")

    def action_cancel(self) -> None:
        self.dismiss(None)


class IntakeScreen(DeskScreen):
    CSS_PATH = "intake.tcss"
    SCREEN_NAME = "New student"
    PURPOSE = (
        "Enroll a new applicant. Fill in the fields (Tab or Enter moves on; * marks the ones "
        "every record needs; a guardian is required when the student is a minor) and press "
        "Ctrl+S. Anything wrong is shown beside its field and nothing is saved until the form "
        "is right. Program and entry term filter as you type. If the person may already be on "
        "file you see who and choose. The new record opens with its admission checklist."
    )
    BINDINGS = [
        Binding("ctrl+s", "save", "Save"),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.choices: IntakeChoices | None = None
        self.confirmed: frozenset[int] = frozenset()
        self.visited: set[str] = set()
        self.saving = False

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="intake-form"):
            for title, fields in SECTIONS:
                yield Static(Text(title, style="bold"), classes="form-section")
                for name, label, placeholder, required in fields:
                    yield FieldRow(name, label, placeholder=placeholder, required=required)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#f-legal_first_name", Input).focus()
        self._load_choices()

    @work(thread=True, exclusive=True, group="intake-choices", exit_on_error=False)
    def _load_choices(self) -> None:
        self.post_message(ChoicesLoaded(self.desk.call(intake_choices)))

    @on(ChoicesLoaded)
    def _choices_loaded(self, message: ChoicesLoaded) -> None:
        self.choices = message.choices
        programs = [c.code for c in message.choices.programs]
        terms = [c.code for c in message.choices.terms]
        self.query_one("#f-program", Input).suggester = SuggestFromList(
            programs, case_sensitive=False
        )
        self.query_one("#f-entry_term", Input).suggester = SuggestFromList(
            terms, case_sensitive=False
        )
        guardian = self.query_one("#row-guardian_name", FieldRow)
        guardian.show(f"needed if under {message.choices.minor_age_years}", error=False)

    @on(Input.Blurred)
    def _left_field(self, event: Input.Blurred) -> None:
        """Check the form when a field is left, so its problem shows beside it at once."""
        self.visited.add((event.input.id or "").removeprefix("f-"))
        if not self.saving:
            self._check_fields(self.form())

    @work(thread=True, exclusive=True, group="intake-check", exit_on_error=False)
    def _check_fields(self, form: IntakeForm) -> None:
        try:
            self.desk.call(validate_intake, form=form)
        except IntakeInvalid as invalid:
            self.post_message(FieldsChecked(invalid.errors))
        else:
            self.post_message(FieldsChecked({}))

    @on(FieldsChecked)
    def _fields_checked(self, message: FieldsChecked) -> None:
        """Show the problems of the fields already visited (a field not reached yet is not
        wrong yet; "email or phone" waits until both were passed)."""
        for name in self.visited:
            if name == "email" and "phone" not in self.visited:
                continue
            row = self.query_one(f"#row-{name}", FieldRow)
            if name in message.errors:
                row.show(message.errors[name])
            elif name in FILTERED or "invalid" in row.classes:
                row.show("")

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        name = (event.input.id or "").removeprefix("f-")
        self.confirmed = frozenset()  # a different person now: ask again
        if name in FILTERED:
            self._show_matches(name, event.value)
        else:
            clear_error(self, [name])

    def _show_matches(self, name: str, typed: str) -> None:
        if self.choices is None:
            return
        pool = self.choices.programs if name == "program" else self.choices.terms
        found = matches(pool, typed)
        row = self.query_one(f"#row-{name}", FieldRow)
        if not typed.strip():
            row.show("")
        elif not found:
            row.show(f"nothing matches {typed.strip()!r}")
        else:
            shown = " · ".join(f"{c.code} {c.label}" for c in found[:MAX_MATCHES])
            more = f" (+{len(found) - MAX_MATCHES})" if len(found) > MAX_MATCHES else ""
            row.show(shown + more, error=False)

    @on(FormInput.Entered)
    async def _entered(self, event: FormInput.Entered) -> None:
        """Enter moved on like Tab (FormInput did, at the key); here the field it left is
        completed from its single match, and Enter on the last field saves."""
        field = event.input
        name = (field.id or "").removeprefix("f-")
        if name in FILTERED and self.choices is not None:
            pool = self.choices.programs if name == "program" else self.choices.terms
            found = matches(pool, event.value)
            if len(found) == 1 or (found and found[0].code.casefold() == event.value.casefold()):
                field.value = found[0].code
        if name == FORM_FIELDS[-1]:
            await self.action_save()

    def form(self) -> IntakeForm:
        return IntakeForm(**values(self))

    async def action_save(self) -> None:
        if not self.saving:
            self.saving = True
            await fields_settled(self)  # keys typed before Ctrl+S are in their fields
            self._save(self.form(), self.confirmed)

    @work(thread=True, exclusive=True, group="intake-save", exit_on_error=False)
    def _save(self, form: IntakeForm, confirmed: frozenset[int]) -> None:
        try:
            result = self.desk.call(enroll_applicant, form=form, confirmed_not_duplicates=confirmed)
        except IntakeInvalid as invalid:
            self.post_message(IntakeRefused(invalid.errors))
        except DuplicateSuspected as suspected:
            self.post_message(DuplicatesFound(suspected.candidates))
        except BaseException:
            self.saving = False
            raise
        else:
            self.post_message(IntakeSaved(result))

    @on(IntakeRefused)
    def _refused(self, message: IntakeRefused) -> None:
        self.saving = False
        stray = show_errors(self, message.errors)
        count = len(message.errors)
        self.notify(
            stray
            or (
                f"{count} fields to correct: see the message beside each."
                if count > 1
                else "One field to correct: see the message beside it."
            ),
            title="Not saved",
            severity="warning",
            markup=False,
        )

    @on(DuplicatesFound)
    def _duplicates(self, message: DuplicatesFound) -> None:
        self.saving = False
        ids = frozenset(c.student_id for c in message.candidates)

        def chosen(answer: str | None) -> None:
            if answer == "create":
                self.confirmed = ids
                self.call_later(self.action_save)
            elif answer and answer.startswith("open:"):
                self._open_record(int(answer.removeprefix("open:")), admission=False)

        self.app.push_screen(DuplicateModal(message.candidates), chosen)

    @on(IntakeSaved)
    def _saved(self, message: IntakeSaved) -> None:
        profile = message.result.profile
        self.notify(
            f"{profile.legal_name} is applicant {profile.student_number}.",
            title="Saved",
            markup=False,
        )
        self._open_record(profile.id, admission=True)

    def _open_record(self, student_id: int, *, admission: bool) -> None:
        """Replace the form with the record (Esc from it goes back where Ctrl+N was pressed),
        with the admission checklist on top for a new applicant."""
        record = StudentScreen(student_id)
        self.app.switch_screen(record)
        if admission:
            self.app.push_screen(AdmissionScreen(student_id), lambda _: record.action_reload())

    async def action_cancel(self) -> None:
        """Esc leaves an empty form at once and asks before dropping what was typed."""
        await fields_settled(self)
        if not any(text.strip() for text in values(self).values()):
            self.dismiss()
            return
        self.app.push_screen(
            DecisionModal(
                "Discard this new student?",
                "Discard what you typed for the new student and go back?",
                confirm="Discard",
            ),
            self._discard_if,
        )

    def _discard_if(self, discard: bool | None) -> None:
        if discard:
            self.dismiss()
