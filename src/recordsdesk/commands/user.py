"""`recordsdesk user add|list|disable|passwd|token`: staff accounts from the command line.

Each acts as the staff member it signed in as (commands.signin) and the services check the
role, exactly as at the desk: only an administrator manages accounts; anyone may change their
own password and manage their own API tokens. On a database no one can sign in to yet, `user
add NAME --role admin` creates the first administrator without signing in (as the desk's
first start does). New passwords are asked twice without echo on a terminal, or read from
`--new-password-stdin` (after the sign-in password when that comes from standard input too) or
`--new-password-env VAR`; they are never printed. A token is printed once, at creation.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TYPE_CHECKING

from recordsdesk.commands import DatabaseOption
from recordsdesk.commands.signin import read_secret
from recordsdesk.services.shared.clean_text import printable


def _new_password_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--new-password-stdin",
        action="store_true",
        help="read the new password from standard input (after the sign-in password)",
    )
    parser.add_argument(
        "--new-password-env", metavar="VAR", help="read the new password from variable VAR"
    )


if TYPE_CHECKING:
    from sqlalchemy import Engine


def register(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], database_option: DatabaseOption
) -> None:
    user = commands.add_parser("user", help="staff accounts and API tokens")
    actions = user.add_subparsers(dest="user_command", metavar="ACTION", required=True)

    add = actions.add_parser("add", help="add a staff account (administrator)")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=["clerk", "registrar", "admin"])
    add.add_argument("--name", default="", metavar="FULL_NAME", help="the person's full name")
    _new_password_options(add)
    database_option(add)
    add.set_defaults(handler=_add)

    listing = actions.add_parser("list", help="list staff accounts (administrator)")
    database_option(listing)
    listing.set_defaults(handler=_list)

    disable = actions.add_parser("disable", help="disable a staff account (it is kept)")
    disable.add_argument("username")
    database_option(disable)
    disable.set_defaults(handler=_disable)

    passwd = actions.add_parser(
        "passwd", help="set a password: your own, or anyone's as an administrator (clears a lock)"
    )
    passwd.add_argument("username")
    _new_password_options(passwd)
    database_option(passwd)
    passwd.set_defaults(handler=_passwd)

    from recordsdesk.commands.user_tokens import register_tokens

    register_tokens(actions, database_option)


def new_password(args: argparse.Namespace) -> str:
    """The new password from the options, else asked twice without echo on a terminal."""
    from recordsdesk.services.shared.errors import ValidationFailed

    if args.new_password_stdin or args.new_password_env:
        return read_secret(args, "new_password")
    if not sys.stdin.isatty():
        raise ValidationFailed(
            "new password", "give it with --new-password-stdin or --new-password-env VAR."
        )
    first = getpass.getpass("New password: ")
    if getpass.getpass("New password again: ") != first:
        raise ValidationFailed("new password", "the two passwords differ.")
    return first


def engine_for(args: argparse.Namespace) -> Engine:
    from recordsdesk.config import resolve_database_url
    from recordsdesk.db import open_database

    return open_database(resolve_database_url(getattr(args, "database", None)))


def _add(args: argparse.Namespace) -> int:
    from recordsdesk.db import session_scope
    from recordsdesk.services.access import accounts as auth
    from recordsdesk.services.shared.errors import ValidationFailed

    engine = engine_for(args)
    password = new_password(args)
    with session_scope(engine) as session:
        if args.actor is None:  # the first administrator of a database no one can sign in to
            if args.role != "admin":
                raise ValidationFailed("--role", "the first account must be an admin.")
            account = auth.create_first_admin(
                session, username=args.username, full_name=args.name, password=password
            )
        else:
            account = auth.add_user(
                session,
                actor=args.actor,
                username=args.username,
                role=args.role,
                full_name=args.name,
                password=password,
            )
    print(f"added {account.username} ({account.role.value})")
    return 0


def _list(args: argparse.Namespace) -> int:
    from recordsdesk.db import session_scope
    from recordsdesk.services.access import accounts as auth

    with session_scope(engine_for(args)) as session:
        accounts = auth.list_users(session, actor=args.actor)
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
    from recordsdesk.db import session_scope
    from recordsdesk.services.access import accounts as auth

    with session_scope(engine_for(args)) as session:
        account = auth.disable_user(session, actor=args.actor, username=args.username)
    print(f"disabled {account.username}")
    return 0


def _passwd(args: argparse.Namespace) -> int:
    from recordsdesk.db import session_scope
    from recordsdesk.services.access import accounts as auth

    engine = engine_for(args)
    password = new_password(args)
    with session_scope(engine) as session:
        # Signing in with the password proved it; a token alone may not change it.
        account = auth.set_password(
            session,
            actor=args.actor,
            username=args.username,
            new_password=password,
            current_password_checked=getattr(args, "sign_in_method", "") == "password",
        )
    print(f"password set for {account.username}")
    return 0
