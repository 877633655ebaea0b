"""`recordsdesk settings show|set KEY VALUE`: the GPA policies and the default grading scale."""

from __future__ import annotations

import argparse
import json

from recordsdesk.commands import DatabaseOption
from recordsdesk.commands.signin import cli_actor
from recordsdesk.config import resolve_database_url
from recordsdesk.db import open_database, session_scope


def register(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], database_option: DatabaseOption
) -> None:
    parser = commands.add_parser("settings", help="show or change the office's GPA policies")
    actions = parser.add_subparsers(dest="settings_command", metavar="ACTION", required=True)
    show = actions.add_parser("show", help="list every setting")
    show.add_argument("--json", action="store_true", help="as a JSON object")
    database_option(show)
    show.set_defaults(handler=_show)
    change = actions.add_parser(
        "set",
        help="change one setting (admin)",
        # Not listed here (that imports the services; help must answer at once).
        description="Change one setting: `recordsdesk settings show` lists them and their values.",
    )
    change.add_argument("key", metavar="KEY")  # set_setting names the settings for a wrong one
    change.add_argument("value", metavar="VALUE")
    database_option(change)
    change.set_defaults(handler=_set)


def _print(values: dict[str, str], as_json: bool) -> None:
    if as_json:
        print(json.dumps(values, indent=2))
        return
    width = max(len(k) for k in values)
    for key, value in values.items():
        print(f"{key:<{width}}  {value}")


def _show(args: argparse.Namespace) -> int:
    from recordsdesk.services.institution.settings import show_settings

    engine = open_database(resolve_database_url(getattr(args, "database", None)))
    try:
        with session_scope(engine) as session:
            values = show_settings(session, actor=cli_actor(session, args))
    finally:
        engine.dispose()
    _print(values, args.json)
    return 0


def _set(args: argparse.Namespace) -> int:
    from recordsdesk.services.institution.settings import set_setting

    engine = open_database(resolve_database_url(getattr(args, "database", None)))
    try:
        with session_scope(engine) as session:
            values = set_setting(
                session, actor=cli_actor(session, args), key=args.key, value=args.value
            )
    finally:
        engine.dispose()
    _print(values, False)
    return 0
