"""`recordsdesk catalog course-bases CODE BASES [--default BASIS]`, `recordsdesk catalog
basis-deadline TERM DATE|none` and `recordsdesk catalog program-length CODE TERMS|none`: the
grading bases a course allows, when a term's choice closes, and a program's normal length
(administrators)."""

from __future__ import annotations

import argparse
from datetime import date

from recordsdesk.commands import DatabaseOption
from recordsdesk.commands.signin import cli_actor
from recordsdesk.config import resolve_database_url
from recordsdesk.db import open_database, session_scope


def register(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], database_option: DatabaseOption
) -> None:
    parser = commands.add_parser(
        "catalog", help="grading bases of courses and terms, program lengths (admin)"
    )
    actions = parser.add_subparsers(dest="catalog_command", metavar="ACTION", required=True)
    bases = actions.add_parser(
        "course-bases",
        help="the grading bases a course allows",
        description=(
            "BASES is a comma-separated list of graded, pass_no_pass (P/NP), satisfactory "
            "(S/U), credit (CR/NC) and audit (AU); registration gives --default, else the first."
        ),
    )
    bases.add_argument("course", metavar="CODE")
    bases.add_argument("bases", metavar="BASES")
    bases.add_argument("--default", metavar="BASIS", help="the basis registration gives")
    database_option(bases)
    bases.set_defaults(handler=_course_bases)
    deadline = actions.add_parser(
        "basis-deadline",
        help="the last day of a term a student may change a grading basis",
        description="DATE is YYYY-MM-DD, or `none` (the choice then closes at the term's end).",
    )
    deadline.add_argument("term", metavar="TERM")
    deadline.add_argument("date", metavar="DATE")
    database_option(deadline)
    deadline.set_defaults(handler=_basis_deadline)
    length = actions.add_parser(
        "program-length",
        help="a program's normal length in regular terms (letters state expected graduation)",
        description="TERMS is how many regular terms (summers not counted) a full-time student "
        "takes to finish, e.g. 8 for a four-year bachelor's, or `none`.",
    )
    length.add_argument("program", metavar="CODE")
    length.add_argument("terms", metavar="TERMS")
    database_option(length)
    length.set_defaults(handler=_program_length)


def _program_length(args: argparse.Namespace) -> int:
    from recordsdesk.services.catalog.programs import set_program_length
    from recordsdesk.services.shared.errors import ValidationFailed

    text = args.terms.strip().lower()
    if text != "none" and not text.isdigit():
        raise ValidationFailed("TERMS", f"{args.terms!r} is not a number of terms or none.")
    engine = open_database(resolve_database_url(getattr(args, "database", None)))
    try:
        with session_scope(engine) as session:
            program = set_program_length(
                session,
                actor=cli_actor(session, args),
                program_code=args.program,
                terms=None if text == "none" else int(text),
            )
            code, terms = program.code, program.normal_terms
    finally:
        engine.dispose()
    print(f"{code}: {f'{terms} regular terms' if terms else 'no normal length (class year)'}")
    return 0


def _course_bases(args: argparse.Namespace) -> int:
    from recordsdesk.services.grades.basis import label
    from recordsdesk.services.registration.basis import set_course_bases

    engine = open_database(resolve_database_url(getattr(args, "database", None)))
    try:
        with session_scope(engine) as session:
            allowed = set_course_bases(
                session,
                actor=cli_actor(session, args),
                course_code=args.course,
                bases_text=args.bases,
                default=args.default,
            )
    finally:
        engine.dispose()
    print(f"{args.course}: {', '.join(label(b) for b in allowed)}")
    return 0


def _basis_deadline(args: argparse.Namespace) -> int:
    from recordsdesk.services.registration.basis import set_basis_deadline
    from recordsdesk.services.shared.errors import ValidationFailed

    text = args.date.strip()
    try:
        day = None if text.lower() == "none" else date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed("date", f"{text!r} is not a date (YYYY-MM-DD) or none.") from None
    engine = open_database(resolve_database_url(getattr(args, "database", None)))
    try:
        with session_scope(engine) as session:
            set_basis_deadline(
                session, actor=cli_actor(session, args), term_code=args.term, deadline=day
            )
    finally:
        engine.dispose()
    print(f"{args.term}: grading basis by {day.isoformat() if day else 'the end of the term'}")
    return 0
