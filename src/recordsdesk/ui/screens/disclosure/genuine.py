""" "Is this document genuine?" from anywhere in the desk: type the code printed on the copy,
Enter looks it up (audited) and the answer fills the dialog: genuine or not, which document,
which student, issued when and to whom, and whether the record has changed since. Esc closes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from recordsdesk.services.disclosure.genuine import DocumentCheck, answer_lines, check_document
from recordsdesk.services.shared.clean_text import printable
from recordsdesk.ui.context import DeskHost
from recordsdesk.ui.errors import describe_error
from recordsdesk.ui.screens.base import PRACTICE_BAND
from recordsdesk.ui.widgets.cells import HOLD_STYLE


@dataclass
class CodeAnswered(Message):
    check: DocumentCheck


@dataclass
class CodeFailed(Message):
    message: str


class VerifyCodeModal(ModalScreen[None]):
    """One line for the code; the answer below it. Another code can be typed at once."""

    CSS_PATH = "genuine.tcss"
    BINDINGS = [Binding("escape", "close", "Close")]

    def compose(self) -> ComposeResult:
        with Vertical(id="verify-dialog"):
            if cast(DeskHost, self.app).desk.institution.practice:
                # Opened over any screen, the dialog says PRACTICE itself: an answer read out
                # from a practice desk must never pass for the office's.
                yield Static(Text(PRACTICE_BAND), classes="practice-band")
            yield Label(Text("Is this document genuine?", style="bold"))
            yield Input(
                placeholder="the verification code printed on the copy; Enter looks it up",
                id="verify-code",
                max_length=40,
            )
            yield Static(id="verify-answer")

    def on_mount(self) -> None:
        self.query_one("#verify-code", Input).focus()

    @on(Input.Submitted, "#verify-code")
    def _submitted(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.query_one("#verify-answer", Static).update(Text("Looking it up…", style="dim"))
            self._look_up(event.value)

    @work(thread=True, exclusive=True, group="verify-code", exit_on_error=False)
    def _look_up(self, code: str) -> None:
        desk = cast(DeskHost, self.app).desk
        try:
            check = desk.call(check_document, code=code)
        except Exception as error:  # noqa: BLE001 - shown in the dialog, which stays open
            self.post_message(CodeFailed(describe_error(error)))
        else:
            self.post_message(CodeAnswered(check))

    @on(CodeAnswered)
    def _answered(self, message: CodeAnswered) -> None:
        lines = answer_lines(message.check)
        answer = Text()
        style = "bold green" if message.check.genuine else HOLD_STYLE
        answer.append(printable(lines[0]), style=style)
        for line in lines[1:]:
            answer.append("\n" + printable(line))
        self.query_one("#verify-answer", Static).update(answer)

    @on(CodeFailed)
    def _failed(self, message: CodeFailed) -> None:
        self.query_one("#verify-answer", Static).update(Text(message.message, style=HOLD_STYLE))

    def action_close(self) -> None:
        self.dismiss(None)
