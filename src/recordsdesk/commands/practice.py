"""`recordsdesk practice`: open the desk on a trainee's practice institution, or print a
trainee's results for the supervisor (`--report NAME`)."""

from __future__ import annotations

import argparse

from recordsdesk.commands import DatabaseOption

PRACTICE_DESK_USER = "registrar"


def register(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], database_option: DatabaseOption
) -> None:
    practice = commands.add_parser(
        "practice",
        help="open a practice desk with exercises that check themselves",
        description="Build (or reopen) a trainee's practice desk: a demo institution of its "
        "own in the data directory's practice folder, never the real database. Every screen "
        "shows PRACTICE; F12 opens the exercises.",
    )
    database_option(practice, help_text="build into this database instead of the trainee's file")
    practice.add_argument(
        "--trainee", metavar="NAME", default=None, help="whose desk (default: trainee)"
    )
    practice.add_argument(
        "--report", metavar="NAME", default=None, help="print NAME's results and exit"
    )
    practice.add_argument(
        "--rebuild", action="store_true", help="start afresh: a new desk, no results kept"
    )
    practice.add_argument("--no-open", action="store_true", help="build only; do not open it")
    practice.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from recordsdesk.cli import open_desk
    from recordsdesk.config import resolve_database_url
    from recordsdesk.services.practice.desk import (
        DEFAULT_TRAINEE,
        build_practice_database,
        practice_database_url,
    )
    from recordsdesk.services.shared.clean_text import printable

    explicit = getattr(args, "database", None)
    if args.report is not None:
        return _report(args.report, resolve_database_url(explicit) if explicit else None)
    trainee = args.trainee or DEFAULT_TRAINEE
    url = resolve_database_url(explicit) if explicit else practice_database_url(trainee)
    desk = build_practice_database(
        trainee, rebuild=args.rebuild, url=url, progress=lambda line: print(line, flush=True)
    )
    print(f"Practice desk of {printable(trainee)}: {'reopened' if desk.reused else 'built'}.")
    print(f"Sign in as {PRACTICE_DESK_USER} (password demo-{PRACTICE_DESK_USER}); F12 opens "
          "the exercises.")  # fmt: skip
    if args.no_open:
        return 0
    named = getattr(args, "user", None)
    return open_desk(url, named or PRACTICE_DESK_USER, named=named is not None)


def _report(trainee: str, url: str | None) -> int:
    import sys
    from pathlib import Path

    from recordsdesk.db import open_database, session_scope
    from recordsdesk.services.practice.desk import practice_database_url
    from recordsdesk.services.practice.progress import practice_report
    from recordsdesk.services.shared.clean_text import printable
    from recordsdesk.services.shared.errors import RecordsError

    url = url or practice_database_url(trainee)
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        raise RecordsError(f"{trainee} has no practice desk yet (recordsdesk practice --trainee).")
    engine = open_database(url)
    try:
        with session_scope(engine) as session:
            text = practice_report(session, trainee)
    finally:
        engine.dispose()
    sys.stdout.write(printable(text, keep_newlines=True))
    return 0
