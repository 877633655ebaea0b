"""The dialog a released transcript copy starts with: whom it is for (logged with the copy)
and, for a file, where to write it."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from recordsdesk.services.transcripts.release import MAX_RECIPIENT


@dataclass(frozen=True)
class ExportChoice:
    """Who the copy is released to (logged with it) and the file to write."""

    recipient: str
    path: str


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
        self.dismiss(ExportChoice(recipient, path))

    def action_cancel(self) -> None:
        self.dismiss(None)
