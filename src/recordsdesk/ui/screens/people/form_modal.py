"""A short form in a dialog, for the desk's one-step changes that need a few fields and often a
reason (a course's grading bases, a term's basis deadline, a standing override, a graduate's
honours): Enter moves from field to field and saves from the last, Ctrl+S saves, Esc cancels.

The save runs the caller's service call in a thread worker; a refusal (ValidationFailed) is
shown beside the field it names and the dialog stays open, anything else (a role refusal, a
record not found) is shown in the dialog's own message line, in the service's words."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from recordsdesk.services.shared.errors import ValidationFailed
from recordsdesk.ui.errors import describe_error
from recordsdesk.ui.screens.people.intake_form import (
    ERROR_STYLE,
    FieldRow,
    show_errors,
    values,
)
from recordsdesk.ui.widgets.form_input import FormInput, fields_settled


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    value: str = ""
    placeholder: str = ""
    required: bool = False


@dataclass
class FormRefused(Message):
    field: str
    message: str


@dataclass
class FormSaved(Message):
    result: object


class FormModal(ModalScreen[object | None]):
    """The fields, a line under them for refusals no field holds; dismissed with what the
    service returned once it saved, None on Esc."""

    DEFAULT_CSS = """
    FormModal { align: center middle; }
    FormModal > Vertical {
        width: 96; max-width: 100%; height: auto; max-height: 100%;
        padding: 1 2; border: thick $accent; background: $surface;
    }
    FormModal .form-title { margin: 0 0 1 0; }
    FormModal .form-note { margin: 0 0 1 0; color: $text-muted; }
    FormModal .form-message { height: auto; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "save", "Save"),
    ]

    def __init__(
        self,
        title: str,
        fields: Sequence[FormField],
        submit: Callable[[dict[str, str]], object],
        *,
        note: str = "",
    ) -> None:
        """`submit` gets the fields' text by name and makes the service call; it runs in a
        thread worker, so it may block on the database."""
        super().__init__()
        self.form_title = title
        self.fields = tuple(fields)
        self.submit = submit
        self.note = note

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(self.form_title, style="bold"), classes="form-title")
            if self.note:
                yield Static(Text(self.note), classes="form-note")
            for f in self.fields:
                yield FieldRow(
                    f.name, f.label, value=f.value, placeholder=f.placeholder, required=f.required
                )
            yield Static("", classes="form-message", id="form-message", markup=False)
            yield Footer()

    def on_mount(self) -> None:
        self.query_one(f"#f-{self.fields[0].name}").focus()

    @on(FormInput.Entered)
    async def _entered(self, event: FormInput.Entered) -> None:
        """Enter in the last field saves (the others only moved on, at the key)."""
        if event.input.id == f"f-{self.fields[-1].name}":
            await self.action_save()

    async def action_save(self) -> None:
        await fields_settled(self)  # what was typed up to the key that saves
        self._save(values(self))

    @work(thread=True, exclusive=True, group="form-save", exit_on_error=False)
    def _save(self, typed: dict[str, str]) -> None:
        try:
            result = self.submit(typed)
        except ValidationFailed as refused:
            self.post_message(FormRefused(refused.field, refused.message))
        except Exception as error:  # noqa: BLE001 - shown in the dialog, which stays open
            self.post_message(FormRefused("", describe_error(error)))
        else:
            self.post_message(FormSaved(result))

    @on(FormRefused)
    def _refused(self, message: FormRefused) -> None:
        errors = {message.field: message.message} if message.field else {}
        stray = show_errors(self, errors) if errors else message.message
        self.query_one("#form-message", Static).update(Text(stray, style=ERROR_STYLE))

    @on(FormSaved)
    def _saved(self, message: FormSaved) -> None:
        self.dismiss(message.result if message.result is not None else True)

    def action_cancel(self) -> None:
        self.dismiss(None)
