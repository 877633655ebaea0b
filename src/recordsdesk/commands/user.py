"""`recordsdesk user add|list|disable|passwd`: staff accounts from the command line.

These act as the built-in `system` account: whoever can run them on this machine can already
open the database directly. Passwords are read without echo (or from standard input with
`--password-stdin`, for scripts) and never printed.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from sqlalchemy import Engine

from recordsdesk.commands import DatabaseOption
from recordsdesk.config import resolve_database_url
from recordsdesk.db import open_database, session_scope
from recordsdesk.services import auth
from recordsdesk.services.actor import system_actor
from recordsdesk.services.clean_text import printable
from recordsdesk.services.errors import ValidationFailed


def register(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], database_option: DatabaseOption
) -> None:
    user = commands.add_parser("user", help="staff accounts")
    actions = user.add_subparsers(dest="user_command", metavar="ACTION", required=True)

    add = actions.add_parser("add", help="add a staff account")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=["clerk", "registrar", "admin"])
    add.add_argument("--name", default="", metavar="FULL_NAME", help="the person's full name")
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    database_option(add)
    add.set_defaults(handler=_add)

    listing = actions.add_parser("list", help="list staff accounts")
    database_option(listing)
    listing.set_defaults(handler=_list)

    disable = actions.add_parser("disable", help="disable a staff account (it is kept)")
    disable.add_argument("username")
    database_option(disable)
    disable.set_defaults(handler=_disable)

    passwd = actions.add_parser("passwd", help="set a staff account's password (clears a lock)")
    passwd.add_argument("username")
    passwd.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    database_option(passwd)
    passwd.set_defaults(handler=_passwd)


def read_password(from_stdin: bool) -> str:
    """One line from standard input, or a no-echo prompt asked twice."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != first:
        raise ValidationFailed("password", "the two passwords differ.")
    return first


def _engine(args: argparse.Namespace) -> Engine:
    return open_database(resolve_database_url(getattr(args, "database", None)))


def _add(args: argparse.Namespace) -> int:
    engine = _engine(args)
    password = read_password(args.password_stdin)
    with session_scope(engine) as session:
        account = auth.add_user(
            session,
            actor=system_actor(session),
            username=args.username,
            role=args.role,
            full_name=args.name,
            password=password,
        )
    print(f"added {account.username} ({account.role.value})")
    return 0


def _list(args: argparse.Namespace) -> int:
    engine = _engine(args)
    with session_scope(engine) as session:
        accounts = auth.list_users(session, actor=system_actor(session))
    for account in accounts:
        state = "active" if account.active else "disabled"
        if account.locked_until is not None:
            state += f", locked until {account.locked_until:%Y-%m-%d %H:%M} UTC"
        seen = f"{account.last_login_at:%Y-%m-%d %H:%M}" if account.last_login_at else "never"
        print(
            f"{printable(account.username):<20} {account.role.value:<10} {state:<10} "
            f"last sign-in {seen}  {printable(account.full_name)}"
        )
    if not accounts:
        print("no staff accounts yet (the desk asks for the first administrator at start)")
    return 0


def _disable(args: argparse.Namespace) -> int:
    engine = _engine(args)
    with session_scope(engine) as session:
        account = auth.disable_user(session, actor=system_actor(session), username=args.username)
    print(f"disabled {account.username}")
    return 0


def _passwd(args: argparse.Namespace) -> int:
    engine = _engine(args)
    password = read_password(args.password_stdin)
    with session_scope(engine) as session:
        account = auth.set_password(
            session, actor=system_actor(session), username=args.username, new_password=password
        )
    print(f"password set for {account.username}")
    return 0
