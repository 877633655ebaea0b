"""The sign-in screen the desk opens on, and the first administrator on an empty database.

Passwords go through `Input(password=True)` (never echoed) straight to the auth service in a
worker; a refusal shows the service's words, which never tell whether the username exists.

Keys typed while the desk starts (a clerk typing "username Enter password Enter" at once) are
not lost: until a worker has read whether any staff account exists the form is hidden, so the
desk holds the keys (`hold_key`) and they are typed into the form, in order, once it is shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from sqlalchemy import Engine
from textual import events, on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from recordsdesk.db import session_scope
from recordsdesk.services import auth
from recordsdesk.services.actor import Actor
from recordsdesk.services.demo import demo_password
from recordsdesk.services.errors import RecordsError, ValidationFailed
from recordsdesk.ui.context import DeskHost
from recordsdesk.ui.errors import describe_error
from recordsdesk.ui.security import SecureDeskApp

FIRST_ADMIN_FIELDS = ("#username", "#full-name", "#password", "#password-again")
SIGN_IN_FIELDS = ("#username", "#password")


@dataclass
class FormReady(Message):
    first_admin: bool


@dataclass
class SignInRefused(Message):
    text: str


@dataclass
class SignedIn(Message):
    actor: Actor


class SignInScreen(Screen[None]):
    CSS_PATH = "sign_in.tcss"
    SCREEN_NAME = "Sign in"

    def __init__(self, username_hint: str = "") -> None:
        super().__init__()
        self.username_hint = username_hint
        self.first_admin = False
        #: Keys that arrived before the form was shown, in order; None once it is.
        self._early_keys: list[events.Key] | None = []

    def hold_key(self, event: events.Key) -> bool:
        """Take `event` (True) if the form types it itself: held until the form is shown, then
        typed in at once, in order (see `_type_key`)."""
        if self._early_keys is not None:
            self._early_keys.append(event)
            return True
        return self._type_key(event)

    @property
    def engine(self) -> Engine:
        return cast(DeskHost, self.app).desk.engine

    def compose(self) -> ComposeResult:
        institution = cast(DeskHost, self.app).desk.institution
        with Vertical(id="sign-in-box"):
            yield Static(
                institution.name or institution.short_name, id="sign-in-title", markup=False
            )
            yield Static("Checking the staff accounts…", id="sign-in-intro", markup=False)
            yield Input(value=self.username_hint, placeholder="username", id="username")
            yield Input(placeholder="full name", id="full-name")
            yield Input(password=True, placeholder="password", id="password")
            yield Input(password=True, placeholder="password again", id="password-again")
            yield Static("", id="sign-in-message", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        for field in self.query(Input):
            field.display = False
        self._prepare()

    @work(thread=True, exclusive=True, group="sign-in", exit_on_error=False)
    def _prepare(self) -> None:
        with session_scope(self.engine) as session:
            first = auth.needs_first_admin(session)
        self.post_message(FormReady(first))

    @on(FormReady)
    def _form_ready(self, message: FormReady) -> None:
        self.first_admin = message.first_admin
        fields = FIRST_ADMIN_FIELDS if self.first_admin else SIGN_IN_FIELDS
        for selector in fields:
            self.query_one(selector, Input).display = True
        intro = self.query_one("#sign-in-intro", Static)
        if self.first_admin:
            intro.update(
                "First start: there is no staff account yet. Create the administrator "
                f"(password at least {auth.MIN_PASSWORD_LENGTH} characters)."
            )
            target = "#username"
        else:
            intro.update(self._sign_in_intro())
            target = "#password" if self.username_hint else "#username"
        # At once (not focus(), which lands later): keys typed ahead are typed in next.
        self.set_focus(self.query_one(target, Input))
        early, self._early_keys = self._early_keys or [], None
        for key in early:
            if not self._type_key(key):
                self.app.post_message(events.Key(key.key, key.character))

    def _type_key(self, key: events.Key) -> bool:
        """Type `key` into the form now, as the focused field would (True), or leave it to
        Textual (False): characters, Backspace, Tab and Enter, the keys a clerk types ahead.

        Textual hands a key to the field through the field's own queue, so in a burst Enter
        would run after the characters queued behind it ("user Enter password Enter" typed at
        once ended up as one username); typed here, each key lands where it was meant to."""
        field = self.focused
        if not isinstance(field, Input) or field.disabled:
            return False
        fields = FIRST_ADMIN_FIELDS if self.first_admin else SIGN_IN_FIELDS
        if key.key == "enter":
            if (target := self._next_or_submit_with(fields)) is not None:
                self.set_focus(target)
        elif key.key == "tab" and f"#{field.id}" in fields:
            following = fields[(fields.index(f"#{field.id}") + 1) % len(fields)]
            self.set_focus(self.query_one(following, Input))
        elif key.key == "backspace":
            field.action_delete_left()
        elif key.is_printable and key.character:
            field.insert_text_at_cursor(key.character)
        else:
            return False
        return True

    def _sign_in_intro(self) -> str:
        """On a demo database, say how to get in: the build's printout has scrolled away."""
        if not cast(DeskHost, self.app).desk.institution.demo:
            return "Sign in with your staff account."
        return (
            "Demo database: sign in as clerk, registrar or admin; each password is "
            f"the username after 'demo-' (e.g. {demo_password('registrar')})."
        )

    @on(Input.Submitted)
    def _next_or_submit(self, event: Input.Submitted) -> None:
        fields = FIRST_ADMIN_FIELDS if self.first_admin else SIGN_IN_FIELDS
        if (field := self._next_or_submit_with(fields)) is not None:
            field.focus()

    def _next_or_submit_with(self, fields: tuple[str, ...]) -> Input | None:
        """Enter: the first empty field (to move to), or None when the form is submitted."""
        values = {selector: self.query_one(selector, Input).value for selector in fields}
        for selector in fields:  # Enter moves to the first empty field, then submits
            if not values[selector]:
                return self.query_one(selector, Input)
        self._set_busy(True)
        username = values["#username"]
        if self.first_admin:
            self._create_admin(
                username, values["#full-name"], values["#password"], values["#password-again"]
            )
        else:
            self._sign_in(username, values["#password"])
        return None

    def _set_busy(self, busy: bool) -> None:
        for field in self.query(Input):
            field.disabled = busy

    @work(thread=True, exclusive=True, group="sign-in", exit_on_error=False)
    def _sign_in(self, username: str, password: str) -> None:
        try:
            actor = auth.sign_in(self.engine, username, password)
        except Exception as exc:  # noqa: BLE001 - every refusal is shown on the form
            self.post_message(SignInRefused(describe_error(exc)))
        else:
            self.post_message(SignedIn(actor))

    @work(thread=True, exclusive=True, group="sign-in", exit_on_error=False)
    def _create_admin(self, username: str, full_name: str, password: str, again: str) -> None:
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
        app.complete_sign_in(message.actor)
        app.switch_mode(app.HOME_MODE)
        app.call_after_refresh(app.remove_mode, "sign_in")
