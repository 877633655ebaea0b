"""The `recordsdesk` command: the desk (TUI) by default, sub-commands for the rest.

Every sub-command accepts `--database URL`. Errors the user can act on (a database that cannot be
opened, bad arguments) print one plain line and exit 2; nothing prints a traceback at them.
"""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Sequence

from sqlalchemy import Engine

from recordsdesk import __version__
from recordsdesk.commands import register_all
from recordsdesk.config import DATABASE_ENV, resolve_database_url
from recordsdesk.db import DatabaseUnavailable, open_database
from recordsdesk.services.backup import auto_backup
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
    parser.add_argument(
        "--user", metavar="USERNAME", help="pre-fill the sign-in form with this staff username"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    open_cmd = commands.add_parser("open", help="open the desk (the default)")
    _database_option(open_cmd)
    open_cmd.add_argument("--user", metavar="USERNAME", default=argparse.SUPPRESS)

    register_all(commands, _database_option)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        handler = getattr(args, "handler", None)
        if handler is not None:
            return int(handler(args))
        return open_desk(resolve_database_url(getattr(args, "database", None)), args.user)
    except DatabaseUnavailable as exc:
        print(f"recordsdesk: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except RecordsError as exc:
        print(f"recordsdesk: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("recordsdesk: interrupted; nothing half-done was kept.", file=sys.stderr)
        return 130


def open_desk(url: str, username: str | None, *, named: bool = True) -> int:
    """Open the desk on its sign-in screen (`username` only pre-fills the form; `named` False
    when the desk chose it, as the demo does, so the clerk types over it), taking the day's
    automatic backup in the background meanwhile."""
    engine = open_database(url)
    from recordsdesk.ui.app import make_app  # Textual is imported only when the desk opens

    app = make_app(engine, sign_in=True, username_hint=username, hint_named=named)
    backup = start_auto_backup(engine)
    app.run()
    backup.join()
    return app.return_code or 0


def start_auto_backup(engine: Engine) -> threading.Thread:
    """The automatic rotating backup (services.backup.auto_backup) in a thread, so a large
    database never delays the sign-in screen; a failure is reported after the desk closes."""

    def run() -> None:
        try:
            auto_backup(engine)
        except Exception as exc:  # noqa: BLE001 - a failed backup must not stop the desk
            print(f"recordsdesk: the automatic backup failed: {exc}", file=sys.stderr)

    thread = threading.Thread(target=run, name="auto-backup", daemon=True)
    thread.start()
    return thread


if __name__ == "__main__":
    raise SystemExit(main())
