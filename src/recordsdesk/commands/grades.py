"""`recordsdesk grades import SECTION FILE.csv [--dry-run]`: an instructor's marks from a CSV.

The preview (every change, every bad line with its number) is printed first; without
`--dry-run` the marks are then applied in one transaction, or not at all if any line is wrong
or any row was changed at another desk after the preview read it (each such conflict is
printed: the student, their mark, the file's).
SECTION is a section id or TERM/COURSE/SECTION (e.g. 2026SP/BIO101/01).
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
from recordsdesk.services.shared.clean_text import printable
from recordsdesk.services.shared.errors import NotFound, ValidationFailed

if TYPE_CHECKING:
    from sqlmodel import Session

    from recordsdesk.services.grades.marks_import import ImportPreview

EXIT_REFUSED = 1


def register(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], database_option: DatabaseOption
) -> None:
    grades = commands.add_parser("grades", help="grade entry from files")
    actions = grades.add_subparsers(dest="grades_command", metavar="ACTION", required=True)
    imp = actions.add_parser(
        "import",
        help="import a section's marks from a CSV (student number, mark[, incomplete expiry])",
    )
    imp.add_argument("section", metavar="SECTION", help="section id or TERM/COURSE/SECTION")
    imp.add_argument("file", type=Path, metavar="FILE.csv")
    imp.add_argument("--dry-run", action="store_true", help="preview only; change nothing")
    database_option(imp)
    imp.set_defaults(handler=_import)


def resolve_section(session: Session, spec: str) -> int:
    """A section id from `42` or `2026SP/BIO101/01`; NotFound naming the spec."""
    from sqlmodel import col, select

    from recordsdesk.models import Course, Section, Term

    if spec.isdigit():
        found = session.get(Section, int(spec))
        if found is None or found.id is None:
            raise NotFound(f"There is no section with id {spec}.")
        return found.id
    parts = spec.split("/")
    if len(parts) != 3:
        raise ValidationFailed("SECTION", f"{spec!r} is not an id or TERM/COURSE/SECTION.")
    term, course, code = parts
    section_id = session.exec(
        select(Section.id)
        .join(Term, col(Term.id) == col(Section.term_id))
        .join(Course, col(Course.id) == col(Section.course_id))
        .where(Term.code == term, Course.code == course, Section.section_code == code)
    ).first()
    if section_id is None:
        raise NotFound(f"There is no section {spec}.")
    return section_id


def _print_preview(preview: ImportPreview) -> None:
    for change in preview.changes:
        expiry = f" (expires {change.incomplete_expires})" if change.incomplete_expires else ""
        print(
            f"line {change.line}: {printable(change.student_number)} {printable(change.name)}: "
            f"{change.old_mark or '-'} -> {change.new_mark}{expiry}"
        )
    for problem in preview.problems:
        print(f"ERROR {printable(str(problem))}", file=sys.stderr)
    print(
        f"{len(preview.changes)} changes, {len(preview.problems)} lines with errors, "
        f"{preview.unchanged} unchanged."
    )


def _import(args: argparse.Namespace) -> int:
    from recordsdesk.services.grades.marks_import import (
        ImportConflicts,
        apply_import,
        preview_import,
    )

    try:
        text = args.file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationFailed("FILE", f"cannot read {args.file}: {exc}") from None
    engine = open_database(resolve_database_url(getattr(args, "database", None)))
    try:
        with session_scope(engine) as session:
            actor = cli_actor(session, args)
            section_id = resolve_section(session, args.section)
            preview = preview_import(session, actor=actor, section_id=section_id, text=text)
        _print_preview(preview)
        if not preview.ok:
            print("Nothing was imported: fix the lines above.", file=sys.stderr)
            return EXIT_REFUSED
        if args.dry_run:
            print("Dry run: nothing was changed.")
            return 0
        try:
            with session_scope(engine) as session:
                actor = cli_actor(session, args)
                applied = apply_import(
                    session, actor=actor, section_id=section_id, text=text, previewed=preview
                )
        except ImportConflicts as conflicts:
            for conflict in conflicts.conflicts:
                print(
                    f"CONFLICT line {conflict.line}: {conflict.student_number} {conflict.name}: "
                    f"theirs {conflict.theirs or '-'} (was {conflict.previewed or '-'}), "
                    f"yours {conflict.yours or '-'}",
                    file=sys.stderr,
                )
            print(
                f"Nothing was imported: {len(conflicts.conflicts)} marks changed at another "
                "desk since the preview; run the import again to see them as they are now.",
                file=sys.stderr,
            )
            return EXIT_REFUSED
        print(f"Imported {len(applied.changes)} marks.")
    finally:
        engine.dispose()
    return 0
