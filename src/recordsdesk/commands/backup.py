"""`recordsdesk backup FILE` and `recordsdesk restore FILE`."""

from __future__ import annotations

import argparse
from pathlib import Path

from recordsdesk.commands import DatabaseOption
from recordsdesk.config import resolve_database_url
from recordsdesk.db import safe_url
from recordsdesk.services.shared.errors import ValidationFailed
from recordsdesk.services.shared.private_files import check_target


def register(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], database_option: DatabaseOption
) -> None:
    backup = commands.add_parser(
        "backup", help="copy the database to FILE (SQLite backup API, or pg_dump)"
    )
    backup.add_argument("file", type=Path, metavar="FILE")
    backup.add_argument("--force", action="store_true", help="replace FILE when it exists already")
    database_option(backup)
    backup.set_defaults(handler=_backup)

    restore = commands.add_parser(
        "restore",
        help="replace the database with FILE after checking it; the current one is kept aside",
    )
    restore.add_argument("file", type=Path, metavar="FILE")
    database_option(restore)
    restore.set_defaults(handler=_restore)


def _backup(args: argparse.Namespace) -> int:
    from recordsdesk.db import open_database
    from recordsdesk.services.audit.anchor import write_anchor
    from recordsdesk.services.upkeep.backup import backup_database

    url = resolve_database_url(getattr(args, "database", None))
    target = check_target(args.file, overwrite=args.force, field="FILE")
    try:
        written = backup_database(url, target)
    except OSError as exc:
        reason = (exc.strerror or str(exc)).lower()
        raise ValidationFailed("FILE", f"cannot write {target}: {reason}.") from exc
    engine = open_database(url, migrate=False)
    try:
        write_anchor(engine, f"backup {written.name}")
    finally:
        engine.dispose()
    print(f"backed up {safe_url(url)} to {written}")
    return 0


def _restore(args: argparse.Namespace) -> int:
    from recordsdesk.services.upkeep.restore import restore_database

    url = resolve_database_url(getattr(args, "database", None))
    result = restore_database(url, args.file)
    print(f"restored {safe_url(url)} from {args.file} (schema {result.revision})")
    print(f"the previous database is kept at {result.kept_aside}")
    return 0
