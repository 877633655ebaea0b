"""`recordsdesk audit verify` checks the audit log's chain; `audit anchor` records its head."""

from __future__ import annotations

import argparse

from recordsdesk.commands import DatabaseOption
from recordsdesk.commands.signin import cli_actor
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
    anchor = actions.add_parser(
        "anchor",
        help="write the chain's newest event to the anchor file beside the backups "
        "(desks do at every start and backup; run it daily from cron on a desk left open)",
    )
    database_option(anchor)
    anchor.set_defaults(handler=_anchor)


def _verify(args: argparse.Namespace) -> int:
    from recordsdesk.services.audit.verify import verify_chain

    engine = open_database(resolve_database_url(getattr(args, "database", None)))
    with session_scope(engine) as session:
        report = verify_chain(session, actor=cli_actor(session, args))
    print(report.describe())
    return 0 if report.intact else EXIT_BROKEN


def _anchor(args: argparse.Namespace) -> int:
    from recordsdesk.services.audit.anchor import anchor_file, write_anchor

    engine = open_database(resolve_database_url(getattr(args, "database", None)))
    try:
        anchor = write_anchor(engine, "audit anchor")
    finally:
        engine.dispose()
    newest = f"event {anchor.event_id}" if anchor.event_id is not None else "an empty log"
    print(f"anchored {newest} in {anchor_file(engine.url)}")
    return 0
