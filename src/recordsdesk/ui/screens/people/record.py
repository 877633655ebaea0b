"""One student's record: a band with who they are and what must not be missed (holds,
confidentiality, cumulative GPA, the release consents in force), then tabs for the profile,
history (with a sparkline of term GPAs), registration, holds, notes, transcript requests, the
audit trail (registrars and admins) and the disclosure log. A contact note is added in two keys
(n, type, Enter); opening a record is not audited.

The privacy key (F9) masks the birth date and contact details in the profile from the record
already loaded (no new query), so a student standing at the counter does not see them on the
clerk's screen; a confidential student's record carries the banner above everything else.
Refresh is Ctrl+R: F5 belongs to the app (grade entry)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import (
    DataTable,
    Footer,
    Header,
    Input,
    Label,
    Sparkline,
    Static,
    TabbedContent,
    TabPane,
)

from recordsdesk.services.access.permissions import Action
from recordsdesk.services.people.notes import add_note
from recordsdesk.services.people.record import StudentRecord, get_student_record
from recordsdesk.services.shared.clean_text import printable
from recordsdesk.services.transcripts.honours import change_honours
from recordsdesk.services.transcripts.standing import LABELS, override_standing
from recordsdesk.ui.navigation import Gate, may_use, refusal
from recordsdesk.ui.privacy import privacy_on, stop_watching_privacy
from recordsdesk.ui.screens.admissions.screening import AdmissionScreen
from recordsdesk.ui.screens.base import DeskScreen
from recordsdesk.ui.screens.disclosure.consents import ConsentsScreen
from recordsdesk.ui.screens.disclosure.letter import LetterScreen
from recordsdesk.ui.screens.people.departure import DepartureScreen
from recordsdesk.ui.screens.people.form_modal import FormField, FormModal
from recordsdesk.ui.screens.people.holds import HoldsScreen
from recordsdesk.ui.screens.people.profile_edit import ProfileEditScreen
from recordsdesk.ui.screens.people.received import ReceivedScreen
from recordsdesk.ui.screens.people.record_rows import (
    audit_rows,
    band,
    disclosure_rows,
    gpa_summary,
    history_rows,
    hold_rows,
    note_rows,
    profile_rows,
    registration_rows,
    request_rows,
)
from recordsdesk.ui.screens.registration.sheet import RegistrationScreen
from recordsdesk.ui.screens.transcripts.opening import open_transcript, preview_screen_ahead
from recordsdesk.ui.widgets.confidential import ConfidentialBanner
from recordsdesk.ui.widgets.fit_table import FitTable

# (pane id, tab label, column headings)
TABS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("profile", "Profile", ("Field", "Value")),
    (
        "history",
        "Academic history",
        ("Term", "Course", "Title", "Credits", "Mark", "Grade", "Status"),
    ),
    (
        "registration",
        "Registration",
        ("Term", "Course", "Title", "Sec", "Credits", "Status", "Instructor", "Meets", "Room"),
    ),
    (
        "holds",
        "Holds",
        ("Type", "Blocks", "Reason", "Placed by", "Placed", "Released", "By", "Why released"),
    ),
    ("notes", "Notes", ("When", "By", "Channel", "Note")),
    (
        "requests",
        "Transcript requests",
        ("Requested", "By", "Official", "Recipient", "Format", "Status", "Released", "Note"),
    ),
    ("audit", "Audit", ("When", "Who", "Action", "What", "Before", "After", "Reason")),
    (
        "disclosures",
        "Disclosures",
        ("When", "By", "Document", "Recipient", "Purpose", "Basis", "Consent"),
    ),
)

#: Text columns each tab never cuts (figures, dates and flags are never cut anyway): long titles,
#: reasons and notes give way first, so the marks and credits stay on an 80-column screen.
KEEP: dict[str, tuple[str, ...]] = {
    "profile": ("Field",),
    "history": ("Term", "Course", "Mark", "Status"),
    "registration": ("Term", "Course", "Sec", "Status"),
    "holds": ("Type",),
    "requests": ("Official", "Status"),
}

#: The record's keys that need more than the clerk role, by (action, parameters).
RECORD_GATES: dict[tuple[str, tuple[object, ...]], Gate] = {
    ("departure", ()): Gate("Recording a departure or leave", Action.STUDENT_DEPART),
    ("show_tab", ("audit",)): Gate("The record's audit trail", Action.STUDENT_AUDIT_VIEW),
    ("standing", ()): Gate("Overriding an academic standing", Action.GRADE_CHANGE),
    ("honours", ()): Gate("Changing a graduate's honours", Action.STUDENT_DEPART),
}
_GATED: dict[str, tuple[str, tuple[object, ...]]] = {
    "departure": ("departure", ()),
    "audit": ("show_tab", ("audit",)),
    "standing": ("standing", ()),
    "honours": ("honours", ()),
}


@dataclass
class RecordLoaded(Message):
    record: StudentRecord


@dataclass
class NoteSaved(Message):
    """A note was written; the record is read again to show it with its time and author."""


class NoteModal(ModalScreen[str | None]):
    """One line for the note: Enter saves, Esc cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, student_name: str) -> None:
        super().__init__()
        self.student_name = student_name

    def compose(self) -> ComposeResult:
        with Vertical(id="note-dialog"):
            yield Label(Text(f"Contact note for {printable(self.student_name)}"))
            yield Input(
                placeholder="What was asked or said; Enter saves, Esc cancels", id="note-body"
            )

    @on(Input.Submitted, "#note-body")
    def _submitted(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class StudentScreen(DeskScreen):
    CSS_PATH = "record.tcss"
    SCREEN_NAME = "Student record"
    PURPOSE = (
        "Everything the office holds on one student. The band at the top shows status, "
        "program, credits earned, cumulative GPA and any HOLD or CONFIDENTIAL badge; the tabs "
        "below hold the details (Academic history has term and cumulative GPAs and a "
        "sparkline of term GPAs; Audit is shown to registrars and admins; Disclosures lists "
        "every copy of the record released outside the office). A 'Release:' line names the "
        "student's consents in force. Press 1 to 8 to jump to a tab, c for the release "
        "consents, v for an enrollment verification letter, x for coursework received from other "
        "institutions (and its evaluation into transfer credit), n to add a contact note (type "
        "it, Enter saves), r to register the "
        "student for a term (a waitlist seat offered shows on the Registration tab), e to "
        "edit the profile, h for holds, a for the admission checklist and decision, d to "
        "record a departure or leave, s to override a term's academic standing and o to "
        "change a graduate's honours (registrar, each with a reason kept on the record and in "
        "the audit trail), Ctrl+R to refresh, "
        "F9 to hide birth date and contact details while the student is at the counter, and "
        "Esc to go back to the lookup, where your search is kept."
    )
    BINDINGS = [
        Binding("escape", "back", "Back to lookup"),
        Binding("ctrl+r", "reload", "Refresh"),
        Binding("t", "transcript", "Transcript"),
        Binding("n", "add_note", "Add note"),
        Binding("r", "registration", "Register"),
        Binding("e", "edit_record", "Edit"),
        Binding("h", "holds", "Holds"),
        Binding("d", "departure", "Leave/depart"),
        Binding("a", "admission", "Admission"),
        Binding("c", "consents", "Consents"),
        Binding("v", "verification", "Enrollment letter"),
        Binding("x", "received", "Received"),
        Binding("s", "standing", "Standing"),
        Binding("o", "honours", "Honours"),
        *(
            Binding(str(number), f"show_tab('{pane}')", label, show=False)
            for number, (pane, label, _) in enumerate(TABS, start=1)
        ),
        # Twins of the keys a role may not use (hidden by check_action): they name the role.
        Binding("d", "refuse('departure')", "", show=False),
        Binding("7", "refuse('audit')", "", show=False),
        Binding("s", "refuse('standing')", "", show=False),
        Binding("o", "refuse('honours')", "", show=False),
    ]

    def __init__(self, student_id: int, *, title: str = "") -> None:
        super().__init__()
        self.student_id = student_id
        self.record: StudentRecord | None = None
        self._title_hint = title

    def compose(self) -> ComposeResult:
        yield Header()
        yield ConfidentialBanner(id="confidential-banner")
        yield Static(Text(f"Loading {printable(self._title_hint)}…"), id="record-band")
        with TabbedContent(id="record-tabs"):
            for pane, label, _ in TABS:
                with TabPane(label, id=pane):
                    if pane == "history":
                        yield Static(id="gpa-summary")
                        yield Sparkline([], id="gpa-sparkline")
                    yield FitTable(id=f"{pane}-table", keep=KEEP.get(pane, ()))
        yield Footer()

    def on_mount(self) -> None:
        for pane, _, columns in TABS:
            self.query_one(f"#{pane}-table", FitTable).fill(columns, [])
        self.watch(self.app, "privacy", self._privacy_changed, init=False)
        self._load()

    def on_unmount(self) -> None:
        stop_watching_privacy(self)

    @work(thread=True, exclusive=True, group="record", exit_on_error=False)
    def _load(self) -> None:
        self.post_message(
            RecordLoaded(self.desk.call(get_student_record, student_id=self.student_id))
        )

    @on(RecordLoaded)
    def _record_loaded(self, message: RecordLoaded) -> None:
        record = message.record
        self.record = record
        banner = self.query_one("#confidential-banner", ConfidentialBanner)
        banner.show_for(record.profile.confidential)
        self.query_one("#record-band", Static).update(band(record))
        self._fill("profile", profile_rows(record, privacy_on(self)))
        courses = len(record.transfer_credits) + sum(len(t.courses) for t in record.history)
        self._fill("history", history_rows(record), count=courses)  # not the GPA lines
        self._fill("registration", registration_rows(record))
        self._fill("holds", hold_rows(record))
        self._fill("notes", note_rows(record))
        self._fill("requests", request_rows(record))
        self._fill("disclosures", disclosure_rows(record))
        tabs = self.query_one("#record-tabs", TabbedContent)
        if record.audit is None:
            tabs.hide_tab("audit")
        else:
            tabs.show_tab("audit")
            self._fill("audit", audit_rows(record))
        gpas = [float(t.gpa) for t in record.term_gpas if t.gpa is not None]
        sparkline = self.query_one("#gpa-sparkline", Sparkline)
        sparkline.data = gpas
        sparkline.display = len(gpas) > 1
        self.query_one("#gpa-summary", Static).update(gpa_summary(record))
        # Once the record is drawn: the preview screen composed ahead, so t only fills it in.
        self.call_after_refresh(preview_screen_ahead, self.app)

    def _privacy_changed(self, hidden: bool) -> None:
        """Redraw the profile from the record already loaded, masked or not."""
        if self.record is not None:
            table = self.query_one("#profile-table", DataTable)
            row, scroll = table.cursor_row, table.scroll_offset
            self._fill("profile", profile_rows(self.record, hidden))
            table.move_cursor(row=row, animate=False)
            table.scroll_to(scroll.x, scroll.y, animate=False)

    def _fill(self, pane: str, rows: Iterable[tuple[Text, ...]], count: int | None = None) -> None:
        """Fill a tab's table; its label counts `count` items (default: the rows)."""
        table = self.query_one(f"#{pane}-table", FitTable)
        columns = next(columns for p, _, columns in TABS if p == pane)
        table.fill(columns, list(rows))
        if pane != "profile":
            label = next(label for p, label, _ in TABS if p == pane)
            tabs = self.query_one("#record-tabs", TabbedContent)
            shown = table.row_count if count is None else count
            tabs.get_tab(pane).label = f"{label} ({shown})"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hide the departure key and the Audit tab from a role that cannot use them."""
        if action == "refuse":
            return not self.role_allows(*_GATED[str(parameters[0])])
        return self.role_allows(action, parameters)

    def role_allows(self, action: str, parameters: tuple[object, ...]) -> bool:
        gate = RECORD_GATES.get((action, parameters))
        return gate is None or may_use(self.desk.actor, gate)

    def action_refuse(self, what: str) -> None:
        gate = RECORD_GATES[_GATED[what]]
        self.notify(
            refusal(self.desk.actor, gate),
            title="Not for this role",
            severity="error",
            markup=False,
        )

    def action_back(self) -> None:
        self.dismiss()

    def action_reload(self) -> None:
        self._load()

    def action_add_note(self) -> None:
        name = self.record.profile.legal_name if self.record else self._title_hint

        def save(body: str | None) -> None:
            if body:
                self._save_note(body)

        self.app.push_screen(NoteModal(name), save)

    @work(thread=True, group="note", exit_on_error=False)
    def _save_note(self, body: str) -> None:
        self.desk.call(add_note, student_id=self.student_id, body=body)
        self.post_message(NoteSaved())

    @on(NoteSaved)
    def _note_saved(self) -> None:
        self.notify("Note added to the record.", timeout=3)
        self._load()
        self.action_show_tab("notes")

    def action_transcript(self) -> None:
        confidential = self.record.profile.confidential if self.record else False
        open_transcript(self, self.student_id, confidential=confidential)

    def action_registration(self) -> None:
        """Register the student for a term; the record is read again on the way back."""
        name = self.record.profile.legal_name if self.record else self._title_hint

        def back(_: None) -> None:
            self._load()

        self.app.push_screen(RegistrationScreen(self.student_id, title=name), back)

    def _push_and_reload(self, screen: DeskScreen) -> None:
        """Open an editing screen; the record is read again when it closes."""

        def back(_: None) -> None:
            self._load()

        self.app.push_screen(screen, back)

    def action_edit_record(self) -> None:
        name = self.record.profile.legal_name if self.record else self._title_hint
        self._push_and_reload(ProfileEditScreen(self.student_id, title=name))

    def action_holds(self) -> None:
        name = self.record.profile.legal_name if self.record else self._title_hint
        self._push_and_reload(HoldsScreen(self.student_id, title=name))

    def action_departure(self) -> None:
        name = self.record.profile.legal_name if self.record else self._title_hint
        self._push_and_reload(DepartureScreen(self.student_id, title=name))

    def action_consents(self) -> None:
        name = self.record.profile.legal_name if self.record else self._title_hint
        self._push_and_reload(ConsentsScreen(self.student_id, title=name))

    def action_verification(self) -> None:
        name = self.record.profile.legal_name if self.record else self._title_hint
        self._push_and_reload(LetterScreen(self.student_id, title=name))

    def action_standing(self) -> None:
        """Override a term's standing: the latest decided term and its standing filled in; saved
        through the service `recordsdesk standing set` uses, audited there."""
        if self.record is None:
            return
        number = self.record.profile.student_number
        latest = self.record.standings[-1] if self.record.standings else None
        fields = (
            FormField("term", "Term", latest.term_code if latest else "", "term code", True),
            FormField(
                "standing",
                "Standing",
                latest.standing if latest else "",
                ", ".join(LABELS),
                required=True,
            ),
            FormField("reason", "Reason", "", "why (kept on the record and audited)", True),
        )
        decided = ", ".join(
            f"{s.term_code} {LABELS.get(s.standing, s.standing).lower()}"
            for s in self.record.standings[-4:]
        )

        def submit(typed: dict[str, str]) -> str:
            row = self.desk.call(
                override_standing,
                student_number=number,
                term_code=typed["term"].strip(),
                standing=typed["standing"],
                reason=typed["reason"],
            )
            return f"{typed['term'].strip().upper()}: {LABELS[row.standing]}"

        self._form(
            FormModal(
                f"Academic standing of {self.record.profile.legal_name}",
                fields,
                submit,
                note=(f"Decided: {decided}. " if decided else "No standing decided yet. ")
                + f"A standing is one of: {', '.join(LABELS)}.",
            )
        )

    def action_honours(self) -> None:
        """Change a graduate's honours (blank: none), with a reason; through the service
        `recordsdesk honours set` uses, audited there."""
        if self.record is None:
            return
        profile = self.record.profile
        number = profile.student_number
        fields = (
            FormField("honours", "Honours", profile.honours, "blank: no honours"),
            FormField("reason", "Reason", "", "why (audited)", True),
        )

        def submit(typed: dict[str, str]) -> str:
            self.desk.call(
                change_honours,
                student_number=number,
                honours=typed["honours"],
                reason=typed["reason"],
            )
            return f"Honours: {typed['honours'].strip() or 'none'}"

        now = f"Now: {profile.honours}." if profile.honours else "Now: no honours."
        self._form(FormModal(f"Honours of {profile.legal_name}", fields, submit, note=now))

    def _form(self, form: FormModal) -> None:
        """Open a form; once it saved, say what changed and read the record again."""

        def saved(result: object | None) -> None:
            if isinstance(result, str):
                self.notify(result, title="Saved", markup=False)
                self._load()

        self.app.push_screen(form, saved)

    def action_admission(self) -> None:
        self._push_and_reload(AdmissionScreen(self.student_id))

    def action_received(self) -> None:
        name = self.record.profile.legal_name if self.record else self._title_hint
        self._push_and_reload(ReceivedScreen(self.student_id, title=name))

    def action_show_tab(self, pane: str) -> None:
        self.query_one("#record-tabs", TabbedContent).active = pane
        self.query_one(f"#{pane}-table", DataTable).focus()
