"""`recordsdesk transcript STUDENT_NUMBER`: release a copy to a file or standard output.

Every copy is logged as a transcript request like one released at the desk, released by the
staff member the command signed in as (commands.signin).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from recordsdesk.commands import DatabaseOption
from recordsdesk.commands.signin import cli_actor
from recordsdesk.config import resolve_database_url
from recordsdesk.db import open_database, session_scope
from recordsdesk.services.errors import ValidationFailed

if TYPE_CHECKING:
    pass


CLI_FORMATS = ("text", "json", "pdf", "html")


def register(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], database_option: DatabaseOption
) -> None:
    parser = commands.add_parser(
        "transcript", help="release a transcript (text, json, pdf or html); every copy is logged"
    )
    parser.add_argument("student_number", metavar="STUDENT_NUMBER")
    parser.add_argument("--format", choices=CLI_FORMATS, default="text")
    parser.add_argument("-o", "--output", metavar="FILE", help="write here (default: stdout)")
    parser.add_argument("--official", action="store_true", help="an official copy (registrar)")
    parser.add_argument("--recipient", default="", help="who the copy is released to")
    parser.add_argument("--weighted", action="store_true", help="print the weighted GPA")
    database_option(parser)
    parser.set_defaults(handler=_transcript)


def _transcript(args: argparse.Namespace) -> int:
    from recordsdesk.services.transcript_release import release_transcript

    if args.format == "pdf" and not args.output and sys.stdout.isatty():
        raise ValidationFailed("--output", "a PDF goes to a file: add -o FILE.")
    engine = open_database(resolve_database_url(getattr(args, "database", None)))
    try:
        with session_scope(engine) as session:
            copy = release_transcript(
                session,
                actor=cli_actor(session, args),
                student_number=args.student_number,
                fmt=args.format,
                official=args.official,
                recipient=args.recipient,
                weighted=args.weighted,
            )
            if args.output:
                Path(args.output).write_bytes(copy.content)
            else:
                sys.stdout.buffer.write(copy.content)
                sys.stdout.flush()
    finally:
        engine.dispose()
    if args.output:
        kind = "official" if copy.official else "unofficial"
        print(
            f"{kind} transcript of {args.student_number} written to {args.output} "
            f"(verification {copy.verification_code})",
            file=sys.stderr,
        )
    return 0
