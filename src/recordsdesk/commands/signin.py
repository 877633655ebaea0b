"""Who a command acts as: the one place every sub-command is signed in, before its handler runs.

`cli.main` calls `authenticate` for every command parsed with `sign_in=True` (all but those in
NO_SIGN_IN), and the handler finds the Actor as `args.actor` (`cli_actor`). The ways in, first
match wins:

- `--user NAME --password-stdin` (one line of standard input) or `--user NAME --password-env VAR`
  for scripts;
- a personal API token (`recordsdesk user token create`) in `--token-env VAR` or
  `$RECORDSDESK_TOKEN`, for unattended jobs;
- on a terminal, a prompt for the username (unless `--user`) and the password, without echo.

With none of them and no terminal the command stops at once with one line saying how to sign
in (exit 2): it never waits for input that cannot come. Sign-in goes through the same services
as the desk (lockout, one answer, audit), so locked and disabled accounts are refused here too.
Heavy modules are imported inside the functions: parsing `--help` must stay light.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlmodel import Session

    from recordsdesk.services.access.actor import Actor

TOKEN_ENV = "RECORDSDESK_TOKEN"
# Commands that act as nobody: building a fresh demo, reading or upgrading the schema version
# (the desk migrates on open anyway), and printing the database grants.
NO_SIGN_IN = frozenset(
    {
        "recordsdesk demo",
        # A trainee's practice desk (demo data only): it opens on its sign-in screen.
        "recordsdesk practice",
        "recordsdesk db current",
        "recordsdesk db upgrade",
        "recordsdesk db grants",
    }
)
# Flags that make a command read nothing from the database (`report --list` names the reports).
NO_SIGN_IN_WITH = {"recordsdesk report": "list"}
# Commands whose handler calls no service that checks the role itself.
# (`db optimize` changes no record, but rewrites the file: whoever may take backups may run it.)
REQUIRED_ACTION = {
    "recordsdesk backup": "backup.run",
    "recordsdesk restore": "backup.run",
    "recordsdesk db optimize": "backup.run",
}
# Commands that may run on a database no one can sign in to yet (the first administrator,
# restoring a backup into a new database).
FIRST_START = frozenset({"recordsdesk user add", "recordsdesk restore"})
HOW = (
    "sign in: run the command on a terminal to be asked for the password, give --user NAME "
    "with --password-stdin or --password-env VAR, or put a token from "
    f"`recordsdesk user token create` in ${TOKEN_ENV} (or --token-env VAR)."
)

NO_ACCOUNTS = (
    "no one can sign in to this database yet: make the first administrator with "
    "`recordsdesk user add NAME --role admin` (or open the desk)."
)


class SignInNeeded(Exception):
    """No way to sign in was given; the message says how (printed as one line, exit 2)."""


def add_user_option(parser: argparse.ArgumentParser, help_text: str) -> None:
    parser.add_argument("--user", metavar="USERNAME", default=argparse.SUPPRESS, help=help_text)


def add_credential_options(parser: argparse.ArgumentParser) -> None:
    """--user and the ways to give its password or a token, on one sub-command."""
    group = parser.add_argument_group("signing in (on a terminal the password is asked)")
    group.add_argument(
        "--user", metavar="USERNAME", default=argparse.SUPPRESS, help="the staff account to act as"
    )
    group.add_argument(
        "--password-stdin",
        action="store_true",
        default=argparse.SUPPRESS,
        help="read the password from the first line of standard input",
    )
    group.add_argument(
        "--password-env",
        metavar="VAR",
        default=argparse.SUPPRESS,
        help="read the password from environment variable VAR",
    )
    group.add_argument(
        "--token-env",
        metavar="VAR",
        default=argparse.SUPPRESS,
        help=f"sign in with the API token in VAR (default: ${TOKEN_ENV} when set)",
    )
    parser.set_defaults(sign_in=True)


def cli_actor(_session: Session, args: argparse.Namespace) -> Actor:
    """The signed-in Actor the command acts as (set by `authenticate` before the handler)."""
    actor: Actor | None = getattr(args, "actor", None)
    if actor is None:
        raise SignInNeeded(HOW)
    return actor


def _command(args: argparse.Namespace) -> str:
    return str(getattr(args, "command_name", ""))


def needs_sign_in(args: argparse.Namespace) -> bool:
    """True for a parsed command that must sign in before its handler runs."""
    if not getattr(args, "sign_in", False):
        return False
    flag = NO_SIGN_IN_WITH.get(_command(args))
    return not (flag and getattr(args, flag, False))


def authenticate(args: argparse.Namespace) -> Actor | None:
    """Sign the command in and return the Actor; None only for a FIRST_START command on a
    database no one can sign in to yet. Raises SignInNeeded or SignInRefused."""
    from recordsdesk.config import resolve_database_url
    from recordsdesk.db import open_database, session_scope
    from recordsdesk.services.access.permissions import Action, authorize

    command = _command(args)
    url = resolve_database_url(getattr(args, "database", None))
    if command == "recordsdesk restore" and _missing_sqlite_file(url):
        return None
    engine = open_database(url)
    try:
        from recordsdesk.services.access.accounts import needs_first_admin

        with session_scope(engine) as session:
            first_start = needs_first_admin(session)
        if first_start and command in FIRST_START:
            return None
        if first_start:
            raise SignInNeeded(NO_ACCOUNTS)
        actor = _sign_in(engine, args)
    finally:
        engine.dispose()
    if command in REQUIRED_ACTION:
        authorize(actor, Action(REQUIRED_ACTION[command]))
    return actor


def _missing_sqlite_file(url: str) -> bool:
    from sqlalchemy.engine import make_url

    from recordsdesk.db import is_sqlite

    if not is_sqlite(url):
        return False
    database = make_url(url).database or ""
    return bool(database) and database != ":memory:" and not os.path.exists(database)


def _sign_in(engine: Engine, args: argparse.Namespace) -> Actor:
    from recordsdesk.services.access.accounts import sign_in
    from recordsdesk.services.access.tokens import sign_in_with_token
    from recordsdesk.services.shared.errors import ValidationFailed

    username: str | None = getattr(args, "user", None)
    if getattr(args, "password_stdin", False) or getattr(args, "password_env", None):
        if not username:
            raise ValidationFailed("--user", "say whose password it is: add --user NAME.")
        password = read_secret(args, "password")
        args.sign_in_method = "password"
        return sign_in(engine, username, password)
    token = _token(args)
    if token:
        args.sign_in_method = "token"
        actor = sign_in_with_token(engine, token)
        if username and username != actor.username:
            raise ValidationFailed(
                "--user", f"the token belongs to {actor.username!r}, not {username!r}."
            )
        return actor
    if not _interactive():
        raise SignInNeeded(HOW)
    import getpass

    if not username:
        # The prompt goes to stderr: stdout may be the report or transcript being redirected.
        print("Username: ", end="", file=sys.stderr, flush=True)
        username = sys.stdin.readline().strip()
    args.sign_in_method = "password"
    return sign_in(engine, username, getpass.getpass(f"Password for {username}: "))


def _token(args: argparse.Namespace) -> str:
    from recordsdesk.services.shared.errors import ValidationFailed

    variable: str | None = getattr(args, "token_env", None)
    if variable:
        value = os.environ.get(variable, "").strip()
        if not value:
            raise ValidationFailed("--token-env", f"${variable} is not set or empty.")
        return value
    return os.environ.get(TOKEN_ENV, "").strip()


def _interactive() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, ValueError):  # closed or replaced standard input
        return False


def read_secret(args: argparse.Namespace, kind: str) -> str:
    """The sign-in password (`kind` "password") or a new password ("new_password") from
    `--{kind}-stdin` (one line) or `--{kind}-env VAR`; ValidationFailed names the option when
    the line or variable is missing or empty. Standard input gives the sign-in password first,
    then the new password."""
    from recordsdesk.services.shared.errors import ValidationFailed

    option = kind.replace("_", "-")
    variable: str | None = getattr(args, f"{kind}_env", None)
    if variable:
        value = os.environ.get(variable, "")
        if not value:
            raise ValidationFailed(f"--{option}-env", f"${variable} is not set or empty.")
        return value
    line = sys.stdin.readline() if sys.stdin is not None else ""
    value = line.rstrip("\r\n")
    if not value:
        raise ValidationFailed(f"--{option}-stdin", "standard input gave no line to read.")
    return value
