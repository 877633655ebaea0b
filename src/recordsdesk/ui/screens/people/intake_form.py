"""Form pieces the intake, profile edit, hold and departure screens share: a field row with its
message beside it, and a one-line reason prompt.

A service refusal names its field (ValidationFailed.field); the screen puts the message on that
field's row, so the clerk sees what is wrong where it is typed, not in a toast that vanishes.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.dom import DOMNode
from textual.screen import ModalScreen
from textual.suggester import Suggester
from textual.widgets import Button, Input, Label, Static

from recordsdesk.ui.privacy import PRIVATE_FIELDS, privacy_on, stop_watching_privacy
from recordsdesk.ui.widgets.form_input import FormInput

ERROR_STYLE = "bold red"


class FieldRow(Horizontal):
    """A label, the input, and the field's message (an error, or a hint) beside it."""

    DEFAULT_CSS = """
    FieldRow { height: auto; margin: 0 0 1 0; }
    FieldRow > Label { width: 22; padding: 0 1 0 0; text-align: right; }
    FieldRow > Input { width: 38; border: none; height: 1; padding: 0 1; background: $boost; }
    FieldRow > Input:focus { border: none; background: $accent 30%; }
    FieldRow > .field-message { width: 1fr; height: auto; padding: 0 0 0 2; }
    """

    def __init__(
        self,
        name: str,
        label: str,
        *,
        value: str = "",
        placeholder: str = "",
        required: bool = False,
        suggester: Suggester | None = None,
        max_length: int = 0,
    ) -> None:
        super().__init__(id=f"row-{name}")
        self.field_name = name
        self._label = label + (" *" if required else "")
        self._value = value
        self._placeholder = placeholder
        self._suggester = suggester
        self._max_length = max_length

    def compose(self) -> ComposeResult:
        yield Label(Text(self._label))
        yield FormInput(
            self._value,
            placeholder=self._placeholder,
            id=f"f-{self.field_name}",
            suggester=self._suggester,
            max_length=self._max_length,
        )
        yield Static(id=f"e-{self.field_name}", classes="field-message")

    def on_mount(self) -> None:
        if self.field_name in PRIVATE_FIELDS:
            self.watch(self.app, "privacy", self._privacy_changed, init=False)
            self._privacy_changed(privacy_on(self))

    def on_unmount(self) -> None:
        stop_watching_privacy(self)

    def _privacy_changed(self, hidden: bool) -> None:
        """The privacy key hides what is typed here as it hides it everywhere else."""
        self.query_one(Input).password = hidden

    @property
    def value(self) -> str:
        return self.query_one(Input).value

    def show(self, message: str, *, error: bool = True) -> None:
        """Put `message` beside the field (red for an error, dim for a hint)."""
        style = ERROR_STYLE if error else "dim"
        self.query_one(".field-message", Static).update(Text(message, style=style))
        self.set_class(error and bool(message), "invalid")


def rows(node: DOMNode) -> dict[str, FieldRow]:
    return {row.field_name: row for row in node.query(FieldRow)}


def values(node: DOMNode) -> dict[str, str]:
    """Every field's text, by field name."""
    return {name: row.value for name, row in rows(node).items()}


def show_errors(
    node: DOMNode, errors: dict[str, str], aliases: dict[str, str] | None = None
) -> str:
    """Show each message beside its field (clearing the others) and focus the first field in
    error. Returns the messages no field on the form could hold, joined, for a notification."""
    form = rows(node)
    aliases = aliases or {}
    placed: dict[str, str] = {}
    stray: list[str] = []
    for field, message in errors.items():
        target = aliases.get(field, field)
        if target in form:
            placed[target] = message
        else:
            stray.append(f"{field.replace('_', ' ')}: {message}")
    first = None
    for name, row in form.items():
        row.show(placed.get(name, ""))
        if name in placed and first is None:
            first = row
    if first is not None:
        first.query_one(Input).focus()
    return " ".join(stray)


def clear_error(node: DOMNode, names: Iterable[str]) -> None:
    form = rows(node)
    for name in names:
        if name in form:
            form[name].show("")


class ReasonModal(ModalScreen[str | None]):
    """One line of text (a reason, a note): Enter gives it, Esc cancels."""

    DEFAULT_CSS = """
    ReasonModal { align: center middle; }
    ReasonModal > Vertical {
        width: 84; max-width: 100%; height: auto; max-height: 100%;
        padding: 1 2; border: thick $accent; background: $surface;
    }
    ReasonModal Label { width: 100%; }
    ReasonModal Input { margin-top: 1; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, prompt: str, *, placeholder: str = "", value: str = "") -> None:
        super().__init__()
        self.prompt = prompt
        self.placeholder = placeholder or "Enter gives it, Esc cancels"
        self.value = value

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(self.prompt))  # wraps: a prompt may name several things
            yield Input(self.value, placeholder=self.placeholder, id="reason-input")

    @on(Input.Submitted, "#reason-input")
    def _submitted(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)


class DecisionModal(ModalScreen[bool]):
    """A decision put in words before it is carried out (a change of a student's status,
    discarding what was typed): Enter on the focused button answers, Tab moves between the
    two, Esc goes back. Letters do nothing here: they may be typing that ran on past Ctrl+S."""

    DEFAULT_CSS = """
    DecisionModal { align: center middle; }
    DecisionModal > Vertical {
        width: 76; max-width: 100%; height: auto; padding: 1 2; border: thick $warning;
        background: $surface;
    }
    DecisionModal #decision-question { margin: 1 0; }
    DecisionModal Horizontal { height: auto; }
    DecisionModal Button { margin: 0 2 0 0; }
    DecisionModal #decision-keys { margin-top: 1; color: $text-muted; }
    """
    BINDINGS = [Binding("escape", "answer(False)", "Go back")]

    def __init__(self, title: str, question: str, *, confirm: str = "Record") -> None:
        super().__init__()
        self.title_text = title
        self.question = question
        self.confirm = confirm

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(self.title_text, style="bold"))
            yield Static(Text(self.question), id="decision-question")
            with Horizontal():
                yield Button(self.confirm, id="decision-yes", variant="warning")
                yield Button("Go back", id="decision-no")
            yield Static(
                Text(f"Enter: {self.confirm} · Tab: the other button · Esc: go back"),
                id="decision-keys",
            )

    def on_mount(self) -> None:
        self.query_one("#decision-yes", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "decision-yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)
