"""`recordsdesk disclosures NUMBER`: a student's disclosure log; `recordsdesk verification
NUMBER`: an enrollment verification letter; `recordsdesk verify CODE`: "is this document
genuine?".

Both act as the staff member the command signed in as (commands.signin); a lookup by code is
audited like one made at the desk. Stored text printed to a terminal is made printable first.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from recordsdesk.commands import DatabaseOption
from recordsdesk.commands.signin import cli_actor
from recordsdesk.commands.transcript import add_force_option, output_target, release_to_output
from recordsdesk.config import resolve_database_url
from recordsdesk.db import open_database, session_scope
from recordsdesk.services.shared.errors import ValidationFailed
from recordsdesk.services.shared.private_files import write_private


def register(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], database_option: DatabaseOption
) -> None:
    log = commands.add_parser(
        "disclosures", help="a student's disclosure log: every release of the record"
    )
    log.add_argument("student_number", metavar="NUMBER")
    log.add_argument("--format", choices=("text", "csv"), default="text")
    log.add_argument("-o", "--output", metavar="FILE", help="write here (default: stdout)")
    add_force_option(log)
    database_option(log)
    log.set_defaults(handler=_disclosures)

    letter = commands.add_parser(
        "verification",
        help="an enrollment verification letter (text, json, pdf or html); every copy is logged",
    )
    letter.add_argument("student_number", metavar="NUMBER")
    letter.add_argument(
        "--term",
        action="append",
        default=[],
        metavar="CODE",
        help="a term to certify (repeat for several; default: the term under way)",
    )
    letter.add_argument("--format", choices=("text", "json", "pdf", "html"), default="text")
    letter.add_argument("-o", "--output", metavar="FILE", help="write here (default: stdout)")
    add_force_option(letter)
    letter.add_argument(
        "--recipient", default="", help="who the letter is for (blank: the student)"
    )
    letter.add_argument("--purpose", default="", help="why it is released (disclosure log)")
    letter.add_argument("--basis", default=None, help="the legal basis (as for transcripts)")
    letter.add_argument("--consent", default=None, metavar="ID", help="the consent relied on")
    database_option(letter)
    letter.set_defaults(handler=_verification)

    verify = commands.add_parser(
        "verify", help="is this document genuine? look up the code printed on a copy"
    )
    verify.add_argument("code", metavar="CODE")
    verify.add_argument(
        "--file", metavar="FILE", help="the copy presented: say whether it is the one released"
    )
    database_option(verify)
    verify.set_defaults(handler=_verify)


def _disclosures(args: argparse.Namespace) -> int:
    from recordsdesk.services.disclosure.log import (
        disclosures_csv,
        disclosures_text,
        list_disclosures,
        on_practice_desk,
    )
    from recordsdesk.services.shared.clean_text import printable

    target = output_target(args)
    engine = open_database(resolve_database_url(getattr(args, "database", None)))
    try:
        with session_scope(engine) as session:
            rows = list_disclosures(
                session, actor=cli_actor(session, args), student_number=args.student_number
            )
            practice = on_practice_desk(session)
    finally:
        engine.dispose()
    if args.format == "csv":
        content = disclosures_csv(rows, practice=practice).encode(
            "utf-8-sig" if target else "utf-8"
        )
    else:
        content = disclosures_text(rows, practice=practice).encode("utf-8")
    if target is not None:
        write_private(target, content, overwrite=args.force, create_folders=False, field="--output")
        print(f"{len(rows)} disclosures written to {args.output}", file=sys.stderr)
    else:
        text = content.decode("utf-8")
        sys.stdout.write(printable(text, keep_newlines=True))
        sys.stdout.flush()
    return 0


def _verification(args: argparse.Namespace) -> int:
    from recordsdesk.services.disclosure.letters import release_letter

    copy = release_to_output(
        args,
        lambda session, actor, consent_id: release_letter(
            session,
            actor=actor,
            student_number=args.student_number,
            terms=args.term,
            fmt=args.format,
            recipient=args.recipient,
            purpose=args.purpose,
            basis=args.basis,
            consent_id=consent_id,
        ),
    )
    if args.output:
        print(
            f"enrollment verification of {args.student_number} written to {args.output} "
            f"(verification {copy.verification_code})",
            file=sys.stderr,
        )
    return 0


def _verify(args: argparse.Namespace) -> int:
    """Exit 0 for a genuine document (and, with --file, the very copy released), 1 if not."""
    from recordsdesk.services.disclosure.genuine import answer_lines, check_document
    from recordsdesk.services.shared.clean_text import printable

    content = None
    if args.file:
        try:
            content = Path(args.file).read_bytes()
        except OSError as exc:
            raise ValidationFailed("--file", f"cannot read {args.file}: {exc.strerror}.") from exc
    engine = open_database(resolve_database_url(getattr(args, "database", None)))
    try:
        with session_scope(engine) as session:
            check = check_document(
                session, actor=cli_actor(session, args), code=args.code, content=content
            )
    finally:
        engine.dispose()
    for line in answer_lines(check):
        print(printable(line))
    return 0 if check.genuine and check.matches is not False else 1
