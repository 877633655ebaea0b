"""The dialog a released transcript copy starts with: whom it is for (logged with the copy),
for a file where to write it, and for the disclosure log why and the consent relied on."""

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
from textual.widgets import Input, Label, OptionList, Static

from recordsdesk.services.disclosure.consents import MAX_PURPOSE, list_consents
from recordsdesk.services.transcripts.release import MAX_RECIPIENT
from recordsdesk.ui.context import DeskHost
from recordsdesk.ui.widgets.consent_choice import ConsentChoice


@dataclass(frozen=True)
class ExportChoice:
    """Who the copy is released to (logged with it) and the file to write."""

    recipient: str
    path: str
    #: Why the copy is released and the release consent relied on (disclosure log).
    purpose: str = ""
    consent_id: int | None = None


@dataclass
class ConsentsLoaded(Message):
    consents: list[tuple[int, str]]


class ExportPathModal(ModalScreen[ExportChoice | None]):
    """Ask whom the copy is for and, for a file, where to write it (no path for the printer),
    why, and the consent relied on, picked from the record's consents in force: Tab between
    them, Enter accepts (a copy leaving the office needs a recipient), Esc cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, prompt: str, default: str | None, student_id: int | None = None) -> None:
        super().__init__()
        self.prompt = prompt
        self.default = default
        self.student_id = student_id

    def on_mount(self) -> None:
        if self.student_id is not None:
            self._load_consents(self.student_id)

    @work(thread=True, exclusive=True, group="export-consents", exit_on_error=False)
    def _load_consents(self, student_id: int) -> None:
        today = date.today()
        found = cast(DeskHost, self.app).desk.call(list_consents, student_id=student_id)
        self.post_message(ConsentsLoaded([(c.id, c.summary) for c in found if c.in_force(today)]))

    @on(ConsentsLoaded)
    def _consents(self, message: ConsentsLoaded) -> None:
        self.query_one("#export-consent", ConsentChoice).show(message.consents)

    def compose(self) -> ComposeResult:
        with Vertical(id="export-dialog"):
            yield Label(Text("Released to (person or office receiving the copy):"))
            yield Input(id="export-recipient", max_length=MAX_RECIPIENT)
            if self.default is not None:
                yield Label(Text(self.prompt))
                yield Input(value=self.default, id="export-path")
            yield Label(Text("Purpose (disclosure log), and the consent relied on (if any):"))
            yield Input(placeholder="purpose", id="export-purpose", max_length=MAX_PURPOSE)
            yield ConsentChoice(id="export-consent")
            yield Static("", id="export-message", markup=False)

    @on(Input.Submitted)
    @on(OptionList.OptionSelected, "#export-consent")
    def _accept(self) -> None:
        recipient = self.query_one("#export-recipient", Input).value.strip()
        if self.default is None:
            path = "printer"
        else:
            path = self.query_one("#export-path", Input).value.strip()
        message = self.query_one("#export-message", Static)
        if not recipient:
            message.update("Name the recipient: every copy released is logged with it.")
            self.query_one("#export-recipient", Input).focus()
            return
        if not path:
            message.update("Give the file to write the copy to.")
            self.query_one("#export-path", Input).focus()
            return
        consent = self.query_one("#export-consent", ConsentChoice).consent_id
        purpose = self.query_one("#export-purpose", Input).value.strip()
        self.dismiss(ExportChoice(recipient, path, purpose, consent))

    def action_cancel(self) -> None:
        self.dismiss(None)
