"""`recordsdesk report NAME`: run a registrar report and print it as a table or CSV.

Reports need the registrar role: the command acts as the staff member it signed in as.
Every CSV written, to a file or standard output, is recorded in the audit log, since a report
usually lists students by name.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from recordsdesk.commands import DatabaseOption
from recordsdesk.commands.signin import cli_actor
from recordsdesk.commands.transcript import add_force_option, output_target
from recordsdesk.config import resolve_database_url
from recordsdesk.db import open_database, session_scope
from recordsdesk.services.shared.clean_text import printable
from recordsdesk.services.shared.errors import ValidationFailed
from recordsdesk.services.shared.private_files import write_private

if TYPE_CHECKING:
    from recordsdesk.services.disclosure.log import BulkRelease

FORMATS = ("table", "csv")


def register(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], database_option: DatabaseOption
) -> None:
    parser = commands.add_parser(
        "report",
        help="run a registrar report (enrollment, dean's list, probation, ...); --list names them",
        # The reports are listed by --list, not here: naming them imports the services, and
        # help must answer at once.
        description="Run a registrar report; `recordsdesk report --list` names them and says "
        "what each shows.",
    )
    parser.add_argument("name", metavar="NAME", nargs="?", help="the report (see --list)")
    parser.add_argument("--list", action="store_true", help="name the reports and what they show")
    parser.add_argument("--term", metavar="CODE", help="term code, e.g. 2026FA")
    parser.add_argument("--program", metavar="CODE", help="program code, e.g. BS-CS")
    parser.add_argument(
        "--directory",
        action="store_true",
        help="leave out confidential students (directory opt-outs), for lists leaving the office",
    )
    parser.add_argument("--format", choices=FORMATS, default="table")
    parser.add_argument("-o", "--output", metavar="FILE", help="write here (default: stdout)")
    add_force_option(parser)
    add_release_options(parser, "school officials (internal report)", "internal report")
    database_option(parser)
    parser.set_defaults(handler=_report)


def add_release_options(parser: argparse.ArgumentParser, recipient: str, purpose: str) -> None:
    """--recipient/--purpose/--basis: what the disclosure log records for each student a
    written list names."""
    parser.add_argument(
        "--recipient",
        default=recipient,
        help=f"who the list goes to, for the disclosure log (default: {recipient})",
    )
    parser.add_argument(
        "--purpose", default=purpose, help=f"why it is released (default: {purpose})"
    )
    parser.add_argument(
        "--basis",
        default="school_official",
        help="the legal basis: school_official (default), directory, court_order, "
        "financial_aid, other_school, health_safety, student_request",
    )


def release_of(args: argparse.Namespace) -> BulkRelease:
    """The release the flags describe (checked by the service before anything is written)."""
    from recordsdesk.services.disclosure.log import BulkRelease

    return BulkRelease(recipient=args.recipient, purpose=args.purpose, basis=args.basis)


def _list() -> int:
    from recordsdesk.services.reports import REPORTS

    for spec in REPORTS:
        filters = [
            f for f, on in (("--term", spec.takes_term), ("--program", spec.takes_program)) if on
        ]
        default = f"; no --term: {spec.term_default}" if spec.term_default else ""
        print(f"{spec.name:<20} {spec.title}")
        print(f"{'':<20} {spec.summary}")
        print(f"{'':<20} filters: {', '.join(filters) or 'none'}{default}")
    return 0


def _report(args: argparse.Namespace) -> int:
    from recordsdesk.services.disclosure.log import check_bulk_release
    from recordsdesk.services.reports import (
        export_csv,
        record_export,
        run_report,
        to_csv,
        to_text,
    )

    if args.list:
        return _list()
    if not args.name:
        raise ValidationFailed("NAME", "name a report, or use --list to see them.")
    target = output_target(args)
    engine = open_database(resolve_database_url(getattr(args, "database", None)))
    try:
        with session_scope(engine) as session:
            actor = cli_actor(session, args)
            table = run_report(
                session,
                actor=actor,
                name=args.name,
                term_code=args.term,
                program_code=args.program,
                directory_only=args.directory,
            )
            if args.format == "csv" and target is not None:
                path = export_csv(
                    session,
                    actor=actor,
                    table=table,
                    path=target,
                    overwrite=args.force,
                    create_folders=False,
                    field="--output",
                    release=release_of(args),
                )
                print(
                    f"Wrote {len(table.rows)} rows of {printable(table.title)} to {path}",
                    file=sys.stderr,
                )
                return 0
            content = to_csv(table) if args.format == "csv" else to_text(table)
            if target is not None:
                check_bulk_release(release_of(args))
                write_private(
                    target,
                    content.encode("utf-8"),
                    overwrite=args.force,
                    create_folders=False,
                    field="--output",
                )
                try:
                    record_export(
                        session,
                        actor=actor,
                        table=table,
                        destination=str(target),
                        release=release_of(args),
                    )
                except ValidationFailed:
                    target.unlink(missing_ok=True)
                    raise
            elif args.format == "csv":
                record_export(
                    session,
                    actor=actor,
                    table=table,
                    destination="standard output",
                    release=release_of(args),
                )
    finally:
        engine.dispose()
    if target is not None:
        print(f"Wrote {printable(table.title)} to {target}", file=sys.stderr)
    else:
        # CSV piped to a file keeps every value; on a terminal nothing stored is obeyed.
        sys.stdout.write(printable(content, keep_newlines=True) if sys.stdout.isatty() else content)
        sys.stdout.flush()
    return 0
