"""Leaving and coming back, for one student: graduate (g), withdraw (w), transfer out (t), leave
of absence (l), back from leave (b). The key shows the fields that way of leaving needs; Ctrl+S
(or Enter on Record) puts the decision in words naming the student, and Enter there records it.
A refusal is shown beside its field; registrations in terms not yet started are dropped (with a
contact note) and the screen says which.

The letters choose only while no kind is chosen: once the form is open every key is text for
its fields (Enter on the last field moves to Record, never out of the form), Ctrl+T chooses
another kind and Esc leaves, each asking first when something was typed. A graduation the
degree audit finds short is refused naming what is missing; the registrar may confer anyway
by giving a reason, which the audit trail keeps."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Button, Footer, Header, Input, Static

from recordsdesk.services.access.permissions import Action, allowed
from recordsdesk.services.people.departure import (
    DESTINATION_REQUIRED,
    DepartureResult,
    RequirementsNotMet,
    graduate,
    return_from_leave,
    start_leave,
    transfer_out,
    withdraw,
)
from recordsdesk.services.people.student import StudentProfile, get_student_profile
from recordsdesk.services.shared.errors import ValidationFailed
from recordsdesk.services.transcripts.honours import propose_honours
from recordsdesk.ui.screens.base import DeskScreen
from recordsdesk.ui.screens.people.intake_form import (
    DecisionModal,
    FieldRow,
    ReasonModal,
    clear_error,
    show_errors,
    values,
)
from recordsdesk.ui.widgets.form_input import fields_settled

# field -> (label, placeholder, required)
FIELDS: dict[str, tuple[str, str, bool]] = {
    "conferral_date": ("Conferral date", "YYYY-MM-DD", True),
    "program": ("Program", "code; blank: the student's own", False),
    "honours": ("Honours", "blank: the Latin honours the record earns", False),
    "honours_reason": ("Why other honours", "only if not the honours it earns", False),
    "departure_date": ("Date", "YYYY-MM-DD", True),
    "reason": ("Reason", "", True),
    "destination": ("Transferring to", "the other institution", True),
    "leave_start": ("Leave starts", "YYYY-MM-DD", True),
    "leave_expected_return": ("Expected return", "YYYY-MM-DD (blank: not known)", False),
    "leave_reason": ("Reason for leave", "", True),
    "return_date": ("Returned on", "YYYY-MM-DD", True),
}
# kind -> (title, fields)
KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "graduate": ("Graduate", ("conferral_date", "program", "honours", "honours_reason")),
    "withdraw": ("Withdraw from the institution", ("departure_date", "reason")),
    "transfer": ("Transfer out", ("departure_date", "reason", "destination")),
    "leave": ("Leave of absence", ("leave_start", "leave_expected_return", "leave_reason")),
    "return": ("Return from leave", ("return_date",)),
}
#: How long a Ctrl+S typed ahead of the record's load waits for it.
PROFILE_WAIT_SECONDS = 5.0
#: Text fields a kind cannot do without, and what the service says when one is empty.
REQUIRED_TEXT = {
    "reason": "a reason is required.",
    "leave_reason": "a reason is required.",
    "destination": DESTINATION_REQUIRED,
}
CHOOSE = "Choose: g graduate · w withdraw · t transfer out · l leave · b back from leave"
DATE_FIELDS = frozenset(
    {"conferral_date", "departure_date", "leave_start", "leave_expected_return", "return_date"}
)


@dataclass
class ProfileLoaded(Message):
    profile: StudentProfile


@dataclass
class HonoursProposed(Message):
    """The Latin honours the record earns today ("" for none)."""

    honours: str


@dataclass
class DepartureRefused(Message):
    errors: dict[str, str]


@dataclass
class GraduationShort(Message):
    """The degree audit found gaps: `message` names them."""

    message: str
    kind: str
    parsed: dict[str, Any]
    version: int


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
    AUTO_FOCUS = ""  # nothing to type into until a kind is chosen: the letters choose it
    SCREEN_NAME = "Departure and leave"
    PURPOSE = (
        "Record that the student leaves or comes back: g graduate (conferral date, program, "
        "honours), w withdraw from the institution, t transfer out, l leave of absence, b back "
        "from leave. Fill in the fields (Enter moves on; after the last field, Record) and press "
        "Ctrl+S: the decision is shown in words, Enter records it. Graduation checks the "
        "program's requirements; a registrar may confer anyway with a reason. Date and reason "
        "stay on the record, registrations in terms not yet started are dropped with a contact "
        "note, and the record stays searchable. Ctrl+T chooses another kind. Needs the "
        "registrar role. Esc goes back."
    )
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("g", "kind('graduate')", "Graduate"),
        Binding("w", "kind('withdraw')", "Withdraw"),
        Binding("t", "kind('transfer')", "Transfer out"),
        Binding("l", "kind('leave')", "Leave"),
        Binding("b", "kind('return')", "Back from leave"),
        Binding("ctrl+t", "other_kind", "Other kind"),
        Binding("ctrl+s", "save", "Save"),
    ]

    def __init__(self, student_id: int, *, title: str = "") -> None:
        super().__init__()
        self.student_id = student_id
        self.student_name = title
        self.profile: StudentProfile | None = None
        self.kind = ""
        self.filled: dict[str, str] = {}  # the form as the kind opened it (typed: differs)
        self.profile_ready = asyncio.Event()  # a Ctrl+S typed ahead of the load waits for it
        self.proposed_honours: str | None = None  # None until the record's proposal is read

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(Text(self.student_name, style="bold"), id="departure-band")
        yield Static(Text(CHOOSE), id="departure-kind")
        with VerticalScroll(id="departure-form"):
            for name, (label, placeholder, required) in FIELDS.items():
                yield FieldRow(name, label, placeholder=placeholder, required=required)
            yield Button("Record (Ctrl+S)", id="departure-save", variant="primary")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#departure-form").can_focus = False  # focus is in a field or nowhere
        self._show_kind("")
        self._load()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Letters choose the kind only while none is chosen: then no field is on screen, and
        once one is every letter is text (Ctrl+T chooses another kind)."""
        if action == "kind":
            return not self.kind
        if action == "other_kind":
            return bool(self.kind)
        return True

    @work(thread=True, exclusive=True, group="departure", exit_on_error=False)
    def _load(self) -> None:
        self.post_message(
            ProfileLoaded(self.desk.call(get_student_profile, student_id=self.student_id))
        )

    @work(thread=True, exclusive=True, group="departure-honours", exit_on_error=False)
    def _propose(self) -> None:
        """What the record earns, shown on the graduation form before it is conferred."""
        if allowed(self.desk.actor, Action.STUDENT_DEPART):
            self.post_message(
                HonoursProposed(self.desk.call(propose_honours, student_id=self.student_id))
            )

    @on(HonoursProposed)
    def _proposed(self, message: HonoursProposed) -> None:
        self.proposed_honours = message.honours
        earned = message.honours or "no Latin honours"
        field = self.query_one("#f-honours", Input)
        field.placeholder = f"blank: {earned} (the record earns); type to change"

    @on(ProfileLoaded)
    def _loaded(self, message: ProfileLoaded) -> None:
        p = self.profile = message.profile
        self.profile_ready.set()
        if p.status != "graduated":
            self._propose()
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

    def _typed(self) -> bool:
        return bool(self.kind) and values(self) != self.filled

    def _ask_then(self, title: str, question: str, then: Any) -> None:
        """Run `then` at once when nothing was typed, else after the clerk agrees."""
        if not self._typed():
            then()
            return
        self.app.push_screen(
            DecisionModal(title, question, confirm="Discard"),
            lambda yes: then() if yes else None,
        )

    def action_back(self) -> None:
        self._ask_then(
            "Discard this form?",
            f"Discard what you typed for {self._kind_title()} and go back?",
            self.dismiss,
        )

    def action_other_kind(self) -> None:
        self._ask_then(
            "Choose another kind?",
            f"Discard what you typed for {self._kind_title()} and choose again?",
            lambda: self._show_kind(""),
        )

    def _kind_title(self) -> str:
        return KINDS[self.kind][0].lower() if self.kind else ""

    def action_kind(self, kind: str) -> None:
        if not allowed(self.desk.actor, Action.STUDENT_DEPART):
            self.notify(
                "Departures and leave need the registrar role.", severity="warning", markup=False
            )
            return
        self._show_kind(kind)

    def _show_kind(self, kind: str) -> None:
        """The fields of `kind` (dates filled with today, the program with the student's own),
        or, for "", the choice of kind with no field on screen."""
        self.kind = kind
        names = KINDS[kind][1] if kind else ()
        prompt = self.query_one("#departure-kind", Static)
        if kind:
            title = KINDS[kind][0]
            prompt.update(Text(f"{title}: fill in and press Ctrl+S (Esc goes back)", style="bold"))
        else:
            prompt.update(Text(CHOOSE))
        today = date.today().isoformat()
        first = None
        for row in self.query(FieldRow):
            shown = row.field_name in names
            row.display = shown
            row.show("")
            field = row.query_one(Input)
            field.value = ""
            if shown and row.field_name in DATE_FIELDS and FIELDS[row.field_name][2]:
                field.value = today
            if shown and first is None:
                first = field
        if kind == "graduate" and self.profile is not None:
            self.query_one("#f-program", Input).value = self.profile.program_code
        self.query_one("#departure-save", Button).display = bool(kind)
        self.filled = values(self)
        self.set_focus(first)  # now: the keys typed next are for this field

    @on(Button.Pressed, "#departure-save")
    async def _record_pressed(self) -> None:
        await self.action_save()

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        clear_error(self, [(event.input.id or "").removeprefix("f-")])

    async def action_save(self) -> None:
        if not self.kind:
            self.notify("Choose what to record first (g, w, t, l or b).", markup=False)
            return
        try:
            await asyncio.wait_for(self.profile_ready.wait(), PROFILE_WAIT_SECONDS)
        except TimeoutError:
            self.notify("The record has not loaded yet; try again.", markup=False)
            return
        await fields_settled(self)  # the keys typed before Ctrl+S are in their fields
        names = KINDS[self.kind][1]
        parsed, errors = parse_dates(values(self), names)
        for name in names:  # the service's own messages, before the decision is put to words
            if name in REQUIRED_TEXT and not parsed[name]:
                errors[name] = REQUIRED_TEXT[name]
        if errors:
            show_errors(self, errors)
            return
        assert self.profile is not None
        kind, version = self.kind, self.profile.version
        self.app.push_screen(
            DecisionModal(
                f"{KINDS[kind][0]}?",
                describe(kind, parsed, self.profile, self.proposed_honours),
            ),
            partial(self._decided, kind, parsed, version),
        )

    def _decided(self, kind: str, parsed: dict[str, Any], version: int, yes: bool | None) -> None:
        if yes:
            self._save(kind, parsed, version)

    @work(thread=True, group="departure-write", exit_on_error=False)
    def _save(self, kind: str, v: dict[str, Any], version: int, override: str = "") -> None:
        common = {"student_id": self.student_id, "expected_version": version}
        try:
            if kind == "graduate":
                result = self.desk.call(
                    graduate,
                    conferral_date=v["conferral_date"],
                    program_code=v["program"],
                    honours=v["honours"] or None,  # blank: proposed from the record
                    override_reason=override,
                    honours_reason=v["honours_reason"],
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
        except RequirementsNotMet as short:
            self.post_message(GraduationShort(short.message, kind, v, version))
        except ValidationFailed as refused:
            self.post_message(DepartureRefused({refused.field: refused.message}))
        else:
            self.post_message(DepartureDone(result))

    @on(DepartureRefused)
    def _refused(self, message: DepartureRefused) -> None:
        stray = show_errors(self, message.errors)
        if stray:
            self.notify(stray, title="Not recorded", severity="error", markup=False)

    @on(GraduationShort)
    def _short(self, message: GraduationShort) -> None:
        """The audit's gaps, and the registrar's way to confer anyway: a reason, audited."""
        prompt = (
            f"{message.message} To confer anyway, type the reason (kept in the audit trail) "
            "and press Enter; Esc does not graduate."
        )

        def given(reason: str | None) -> None:
            if reason:
                self._save(message.kind, message.parsed, message.version, reason)

        self.app.push_screen(
            ReasonModal(prompt, placeholder="why the registrar confers anyway"), given
        )

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


def describe(
    kind: str, v: dict[str, Any], p: StudentProfile, proposed_honours: str | None = None
) -> str:
    """The decision in words, naming the student and the change of status (and, for a
    graduation with the honours left blank, the honours the record earns)."""
    who = f"{p.legal_name} ({p.student_number})"
    was = p.status.replace("_", " ")
    if kind == "graduate":
        program = v["program"] or p.program_code
        earned = (
            "Latin honours as the record earns"
            if proposed_honours is None
            else f"{proposed_honours or 'no Latin honours'}, as the record earns"
        )
        honours = f", {v['honours']}" if v["honours"] else f" ({earned})"
        change = f"Graduate {who} in {program}{honours}, conferred {v['conferral_date']}."
        after = "graduated"
    elif kind == "withdraw":
        change = f"Withdraw {who} from the institution on {v['departure_date']}: {v['reason']}."
        after = "withdrawn"
    elif kind == "transfer":
        change = (
            f"Transfer {who} out to {v['destination']} on {v['departure_date']}: {v['reason']}."
        )
        after = "transferred out"
    elif kind == "leave":
        back = v["leave_expected_return"] or "not known"
        change = f"Put {who} on leave from {v['leave_start']} (back {back}): {v['leave_reason']}."
        after = "on leave"
    else:
        change = f"{who} is back from leave on {v['return_date']}."
        after = "active"
    dropped = (
        " Registrations in terms not yet started are dropped."
        if kind in ("graduate", "withdraw", "transfer", "leave")
        else ""
    )
    return f"{change} Status: {was} → {after}.{dropped}"
