"""What keeps the desk private at the counter: sign-in state, the idle lock and the privacy key.

The desk app inherits from `SecureDeskApp`, which
- tracks the last keyboard or mouse input against an injected clock (tests pass a fake one and
  call `check_idle_lock()`; nothing sleeps) and covers the screen with `LockScreen` after the
  institution's idle time; Ctrl+L locks at once. The lock is a modal pushed over whatever is on
  screen, so the screen underneath, unsaved form input included, is exactly as it was;
- holds `privacy`, a reactive flag flipped by F9: screens showing birth dates or contact details
  pass them through `ui.privacy.mask(value, app.privacy)` and re-render when it changes;
- refuses every app action but quitting, privacy and moving between fields while the desk is
  locked or nobody has signed in;
- signs out (Ctrl+O): back to the sign-in screen with every screen of the previous person
  closed, after asking when a form still holds what they typed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events
from textual.app import App
from textual.binding import Binding, BindingType
from textual.filter import LineFilter
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Input
from textual.worker import get_current_worker

from recordsdesk.db import DatabaseUnavailable, safe_url, session_scope
from recordsdesk.roles import StaffRole
from recordsdesk.services.access.acting import SYSTEM_USERNAME, Actor
from recordsdesk.ui.context import DeskContext, first_line
from recordsdesk.ui.navigation import DiscardInputModal, holds_typed_input, screen_label
from recordsdesk.ui.terminal import CONTROL_FILTER

if TYPE_CHECKING:
    from sqlalchemy import Engine

Clock = Callable[[], float]
#: How often the idle check runs (real time); the idle time itself is read from `clock`.
IDLE_CHECK_SECONDS = 5.0
#: How often a worker waiting for the database to open checks whether the desk has closed.
WAIT_STEP_SECONDS = 0.1
#: The actor a desk holds before anyone signs in: it can do nothing, as no screen is open.
NOBODY = Actor(id=0, username="", role=StaffRole.CLERK, full_name="")
#: Moving between the fields of the sign-in and lock screens must work before anyone signs in.
_ALWAYS_ALLOWED = {"quit", "toggle_privacy", "focus_next", "focus_previous"}


class SecureDeskApp(App[int]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+l", "lock", "Lock", show=False, priority=True),
        Binding("f9", "toggle_privacy", "Privacy", priority=True),
        Binding("ctrl+o", "sign_out", "Sign out", priority=True),
    ]

    #: The area the desk opens on once someone has signed in.
    HOME_MODE: ClassVar[str] = "lookup"

    #: True hides birth dates and contact details on every screen (see ui.privacy.mask).
    privacy: reactive[bool] = reactive(False, init=False)

    desk: DeskContext

    def __init__(
        self, desk: DeskContext | None, *, idle_minutes: int = 5, clock: Clock | None = None
    ) -> None:
        """`desk` None: the database is still being opened (see `open_desk`); until then the
        desk acts as nobody and `desk` is not set."""
        super().__init__()
        #: Set once `desk` is there: at once when given, else when the database has opened.
        self.desk_opened = threading.Event()
        if desk is not None:
            self.desk = desk
            self.desk_opened.set()
        self.idle_minutes = idle_minutes
        self.clock: Clock = clock or time.monotonic
        self.last_input = self.clock()
        self.signed_in = desk is not None and desk.actor is not NOBODY
        #: ids of the screens where a key was typed into a field (see navigation.holds_typed_input)
        self.typed_on: set[int] = set()

    # --- state ----------------------------------------------------------------------------------

    @property
    def locked(self) -> bool:
        from recordsdesk.ui.screens.access.lock import LockScreen

        return any(isinstance(screen, LockScreen) for screen in self.screen_stack)

    def may_run(self, action: str) -> bool:
        """App actions are refused while locked or before sign-in (quitting and privacy never)."""
        if action in _ALWAYS_ALLOWED:
            return True
        if action == "sign_out":  # from the lock too: the next person at a locked desk
            return self.signed_in
        return self.signed_in and not self.locked

    def wait_for_desk(self) -> DeskContext | None:
        """The desk's context once the database has opened; None if it could not be, or the
        desk closed first (the waiting worker is cancelled: a thread left waiting would keep
        the process from ending). Blocks: for thread workers only."""
        worker = get_current_worker()
        while not self.desk_opened.wait(WAIT_STEP_SECONDS):
            if worker.is_cancelled:
                return None
        return getattr(self, "desk", None)

    def complete_sign_in(self, actor: Actor) -> None:
        """Act as `actor` from now on (called by the sign-in screen)."""
        self.desk = replace(self.desk, actor=actor)
        self.signed_in = True
        self.last_input = self.clock()
        self.sub_title = f"{actor.username} ({actor.role.value})"

    def get_line_filters(self) -> Sequence[LineFilter]:
        """Textual's filters, then the one that keeps control characters off the terminal."""
        return [*super().get_line_filters(), CONTROL_FILTER]

    # --- idle lock ------------------------------------------------------------------------------

    def on_mount(self) -> None:
        self.set_interval(IDLE_CHECK_SECONDS, self.check_idle_lock, name="idle-lock")

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key | events.MouseDown | events.MouseScrollDown) or (
            isinstance(event, events.MouseScrollUp | events.MouseMove)
        ):
            self.last_input = self.clock()
        if isinstance(event, events.Key) and event.is_printable and isinstance(self.focused, Input):
            self.typed_on.add(id(self.screen))
        await super().on_event(event)

    def idle_seconds(self) -> float:
        return self.clock() - self.last_input

    def check_idle_lock(self) -> None:
        """Lock when nobody has touched the desk for the institution's idle time."""
        limit = self.idle_minutes * 60
        if limit > 0 and self.idle_seconds() >= limit:
            self.lock_desk()

    def lock_desk(self) -> bool:
        """Cover the screen until the signed-in user's password is given. False when there is
        nothing to lock (nobody signed in, already locked) or nothing to unlock with (the
        password-less `system` account)."""
        from recordsdesk.ui.screens.access.lock import LockScreen

        actor = self.desk.actor
        if not self.signed_in or self.locked or actor.username == SYSTEM_USERNAME:
            return False
        self.push_screen(LockScreen(actor), callback=self._unlocked)
        return True

    def _unlocked(self, _result: object) -> None:
        self.last_input = self.clock()

    def action_lock(self) -> None:
        if self.signed_in and not self.locked and not self.lock_desk():
            self.notify(
                f"The {self.desk.actor.username} account has no password, so the desk cannot be "
                "locked; sign in with a staff account.",
                severity="warning",
                markup=False,
            )

    # --- signing out ----------------------------------------------------------------------------

    def unsaved_screens(self) -> list[Screen[Any]]:
        """Screens on any area's stack whose form holds what the clerk typed."""
        return [
            screen
            for stack in self._screen_stacks.values()
            for screen in stack
            if holds_typed_input(screen, self.typed_on)
        ]

    def ask_before_discarding(
        self, screens: list[Screen[Any]], going: str, then: Callable[[], object]
    ) -> None:
        """Run `then` at once when nothing typed would be lost, else after the clerk agrees."""
        if not screens:
            then()
            return

        def answered(discard: bool | None) -> None:
            if discard:
                then()

        where = list(dict.fromkeys(screen_label(screen) for screen in screens))
        self.push_screen(DiscardInputModal(where, going), answered)

    def action_sign_out(self) -> None:
        """Ctrl+O: hand the desk to the next person (asks first if a form holds typed input),
        from the idle lock too: whoever comes next is not left with only Ctrl+Q."""
        if self.signed_in and not isinstance(self.screen, DiscardInputModal):
            self.ask_before_discarding(
                self.unsaved_screens(), "signs out", lambda: self.run_worker(self.sign_out())
            )

    async def sign_out(self) -> None:
        """Back to the sign-in screen, acting as nobody, with every area's screens closed (they
        are built afresh for the next person) and no notification of theirs left."""
        from recordsdesk.ui.screens.access.sign_in import SignInScreen
        from recordsdesk.ui.screens.transcripts.opening import PREVIEW_SCREEN

        self.signed_in = False
        self.desk = replace(self.desk, actor=NOBODY)
        self.sub_title = "sign in"
        self.clear_notifications()
        if "sign_in" not in self._modes:
            self.add_mode("sign_in", lambda: SignInScreen(""))
        await self.switch_mode("sign_in")
        for mode in [m for m in self._screen_stacks if m != "sign_in"]:
            base = self._modes.get(mode)
            await self.remove_mode(mode)
            if base is not None:
                self.add_mode(mode, base)
        if self.is_screen_installed(PREVIEW_SCREEN):
            self.uninstall_screen(PREVIEW_SCREEN)
        self.typed_on.clear()

    # --- privacy --------------------------------------------------------------------------------

    def action_toggle_privacy(self) -> None:
        self.privacy = not self.privacy

    def watch_privacy(self, hidden: bool) -> None:
        if hidden:
            self.notify("Privacy on: birth dates and contact details are hidden (F9 to show).")
        else:
            self.notify("Privacy off.")


def sign_in_context(engine: Engine) -> DeskContext:
    """The desk's context before anyone signs in: the engine and institution, acting as nobody.
    Raises DatabaseUnavailable when the database does not answer."""
    from sqlalchemy.exc import DBAPIError

    from recordsdesk.services.catalog.view import institution_summary

    try:
        with session_scope(engine) as session:
            institution = institution_summary(session)
    except DBAPIError as exc:
        raise DatabaseUnavailable(
            f"Cannot read the database at {safe_url(str(engine.url))}: {first_line(exc)}"
        ) from exc
    return DeskContext(engine=engine, actor=NOBODY, institution=institution)


def idle_minutes_for(engine: Engine) -> int:
    """The institution's idle-lock time (5 minutes when the database cannot say)."""
    from sqlalchemy.exc import DBAPIError

    from recordsdesk.services.access.accounts import idle_lock_minutes

    try:
        with session_scope(engine) as session:
            return idle_lock_minutes(session)
    except DBAPIError:
        return 5
