"""`recordsdesk export oneroster DIR [--include-confidential]`: the records as a OneRoster set.

Personal data leaves the office here, so it takes the admin role, leaves confidential students
out unless asked, and is audited (who, where, how many).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from recordsdesk.commands import DatabaseOption
from recordsdesk.commands.report import add_release_options, release_of
from recordsdesk.commands.signin import cli_actor
from recordsdesk.config import resolve_database_url
from recordsdesk.db import open_database, session_scope


def register(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], database_option: DatabaseOption
) -> None:
    parser = commands.add_parser("export", help="export records (admin): a OneRoster CSV set")
    kinds = parser.add_subparsers(dest="export_kind", metavar="KIND", required=True)
    oneroster = kinds.add_parser("oneroster", help="a OneRoster 1.1 CSV bulk set in a new folder")
    oneroster.add_argument("folder", type=Path, metavar="DIR", help="a new or empty folder")
    oneroster.add_argument(
        "--include-confidential",
        action="store_true",
        help="include students with a directory opt-out (left out by default; audited)",
    )
    add_release_options(oneroster, "learning platform (OneRoster)", "class rosters")
    database_option(oneroster)
    oneroster.set_defaults(handler=_export_oneroster)


def _export_oneroster(args: argparse.Namespace) -> int:
    from recordsdesk.services.interchange.exports.oneroster import export_oneroster

    engine = open_database(resolve_database_url(getattr(args, "database", None)))
    try:
        with session_scope(engine) as session:
            actor = cli_actor(session, args)
            result = export_oneroster(
                session,
                actor=actor,
                folder=args.folder,
                include_confidential=args.include_confidential,
                release=release_of(args),
            )
    finally:
        engine.dispose()
    print(result.summary())
    return 0
