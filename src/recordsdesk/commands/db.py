"""`recordsdesk db upgrade|current`: schema maintenance."""

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
