"""Edit a student's profile (names, birth date, contact details, guardian, level).

Saving sends only the fields that were changed, with the version of the record as it was
loaded. When another desk saved the record in between, nothing is written: the screen shows
each field the other desk changed, what this desk saw, what is stored now (theirs) and what
this desk typed (yours). Enter takes their version of those fields and keeps every other edit,
so the clerk reviews and saves again knowingly; Esc goes back to the form unchanged. Status
and departure fields are not edited here (the departure screen records those)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Header, Input, Label, Static

from recordsdesk.services.people.student import (
    FieldConflict,
    StudentProfile,
    describe_conflict,
    get_student_profile,
    update_student,
)
from recordsdesk.services.shared.errors import StaleRecord, ValidationFailed
from recordsdesk.ui.screens.base import DeskScreen
from recordsdesk.ui.screens.people.intake_form import (
    DecisionModal,
    FieldRow,
    clear_error,
    show_errors,
    values,
)
from recordsdesk.ui.widgets.cells import cell
from recordsdesk.ui.widgets.form_input import fields_settled

# field -> label
FIELDS: dict[str, str] = {
    "legal_first_name": "Legal first name",
    "legal_middle_name": "Middle name",
    "legal_last_name": "Legal last name",
    "preferred_name": "Preferred name",
    "former_names": "Former names",
    "birth_date": "Birth date",
    "email": "Email",
    "phone": "Phone",
    "address_line1": "Address",
    "address_line2": "Address (2)",
    "city": "City",
    "region": "Region",
    "postal_code": "Postal code",
    "country": "Country",
    "guardian_name": "Guardian name",
    "guardian_relationship": "Relationship",
    "guardian_phone": "Guardian phone",
    "guardian_email": "Guardian email",
    "grade_level": "Level",
    "class_year": "Class year",
}


def as_text(value: object) -> str:
    """A stored value as the form shows it."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def changes_from(seen: StudentProfile, typed: dict[str, str]) -> dict[str, object]:
    """The fields whose text differs from the record as loaded (blank class year: none)."""
    changed: dict[str, object] = {}
    for name, text in typed.items():
        if text.strip() != as_text(getattr(seen, name)).strip():
            changed[name] = None if name == "class_year" and not text.strip() else text
    return changed


@dataclass
class ProfileLoaded(Message):
    profile: StudentProfile


@dataclass
class EditRefused(Message):
    field: str
    message: str


@dataclass
class EditConflict(Message):
    current: StudentProfile
    conflicts: list[FieldConflict]


@dataclass
class EditSaved(Message):
    profile: StudentProfile


class ConflictModal(ModalScreen[bool]):
    """What the other desk changed: Enter takes theirs (keeping other edits), Esc goes back."""

    BINDINGS = [
        Binding("enter", "take_theirs", "Take theirs, keep my other edits", priority=True),
        Binding("escape", "cancel", "Back to my edits"),
    ]

    def __init__(self, who: str, conflicts: list[FieldConflict]) -> None:
        super().__init__()
        self.who = who
        self.conflicts = conflicts

    def compose(self) -> ComposeResult:
        with Vertical(id="conflict-dialog"):
            yield Label(
                Text(
                    f"Not saved: {self.who} was changed at another desk while you were editing. "
                    "Nothing of yours was written and nothing of theirs was overwritten.",
                    style="bold",
                )
            )
            yield DataTable(id="conflict-table", cursor_type="row")
            yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Field", "You saw", "Theirs (saved)", "Yours")
        for c in self.conflicts:
            table.add_row(
                Text(FIELDS.get(c.field, c.field.replace("_", " "))),
                cell(as_text(c.seen)),
                cell(as_text(c.theirs), style="bold"),
                cell(as_text(c.yours)),
            )

    def action_take_theirs(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)


class ProfileEditScreen(DeskScreen):
    CSS_PATH = "profile_edit.tcss"
    SCREEN_NAME = "Edit record"
    PURPOSE = (
        "Correct the student's names, birth date, contact details, guardian and level. Only "
        "the fields you change are saved (Ctrl+S); a problem is shown beside its field. If "
        "someone at another desk saved the record while you were editing, nothing is "
        "overwritten: you see what they changed next to what you typed and choose. Every change "
        "is kept in the audit trail with its before and after. Esc goes back without saving."
    )
    BINDINGS = [
        Binding("ctrl+s", "save", "Save"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, student_id: int, *, title: str = "") -> None:
        super().__init__()
        self.student_id = student_id
        self.student_name = title
        self.seen: StudentProfile | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(Text(f"Loading {self.student_name}…"), id="edit-band")
        with VerticalScroll(id="edit-form"):
            for name, label in FIELDS.items():
                yield FieldRow(
                    name, label, placeholder="YYYY-MM-DD" if name == "birth_date" else ""
                )
        yield Footer()

    def on_mount(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="profile-edit", exit_on_error=False)
    def _load(self) -> None:
        self.post_message(
            ProfileLoaded(self.desk.call(get_student_profile, student_id=self.student_id))
        )

    @on(ProfileLoaded)
    def _loaded(self, message: ProfileLoaded) -> None:
        self._take(message.profile, fields=FIELDS)
        self.query_one("#f-legal_first_name", Input).focus()

    def _take(self, profile: StudentProfile, *, fields: dict[str, str] | list[str]) -> None:
        """Adopt `profile` as the version being edited; put its values in `fields`."""
        self.seen = profile
        for name in fields:
            self.query_one(f"#f-{name}", Input).value = as_text(getattr(profile, name))
        band = Text(profile.legal_name, style="bold")
        band.append(f"  {profile.student_number}  ·  version {profile.version}")
        self.query_one("#edit-band", Static).update(band)

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        if event.input.has_focus:  # typed by the clerk, not filled in by the screen
            clear_error(self, [(event.input.id or "").removeprefix("f-")])

    async def action_back(self) -> None:
        """Esc leaves at once when nothing was changed, else asks before dropping the edits."""
        await fields_settled(self)
        if self.seen is None or not changes_from(self.seen, values(self)):
            self.dismiss()
            return
        self.app.push_screen(
            DecisionModal(
                "Discard your changes?",
                f"Discard what you changed in {self.seen.legal_name}'s record and go back?",
                confirm="Discard",
            ),
            self._discard_if,
        )

    def _discard_if(self, discard: bool | None) -> None:
        if discard:
            self.dismiss()

    async def action_save(self) -> None:
        if self.seen is None:
            return
        await fields_settled(self)  # the keys typed before Ctrl+S are in their fields
        changes = changes_from(self.seen, values(self))
        if not changes:
            self.notify("Nothing was changed.", markup=False)
            return
        self._save(self.seen, changes)

    @work(thread=True, group="profile-edit-write", exit_on_error=False)
    def _save(self, seen: StudentProfile, changes: dict[str, object]) -> None:
        try:
            profile = self.desk.call(
                update_student,
                student_id=seen.id,
                expected_version=seen.version,
                changes=changes,
            )
        except ValidationFailed as refused:
            self.post_message(EditRefused(refused.field, refused.message))
        except StaleRecord:
            current = self.desk.call(get_student_profile, student_id=seen.id)
            self.post_message(EditConflict(current, describe_conflict(seen, current, changes)))
        else:
            self.post_message(EditSaved(profile))

    @on(EditRefused)
    def _refused(self, message: EditRefused) -> None:
        stray = show_errors(self, {message.field: message.message})
        if stray:
            self.notify(stray, title="Not saved", severity="error", markup=False)

    @on(EditConflict)
    def _conflict(self, message: EditConflict) -> None:
        theirs = [c.field for c in message.conflicts if c.field in FIELDS]

        def chosen(take_theirs: bool | None) -> None:
            if take_theirs:
                self._take(message.current, fields=theirs)
                self._mark_theirs(theirs)
                self.notify(
                    "Their changes are in the form with your other edits; Ctrl+S saves.",
                    markup=False,
                )

        name = self.seen.legal_name if self.seen else self.student_name
        self.app.push_screen(ConflictModal(name, message.conflicts), chosen)

    def _mark_theirs(self, names: list[str]) -> None:
        """Say beside each field that the value shown is the other desk's."""
        for name in names:
            self.query_one(f"#row-{name}", FieldRow).show(
                "changed at another desk: theirs shown", error=False
            )

    @on(EditSaved)
    def _saved(self, message: EditSaved) -> None:
        self.notify("Record saved.", markup=False)
        self.dismiss()
