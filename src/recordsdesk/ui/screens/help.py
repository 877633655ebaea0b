"""F1 help: what the current screen is for and every key it answers to, so a new member of
staff never needs a manual. Built from the screen's own BINDINGS, so it cannot drift from them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.text import Text
from textual.actions import parse as parse_action
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Static


def key_bindings(node_type: type[object]) -> list[Binding]:
    """The desk's bindings on a class: its own first, then inherited ones it does not override."""
    seen: set[str] = set()
    found: list[Binding] = []
    for klass in node_type.__mro__:
        if not klass.__module__.startswith("recordsdesk."):
            continue  # Textual's own (copy, focus) are the same everywhere; see the help footer
        declared: Iterable[BindingType] = klass.__dict__.get("BINDINGS", ())
        for binding in Binding.make_bindings(declared):
            if binding.system or not binding.description or binding.key in seen:
                continue
            seen.add(binding.key)
            found.append(binding)
    return found


def usable(owner: object, bindings: list[Binding]) -> list[Binding]:
    """The bindings the signed-in role may use: an owner with `role_allows(action, params)`
    (the app, the record) hides the rest, as its footer does."""
    role_allows = getattr(owner, "role_allows", None)
    if role_allows is None:
        return bindings
    kept = []
    for binding in bindings:
        _, name, parameters = parse_action(binding.action)
        if role_allows(name, parameters):
            kept.append(binding)
    return kept


class HelpModal(ModalScreen[None]):
    """Help for the screen underneath; Esc (or F1 again) closes it."""

    CSS_PATH = "help.tcss"
    BINDINGS = [
        Binding("escape", "dismiss", "Close help"),
        Binding("f1", "dismiss", "Close help", show=False),
    ]

    def __init__(self, screen: Screen[Any], *, title: str, purpose: str) -> None:
        super().__init__()
        self._for_screen = screen
        self._title = title
        self._purpose = purpose

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static(Text(f"Help: {self._title}", style="bold"), id="help-title")
            yield Static(Text(self._purpose), id="help-purpose")
            yield Static(Text("Keys on this screen", style="bold"), classes="help-heading")
            yield DataTable(id="help-screen-keys", show_cursor=False)
            yield Static(Text("Keys everywhere", style="bold"), classes="help-heading")
            yield DataTable(id="help-app-keys", show_cursor=False)
            yield Static(
                Text(
                    "Tab and Shift+Tab move between the parts of a screen. ↑ ↓ PgUp PgDn "
                    "scroll this help; Esc closes it."
                ),
                id="help-close",
            )

    def on_mount(self) -> None:
        """Both key tables in full in one box that scrolls (↑ ↓ PgUp PgDn): at 80x24 the keys
        everywhere (sign out among them) sit below the fold."""
        for table in self.query(DataTable):
            table.can_focus = False
        self.query_one("#help-box", VerticalScroll).focus()
        self._fill(
            "#help-screen-keys", usable(self._for_screen, key_bindings(type(self._for_screen)))
        )
        self._fill("#help-app-keys", usable(self.app, key_bindings(type(self.app))))

    def _fill(self, selector: str, bindings: list[Binding]) -> None:
        table = self.query_one(selector, DataTable)
        table.add_columns("Key", "Does")
        for binding in bindings:
            table.add_row(
                Text(self.app.get_key_display(binding), style="bold"), Text(binding.description)
            )
        table.add_class("empty" if not bindings else "filled")
