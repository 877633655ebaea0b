"""Staff accounts for administrators: who may sign in, in which role; add, disable, reset.

The same services as `recordsdesk user …`, so the rules (password length, no disabling oneself,
admin only) and the audit are the same from both. Passwords are typed into masked inputs and
go straight to the service in a worker.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Header, Input, Select, Static

from recordsdesk.models import StaffRole
from recordsdesk.services.access import accounts as auth
from recordsdesk.services.shared.clean_text import printable
from recordsdesk.services.shared.errors import ValidationFailed
from recordsdesk.ui.screens.base import DeskScreen
from recordsdesk.ui.widgets.cells import cell

COLUMNS = ("Username", "Full name", "Role", "State", "Last sign-in")


@dataclass
class AccountsLoaded(Message):
    accounts: tuple[auth.StaffAccount, ...]


@dataclass(frozen=True)
class NewAccount:
    username: str
    full_name: str
    role: str
    password: str


class AddStaffModal(ModalScreen[NewAccount | None]):
    """Username, full name, role and the password twice; Esc cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def compose(self) -> ComposeResult:
        with Vertical(id="staff-form"):
            yield Static("New staff account", markup=False)
            yield Input(placeholder="username", id="new-username")
            yield Input(placeholder="full name", id="new-full-name")
            yield Select(
                [(role.value, role.value) for role in StaffRole],
                value=StaffRole.CLERK.value,
                allow_blank=False,
                id="new-role",
            )
            yield Input(password=True, placeholder="password", id="new-password")
            yield Input(password=True, placeholder="password again", id="new-password-again")
            yield Static("", id="staff-form-message", markup=False)

    @on(Input.Submitted)
    def _submit(self) -> None:
        values = {
            name: self.query_one(f"#new-{name}", Input).value
            for name in ("username", "full-name", "password", "password-again")
        }
        message = self.query_one("#staff-form-message", Static)
        if values["password"] != values["password-again"]:
            message.update("The two passwords differ.")
            return
        role = self.query_one("#new-role", Select).value
        self.dismiss(
            NewAccount(values["username"], values["full-name"], str(role), values["password"])
        )

    def action_cancel(self) -> None:
        self.dismiss(None)


class StaffScreen(DeskScreen):
    CSS_PATH = "staff.tcss"
    SCREEN_NAME = "Staff accounts"
    PURPOSE = (
        "Every staff account with its role, whether it is active or locked, and its last "
        "sign-in. A adds an account, D disables the highlighted one (it is kept: the audit "
        "trail names it). Administrators only."
    )
    BINDINGS = [
        Binding("escape", "app.lookup", "Lookup"),
        Binding("a", "add", "Add"),
        Binding("d", "disable", "Disable"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Loading the staff accounts…", id="staff-summary", markup=False)
        yield DataTable(id="staff-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#staff-table", DataTable)
        table.add_columns(*COLUMNS)
        table.focus()
        self._load()

    @work(thread=True, exclusive=True, group="staff", exit_on_error=False)
    def _load(self) -> None:
        self.post_message(AccountsLoaded(self.desk.call(auth.list_users)))

    @on(AccountsLoaded)
    def _loaded(self, message: AccountsLoaded) -> None:
        table = self.query_one("#staff-table", DataTable)
        table.clear()
        for account in message.accounts:
            state = "active" if account.active else "disabled"
            if account.locked_until is not None:
                state += ", locked"
            table.add_row(
                cell(account.username),
                cell(account.full_name),
                cell(account.role.value),
                cell(state),
                cell(account.last_login_at),
                key=account.username,
            )
        noun = "account" if len(message.accounts) == 1 else "accounts"
        self.query_one("#staff-summary", Static).update(Text(f"{len(message.accounts)} {noun}"))

    def action_add(self) -> None:
        self.app.push_screen(AddStaffModal(), callback=self._add)

    def _add(self, new: NewAccount | None) -> None:
        if new is not None:
            self._save(new)

    @work(thread=True, exclusive=True, group="staff-save", exit_on_error=False)
    def _save(self, new: NewAccount) -> None:
        if not new.password:
            raise ValidationFailed("password", "must not be empty.")
        account = self.desk.call(
            auth.add_user,
            username=new.username,
            role=new.role,
            full_name=new.full_name,
            password=new.password,
        )
        self.app.call_from_thread(
            self.notify,
            f"Added {printable(account.username)} ({account.role.value}).",
            markup=False,
        )
        self.post_message(AccountsLoaded(self.desk.call(auth.list_users)))

    def action_disable(self) -> None:
        table = self.query_one("#staff-table", DataTable)
        if table.row_count == 0:
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        if key:
            self._disable(key)

    @work(thread=True, exclusive=True, group="staff-save", exit_on_error=False)
    def _disable(self, username: str) -> None:
        self.desk.call(auth.disable_user, username=username)
        self.app.call_from_thread(self.notify, f"Disabled {printable(username)}.", markup=False)
        self.post_message(AccountsLoaded(self.desk.call(auth.list_users)))
