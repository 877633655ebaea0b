"""`recordsdesk honours propose NUMBER` and `recordsdesk honours set NUMBER TEXT --reason R`:
the Latin honours a record earns, and a registrar's change of a graduate's honours."""

from __future__ import annotations

import argparse

from recordsdesk.commands import DatabaseOption
from recordsdesk.commands.signin import cli_actor
from recordsdesk.config import resolve_database_url
from recordsdesk.db import open_database, session_scope


def register(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], database_option: DatabaseOption
) -> None:
    parser = commands.add_parser("honours", help="Latin honours: propose or change")
    actions = parser.add_subparsers(dest="honours_command", metavar="ACTION", required=True)
    propose = actions.add_parser("propose", help="the Latin honours the record earns today")
    propose.add_argument("number", metavar="NUMBER", help="the student number")
    database_option(propose)
    propose.set_defaults(handler=_propose)
    change = actions.add_parser(
        "set", help="change a graduate's honours (registrar, with a reason; '' for none)"
    )
    change.add_argument("number", metavar="NUMBER", help="the student number")
    change.add_argument("honours", metavar="TEXT")
    change.add_argument("--reason", required=True, help="why (audited)")
    database_option(change)
    change.set_defaults(handler=_set)


def _propose(args: argparse.Namespace) -> int:
    from sqlmodel import select

    from recordsdesk.models import Student
    from recordsdesk.services.shared.errors import NotFound
    from recordsdesk.services.transcripts.honours import propose_honours

    engine = open_database(resolve_database_url(getattr(args, "database", None)))
    try:
        with session_scope(engine) as session:
            found = session.exec(select(Student.id).where(Student.student_number == args.number))
            student_id = found.first()
            if student_id is None:
                raise NotFound(f"There is no student {args.number}.")
            proposed = propose_honours(
                session, actor=cli_actor(session, args), student_id=student_id
            )
    finally:
        engine.dispose()
    print(f"{args.number}: {proposed or 'no Latin honours'}")
    return 0


def _set(args: argparse.Namespace) -> int:
    from recordsdesk.services.transcripts.honours import change_honours

    engine = open_database(resolve_database_url(getattr(args, "database", None)))
    try:
        with session_scope(engine) as session:
            change_honours(
                session,
                actor=cli_actor(session, args),
                student_number=args.number,
                honours=args.honours,
                reason=args.reason,
            )
    finally:
        engine.dispose()
    print(f"{args.number}: {args.honours.strip() or 'no honours'}")
    return 0
