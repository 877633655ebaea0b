"""`recordsdesk audit verify`: check the audit log's hash chain."""

from __future__ import annotations

import argparse

from recordsdesk.commands import DatabaseOption
from recordsdesk.config import resolve_database_url
from recordsdesk.db import open_database, session_scope

EXIT_BROKEN = 1


def register(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], database_option: DatabaseOption
) -> None:
    audit = commands.add_parser("audit", help="the audit log")
    actions = audit.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    verify = actions.add_parser(
        "verify", help="recompute the hash chain; exit 1 naming the first broken link"
    )
    database_option(verify)
    verify.set_defaults(handler=_verify)


def _verify(args: argparse.Namespace) -> int:
    from recordsdesk.services.actor import system_actor
    from recordsdesk.services.audit_verify import verify_chain

    engine = open_database(resolve_database_url(getattr(args, "database", None)))
    with session_scope(engine) as session:
        report = verify_chain(session, actor=system_actor(session))
    print(report.describe())
    return 0 if report.intact else EXIT_BROKEN
