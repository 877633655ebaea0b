"""Leaving and coming back, for one student: graduate (g), withdraw (w), transfer out (t), leave
of absence (l), back from leave (b). The key shows the fields that way of leaving needs; Ctrl+S
records it. A refusal is shown beside its field; registrations in terms not yet started are
dropped (with a contact note) and the screen says which."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Footer, Header, Input, Static

from recordsdesk.services.departure import (
    DepartureResult,
    graduate,
    return_from_leave,
    start_leave,
    transfer_out,
    withdraw,
)
from recordsdesk.services.errors import ValidationFailed
from recordsdesk.services.permissions import Action, allowed
from recordsdesk.services.student import StudentProfile, get_student_profile
from recordsdesk.ui.screens.base import DeskScreen
from recordsdesk.ui.screens.intake_form import FieldRow, clear_error, show_errors, values

# field -> (label, placeholder, required)
FIELDS: dict[str, tuple[str, str, bool]] = {
    "conferral_date": ("Conferral date", "YYYY-MM-DD", True),
    "program": ("Program", "code; blank: the student's own", False),
    "honours": ("Honours", "e.g. Magna cum laude", False),
    "departure_date": ("Date", "YYYY-MM-DD", True),
    "reason": ("Reason", "", True),
    "destination": ("Transferring to", "the other institution", False),
    "leave_start": ("Leave starts", "YYYY-MM-DD", True),
    "leave_expected_return": ("Expected return", "YYYY-MM-DD (blank: not known)", False),
    "leave_reason": ("Reason for leave", "", True),
    "return_date": ("Returned on", "YYYY-MM-DD", True),
}
# kind -> (title, fields)
KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "graduate": ("Graduate", ("conferral_date", "program", "honours")),
    "withdraw": ("Withdraw from the institution", ("departure_date", "reason")),
    "transfer": ("Transfer out", ("departure_date", "reason", "destination")),
    "leave": ("Leave of absence", ("leave_start", "leave_expected_return", "leave_reason")),
    "return": ("Return from leave", ("return_date",)),
}
DATE_FIELDS = frozenset(
    {"conferral_date", "departure_date", "leave_start", "leave_expected_return", "return_date"}
)


@dataclass
class ProfileLoaded(Message):
    profile: StudentProfile


@dataclass
class DepartureRefused(Message):
    errors: dict[str, str]


@dataclass
class DepartureDone(Message):
    result: DepartureResult


def parse_dates(
    typed: dict[str, str], names: tuple[str, ...]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The form's values with dates parsed, and the fields whose text is not a date."""
    parsed: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name in names:
        text = typed.get(name, "").strip()
        if name not in DATE_FIELDS:
            parsed[name] = text
        elif not text:
            parsed[name] = None
            if FIELDS[name][2]:
                errors[name] = "the date is required (YYYY-MM-DD)."
        else:
            try:
                parsed[name] = date.fromisoformat(text)
            except ValueError:
                errors[name] = f"{text!r} is not a date (YYYY-MM-DD)."
    return parsed, errors


class DepartureScreen(DeskScreen):
    CSS_PATH = "departure.tcss"
    SCREEN_NAME = "Departure and leave"
    PURPOSE = (
        "Record that the student leaves or comes back: g graduate (conferral date, program, "
        "honours), w withdraw from the institution, t transfer out, l leave of absence, b back "
        "from leave. Fill in the fields and press Ctrl+S. Date and reason stay on the record, "
        "registrations in terms not yet started are dropped with a contact note, and the record "
        "stays searchable. Needs the registrar role. Esc goes back."
    )
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("g", "kind('graduate')", "Graduate"),
        Binding("w", "kind('withdraw')", "Withdraw"),
        Binding("t", "kind('transfer')", "Transfer out"),
        Binding("l", "kind('leave')", "Leave"),
        Binding("b", "kind('return')", "Back from leave"),
        Binding("ctrl+s", "save", "Save"),
        Binding("enter", "next_field", "Next field", show=False, priority=True),
    ]

    def __init__(self, student_id: int, *, title: str = "") -> None:
        super().__init__()
        self.student_id = student_id
        self.student_name = title
        self.profile: StudentProfile | None = None
        self.kind = ""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(Text(self.student_name, style="bold"), id="departure-band")
        yield Static(
            Text("Choose: g graduate · w withdraw · t transfer out · l leave · b back from leave"),
            id="departure-kind",
        )
        with VerticalScroll(id="departure-form"):
            for name, (label, placeholder, required) in FIELDS.items():
                yield FieldRow(name, label, placeholder=placeholder, required=required)
        yield Footer()

    def on_mount(self) -> None:
        for row in self.query(FieldRow):
            row.display = False
        self._load()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Letter keys choose the kind only while no field has the cursor (they are text)."""
        if action == "kind" and isinstance(self.focused, Input):
            return False
        return True

    @work(thread=True, exclusive=True, group="departure", exit_on_error=False)
    def _load(self) -> None:
        self.post_message(
            ProfileLoaded(self.desk.call(get_student_profile, student_id=self.student_id))
        )

    @on(ProfileLoaded)
    def _loaded(self, message: ProfileLoaded) -> None:
        p = self.profile = message.profile
        band = Text(p.legal_name, style="bold")
        band.append(f"  {p.student_number}  ·  {p.status.replace('_', ' ')}")
        if p.program_code:
            band.append(f"  ·  {p.program_code}")
        if p.departure_date:
            band.append(f"\nLeft {p.departure_date.isoformat()}: {p.departure_reason}")
        if p.status == "on_leave" and p.leave_start:
            back = p.leave_expected_return.isoformat() if p.leave_expected_return else "unknown"
            band.append(f"\nOn leave since {p.leave_start.isoformat()} (back {back}): ")
            band.append(p.leave_reason)
        self.query_one("#departure-band", Static).update(band)

    def action_back(self) -> None:
        self.dismiss()

    def action_kind(self, kind: str) -> None:
        if not allowed(self.desk.actor, Action.STUDENT_DEPART):
            self.notify(
                "Departures and leave need the registrar role.", severity="warning", markup=False
            )
            return
        self.kind = kind
        title, names = KINDS[kind]
        self.query_one("#departure-kind", Static).update(
            Text(f"{title}: fill in and press Ctrl+S (Esc goes back)", style="bold")
        )
        today = date.today().isoformat()
        first = None
        for row in self.query(FieldRow):
            shown = row.field_name in names
            row.display = shown
            row.show("")
            field = row.query_one(Input)
            if shown and row.field_name in DATE_FIELDS and FIELDS[row.field_name][2]:
                field.value = field.value or today
            if shown and first is None:
                first = field
        if kind == "graduate" and self.profile is not None:
            program = self.query_one("#f-program", Input)
            program.value = program.value or self.profile.program_code
        if first is not None:
            first.focus()

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        clear_error(self, [(event.input.id or "").removeprefix("f-")])

    def action_next_field(self) -> None:
        """Enter moves to the next field at once (keys typed after it land there)."""
        if isinstance(self.focused, Input):
            self.focus_next()

    def action_save(self) -> None:
        if not self.kind or self.profile is None:
            self.notify("Choose what to record first (g, w, t, l or b).", markup=False)
            return
        names = KINDS[self.kind][1]
        parsed, errors = parse_dates(values(self), names)
        if errors:
            show_errors(self, errors)
            return
        self._save(self.kind, parsed, self.profile.version)

    @work(thread=True, group="departure-write", exit_on_error=False)
    def _save(self, kind: str, v: dict[str, Any], version: int) -> None:
        common = {"student_id": self.student_id, "expected_version": version}
        try:
            if kind == "graduate":
                result = self.desk.call(
                    graduate,
                    conferral_date=v["conferral_date"],
                    program_code=v["program"],
                    honours=v["honours"],
                    **common,
                )
            elif kind == "withdraw":
                result = self.desk.call(
                    withdraw, on=v["departure_date"], reason=v["reason"], **common
                )
            elif kind == "transfer":
                result = self.desk.call(
                    transfer_out,
                    on=v["departure_date"],
                    reason=v["reason"],
                    destination=v["destination"],
                    **common,
                )
            elif kind == "leave":
                result = self.desk.call(
                    start_leave,
                    start=v["leave_start"],
                    expected_return=v["leave_expected_return"],
                    reason=v["leave_reason"],
                    **common,
                )
            else:
                result = self.desk.call(return_from_leave, on=v["return_date"], **common)
        except ValidationFailed as refused:
            self.post_message(DepartureRefused({refused.field: refused.message}))
        else:
            self.post_message(DepartureDone(result))

    @on(DepartureRefused)
    def _refused(self, message: DepartureRefused) -> None:
        stray = show_errors(self, message.errors)
        if stray:
            self.notify(stray, title="Not recorded", severity="error", markup=False)

    @on(DepartureDone)
    def _done(self, message: DepartureDone) -> None:
        result = message.result
        status = result.profile.status.replace("_", " ")
        dropped = ", ".join(f"{d.term_code} {d.course_code}" for d in result.dropped)
        self.notify(
            f"{result.profile.legal_name} is now {status}."
            + (f" Registrations dropped: {dropped}." if dropped else ""),
            title="Recorded",
            markup=False,
        )
        self.dismiss()
