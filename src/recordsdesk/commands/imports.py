"""`recordsdesk import students|history|oneroster PATH [--dry-run]`, `import pesc FILE...`.

Each PESC file is a transaction of its own: a refused file names itself and the others still
import. The whole file is checked first; every problem is printed with its file, line and column and
nothing is written. A dry run prints what would change (counts per kind of record and the first
changes) and changes nothing. The progress bar goes to stderr, and only to a terminal.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from recordsdesk.commands import DatabaseOption
from recordsdesk.commands.signin import cli_actor
from recordsdesk.config import resolve_database_url
from recordsdesk.db import open_database, session_scope
from recordsdesk.services.shared.clean_text import printable

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from recordsdesk.services.access.actor import Actor
    from recordsdesk.services.interchange.imports.common import ImportFailed, ImportReport
    from recordsdesk.services.interchange.imports.common import Progress as ProgressCallback


EXIT_REFUSED = 1
HELP = {
    "students": "new and changed students from a CSV keyed by student_number",
    "history": "legacy academic history: one CSV row per course taken",
    "oneroster": "a OneRoster 1.1 CSV set (the folder holding manifest.csv)",
    "pesc": "PESC College or High School Transcript XML files (received coursework)",
}
# What each kind's path names (services.interchange.imports.runner.KINDS says the same; it is
# not imported to build the parser: tests/test_startup.py checks they agree).
PATH_NAMES = {
    "students": "FILE.csv",
    "history": "FILE.csv",
    "oneroster": "FOLDER",
    "pesc": "FILE.xml",
}


def register(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], database_option: DatabaseOption
) -> None:
    parser = commands.add_parser("import", help="import students, history or a OneRoster set")
    kinds = parser.add_subparsers(dest="import_kind", metavar="KIND", required=True)
    for kind, help_text in HELP.items():
        sub = kinds.add_parser(kind, help=help_text)
        if kind == "pesc":
            sub.add_argument("paths", type=Path, metavar=PATH_NAMES[kind], nargs="+")
        else:
            sub.add_argument("path", type=Path, metavar=PATH_NAMES[kind])
        sub.add_argument(
            "--dry-run", action="store_true", help="show what would change; write nothing"
        )
        database_option(sub)
        sub.set_defaults(handler=_import, kind=kind)


@contextmanager
def progress_bar(enabled: bool) -> Iterator[ProgressCallback]:
    """A rich progress bar on stderr fed by the import's callback (a no-op when not a TTY)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    if not enabled:
        yield lambda _stage, _done, _total: None
        return
    columns = (
        TextColumn("{task.description:<24}"),
        BarColumn(),
        MofNCompleteColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("starting", total=1)

        def update(stage: str, done: int, total: int) -> None:
            bar.update(task, description=stage, completed=done, total=max(total, 1))

        yield update


def print_report(report: ImportReport) -> None:
    for change in report.changes:
        print(f"  {printable(change)}")
    hidden = report.total_changes - len(report.changes)
    if hidden > 0:
        print(f"  ... and {hidden} more changes")
    for warning in report.warnings:
        print(f"warning: {printable(warning)}", file=sys.stderr)
    print(printable(report.summary()))


def _import(args: argparse.Namespace) -> int:
    engine = open_database(resolve_database_url(getattr(args, "database", None)))
    try:
        with session_scope(engine) as session:
            actor = cli_actor(session, args)
        paths: list[Path] = getattr(args, "paths", None) or [args.path]
        refused = 0
        for path in paths:
            refused += _import_one(engine, actor, args, path)
    finally:
        engine.dispose()
    if args.dry_run:
        print("Dry run: nothing was changed.")
    return EXIT_REFUSED if refused else 0


def _import_one(engine: Engine, actor: Actor, args: argparse.Namespace, path: Path) -> int:
    """Import one file in its own transaction; 1 when it was refused (its problems printed)."""
    from recordsdesk.services.interchange.imports.common import ImportFailed
    from recordsdesk.services.interchange.imports.runner import run_import

    failed: ImportFailed | None = None
    with progress_bar(sys.stderr.isatty()) as progress:
        try:
            report = run_import(
                engine,
                actor=actor,
                kind=args.kind,
                path=path,
                dry_run=args.dry_run,
                progress=progress,
            )
        except ImportFailed as refused:
            failed = refused
    if failed is not None:  # printed once the progress bar has left the terminal
        for problem in failed.problems:
            print(f"ERROR {printable(str(problem))}", file=sys.stderr)
        count = len(failed.problems)
        noun = "problem" if count == 1 else "problems"
        print(f"Nothing was imported from {printable(path.name)}: {count} {noun}.", file=sys.stderr)
        return 1
    print_report(report)
    return 0
