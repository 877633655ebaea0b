"""A student's release consents: every consent on file, those in force first; add one from
the signed form (a) or revoke the highlighted one with a reason (r). Both are clerk's work and
audited; the record's band names the consents in force, so the counter knows at once what it
may tell a caller."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Header, Label, Static

from recordsdesk.services.disclosure.consents import (
    SCOPES,
    ConsentView,
    add_consent,
    list_consents,
    revoke_consent,
)
from recordsdesk.services.shared.errors import ValidationFailed
from recordsdesk.ui.context import DeskHost
from recordsdesk.ui.errors import describe_error
from recordsdesk.ui.screens.base import DeskScreen
from recordsdesk.ui.screens.people.intake_form import FieldRow, ReasonModal, show_errors, values
from recordsdesk.ui.widgets.cells import HOLD_STYLE, cell
from recordsdesk.ui.widgets.fit_table import FitTable
from recordsdesk.ui.widgets.form_input import FormInput, fields_settled

COLUMNS = ("No.", "To whom", "Records", "Purpose", "Signed", "Until", "State")


@dataclass
class ConsentsLoaded(Message):
    consents: list[ConsentView]


@dataclass
class ConsentRefused(Message):
    field: str
    message: str


@dataclass
class ConsentAdded(Message):
    consent: ConsentView


def _day(text: str, field: str) -> date | None:
    """A typed YYYY-MM-DD day (None when blank); ValidationFailed names the field."""
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationFailed(field, f"{text.strip()!r} is not a date (YYYY-MM-DD).") from None


class AddConsentModal(ModalScreen[ConsentView | None]):
    """The signed form, field by field; Enter moves on and saves on the last field, Ctrl+S
    saves from any. A refusal is shown beside its field and the dialog stays open."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "save", "Add consent"),
    ]

    def __init__(self, student_id: int, student_name: str) -> None:
        super().__init__()
        self.student_id = student_id
        self.student_name = student_name

    def compose(self) -> ComposeResult:
        with Vertical(id="consent-dialog"):
            yield Label(Text(f"Release consent signed by {self.student_name}", style="bold"))
            yield FieldRow("recipient", "To whom", required=True, placeholder="mother, employer")
            yield FieldRow("records", "Which records", required=True, placeholder=", ".join(SCOPES))
            yield FieldRow("purpose", "Purpose", placeholder="why they may have it")
            yield FieldRow("signed_on", "Signed", required=True, value=date.today().isoformat())
            yield FieldRow("valid_until", "Valid until", placeholder="YYYY-MM-DD or blank")
            yield Footer()

    def on_mount(self) -> None:
        self.query_one("#f-recipient").focus()

    @on(FormInput.Entered)
    async def _entered(self, event: FormInput.Entered) -> None:
        if event.control.id == "f-valid_until":
            await self.action_save()

    async def action_save(self) -> None:
        await fields_settled(self)
        self._add(values(self))

    @work(thread=True, exclusive=True, group="consent-add", exit_on_error=False)
    def _add(self, form: dict[str, str]) -> None:
        desk = cast(DeskHost, self.app).desk
        try:
            signed = _day(form["signed_on"], "signed_on")
            if signed is None:
                raise ValidationFailed("signed_on", "the day the student signed is required.")
            consent = desk.call(
                add_consent,
                student_id=self.student_id,
                recipient=form["recipient"],
                records=form["records"],
                purpose=form["purpose"],
                signed_on=signed,
                valid_until=_day(form["valid_until"], "valid_until"),
            )
        except ValidationFailed as refused:
            self.post_message(ConsentRefused(refused.field, refused.message))
        except Exception as error:  # noqa: BLE001 - shown to the clerk, the dialog stays open
            self.post_message(ConsentRefused("", describe_error(error)))
        else:
            self.post_message(ConsentAdded(consent))

    @on(ConsentRefused)
    def _refused(self, message: ConsentRefused) -> None:
        stray = show_errors(self, {message.field or "consent": message.message})
        if stray:
            self.notify(message.message, title="Not added", severity="error", markup=False)

    @on(ConsentAdded)
    def _added(self, message: ConsentAdded) -> None:
        self.dismiss(message.consent)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConsentsScreen(DeskScreen):
    CSS_PATH = "consents.tcss"
    SCREEN_NAME = "Release consents"
    PURPOSE = (
        "The student's written consents to release records to someone: to whom, which records "
        "(grades, transcript, enrollment, financial or all), why, when signed and until when. "
        "Consents in force come first. a adds one from the signed form; r revokes the "
        "highlighted one with a reason. Both are audited. A release that relies on a consent "
        "names it in the disclosure log. Esc goes back to the record."
    )
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("a", "add", "Add consent"),
        Binding("r", "revoke", "Revoke"),
    ]

    def __init__(self, student_id: int, *, title: str = "") -> None:
        super().__init__()
        self.student_id = student_id
        self.student_name = title
        self.consents: list[ConsentView] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(Text(self.student_name, style="bold"), id="consents-band")
        yield FitTable(id="consents-list", keep=("To whom", "Records"))
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#consents-list", DataTable).focus()
        self._load()

    @work(thread=True, exclusive=True, group="consents", exit_on_error=False)
    def _load(self) -> None:
        self.post_message(ConsentsLoaded(self.desk.call(list_consents, student_id=self.student_id)))

    @on(ConsentsLoaded)
    def _loaded(self, message: ConsentsLoaded) -> None:
        today = date.today()
        self.consents = sorted(message.consents, key=lambda c: (not c.in_force(today), -c.id))
        self.query_one("#consents-list", FitTable).fill(
            COLUMNS, [_consent_cells(c, today) for c in self.consents]
        )
        in_force = sum(c.in_force(today) for c in self.consents)
        band = Text(self.student_name, style="bold")
        band.append(f"   {in_force} consent{'s' if in_force != 1 else ''} in force")
        self.query_one("#consents-band", Static).update(band)

    def action_back(self) -> None:
        self.dismiss()

    def action_add(self) -> None:
        def added(consent: ConsentView | None) -> None:
            if consent is not None:
                self.notify(f"Consent for {consent.recipient} added.", markup=False)
                self._load()

        self.app.push_screen(AddConsentModal(self.student_id, self.student_name), added)

    def action_revoke(self) -> None:
        if not self.consents:
            return
        consent = self.consents[self.query_one("#consents-list", DataTable).cursor_row]
        if consent.revoked_at is not None:
            self.notify("That consent was already revoked.", markup=False)
            return

        def revoke(reason: str | None) -> None:
            if reason:
                self._revoke(consent.id, reason)

        self.app.push_screen(
            ReasonModal(f"Revoke the consent for {consent.recipient}? Why:"), revoke
        )

    @work(thread=True, group="consents-write", exit_on_error=False)
    def _revoke(self, consent_id: int, reason: str) -> None:
        self.desk.call(revoke_consent, consent_id=consent_id, reason=reason)
        self.post_message(ConsentsLoaded(self.desk.call(list_consents, student_id=self.student_id)))


def _consent_cells(consent: ConsentView, today: date) -> tuple[Text, ...]:
    state = consent.state(today)
    if consent.revoked_at is not None:
        state = f"revoked {cell(consent.revoked_at).plain[:10]} {consent.revoked_by or ''}"
        if consent.revoke_reason:
            state += f": {consent.revoke_reason}"
    return (
        Text(str(consent.id)),
        cell(consent.recipient, style="" if consent.in_force(today) else "dim"),
        Text(", ".join(consent.records)),
        cell(consent.purpose),
        cell(consent.signed_on),
        cell(consent.valid_until) if consent.valid_until else Text("-"),
        cell(state.strip(), style="" if consent.in_force(today) else HOLD_STYLE),
    )
