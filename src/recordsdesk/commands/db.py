"""`recordsdesk db upgrade|current|grants|optimize`: schema maintenance, the PostgreSQL grants a
desk's own login role needs (docs/security.md), and keeping a big database quick."""

from __future__ import annotations

import argparse

from recordsdesk.commands import DatabaseOption
from recordsdesk.config import resolve_database_url
from recordsdesk.db import current_revision, head_revision, open_database


def register(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], database_option: DatabaseOption
) -> None:
    db = commands.add_parser("db", help="database maintenance")
    actions = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    upgrade = actions.add_parser("upgrade", help="upgrade the schema to the newest version")
    database_option(upgrade)
    upgrade.set_defaults(handler=_upgrade)
    current = actions.add_parser("current", help="show the schema version")
    database_option(current)
    current.set_defaults(handler=_current)
    grants = actions.add_parser(
        "grants", help="print the SQL giving a desk's PostgreSQL role only what the desk needs"
    )
    grants.add_argument(
        "--role", default="recordsdesk_desk", metavar="NAME", help="default recordsdesk_desk"
    )
    grants.add_argument("--schema", default="public", metavar="NAME", help="default public")
    database_option(grants)
    grants.set_defaults(handler=_grants)
    optimize = actions.add_parser(
        "optimize",
        help="merge the lookup's name index, refresh the planner's statistics, VACUUM if useful",
    )
    optimize.add_argument(
        "--cheap",
        action="store_true",
        help="only what the desk runs by itself: short steps that never keep other desks waiting",
    )
    optimize.add_argument(
        "--vacuum", action="store_true", help="SQLite: VACUUM even when little space is free"
    )
    optimize.add_argument(
        "--analyze",
        action="store_true",
        help="SQLite: make the planner's statistics even where there are none (some reports "
        "get slower with them)",
    )
    database_option(optimize)
    optimize.set_defaults(handler=_optimize)


def _upgrade(args: argparse.Namespace) -> int:
    engine = open_database(resolve_database_url(getattr(args, "database", None)))
    print(f"schema at {current_revision(engine)} (newest: {head_revision()})")
    return 0


def _current(args: argparse.Namespace) -> int:
    engine = open_database(resolve_database_url(getattr(args, "database", None)), migrate=False)
    revision = current_revision(engine)
    state = "up to date" if revision == head_revision() else f"newest is {head_revision()}"
    print(f"schema at {revision or 'none (empty database)'}; {state}")
    return 0


def _grants(args: argparse.Namespace) -> int:
    """Print the grants; it connects to nothing (the owner runs the SQL, e.g. with psql)."""
    from sqlalchemy.engine import make_url

    from recordsdesk.db import is_sqlite
    from recordsdesk.services.shared.errors import ValidationFailed
    from recordsdesk.services.upkeep.grants import desk_grants_sql

    url = resolve_database_url(getattr(args, "database", None))
    if is_sqlite(url):
        raise ValidationFailed(
            "--database",
            "SQLite has no roles: whoever can write the file can change anything, so keep it "
            "0600 and owned by the desk's account (docs/security.md). Give a PostgreSQL URL.",
        )
    print(desk_grants_sql(make_url(url).database or "", args.role, args.schema), end="")
    return 0


def _optimize(args: argparse.Namespace) -> int:
    from recordsdesk.db import safe_url
    from recordsdesk.services.upkeep.optimize import optimize_database

    url = resolve_database_url(getattr(args, "database", None))
    engine = open_database(url)
    try:
        report = optimize_database(
            engine, cheap=args.cheap, vacuum=args.vacuum, analyze=args.analyze
        )
    finally:
        engine.dispose()
    print(f"optimized {safe_url(url)}")
    for line in report.lines():
        print(f"  {line}")
    return 0
