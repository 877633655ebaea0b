"""`recordsdesk user token create|list|revoke`: personal API tokens for unattended jobs.

A token is made by the staff member for their own account, signed in with their password (a
token cannot mint another, so revoking a leaked one ends it), and printed once; keep it
where the job reads it (`RECORDSDESK_TOKEN`, or the variable `--token-env` names) and nowhere
else. An administrator can list and revoke anyone's tokens (a leaving clerk's, a leaked one).
"""

from __future__ import annotations

import argparse
import sys

from recordsdesk.commands import DatabaseOption


def register_tokens(
    actions: argparse._SubParsersAction[argparse.ArgumentParser], database_option: DatabaseOption
) -> None:
    token = actions.add_parser("token", help="personal API tokens for unattended jobs")
    token_actions = token.add_subparsers(dest="token_command", metavar="ACTION", required=True)

    create = token_actions.add_parser("create", help="make a token for your account (shown once)")
    create.add_argument("name", metavar="NAME", help="what the token is for, e.g. 'nightly export'")
    create.add_argument(
        "--days", type=int, default=90, metavar="N", help="valid for N days (default 90, max 366)"
    )
    database_option(create)
    create.set_defaults(handler=_create)

    listing = token_actions.add_parser("list", help="your tokens (never the tokens themselves)")
    listing.add_argument(
        "--all", action="store_true", help="every account's tokens (administrator)"
    )
    database_option(listing)
    listing.set_defaults(handler=_list)

    revoke = token_actions.add_parser("revoke", help="revoke a token by its prefix")
    revoke.add_argument("prefix", metavar="PREFIX", help="the token's prefix as `list` shows it")
    database_option(revoke)
    revoke.set_defaults(handler=_revoke)


def _create(args: argparse.Namespace) -> int:
    from recordsdesk.commands.user import engine_for
    from recordsdesk.db import session_scope
    from recordsdesk.services.access.tokens import create_token
    from recordsdesk.services.shared.errors import ValidationFailed

    if (
        getattr(args, "sign_in_method", "") != "password"
    ):  # a leaked token must not outlive its revocation
        raise ValidationFailed("token", "a new token needs your password: sign in with it.")
    with session_scope(engine_for(args)) as session:
        info, secret = create_token(session, actor=args.actor, name=args.name, days=args.days)
    print(secret)
    print(
        f"token {info.prefix}… for {info.username} ({info.name}), valid until "
        f"{info.expires_at:%Y-%m-%d %H:%M} UTC. It is shown only now: keep it where the job "
        "reads it (RECORDSDESK_TOKEN) and nowhere else.",
        file=sys.stderr,
    )
    return 0


def _list(args: argparse.Namespace) -> int:
    from recordsdesk.commands.user import engine_for
    from recordsdesk.db import session_scope
    from recordsdesk.services.access.tokens import list_tokens

    with session_scope(engine_for(args)) as session:
        tokens = list_tokens(session, actor=args.actor, everyone=args.all)
    for info in tokens:
        used = f"{info.last_used_at:%Y-%m-%d %H:%M}" if info.last_used_at else "never"
        print(
            f"{info.prefix:<14} {info.username:<16} {info.state():<8} "
            f"expires {info.expires_at:%Y-%m-%d}  last used {used}  {info.name}"
        )
    if not tokens:
        print("no tokens")
    return 0


def _revoke(args: argparse.Namespace) -> int:
    from recordsdesk.commands.user import engine_for
    from recordsdesk.db import session_scope
    from recordsdesk.services.access.tokens import revoke_token

    with session_scope(engine_for(args)) as session:
        info = revoke_token(session, actor=args.actor, prefix=args.prefix)
    print(f"revoked token {info.prefix}… of {info.username} ({info.name})")
    return 0
