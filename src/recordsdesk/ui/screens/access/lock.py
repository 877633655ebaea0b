"""The idle lock: an opaque cover over the desk until the signed-in user's password is given.

It is a modal pushed over whatever was on screen, so that screen (with its unsaved input) is
untouched underneath; it is opaque, so nothing of it shows while the desk is unattended. A wrong
password counts towards the account's lockout like a failed sign-in, and is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from recordsdesk.services.access.accounts import confirm_password
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.shared.clean_text import printable
from recordsdesk.services.shared.errors import RecordsError
from recordsdesk.ui.context import DeskHost
from recordsdesk.ui.errors import describe_error


@dataclass
class UnlockRefused(Message):
    text: str


class Unlocked(Message):
    pass


class LockScreen(ModalScreen[None]):
    CSS_PATH = "lock.tcss"
    AUTO_FOCUS = "#unlock-password"

    def __init__(self, actor: Actor) -> None:
        super().__init__()
        self.actor = actor

    def compose(self) -> ComposeResult:
        who = printable(self.actor.full_name or self.actor.username)
        with Vertical(id="lock-box"):
            yield Static("The desk is locked", id="lock-title", markup=False)
            yield Static(
                f"Signed in: {who} ({printable(self.actor.username)}). Type your password to go "
                "on; someone else: Ctrl+O signs out (unsaved input asks first), Ctrl+Q quits.",
                id="lock-who",
                markup=False,
            )
            yield Input(password=True, placeholder="password", id="unlock-password")
            yield Static("", id="lock-message", markup=False)

    @on(Input.Submitted, "#unlock-password")
    def _submitted(self, event: Input.Submitted) -> None:
        password = event.value
        event.input.value = ""
        if password:
            event.input.disabled = True
            self._check(password)

    @work(thread=True, exclusive=True, group="unlock", exit_on_error=False)
    def _check(self, password: str) -> None:
        engine = cast(DeskHost, self.app).desk.engine
        try:
            confirm_password(engine, self.actor, password)
        except RecordsError as exc:
            self.post_message(UnlockRefused(str(exc)))
        except Exception as exc:  # noqa: BLE001 - a dead database must not leave the lock stuck
            self.post_message(UnlockRefused(describe_error(exc)))
        else:
            self.post_message(Unlocked())

    @on(UnlockRefused)
    def _refused(self, message: UnlockRefused) -> None:
        self.query_one("#lock-message", Static).update(message.text)
        field = self.query_one("#unlock-password", Input)
        field.disabled = False
        field.focus()

    @on(Unlocked)
    def _unlocked(self) -> None:
        self.dismiss(None)
