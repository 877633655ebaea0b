"""One student's record: a band with who they are and what must not be missed (holds,
confidentiality), then tabs for the profile, history, registration, holds, notes and transcript
requests. Read-only for now; opening a record is not audited (only changes are)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Static, TabbedContent, TabPane

from recordsdesk.services.records import StudentRecord, get_student_record
from recordsdesk.ui.screens.base import DeskScreen
from recordsdesk.ui.screens.transcript import TranscriptScreen
from recordsdesk.ui.widgets.cells import CONFIDENTIAL_STYLE, HOLD_STYLE, cell, meeting, words

CONFIDENTIAL_NOTICE = (
    "CONFIDENTIAL: directory information opt-out (FERPA). Confirm identity; release nothing "
    "about this student without their written consent."
)

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
)


@dataclass
class RecordLoaded(Message):
    record: StudentRecord


class StudentScreen(DeskScreen):
    CSS_PATH = "student.tcss"
    SCREEN_NAME = "Student record"
    PURPOSE = (
        "Everything the office holds on one student. The band at the top shows status, "
        "program, credits earned and any HOLD or CONFIDENTIAL badge; the tabs below hold the "
        "details. Press 1 to 6 to jump to a tab and Esc to go back to the lookup, where your "
        "search is kept."
    )
    BINDINGS = [
        Binding("escape", "back", "Back to lookup"),
        Binding("f5", "reload", "Refresh"),
        Binding("t", "transcript", "Transcript"),
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
        yield Static(Text(CONFIDENTIAL_NOTICE), id="confidential-banner")
        yield Static(Text(f"Loading {self._title_hint}…"), id="record-band")
        with TabbedContent(id="record-tabs"):
            for pane, label, _ in TABS:
                with TabPane(label, id=pane):
                    yield DataTable(id=f"{pane}-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        for pane, _, columns in TABS:
            self.query_one(f"#{pane}-table", DataTable).add_columns(*columns)
        self._load()

    @work(thread=True, exclusive=True, group="record", exit_on_error=False)
    def _load(self) -> None:
        self.post_message(
            RecordLoaded(self.desk.call(get_student_record, student_id=self.student_id))
        )

    @on(RecordLoaded)
    def _record_loaded(self, message: RecordLoaded) -> None:
        record = message.record
        self.record = record
        self.set_class(record.profile.confidential, "confidential")
        self.query_one("#record-band", Static).update(_band(record))
        self._fill("profile", _profile_rows(record))
        self._fill("history", _history_rows(record))
        self._fill("registration", _registration_rows(record))
        self._fill("holds", _hold_rows(record))
        self._fill("notes", _note_rows(record))
        self._fill("requests", _request_rows(record))

    def _fill(self, pane: str, rows: Iterable[tuple[Text, ...]]) -> None:
        table = self.query_one(f"#{pane}-table", DataTable)
        table.clear()
        for row in rows:
            table.add_row(*row)
        if pane != "profile":
            label = next(label for p, label, _ in TABS if p == pane)
            tabs = self.query_one("#record-tabs", TabbedContent)
            tabs.get_tab(pane).label = f"{label} ({table.row_count})"

    def action_back(self) -> None:
        self.dismiss()

    def action_reload(self) -> None:
        self._load()

    def action_transcript(self) -> None:
        self.app.push_screen(TranscriptScreen(self.student_id, title=self._title_hint))

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


def _profile_rows(record: StudentRecord) -> list[tuple[Text, ...]]:
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
            p.guardian_phone,
            p.guardian_email,
        )
        if x
    )
    fields: list[tuple[str, object]] = [
        ("Student number", p.student_number),
        ("Legal name", p.legal_name),
        ("Preferred name", p.preferred_name),
        ("Former names", p.former_names),
        ("Birth date", p.birth_date),
        ("Email", p.email),
        ("Phone", p.phone),
        ("Address", address),
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
    return rows


def _registration_rows(record: StudentRecord) -> list[tuple[Text, ...]]:
    return [
        (
            cell(r.term_code),
            cell(r.course_code),
            cell(r.course_title),
            cell(r.section_code),
            cell(r.credits),
            Text(
                f"waitlisted #{r.waitlist_position}"
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
