"""The sign-in screen the desk opens on, and the first administrator on an empty database.

Passwords go through `Input(password=True)` (never echoed) straight to the auth service in a
worker; a refusal shows the service's words, which never tell whether the username exists.

It is a form like any other: the username and password fields are there (and focused) from the
first frame, so keys typed while the screen appears land in them; Tab and Shift+Tab move between
the fields and the button; a pre-filled username is selected, so typing replaces it, and focus
starts on the password only when the person was named on the command line (`--user`). Enter is
taken when the key itself is handled, with the fields as typed up to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Static

from recordsdesk.db import session_scope
from recordsdesk.services.access.acting import Actor
from recordsdesk.services.shared.errors import RecordsError, ValidationFailed
from recordsdesk.ui.context import DeskContext, DeskHost
from recordsdesk.ui.errors import describe_error
from recordsdesk.ui.security import SecureDeskApp

if TYPE_CHECKING:
    from sqlalchemy import Engine

#: The form is drawn before the database is open (and the auth service, SQLAlchemy and the
#: models are imported, in the worker that waits for it), so this module imports them there.

FIRST_ADMIN_FIELDS = ("#username", "#full-name", "#password", "#password-again")
SIGN_IN_FIELDS = ("#username", "#password")


@dataclass
class FormReady(Message):
    first_admin: bool
    title: str
    intro: str


@dataclass
class SignInRefused(Message):
    text: str


@dataclass
class SignedIn(Message):
    actor: Actor


def _sign_in_intro(desk: DeskContext) -> str:
    """On a demo database, say how to get in: the build's printout has scrolled away."""
    if not desk.institution.demo:
        return "Sign in with your staff account."
    from recordsdesk.services.demo import demo_password

    if desk.institution.practice:
        return (
            "PRACTICE desk: nothing here is a real record. Sign in as registrar (password "
            f"{demo_password('registrar')}); F12 opens the exercises."
        )
    return (
        "Demo database: sign in as clerk, registrar or admin; each password is "
        f"the username after 'demo-' (e.g. {demo_password('registrar')})."
    )


class SignInScreen(Screen[None]):
    CSS_PATH = "sign_in.tcss"
    SCREEN_NAME = "Sign in"
    # Priority: handled as each key arrives, so in a burst (`clerk Tab secret Enter`) the keys
    # after Tab reach the password, not the username queued ahead of the focus change.
    BINDINGS = [
        Binding("enter", "enter", "Next field / sign in", priority=True),
        Binding("tab", "app.focus_next", "Next field", priority=True),
        Binding("shift+tab", "app.focus_previous", "Previous field", priority=True),
    ]

    def __init__(self, username_hint: str = "", *, named: bool = False) -> None:
        """`username_hint` pre-fills the username; `named` says the person chose it (the
        command line's --user), so the password is where they type first."""
        super().__init__()
        self.username_hint = username_hint
        self.named = named and bool(username_hint)
        #: None until the accounts are checked: whether this is the first start.
        self.first_admin: bool | None = None
        self.busy = False
        self._submit_when_ready = False

    @property
    def engine(self) -> Engine:
        return cast(DeskHost, self.app).desk.engine

    def compose(self) -> ComposeResult:
        with Vertical(id="sign-in-box"):
            yield Static(self._title(), id="sign-in-title", markup=False)
            yield Static("Checking the staff accounts…", id="sign-in-intro", markup=False)
            yield Input(value=self.username_hint, placeholder="username", id="username")
            yield Input(placeholder="full name", id="full-name")
            yield Input(password=True, placeholder="password", id="password")
            yield Input(password=True, placeholder="password again", id="password-again")
            yield Button("Sign in", id="sign-in-button", variant="primary")
            yield Static("", id="sign-in-message", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        for selector in FIRST_ADMIN_FIELDS:
            self.query_one(selector, Input).display = selector in SIGN_IN_FIELDS
        self.query_one("#password" if self.named else "#username", Input).focus()
        self._prepare()

    @work(thread=True, exclusive=True, group="sign-in", exit_on_error=False)
    def _prepare(self) -> None:
        """Wait for the database (the desk opens it after the first frame), then check whether
        there is a staff account yet; keys typed meanwhile fill the form, Enter waits."""
        app = self.app
        assert isinstance(app, SecureDeskApp)
        desk = app.wait_for_desk()
        if desk is None:  # it could not be opened: the desk is closing
            return
        from recordsdesk.services.access import accounts as auth

        with session_scope(desk.engine) as session:
            first = auth.needs_first_admin(session)
        institution = desk.institution
        title = institution.name or institution.short_name
        if institution.practice:
            title = f"PRACTICE · {title}"
        self.post_message(FormReady(first, title, _sign_in_intro(desk)))

    def _title(self) -> str:
        """The institution's name, once the database is open (it is read there)."""
        app = self.app
        if not (isinstance(app, SecureDeskApp) and app.desk_opened.is_set()):
            return ""
        institution = app.desk.institution
        return institution.name or institution.short_name

    @on(FormReady)
    def _form_ready(self, message: FormReady) -> None:
        """Show the first administrator's extra fields if needed; what was typed stays."""
        from recordsdesk.services.access import accounts as auth

        self.first_admin = message.first_admin
        self.query_one("#sign-in-title", Static).update(message.title)
        intro = self.query_one("#sign-in-intro", Static)
        if self.first_admin:
            for selector in FIRST_ADMIN_FIELDS:
                self.query_one(selector, Input).display = True
            self.query_one("#sign-in-button", Button).label = "Create administrator"
            intro.update(
                "First start: there is no staff account yet. Create the administrator "
                f"(password at least {auth.MIN_PASSWORD_LENGTH} characters)."
            )
            self._submit_when_ready = False  # the form has grown: nothing to submit yet
        else:
            intro.update(message.intro)
            if self._submit_when_ready:
                self._submit_when_ready = False
                self.action_submit()

    @on(Button.Pressed, "#sign-in-button")
    def _button(self) -> None:
        self.action_submit()

    def _fields(self) -> tuple[str, ...]:
        return FIRST_ADMIN_FIELDS if self.first_admin else SIGN_IN_FIELDS

    def action_enter(self) -> None:
        """Enter, as the key arrives: in a field but the last, on to the next one at once (the
        keys typed after it go there); in the last field or on the button, submit once the
        keys typed before it have reached their field (queued behind them on that widget)."""
        if self.busy:
            return
        focused = self.focused
        fields = self._fields()
        if isinstance(focused, Input) and focused.id and f"#{focused.id}" in fields[:-1]:
            following = fields[fields.index(f"#{focused.id}") + 1]
            self.set_focus(self.query_one(following, Input))  # now: Widget.focus() waits a turn
            return
        (focused or self).call_later(self.action_submit)

    def action_submit(self) -> None:
        """On to the first empty field, else sign in (or create the administrator)."""
        if self.busy:
            return
        if self.first_admin is None:  # typed ahead of the accounts check: submit once known
            self._submit_when_ready = True
            return
        fields = self._fields()
        values = {selector: self.query_one(selector, Input).value for selector in fields}
        for selector in fields:
            if not values[selector]:
                self.query_one(selector, Input).focus()
                return
        self._set_busy(True)
        username = values["#username"]
        if self.first_admin:
            self._create_admin(
                username, values["#full-name"], values["#password"], values["#password-again"]
            )
        else:
            self._sign_in(username, values["#password"])

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        for field in self.query(Input):
            field.disabled = busy

    @work(thread=True, exclusive=True, group="sign-in", exit_on_error=False)
    def _sign_in(self, username: str, password: str) -> None:
        from recordsdesk.services.access import accounts as auth

        try:
            actor = auth.sign_in(self.engine, username, password)
        except Exception as exc:  # noqa: BLE001 - every refusal is shown on the form
            self.post_message(SignInRefused(describe_error(exc)))
        else:
            self.post_message(SignedIn(actor))

    @work(thread=True, exclusive=True, group="sign-in", exit_on_error=False)
    def _create_admin(self, username: str, full_name: str, password: str, again: str) -> None:
        from recordsdesk.services.access import accounts as auth

        try:
            if password != again:
                raise ValidationFailed("password", "the two passwords differ.")
            with session_scope(self.engine) as session:
                auth.create_first_admin(
                    session, username=username, full_name=full_name, password=password
                )
            actor = auth.sign_in(self.engine, username, password)
        except RecordsError as exc:
            self.post_message(SignInRefused(str(exc)))
        except Exception as exc:  # noqa: BLE001
            self.post_message(SignInRefused(describe_error(exc)))
        else:
            self.post_message(SignedIn(actor))

    @on(SignInRefused)
    def _refused(self, message: SignInRefused) -> None:
        self._set_busy(False)
        self.query_one("#sign-in-message", Static).update(message.text)
        for selector in ("#password", "#password-again"):
            self.query_one(selector, Input).value = ""
        self.query_one("#password", Input).focus()

    @on(SignedIn)
    def _signed_in(self, message: SignedIn) -> None:
        app = self.app
        assert isinstance(app, SecureDeskApp)
        if app.signed_in:  # already on the way to the desk
            return
        app.complete_sign_in(message.actor)
        app.switch_mode(app.HOME_MODE)
        app.call_after_refresh(app.remove_mode, "sign_in")
