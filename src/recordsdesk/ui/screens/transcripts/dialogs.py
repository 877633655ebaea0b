"""The dialog a released transcript copy starts with: whom it is for (logged with the copy),
for a file where to write it, and for the disclosure log why and the consent relied on."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from recordsdesk.services.disclosure.consents import MAX_PURPOSE
from recordsdesk.services.transcripts.release import MAX_RECIPIENT


@dataclass(frozen=True)
class ExportChoice:
    """Who the copy is released to (logged with it) and the file to write."""

    recipient: str
    path: str
    #: Why the copy is released and the release consent relied on (disclosure log).
    purpose: str = ""
    consent_id: int | None = None


class ExportPathModal(ModalScreen[ExportChoice | None]):
    """Ask whom the copy is for and, for a file, where to write it (no path for the printer):
    Tab between the two, Enter accepts (a copy leaving the office needs a recipient), Esc
    cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, prompt: str, default: str | None) -> None:
        super().__init__()
        self.prompt = prompt
        self.default = default

    def compose(self) -> ComposeResult:
        with Vertical(id="export-dialog"):
            yield Label(Text("Released to (person or office receiving the copy):"))
            yield Input(id="export-recipient", max_length=MAX_RECIPIENT)
            if self.default is not None:
                yield Label(Text(self.prompt))
                yield Input(value=self.default, id="export-path")
            yield Label(Text("Purpose, and the number of the consent relied on (if any):"))
            with Horizontal(id="export-disclosure"):
                yield Input(placeholder="purpose", id="export-purpose", max_length=MAX_PURPOSE)
                yield Input(placeholder="consent no.", id="export-consent", max_length=9)
            yield Static("", id="export-message", markup=False)

    @on(Input.Submitted)
    def _accept(self, event: Input.Submitted) -> None:
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
        consent = self.query_one("#export-consent", Input).value.strip()
        if consent and not consent.isdigit():
            message.update("The consent's number, as the record's consents list it (c).")
            self.query_one("#export-consent", Input).focus()
            return
        purpose = self.query_one("#export-purpose", Input).value.strip()
        self.dismiss(ExportChoice(recipient, path, purpose, int(consent) if consent else None))

    def action_cancel(self) -> None:
        self.dismiss(None)
