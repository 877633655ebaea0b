"""`recordsdesk transcript STUDENT_NUMBER`: release a copy to a file or standard output.

Every copy is logged as a transcript request like one released at the desk, released by the
staff member the command signed in as (commands.signin).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

from recordsdesk.commands import DatabaseOption
from recordsdesk.commands.signin import cli_actor
from recordsdesk.config import resolve_database_url
from recordsdesk.db import open_database, session_scope
from recordsdesk.services.shared.errors import ValidationFailed
from recordsdesk.services.shared.private_files import check_target, write_private

if TYPE_CHECKING:
    from sqlmodel import Session

    from recordsdesk.services.access.acting import Actor

CLI_FORMATS = ("text", "json", "pdf", "html", "pesc")


class ReleasedCopy(Protocol):
    @property
    def content(self) -> bytes: ...


CopyT = TypeVar("CopyT", bound=ReleasedCopy)


def add_force_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--force", action="store_true", help="replace the output file when it exists already"
    )


def output_target(args: argparse.Namespace) -> Path | None:
    """The `-o` file checked before any work is done (no copy is logged for a file that
    cannot be written): not a folder, in a folder that exists, not an existing file unless
    `--force`. Each refusal is one ValidationFailed line."""
    if not getattr(args, "output", None):
        return None
    target = check_target(Path(args.output), overwrite=args.force, field="--output")
    if not target.parent.is_dir():
        raise ValidationFailed("--output", f"the folder {target.parent} does not exist.")
    return target


def consent_number(text: str | None) -> int | None:
    """`--consent`'s number, as the consents screen lists it (None when not given)."""
    if text is None:
        return None
    if not text.strip().isdigit():
        raise ValidationFailed("--consent", f"{text!r} is not a consent number.")
    return int(text)


def release_to_output(
    args: argparse.Namespace, release: Callable[[Session, Actor, int | None], CopyT]
) -> CopyT:
    """Release one logged copy (`release(session, actor, consent_id)`) as the signed-in staff
    member and write it to `-o FILE` or standard output. The file is written inside the
    transaction: a file that cannot be written logs no copy."""
    if args.format == "pdf" and not args.output and sys.stdout.isatty():
        raise ValidationFailed("--output", "a PDF goes to a file: add -o FILE.")
    consent_id = consent_number(args.consent)
    target = output_target(args)
    engine = open_database(resolve_database_url(getattr(args, "database", None)))
    try:
        with session_scope(engine) as session:
            copy = release(session, cli_actor(session, args), consent_id)
            if target is not None:
                write_private(
                    target,
                    copy.content,
                    overwrite=args.force,
                    create_folders=False,
                    field="--output",
                )
            else:
                sys.stdout.buffer.write(copy.content)
                sys.stdout.flush()
    finally:
        engine.dispose()
    return copy


def register(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], database_option: DatabaseOption
) -> None:
    parser = commands.add_parser(
        "transcript",
        help="release a transcript (text, json, pdf, html or pesc xml); every copy is logged",
    )
    parser.add_argument("student_number", metavar="STUDENT_NUMBER")
    parser.add_argument("--format", choices=CLI_FORMATS, default="text")
    parser.add_argument("-o", "--output", metavar="FILE", help="write here (default: stdout)")
    add_force_option(parser)
    parser.add_argument("--official", action="store_true", help="an official copy (registrar)")
    parser.add_argument("--recipient", default="", help="who the copy is released to")
    parser.add_argument("--weighted", action="store_true", help="print the weighted GPA")
    parser.add_argument("--purpose", default="", help="why it is released (disclosure log)")
    parser.add_argument(
        "--basis",
        default=None,
        help="the legal basis (student_request, consent, directory, school_official, "
        "other_school, financial_aid, court_order, health_safety); default: consent when "
        "--consent is given, else the student's own request",
    )
    parser.add_argument(
        "--consent", default=None, metavar="ID", help="the release consent relied on (its number)"
    )
    database_option(parser)
    parser.set_defaults(handler=_transcript)


def _transcript(args: argparse.Namespace) -> int:
    from recordsdesk.services.transcripts.release import release_transcript

    copy = release_to_output(
        args,
        lambda session, actor, consent_id: release_transcript(
            session,
            actor=actor,
            student_number=args.student_number,
            fmt=args.format,
            official=args.official,
            recipient=args.recipient,
            weighted=args.weighted,
            purpose=args.purpose,
            basis=args.basis,
            consent_id=consent_id,
        ),
    )
    if args.output:
        kind = "official" if copy.official else "unofficial"
        print(
            f"{kind} transcript of {args.student_number} written to {args.output} "
            f"(verification {copy.verification_code})",
            file=sys.stderr,
        )
    return 0
