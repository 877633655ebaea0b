"""The `recordsdesk` command: the desk (TUI) by default, sub-commands for the rest.

Every sub-command accepts `--database URL`. Errors the user can act on (a database that cannot be
opened, bad arguments) print one plain line and exit 2; nothing prints a traceback at them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from recordsdesk import __version__
from recordsdesk.config import DATABASE_ENV, demo_database_url, resolve_database_url
from recordsdesk.db import DatabaseUnavailable, current_revision, head_revision, open_database
from recordsdesk.services.errors import RecordsError

EXIT_USAGE = 2


def _database_option(parser: argparse.ArgumentParser, *, help_text: str | None = None) -> None:
    parser.add_argument(
        "--database",
        metavar="URL",
        default=argparse.SUPPRESS,
        help=help_text
        or f"database URL (sqlite:///path.db or postgresql://user@host/db); "
        f"default: ${DATABASE_ENV}, else SQLite in the user data directory",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="recordsdesk",
        description="The desk an academic records office works from.",
    )
    parser.add_argument("--version", action="version", version=f"recordsdesk {__version__}")
    _database_option(parser)
    parser.add_argument("--user", metavar="USERNAME", help="staff account the desk acts as")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    open_cmd = commands.add_parser("open", help="open the desk (the default)")
    _database_option(open_cmd)
    open_cmd.add_argument("--user", metavar="USERNAME", default=argparse.SUPPRESS)

    demo = commands.add_parser(
        "demo",
        help="build a demo institution and open the desk on it",
        description="Build a realistic demo institution in its own database (never your real "
        "one) and open the desk on it.",
    )
    _database_option(
        demo, help_text="build into this database instead of the demo file in the data directory"
    )
    demo.add_argument("--students", type=int, default=2000, metavar="N", help="default 2000")
    demo.add_argument("--seed", type=int, default=2026, metavar="S", help="default 2026")
    demo.add_argument("--no-open", action="store_true", help="build only; do not open the desk")
    demo.add_argument(
        "--rebuild", action="store_true", help="rebuild even when a demo database already exists"
    )

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    upgrade = db_commands.add_parser("upgrade", help="upgrade the schema to the newest version")
    _database_option(upgrade)
    current = db_commands.add_parser("current", help="show the schema version")
    _database_option(current)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "demo":
            return _demo(args)
        if args.command == "db":
            return _db(args)
        return _open_desk(resolve_database_url(getattr(args, "database", None)), args.user)
    except DatabaseUnavailable as exc:
        print(f"recordsdesk: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except RecordsError as exc:
        print(f"recordsdesk: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("recordsdesk: interrupted; nothing half-done was kept.", file=sys.stderr)
        return 130


def _open_desk(url: str, username: str | None) -> int:
    engine = open_database(url)
    from recordsdesk.ui.app import make_app  # Textual is imported only when the desk opens

    app = make_app(engine, username=username)
    app.run()
    return app.return_code or 0


def _db(args: argparse.Namespace) -> int:
    url = resolve_database_url(getattr(args, "database", None))
    if args.db_command == "upgrade":
        engine = open_database(url)
        print(f"schema at {current_revision(engine)} (newest: {head_revision()})")
        return 0
    engine = open_database(url, migrate=False)
    revision = current_revision(engine)
    state = "up to date" if revision == head_revision() else f"newest is {head_revision()}"
    print(f"schema at {revision or 'none (empty database)'}; {state}")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from recordsdesk.services.demo import build_demo_database

    if args.students < 0:
        print("recordsdesk: --students must be 0 or more", file=sys.stderr)
        return EXIT_USAGE
    url = getattr(args, "database", None) or demo_database_url()
    url = resolve_database_url(url)
    summary = build_demo_database(
        url,
        students=args.students,
        seed=args.seed,
        rebuild=args.rebuild,
        progress=lambda line: print(line, flush=True),
    )
    print(summary.describe())
    if args.no_open:
        return 0
    return _open_desk(url, "registrar")


if __name__ == "__main__":
    raise SystemExit(main())
