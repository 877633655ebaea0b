"""The sign-in screen the desk opens on, and the first administrator on an empty database.

Passwords go through `Input(password=True)` (never echoed) straight to the auth service in a
worker; a refusal shows the service's words, which never tell whether the username exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from sqlalchemy import Engine
from textual import on, work
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
            self.query_one("#username", Input).focus()
        else:
            intro.update(self._sign_in_intro())
            target = "#password" if self.username_hint else "#username"
            self.query_one(target, Input).focus()

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
        values = {selector: self.query_one(selector, Input).value for selector in fields}
        for selector in fields:  # Enter moves to the first empty field, then submits
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
