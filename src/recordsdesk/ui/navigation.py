"""Which areas and keys a role may use, and the question asked before typed input is dropped.

The services refuse a wrong role in any case; this is the desk's side of it: a key the signed-in
role cannot use is hidden from the footer, the F1 help and the command palette, and pressing it
anyway says at once which role it needs, instead of opening a screen that can only fail.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Input, Static

from recordsdesk.services.access.acting import Actor
from recordsdesk.services.access.permissions import Action, allowed, lowest_role


@dataclass(frozen=True)
class Gate:
    """What a key opens, in words for a refusal, and the permission it needs."""

    words: str
    action: Action


#: The app's areas (modes) and F7's staff accounts, by mode name.
AREA_GATES: dict[str, Gate] = {
    "lookup": Gate("The lookup", Action.STUDENT_READ),
    "catalog": Gate("The catalog", Action.CATALOG_READ),
    "terms": Gate("The terms", Action.CATALOG_READ),
    "grades": Gate("Grade entry", Action.GRADE_ENTER),
    "audit": Gate("The audit viewer", Action.STUDENT_AUDIT_VIEW),
    "reports": Gate("Running reports", Action.REPORT_RUN),
    "imports": Gate("Importing records", Action.IMPORT_RUN),
    "staff": Gate("Managing staff accounts", Action.STAFF_MANAGE),
    "new_student": Gate("Adding a student", Action.STUDENT_CREATE),
}


def may_use(actor: Actor, gate: Gate) -> bool:
    return allowed(actor, gate.action)


def refusal(actor: Actor, gate: Gate) -> str:
    """One sentence naming the role `gate` needs and the role signed in."""
    return (
        f"{gate.words} needs the {lowest_role(gate.action).value} role; "
        f"{actor.username} is signed in as {actor.role.value}."
    )


#: Screens where typing fills a form that is lost if the screen goes (by class name, so this
#: module imports no screen): the intake, profile and departure forms, and every dialog.
FORM_SCREENS = frozenset({"IntakeScreen", "ProfileEditScreen", "DepartureScreen"})


def holds_typed_input(screen: Screen[Any], typed_on: set[int]) -> bool:
    """True when the clerk typed into a form on `screen` and it still holds text (not saved:
    a saved form leaves the stack). Search fields (lookup, filters) are not forms."""
    if id(screen) not in typed_on:
        return False
    if not (isinstance(screen, ModalScreen) or type(screen).__name__ in FORM_SCREENS):
        return False
    return any(field.value for field in screen.query(Input))


def screen_label(screen: Screen[Any]) -> str:
    return str(getattr(screen, "SCREEN_NAME", "") or "a dialog")


class DiscardInputModal(ModalScreen[bool]):
    """'These forms hold typed input: leave them anyway?' y leaves, n or Esc stays (Enter
    does neither: a form's Enter typed ahead must not discard it)."""

    BINDINGS = [
        Binding("y", "answer(True)", "Discard"),
        Binding("n", "answer(False)", "Keep"),
        Binding("escape", "answer(False)", "Keep"),
    ]
    DEFAULT_CSS = """
    DiscardInputModal { align: center middle; }
    DiscardInputModal #discard-box {
        width: 60; height: auto; border: heavy $warning; padding: 1 2; background: $surface;
    }
    """

    def __init__(self, where: list[str], going: str) -> None:
        super().__init__()
        self.where = where
        self.going = going

    def compose(self) -> ComposeResult:
        with Vertical(id="discard-box"):
            yield Static(
                f"Not saved: what was typed on {', '.join(self.where)}.\n"
                f"y discards it and {self.going}; n or Esc goes back to it.",
                id="discard-question",
                markup=False,
            )

    def action_answer(self, discard: bool) -> None:
        self.dismiss(discard)
