"""The registration screen's dialogs: a registrar's override reason, joining a waitlist, the
drop/withdraw confirmation that says whether a W will be left, and choosing a grading basis.
Each returns its answer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from recordsdesk.services.grades.basis import label
from recordsdesk.services.registration.rules import Failure

WaitlistAnswer = Literal["waitlist", "override"] | None


def failure_lines(failures: tuple[Failure, ...]) -> Text:
    """Each failed check on its own line: the check's name, then the reason in plain words."""
    text = Text()
    for n, failure in enumerate(failures):
        if n:
            text.append("\n")
        text.append(f"✗ {failure.check.value.replace('_', ' ').capitalize()}: ", style="bold red")
        text.append(failure.message)
        if not failure.overridable:
            text.append("  (no override)", style="dim")
    return text


class OverrideModal(ModalScreen[str | None]):
    """A registrar lets a refused request through: the checks overridden are listed and a reason
    is required (it is stored on the enrollment and in the audit)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, what: str, failures: tuple[Failure, ...]) -> None:
        super().__init__(classes="registration-dialog")
        self.what = what
        self.failures = failures

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static(Text(f"Override: {self.what}", style="bold"))
            yield Static(failure_lines(self.failures), id="override-failures")
            yield Input(
                placeholder="Reason for the override (required); Enter overrides, Esc cancels",
                id="override-reason",
            )
            yield Static("", id="override-message", markup=False)

    @on(Input.Submitted, "#override-reason")
    def _accept(self, event: Input.Submitted) -> None:
        if not event.value.strip():
            self.query_one("#override-message", Static).update("An override needs a reason.")
            return
        self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)


class WaitlistModal(ModalScreen[WaitlistAnswer]):
    """The section is full: join its waitlist (y), or for a registrar seat over capacity (o)."""

    BINDINGS = [
        Binding("y,enter", "answer('waitlist')", "Join the waitlist"),
        Binding("o", "answer('override')", "Override capacity", show=False),
        Binding("n,escape", "answer('')", "Cancel"),
    ]

    def __init__(self, message: str, *, may_override: bool) -> None:
        super().__init__(classes="registration-dialog")
        self.message = message
        self.may_override = may_override

    def compose(self) -> ComposeResult:
        keys = "y / Enter: join the waitlist    n / Esc: cancel"
        if self.may_override:
            keys += "    o: register over capacity (override)"
        with Vertical(classes="dialog-box"):
            yield Static(Text(self.message))
            yield Static(keys, classes="dialog-keys", markup=False)

    def action_answer(self, answer: str) -> None:
        if answer == "override" and not self.may_override:
            return
        self.dismiss("waitlist" if answer == "waitlist" else "override" if answer else None)


class ConfirmModal(ModalScreen[bool]):
    """Yes or no on a sentence that says what will happen (drop, withdraw with W, decline)."""

    BINDINGS = [
        Binding("y,enter", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__(classes="registration-dialog")
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static(Text(self.question), id="confirm-question")
            yield Static("y / Enter: yes    n / Esc: no", classes="dialog-keys", markup=False)

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


@dataclass(frozen=True)
class BasisChoice:
    basis: str
    reason: str | None  # a registrar's reason, after the grading-basis deadline


class BasisModal(ModalScreen[BasisChoice | None]):
    """Pick one of the bases the course allows (arrows, Enter). After the term's grading-basis
    deadline the change is a registrar's, and the reason box must be filled first."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, what: str, bases: tuple[str, ...], current: str, *, late: bool) -> None:
        super().__init__(classes="registration-dialog")
        self.what = what
        self.bases = bases
        self.current = current
        self.late = late

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static(Text(f"Grading basis for {self.what} (now {label(self.current)})"))
            choices = OptionList(*(Option(label(b), id=b) for b in self.bases), id="basis-choices")
            yield choices
            if self.late:
                yield Input(
                    placeholder="The deadline has passed: reason for the change (required)",
                    id="basis-reason",
                )
            keys = "↑↓ pick · Enter: change · Esc: cancel"
            yield Static(keys, classes="dialog-keys", markup=False)
            yield Static("", id="basis-message", markup=False)

    def on_mount(self) -> None:
        choices = self.query_one("#basis-choices", OptionList)
        others = [i for i, b in enumerate(self.bases) if b != self.current]
        choices.highlighted = others[0] if others else 0
        if self.late:
            self.query_one("#basis-reason", Input).focus()
        else:
            choices.focus()

    def _chosen(self) -> str:
        index = self.query_one("#basis-choices", OptionList).highlighted or 0
        return self.bases[index]

    def _finish(self) -> None:
        reason: str | None = None
        if self.late:
            reason = self.query_one("#basis-reason", Input).value.strip()
            if not reason:
                self.query_one("#basis-message", Static).update("A late change needs a reason.")
                self.query_one("#basis-reason", Input).focus()
                return
        self.dismiss(BasisChoice(self._chosen(), reason))

    @on(OptionList.OptionSelected, "#basis-choices")
    def _selected(self) -> None:
        self._finish()

    @on(Input.Submitted, "#basis-reason")
    def _reason_given(self) -> None:
        self._finish()

    def action_cancel(self) -> None:
        self.dismiss(None)
