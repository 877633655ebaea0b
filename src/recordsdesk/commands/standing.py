"""`recordsdesk standing set NUMBER TERM STANDING --reason TEXT`: a registrar's override of the
academic standing decided when a term's marks were posted."""

from __future__ import annotations

import argparse

from recordsdesk.commands import DatabaseOption
from recordsdesk.commands.signin import cli_actor
from recordsdesk.config import resolve_database_url
from recordsdesk.db import open_database, session_scope


def register(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], database_option: DatabaseOption
) -> None:
    parser = commands.add_parser("standing", help="override a term's academic standing")
    actions = parser.add_subparsers(dest="standing_command", metavar="ACTION", required=True)
    change = actions.add_parser(
        "set",
        help="set a student's standing for a term (registrar, with a reason)",
        description="STANDING is good, warning, probation, suspension or dismissal.",
    )
    change.add_argument("number", metavar="NUMBER", help="the student number")
    change.add_argument("term", metavar="TERM", help="the term code")
    change.add_argument("standing", metavar="STANDING")
    change.add_argument("--reason", required=True, help="why (kept on the record and audited)")
    database_option(change)
    change.set_defaults(handler=_set)


def _set(args: argparse.Namespace) -> int:
    from recordsdesk.services.transcripts.standing import LABELS, override_standing

    engine = open_database(resolve_database_url(getattr(args, "database", None)))
    try:
        with session_scope(engine) as session:
            row = override_standing(
                session,
                actor=cli_actor(session, args),
                student_number=args.number,
                term_code=args.term,
                standing=args.standing,
                reason=args.reason,
            )
            shown = f"{LABELS[row.standing]} (the rules gave {LABELS[row.computed].lower()})"
    finally:
        engine.dispose()
    print(f"{args.number} {args.term.upper()}: {shown}")
    return 0
