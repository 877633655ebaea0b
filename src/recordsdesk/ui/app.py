"""The desk: a Textual app over an already-opened engine.

The desk's areas are MODES (Lookup, Catalog, Terms), not screens pushed on one stack: each area
keeps its own stack, so a clerk can glance at the term deadlines with F4 and come back with F2 to
the student record and search exactly as they left them. A student record is pushed on the
Lookup stack, so Esc returns to the same search and selection.
"""

from __future__ import annotations

import gc
from typing import Any, ClassVar

from sqlalchemy import Engine
from textual import events
from textual.app import App
from textual.binding import Binding, BindingType
from textual.command import Provider
from textual.screen import ModalScreen, Screen

from recordsdesk.ui.context import DeskContext, open_desk_context
from recordsdesk.ui.screens.base import DeskScreen
from recordsdesk.ui.screens.sign_in import SignInScreen
from recordsdesk.ui.security import Clock, SecureDeskApp, idle_minutes_for, sign_in_context
from recordsdesk.ui.typeahead import TypeAheadApp

#: Collections of the middle generation between full ones (Python's default is 10); process-wide,
#: set when the desk is ready (see RecordsDeskApp.on_ready).
FULL_GC_AFTER = 100


# The areas' screens (and the palette's provider) are imported when first opened, not before the
# sign-in screen is drawn: most of the desk's start-up time was importing them.


def _lookup() -> Screen[Any]:
    from recordsdesk.ui.screens.lookup import LookupScreen

    return LookupScreen()


def _catalog() -> Screen[Any]:
    from recordsdesk.ui.screens.catalog import CatalogScreen

    return CatalogScreen()


def _terms() -> Screen[Any]:
    from recordsdesk.ui.screens.terms import TermsScreen

    return TermsScreen()


def _audit() -> Screen[Any]:
    from recordsdesk.ui.screens.audit import AuditScreen

    return AuditScreen()


def _grades() -> Screen[Any]:
    from recordsdesk.ui.screens.grade_entry import GradeEntryScreen

    return GradeEntryScreen()


def _imports() -> Screen[Any]:
    from recordsdesk.ui.screens.imports import ImportsScreen

    return ImportsScreen()


def _reports() -> Screen[Any]:
    from recordsdesk.ui.screens.reports import ReportsScreen

    return ReportsScreen()


def _desk_commands() -> type[Provider]:
    from recordsdesk.ui.commands import DeskScreensProvider

    return DeskScreensProvider


class RecordsDeskApp(TypeAheadApp, SecureDeskApp):
    CSS_PATH = "base.tcss"
    MODES = {
        "lookup": _lookup,
        "catalog": _catalog,
        "terms": _terms,
        "audit": _audit,
        "grades": _grades,
        "imports": _imports,
        "reports": _reports,
    }
    DEFAULT_MODE = "lookup"
    COMMANDS = App.COMMANDS | {_desk_commands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "help", "Help"),
        Binding("f2", "switch_mode('lookup')", "Lookup"),
        Binding("f3", "switch_mode('catalog')", "Catalog"),
        Binding("f4", "switch_mode('terms')", "Terms"),
        Binding("f6", "switch_mode('audit')", "Audit"),
        Binding("f5", "switch_mode('grades')", "Grades", priority=True),
        Binding("f8", "switch_mode('reports')", "Reports"),
        Binding("f10", "switch_mode('imports')", "Imports"),
        Binding("ctrl+n", "new_student", "New student"),
        Binding("ctrl+p", "command_palette", "Commands", show=False),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    def __init__(
        self, desk: DeskContext, *, idle_minutes: int = 5, clock: Clock | None = None
    ) -> None:
        super().__init__(desk, idle_minutes=idle_minutes, clock=clock)
        self.title = desk.institution.short_name
        self.sub_title = f"{desk.actor.username} ({desk.actor.role.value})"

    def on_ready(self) -> None:
        """Move what start-up built (modules, SQLAlchemy metadata, CSS: ~240,000 objects) out
        of the garbage collector's reach: full collections then scan only what the session
        creates, instead of pausing a keystroke for tens of milliseconds (up to 0.6 s measured
        under load on the transcript preview).

        Full collections are also made rarer (FULL_GC_AFTER): each still scans what the
        session keeps (15-30 ms with the 1M lookup open), and at Python's default (after every
        10 collections of the middle generation) one fell on about one keystroke in twenty
        while typing in the lookup, right in its p95 (bench/bench_lookup.py: 9 full
        collections per benchmark run, 1 after). Cyclic garbage that reached the oldest
        generation waits longer; the younger generations are collected as before."""
        gc.freeze()
        young, middle, _ = gc.get_threshold()
        gc.set_threshold(young, middle, FULL_GC_AFTER)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """No switching areas from under a dialog (help, command palette): it would stay open
        on the area's stack and greet the clerk on return."""
        if not self.may_run(action):  # locked, or nobody signed in yet
            return False
        return not (
            action in ("switch_mode", "new_student") and isinstance(self.screen, ModalScreen)
        )

    def action_help(self) -> None:
        from recordsdesk.ui.screens.help import HelpModal

        screen = self.screen
        if isinstance(screen, DeskScreen):  # not over the help itself or the command palette
            self.push_screen(HelpModal(screen, title=screen.SCREEN_NAME, purpose=screen.PURPOSE))

    def action_new_student(self) -> None:
        """The intake form, on top of whatever area the clerk is in (Esc returns to it)."""
        from recordsdesk.ui.screens.intake import IntakeScreen

        if not isinstance(self.screen, IntakeScreen):
            self.push_screen(IntakeScreen())


class SignInDeskApp(RecordsDeskApp):
    """The desk as the command line opens it: on the sign-in screen, acting as nobody until a
    staff member signs in (or, on an empty database, creates the first administrator)."""

    DEFAULT_MODE = "sign_in"

    def __init__(self, desk: DeskContext, *, username_hint: str = "", **options: object) -> None:
        super().__init__(desk, **options)  # type: ignore[arg-type]
        self.add_mode("sign_in", lambda: SignInScreen(username_hint))
        self.sub_title = "sign in"

    async def on_event(self, event: events.Event) -> None:
        """The sign-in form types the keys a clerk types ahead itself, in order (SignInScreen.
        hold_key), holding those that come before it is shown.

        A line feed is Enter typed before the desk took the terminal (the terminal turns Enter
        into a line feed, Ctrl+J, which the desk does not use otherwise)."""
        if isinstance(event, events.Key) and not event.is_forwarded:
            if event.key == "ctrl+j":
                event = events.Key("enter", "\r")
            screen = self.screen if self._screen_stacks.get(self.current_mode) else None
            if event.key != "ctrl+q" and isinstance(screen, SignInScreen):
                if screen.hold_key(event):
                    return
        await super().on_event(event)


def make_app(
    engine: Engine,
    *,
    username: str | None = None,
    sign_in: bool = False,
    username_hint: str | None = None,
    clock: Clock | None = None,
) -> RecordsDeskApp:
    """The desk on `engine`.

    Without `sign_in` it acts as `username` at once (see `context.resolve_actor` for the
    default): for tests and programmatic use. With `sign_in` it opens on the sign-in screen,
    `username_hint` pre-filled. `clock` (monotonic seconds) drives the idle lock; tests pass a
    fake one. Raises NotFound for an unknown username and DatabaseUnavailable when the database
    does not answer, before anything is drawn, so the command line can print one plain line.
    """
    minutes = idle_minutes_for(engine)
    if sign_in:
        return SignInDeskApp(
            sign_in_context(engine),
            username_hint=username_hint or "",
            idle_minutes=minutes,
            clock=clock,
        )
    return RecordsDeskApp(open_desk_context(engine, username), idle_minutes=minutes, clock=clock)
