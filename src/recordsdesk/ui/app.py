"""The desk: a Textual app over an already-opened engine.

The desk's areas are MODES (Lookup, Catalog, Terms), not screens pushed on one stack: each area
keeps its own stack, so a clerk can glance at the term deadlines with F4 and come back with F2 to
the student record and search exactly as they left them. A student record is pushed on the
Lookup stack, so Esc returns to the same search and selection.
"""

from __future__ import annotations

from typing import ClassVar

from sqlalchemy import Engine
from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen

from recordsdesk.ui.commands import DeskScreensProvider
from recordsdesk.ui.context import DeskContext, open_desk_context
from recordsdesk.ui.screens.base import DeskScreen
from recordsdesk.ui.screens.catalog import CatalogScreen
from recordsdesk.ui.screens.help import HelpModal
from recordsdesk.ui.screens.lookup import LookupScreen
from recordsdesk.ui.screens.terms import TermsScreen


class RecordsDeskApp(App[int]):
    CSS_PATH = "base.tcss"
    MODES = {"lookup": LookupScreen, "catalog": CatalogScreen, "terms": TermsScreen}
    DEFAULT_MODE = "lookup"
    COMMANDS = App.COMMANDS | {DeskScreensProvider}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "help", "Help"),
        Binding("f2", "switch_mode('lookup')", "Lookup"),
        Binding("f3", "switch_mode('catalog')", "Catalog"),
        Binding("f4", "switch_mode('terms')", "Terms"),
        Binding("ctrl+p", "command_palette", "Commands", show=False),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    def __init__(self, desk: DeskContext) -> None:
        super().__init__()
        self.desk = desk
        self.title = desk.institution.short_name
        self.sub_title = f"{desk.actor.username} ({desk.actor.role.value})"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """No switching areas from under a dialog (help, command palette): it would stay open
        on the area's stack and greet the clerk on return."""
        return not (action == "switch_mode" and isinstance(self.screen, ModalScreen))

    def action_help(self) -> None:
        screen = self.screen
        if isinstance(screen, DeskScreen):  # not over the help itself or the command palette
            self.push_screen(HelpModal(screen, title=screen.SCREEN_NAME, purpose=screen.PURPOSE))


def make_app(engine: Engine, *, username: str | None = None) -> RecordsDeskApp:
    """The desk on `engine`, acting as `username` (see `context.resolve_actor` for the default).

    Raises NotFound for an unknown username and DatabaseUnavailable when the database does not
    answer, before anything is drawn, so the command line can print one plain line.
    """
    return RecordsDeskApp(open_desk_context(engine, username))
