"""The desk: a Textual app over an engine, opened already or (from the command line) in a thread
after the sign-in screen is drawn.

The desk's areas are MODES (Lookup, Catalog, Terms, ...), not screens pushed on one stack: each
area keeps its own stack. A student record is pushed on the Lookup stack, so Esc returns to the
same search and selection; F2, from any screen, is the lookup itself with its search kept (what
was open over it closes, after asking if a form holds typed input). Screens replace rather than
pile up: Ctrl+N closes what was open over the area first, so Esc never walks back through a
string of earlier records. Keys for areas the signed-in role may not use are hidden, and say
which role they need when pressed.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events
from textual.app import App
from textual.binding import Binding, BindingType
from textual.command import Provider
from textual.message import Message
from textual.screen import ModalScreen, Screen

from recordsdesk.ui.context import DeskContext, open_desk_context
from recordsdesk.ui.navigation import AREA_GATES, may_use, refusal
from recordsdesk.ui.screens.access.sign_in import SignInScreen
from recordsdesk.ui.screens.base import DeskScreen
from recordsdesk.ui.security import Clock, SecureDeskApp, idle_minutes_for, sign_in_context
from recordsdesk.ui.typeahead import TypeAheadApp

if TYPE_CHECKING:
    from sqlalchemy import Engine

#: Collections of the middle generation between full ones (Python's default is 10); process-wide,
#: set when the desk is ready (see RecordsDeskApp.on_ready).
FULL_GC_AFTER = 100
#: App actions that leave the screen on top; refused while a dialog is open.
NAVIGATION = frozenset({"switch_mode", "new_student", "lookup"})


# The areas' screens (and the palette's provider) are imported when first opened, not before the
# sign-in screen is drawn: most of the desk's start-up time was importing them.


def _lookup() -> Screen[Any]:
    from recordsdesk.ui.screens.lookup.search import LookupScreen

    return LookupScreen()


def _catalog() -> Screen[Any]:
    from recordsdesk.ui.screens.catalog.courses import CatalogScreen

    return CatalogScreen()


def _terms() -> Screen[Any]:
    from recordsdesk.ui.screens.catalog.terms import TermsScreen

    return TermsScreen()


def _audit() -> Screen[Any]:
    from recordsdesk.ui.screens.audit.viewer import AuditScreen

    return AuditScreen()


def _grades() -> Screen[Any]:
    from recordsdesk.ui.screens.grades.entry import GradeEntryScreen

    return GradeEntryScreen()


def _imports() -> Screen[Any]:
    from recordsdesk.ui.screens.interchange.imports import ImportsScreen

    return ImportsScreen()


def _reports() -> Screen[Any]:
    from recordsdesk.ui.screens.reports.viewer import ReportsScreen

    return ReportsScreen()


def _staff() -> Screen[Any]:
    from recordsdesk.ui.screens.access.staff import StaffScreen

    return StaffScreen()


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
        "staff": _staff,
    }
    DEFAULT_MODE = "lookup"
    COMMANDS = App.COMMANDS | {_desk_commands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "help", "Help"),
        Binding("f2", "lookup", "Lookup"),
        Binding("f3", "switch_mode('catalog')", "Catalog"),
        Binding("f4", "switch_mode('terms')", "Terms"),
        Binding("f5", "switch_mode('grades')", "Grades", priority=True),
        Binding("f6", "switch_mode('audit')", "Audit"),
        Binding("f7", "switch_mode('staff')", "Staff", show=False),
        Binding("f8", "switch_mode('reports')", "Reports"),
        Binding("f10", "switch_mode('imports')", "Imports"),
        Binding("ctrl+n", "new_student", "New student"),
        Binding("f12", "practice", "Exercises", priority=True),
        Binding("ctrl+g", "verify_code", "Genuine?", show=False),
        Binding("ctrl+p", "command_palette", "Commands", show=False),
        Binding("ctrl+q", "quit", "Quit", priority=True),
        # A key whose area the role may not use is hidden (check_action); pressing it lands on
        # its twin here, which says which role it needs. No description: not a key of its own.
        *(
            Binding(key, f"refuse('{area}')", "", show=False)
            for key, area in (
                ("f5", "grades"),
                ("f6", "audit"),
                ("f7", "staff"),
                ("f8", "reports"),
                ("f10", "imports"),
                ("ctrl+n", "new_student"),
            )
        ),
    ]

    def __init__(
        self, desk: DeskContext | None, *, idle_minutes: int = 5, clock: Clock | None = None
    ) -> None:
        super().__init__(desk, idle_minutes=idle_minutes, clock=clock)
        if desk is not None:
            self.title = desk_title(desk)
            self.sub_title = f"{desk.actor.username} ({desk.actor.role.value})"

    def on_ready(self) -> None:
        """Move what start-up built (modules, SQLAlchemy metadata, CSS) out of the garbage
        collector's reach, and make full collections rarer (FULL_GC_AFTER), so a full collection
        does not pause a keystroke (docs/benchmarks.md, "Measurements behind the code").

        Cyclic garbage that reached the oldest generation waits longer; the younger generations
        are collected as before."""
        gc.freeze()
        young, middle, _ = gc.get_threshold()
        gc.set_threshold(young, middle, FULL_GC_AFTER)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hide what the role may not use (its `refuse` twin answers the key instead); no
        switching areas from under a dialog (help, command palette): it would stay open on the
        area's stack and greet the clerk on return."""
        if not self.may_run(action):  # locked, or nobody signed in yet
            return False
        if action == "refuse":
            return not self.role_allows("switch_mode", parameters)
        if not self.role_allows(action, parameters):
            return False
        return not (action in NAVIGATION and isinstance(self.screen, ModalScreen))

    def role_allows(self, action: str, parameters: tuple[object, ...]) -> bool:
        """Whether the signed-in role may use the app action (the F1 help asks this too); the
        exercises exist on a practice desk only."""
        if action == "practice":
            return self.desk.institution.practice
        area = action if action in ("new_student", "lookup") else None
        if action in ("switch_mode", "refuse") and parameters:
            area = str(parameters[0])
        gate = AREA_GATES.get(area or "")
        return gate is None or may_use(self.desk.actor, gate)

    def action_refuse(self, area: str) -> None:
        self.notify(
            refusal(self.desk.actor, AREA_GATES[area]),
            title="Not for this role",
            severity="error",
            markup=False,
        )

    async def action_lookup(self) -> None:
        """F2: the lookup with its search and row as they were, from any screen of the desk
        (screens opened over it close, after asking if a form holds typed input)."""
        await self.switch_mode("lookup")
        self.ask_before_discarding(
            self.unsaved_screens_above_base(), "returns to the lookup", self.close_to_base
        )

    def unsaved_screens_above_base(self) -> list[Screen[Any]]:
        return [s for s in self.screen_stack[1:] if s in self.unsaved_screens()]

    def close_to_base(self) -> None:
        """Close every screen over the current area's own one (records, forms, dialogs)."""
        for _ in self.screen_stack[1:]:
            self.pop_screen()

    def action_practice(self) -> None:
        """F12: the exercise panel over whatever the trainee is doing (F12 again closes it)."""
        from recordsdesk.ui.screens.practice.panel import PracticePanel

        if isinstance(self.screen, PracticePanel):
            self.screen.dismiss()
        elif not isinstance(self.screen, ModalScreen):
            self.push_screen(PracticePanel())

    def action_help(self) -> None:
        from recordsdesk.ui.screens.help import HelpModal

        screen = self.screen
        if isinstance(screen, DeskScreen):  # not over the help itself or the command palette
            self.push_screen(HelpModal(screen, title=screen.SCREEN_NAME, purpose=screen.PURPOSE))

    def action_verify_code(self) -> None:
        """Ctrl+G: "is this document genuine?" over whatever is on screen (one dialog at a time)."""
        from recordsdesk.ui.screens.disclosure.genuine import VerifyCodeModal

        if not isinstance(self.screen, VerifyCodeModal):
            self.push_screen(VerifyCodeModal())

    def action_new_student(self) -> None:
        """The intake form over the area the clerk is in (Esc returns to it). Whatever was open
        over the area (a record, its admission checklist) closes first, so admitting one
        applicant after another never piles screens up for Esc to walk back through."""
        from recordsdesk.ui.screens.people.intake import IntakeScreen

        if isinstance(self.screen, IntakeScreen):
            return

        def open_form() -> None:
            self.close_to_base()
            self.push_screen(IntakeScreen())

        self.ask_before_discarding(
            self.unsaved_screens_above_base(), "opens a new intake form", open_form
        )

    def open_over_area(self, mode: str, screen: Screen[Any]) -> None:
        """Show `screen` over the area `mode` in place of whatever was open over it."""

        async def show() -> None:
            await self.switch_mode(mode)
            self.ask_before_discarding(
                self.unsaved_screens_above_base(), "opens the record", replace_top
            )

        def replace_top() -> None:
            self.close_to_base()
            self.push_screen(screen)

        self.run_worker(show())


def desk_title(desk: DeskContext) -> str:
    """The header's title: the institution, and PRACTICE on a practice desk (every screen)."""
    name = desk.institution.short_name
    return f"PRACTICE · {name}" if desk.institution.practice else name


@dataclass
class DeskOpened(Message):
    """The database is open (SignInDeskApp's opener): the desk's context and idle time."""

    desk: DeskContext
    idle_minutes: int


@dataclass
class DeskFailed(Message):
    """The database could not be opened: why, for the command line to say."""

    error: Exception


class SignInDeskApp(RecordsDeskApp):
    """The desk as the command line opens it: on the sign-in screen, acting as nobody until a
    staff member signs in (or, on an empty database, creates the first administrator).

    Given `opener` instead of a desk, the database is opened in a thread once the
    sign-in screen is drawn (importing SQLAlchemy and the models and checking the schema took
    most of the start-up): the form takes keys at once and signs in when the database is
    ready. If it cannot be opened the desk closes, `startup_error` holds why and `return_code`
    is 2, for the command line to print in one line."""

    DEFAULT_MODE = "sign_in"

    def __init__(
        self,
        desk: DeskContext | None,
        *,
        username_hint: str = "",
        named: bool = False,
        opener: Callable[[], Engine] | None = None,
        **options: object,
    ) -> None:
        super().__init__(desk, **options)  # type: ignore[arg-type]
        self.add_mode("sign_in", lambda: SignInScreen(username_hint, named=named))
        self.sub_title = "sign in"
        self.opener = opener
        self.startup_error: BaseException | None = None

    def on_ready(self) -> None:
        """The first frame is drawn: now open the database, if that is still to do.

        In a daemon thread of its own rather than a worker: a database slow to answer must not
        keep the process alive after the clerk quit (Python waits for workers' threads)."""
        if self.opener is not None and not self.desk_opened.is_set():
            threading.Thread(target=self._open_database, name="open-database", daemon=True).start()

    def _open_database(self) -> None:
        assert self.opener is not None
        try:
            engine = self.opener()
            minutes = idle_minutes_for(engine)
            desk = sign_in_context(engine)
        except Exception as exc:  # noqa: BLE001 - the command line reports it
            self.post_message(DeskFailed(exc))  # dropped if the desk has closed meanwhile
        else:
            self.post_message(DeskOpened(desk, minutes))

    def on_desk_opened(self, message: DeskOpened) -> None:
        self.desk = message.desk
        self.idle_minutes = message.idle_minutes
        self.title = desk_title(message.desk)
        self.desk_opened.set()
        gc.freeze()  # what opening it built, as on_ready did for the rest (see there)

    def on_desk_failed(self, message: DeskFailed) -> None:
        self.startup_error = message.error
        self.desk_opened.set()
        self.exit(return_code=2)

    async def on_event(self, event: events.Event) -> None:
        """A line feed is Enter typed before the desk took the terminal (the terminal turns
        Enter into a line feed, Ctrl+J, which the desk does not use otherwise)."""
        if isinstance(event, events.Key) and not event.is_forwarded and event.key == "ctrl+j":
            event = events.Key("enter", "\r")
        await super().on_event(event)


def sign_in_desk(
    opener: Callable[[], Engine], *, username_hint: str | None = None, hint_named: bool = True
) -> SignInDeskApp:
    """The desk on its sign-in screen, drawn before the database is opened: `opener` opens it
    (and checks the schema) in a worker after the first frame."""
    return SignInDeskApp(None, username_hint=username_hint or "", named=hint_named, opener=opener)


def make_app(
    engine: Engine,
    *,
    username: str | None = None,
    sign_in: bool = False,
    username_hint: str | None = None,
    hint_named: bool = True,
    clock: Clock | None = None,
) -> RecordsDeskApp:
    """The desk on `engine`.

    Without `sign_in` it acts as `username` at once (see `context.resolve_actor` for the
    default): for tests and programmatic use. With `sign_in` it opens on the sign-in screen,
    `username_hint` pre-filled: with `hint_named` (the person named themselves, `--user`) the
    password has the focus, else the username does, selected so typing replaces it.
    `clock` (monotonic seconds) drives the idle lock; tests pass a
    fake one. Raises NotFound for an unknown username and DatabaseUnavailable when the database
    does not answer, before anything is drawn, so the command line can print one plain line.
    """
    minutes = idle_minutes_for(engine)
    if sign_in:
        return SignInDeskApp(
            sign_in_context(engine),
            username_hint=username_hint or "",
            named=hint_named,
            idle_minutes=minutes,
            clock=clock,
        )
    return RecordsDeskApp(open_desk_context(engine, username), idle_minutes=minutes, clock=clock)
