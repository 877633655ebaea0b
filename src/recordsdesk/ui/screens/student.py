"""One student's record: a band with who they are and what must not be missed (holds,
confidentiality, cumulative GPA), then tabs for the profile, history (with a sparkline of term
GPAs), registration, holds, notes, transcript requests and, for registrars and admins, the audit
trail. A contact note is added in two keys (n, type, Enter); opening a record is not audited.

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

from recordsdesk.services.note import add_note
from recordsdesk.services.records import StudentRecord, get_student_record
from recordsdesk.ui.privacy import mask, privacy_on, stop_watching_privacy
from recordsdesk.ui.screens.admission import AdmissionScreen
from recordsdesk.ui.screens.base import DeskScreen
from recordsdesk.ui.screens.departure import DepartureScreen
from recordsdesk.ui.screens.hold import HoldsScreen
from recordsdesk.ui.screens.profile_edit import ProfileEditScreen
from recordsdesk.ui.screens.registration import RegistrationScreen
from recordsdesk.ui.screens.transcript_open import open_transcript, preview_screen_ahead
from recordsdesk.ui.widgets.cells import CONFIDENTIAL_STYLE, HOLD_STYLE, cell, meeting, words
from recordsdesk.ui.widgets.confidential import ConfidentialBanner

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
)


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
            yield Label(Text(f"Contact note for {self.student_name}"))
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
    CSS_PATH = "student.tcss"
    SCREEN_NAME = "Student record"
    PURPOSE = (
        "Everything the office holds on one student. The band at the top shows status, "
        "program, credits earned, cumulative GPA and any HOLD or CONFIDENTIAL badge; the tabs "
        "below hold the details (Academic history has term and cumulative GPAs and a "
        "sparkline of term GPAs; Audit is shown to registrars and admins). Press 1 to 7 to "
        "jump to a tab, n to add a contact note (type it, Enter saves), r to register the "
        "student for a term (a waitlist seat offered shows on the Registration tab), e to "
        "edit the profile, h for holds, a for the admission checklist and decision, d to "
        "record a departure or leave, Ctrl+R to refresh, "
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
        *(
            Binding(str(number), f"show_tab('{pane}')", label, show=False)
            for number, (pane, label, _) in enumerate(TABS, start=1)
        ),
    ]

    def __init__(self, student_id: int, *, title: str = "") -> None:
        super().__init__()
        self.student_id = student_id
        self.record: StudentRecord | None = None
        self._title_hint = title

    def compose(self) -> ComposeResult:
        yield Header()
        yield ConfidentialBanner(id="confidential-banner")
        yield Static(Text(f"Loading {self._title_hint}…"), id="record-band")
        with TabbedContent(id="record-tabs"):
            for pane, label, _ in TABS:
                with TabPane(label, id=pane):
                    if pane == "history":
                        yield Static(id="gpa-summary")
                        yield Sparkline([], id="gpa-sparkline")
                    yield DataTable(id=f"{pane}-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        for pane, _, columns in TABS:
            self.query_one(f"#{pane}-table", DataTable).add_columns(*columns)
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
        self.query_one("#record-band", Static).update(_band(record))
        self._fill("profile", _profile_rows(record, privacy_on(self)))
        courses = len(record.transfer_credits) + sum(len(t.courses) for t in record.history)
        self._fill("history", _history_rows(record), count=courses)  # not the GPA lines
        self._fill("registration", _registration_rows(record))
        self._fill("holds", _hold_rows(record))
        self._fill("notes", _note_rows(record))
        self._fill("requests", _request_rows(record))
        tabs = self.query_one("#record-tabs", TabbedContent)
        if record.audit is None:
            tabs.hide_tab("audit")
        else:
            tabs.show_tab("audit")
            self._fill("audit", _audit_rows(record))
        gpas = [float(t.gpa) for t in record.term_gpas if t.gpa is not None]
        sparkline = self.query_one("#gpa-sparkline", Sparkline)
        sparkline.data = gpas
        sparkline.display = len(gpas) > 1
        self.query_one("#gpa-summary", Static).update(_gpa_summary(record))
        # Once the record is drawn: the preview screen composed ahead, so t only fills it in.
        self.call_after_refresh(preview_screen_ahead, self.app)

    def _privacy_changed(self, hidden: bool) -> None:
        """Redraw the profile from the record already loaded, masked or not."""
        if self.record is not None:
            table = self.query_one("#profile-table", DataTable)
            row, scroll = table.cursor_row, table.scroll_offset
            self._fill("profile", _profile_rows(self.record, hidden))
            table.move_cursor(row=row, animate=False)
            table.scroll_to(scroll.x, scroll.y, animate=False)

    def _fill(self, pane: str, rows: Iterable[tuple[Text, ...]], count: int | None = None) -> None:
        """Fill a tab's table; its label counts `count` items (default: the rows)."""
        table = self.query_one(f"#{pane}-table", DataTable)
        table.clear()
        for row in rows:
            table.add_row(*row)
        if pane != "profile":
            label = next(label for p, label, _ in TABS if p == pane)
            tabs = self.query_one("#record-tabs", TabbedContent)
            shown = table.row_count if count is None else count
            tabs.get_tab(pane).label = f"{label} ({shown})"

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

    def action_admission(self) -> None:
        self._push_and_reload(AdmissionScreen(self.student_id))

    def action_show_tab(self, pane: str) -> None:
        self.query_one("#record-tabs", TabbedContent).active = pane
        self.query_one(f"#{pane}-table", DataTable).focus()


def _band(record: StudentRecord) -> Text:
    """Two lines: the name with the badges a clerk must not miss, then the key facts."""
    p = record.profile
    name = p.legal_name
    if p.preferred_name and p.preferred_name != p.legal_first_name:
        name += f" ({p.preferred_name})"
    band = Text()
    band.append(name, style="bold")
    if record.has_active_hold:
        band.append("  ")
        band.append(" HOLD ", style=f"{HOLD_STYLE} reverse")
    if p.confidential:
        band.append("  ")
        band.append(" CONFIDENTIAL ", style=f"{CONFIDENTIAL_STYLE} reverse")
    facts = [
        p.student_number,
        p.status.replace("_", " "),
        p.program_code or "no program",
        _level(p.grade_level, p.class_year),
        f"{cell(record.credits_earned).plain} credits earned",
        f"GPA {record.cumulative_gpa}" if record.cumulative_gpa is not None else "",
    ]
    band.append("\n")
    band.append("  ·  ".join(fact for fact in facts if fact))
    return band


def _level(grade_level: str, class_year: int | None) -> str:
    """'grade 7' for schools, 'SR, class of 2027' for colleges: whatever the record holds."""
    level = grade_level
    if grade_level.isdigit() or grade_level == "K":
        level = f"grade {grade_level}"
    year = f"class of {class_year}" if class_year is not None else ""
    return ", ".join(x for x in (level, year) if x)


def _profile_rows(record: StudentRecord, hidden: bool) -> list[tuple[Text, ...]]:
    """The profile's fields; with `hidden` (the privacy key) the birth date, email, phone,
    address and the guardian's phone and email are masked."""
    p = record.profile
    address = ", ".join(
        x
        for x in (p.address_line1, p.address_line2, p.city, p.region, p.postal_code, p.country)
        if x
    )
    guardian = " ".join(
        x
        for x in (
            p.guardian_name,
            f"({p.guardian_relationship})" if p.guardian_relationship else "",
            mask(p.guardian_phone, hidden),
            mask(p.guardian_email, hidden),
        )
        if x
    )
    fields: list[tuple[str, object]] = [
        ("Student number", p.student_number),
        ("Legal name", p.legal_name),
        ("Preferred name", p.preferred_name),
        ("Former names", p.former_names),
        ("Birth date", mask(cell(p.birth_date).plain, hidden)),
        ("Email", mask(p.email, hidden)),
        ("Phone", mask(p.phone, hidden)),
        ("Address", mask(address, hidden)),
        ("Guardian", guardian),
        ("Program", " ".join(x for x in (p.program_code, p.program_name) if x)),
        ("Program level", p.program_level),
        ("Grade level", p.grade_level),
        ("Class year", p.class_year),
        ("Status", p.status.replace("_", " ")),
        ("Entry term", p.entry_term_code),
        ("Admitted", p.admission_date),
        ("Departed", p.departure_date),
        ("Departure reason", p.departure_reason),
        ("Degree conferred", p.degree_conferred),
        ("Conferral date", p.conferral_date),
        ("Honours", p.honours),
        ("Leave started", p.leave_start),
        ("Expected return", p.leave_expected_return),
        ("Leave reason", p.leave_reason),
        ("Credits earned", record.credits_earned),
        ("Confidential", p.confidential),
        ("Record created", p.created_at),
        ("Last changed", p.updated_at),
        ("Version", p.version),
    ]
    return [(Text(label, style="bold"), _left(cell(value))) for label, value in fields]


def _left(text: Text) -> Text:
    text.justify = "left"
    return text


def _history_rows(record: StudentRecord) -> list[tuple[Text, ...]]:
    rows: list[tuple[Text, ...]] = [
        (
            Text("TRANSFER"),
            cell(t.equivalent_course_code or t.source_course_code),
            cell(f"{t.source_course_title} ({t.source_institution})"),
            cell(t.credits),
            cell(t.mark),
            Text("accepted"),
            cell(t.awarded_on),
        )
        for t in record.transfer_credits
    ]
    for term in record.history:
        for course in term.courses:
            rows.append(
                (
                    cell(term.term_code),
                    cell(course.course_code),
                    cell(course.course_title),
                    cell(course.credits),
                    cell(course.mark, style="bold"),
                    words(course.grade_status),
                    words(course.enrollment_status),
                )
            )
        gpa = record.term_gpa(term.term_code)
        if gpa is not None and gpa.gpa is not None:
            summary = f"Term GPA {gpa.gpa} · cumulative {gpa.cumulative_gpa}"
            if gpa.standing:
                summary += f" · {gpa.standing}"
            rows.append((cell(term.term_code), Text(""), Text(summary, style="bold"), *_blank(4)))
    return rows


def _blank(n: int) -> tuple[Text, ...]:
    return tuple(Text("") for _ in range(n))


def _gpa_summary(record: StudentRecord) -> Text:
    """One line over the history: the cumulative GPA and the term GPAs the sparkline draws."""
    if record.cumulative_gpa is None:
        return Text("No GPA yet: nothing graded counts in it.", style="dim")
    terms = "  ".join(f"{t.term_code} {t.gpa}" for t in record.term_gpas if t.gpa is not None)
    return Text(f"Cumulative GPA {record.cumulative_gpa}   Term GPAs: {terms}")


def _audit_rows(record: StudentRecord) -> list[tuple[Text, ...]]:
    return [
        (
            cell(a.occurred_at),
            cell(a.actor),
            cell(a.action),
            cell(a.entity),
            cell(_short(a.before)),
            cell(_short(a.after)),
            cell(a.reason),
        )
        for a in record.audit or ()
    ]


def _short(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _registration_rows(record: StudentRecord) -> list[tuple[Text, ...]]:
    return [
        (
            cell(r.term_code),
            cell(r.course_code),
            cell(r.course_title),
            cell(r.section_code),
            cell(r.credits),
            Text(
                f"waitlisted #{r.waitlist_position}, seat offered"
                if r.seat_offered_at is not None
                else f"waitlisted #{r.waitlist_position}"
                if r.waitlist_position is not None and r.status == "waitlisted"
                else r.status
            ),
            cell(r.instructor),
            meeting(r.meeting_days, r.start_time, r.end_time),
            cell(r.room),
        )
        for r in record.registrations
    ]


def _hold_rows(record: StudentRecord) -> list[tuple[Text, ...]]:
    rows: list[tuple[Text, ...]] = []
    for h in record.holds:
        blocks = ", ".join(
            what
            for what, on_ in (
                ("registration", h.blocks_registration),
                ("transcript", h.blocks_transcript),
            )
            if on_
        )
        rows.append(
            (
                cell(h.hold_type.upper(), style=HOLD_STYLE if h.active else "dim"),
                Text(blocks),
                cell(h.reason),
                cell(h.placed_by),
                cell(h.placed_at),
                cell(h.released_at) if h.released_at else Text("active", style=HOLD_STYLE),
                cell(h.released_by),
                cell(h.release_reason),
            )
        )
    return rows


def _note_rows(record: StudentRecord) -> list[tuple[Text, ...]]:
    return [
        (cell(n.created_at), cell(n.author), cell(n.channel), cell(n.body)) for n in record.notes
    ]


def _request_rows(record: StudentRecord) -> list[tuple[Text, ...]]:
    return [
        (
            cell(r.requested_at),
            cell(r.requested_by),
            Text("official" if r.official else "unofficial"),
            cell(r.recipient),
            cell(r.format),
            words(r.status),
            cell(r.released_at),
            cell(r.note),
        )
        for r in record.transcript_requests
    ]
