"""The `recordsdesk` command: the desk (TUI) by default, sub-commands for the rest.

Every sub-command accepts `--database URL` and, but for the few in `signin.NO_SIGN_IN`, signs in
before it runs (`commands.signin`: a password, a token or a terminal prompt), so each acts as an
authenticated staff member and is audited as them. The desk itself opens on its sign-in screen;
`--user` only pre-fills it. Errors the user can act on (a database that cannot be opened, bad
arguments, a refused sign-in) print one plain line and exit 2; nothing prints a traceback.

Start-up time matters here (`--help` should answer at once): this module and the command modules
import only what building the parser needs; the database layer, the services and Textual are
imported by the handler that uses them (tests/test_startup.py checks what `--help` loads).
"""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from recordsdesk import __version__
from recordsdesk.commands import register_all
from recordsdesk.commands.signin import (
    NO_SIGN_IN,
    SignInNeeded,
    add_credential_options,
    add_user_option,
    authenticate,
    needs_sign_in,
)
from recordsdesk.config import DATABASE_ENV, resolve_database_url
from recordsdesk.db import DatabaseUnavailable
from recordsdesk.services.shared.clean_text import printable
from recordsdesk.services.shared.errors import RecordsError

if TYPE_CHECKING:
    from sqlalchemy import Engine

EXIT_USAGE = 2


def _database_option(parser: argparse.ArgumentParser, *, help_text: str | None = None) -> None:
    """`--database` and, as every sub-command's parser passes through here, how it signs in."""
    _add_database(parser, help_text)
    parser.set_defaults(command_name=parser.prog)
    if parser.prog in ("recordsdesk demo", "recordsdesk practice"):
        add_user_option(parser, "pre-fill the demo desk's sign-in with this username")
    elif parser.prog not in NO_SIGN_IN:
        add_credential_options(parser)


def _add_database(parser: argparse.ArgumentParser, help_text: str | None) -> None:
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
    _add_database(parser, None)
    parser.add_argument(
        "--user",
        metavar="USERNAME",
        help="pre-fill the desk's sign-in with this username; a command signs in as it",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    open_cmd = commands.add_parser("open", help="open the desk (the default)")
    _add_database(open_cmd, None)
    add_user_option(open_cmd, "pre-fill the sign-in with this username (the password is asked)")

    register_all(commands, _database_option)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        handler = getattr(args, "handler", None)
        if handler is not None:
            if needs_sign_in(args):
                args.actor = authenticate(args)
            return int(handler(args))
        return open_desk(resolve_database_url(getattr(args, "database", None)), args.user)
    except (DatabaseUnavailable, RecordsError, SignInNeeded) as exc:
        # Messages may quote stored values: escaped so a terminal never obeys them.
        print(f"recordsdesk: {printable(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("recordsdesk: interrupted; nothing half-done was kept.", file=sys.stderr)
        return 130


def open_desk(url: str, username: str | None, *, named: bool = True) -> int:
    """Open the desk on its sign-in screen (`username` only pre-fills the form; `named` False
    when the desk chose it, as the demo does, so the clerk types over it). The form is drawn
    first; the desk then opens the database in a thread (with the database layer's imports,
    most of the start-up) and takes the day's automatic backup in the background. A database
    that cannot be opened closes the desk and is reported here, in one line, as before."""
    backups: list[threading.Thread] = []
    closed = threading.Event()
    lock = threading.Lock()

    def opener() -> Engine:
        from recordsdesk.db import open_database

        engine = open_database(url)
        with lock:  # no backup started as the desk closes: it could not be waited for
            if not closed.is_set():
                backups.append(start_auto_backup(engine))
        return engine

    with typing_ahead():
        from recordsdesk.ui.app import sign_in_desk  # Textual is imported only when the desk opens

        app = sign_in_desk(opener, username_hint=username, hint_named=named)
        app.run()
    with lock:
        closed.set()
    for backup in backups:
        backup.join()
    if app.startup_error is not None:
        raise app.startup_error
    return app.return_code or 0


@contextmanager
def typing_ahead() -> Iterator[None]:
    """Keep what the clerk types while the desk starts, as the desk will read it.

    Until Textual takes the terminal, it is in line mode: a password typed ahead would be
    echoed onto the screen (and left there after the desk closes), and Enter arrives as a line
    feed (Ctrl+J to the desk), so "user Enter password Enter" typed ahead ended up as one
    username. The terminal is switched to keys-as-typed without echo at once (typed-ahead input
    is kept) and put back as it was when the desk closes."""
    try:
        import termios
    except ImportError:  # not POSIX: nothing to do
        yield
        return
    try:
        fd = sys.stdin.fileno()
        before = termios.tcgetattr(fd)
    except (termios.error, OSError, ValueError):  # not a terminal: nothing to do
        yield
        return
    quiet = termios.tcgetattr(fd)
    quiet[0] &= ~termios.ICRNL  # input flags: Enter stays a carriage return
    quiet[3] &= ~(termios.ECHO | termios.ICANON)  # local flags: no echo, no line buffering
    termios.tcsetattr(fd, termios.TCSANOW, quiet)
    try:
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSANOW, before)


def start_auto_backup(engine: Engine) -> threading.Thread:
    """The automatic rotating backup (services.upkeep.backup.auto_backup), then the day's cheap
    optimize (services.upkeep.optimize.auto_optimize), in a thread, so a large database never
    delays the sign-in screen and no clerk waits on either; a failed backup is reported after
    the desk closes."""
    from recordsdesk.db import is_lock_timeout
    from recordsdesk.services.upkeep.backup import auto_backup
    from recordsdesk.services.upkeep.optimize import auto_optimize

    def run() -> None:
        try:
            auto_backup(engine)
        except Exception as exc:  # noqa: BLE001 - a failed backup must not stop the desk
            print(f"recordsdesk: the automatic backup failed: {exc}", file=sys.stderr)
        try:
            auto_optimize(engine)
        except Exception as exc:  # noqa: BLE001 - nor a failed optimize
            if not is_lock_timeout(exc):  # other desks busy writing: tomorrow, then
                print(f"recordsdesk: the daily optimize failed: {exc}", file=sys.stderr)

    thread = threading.Thread(target=run, name="auto-backup", daemon=True)
    thread.start()
    return thread


if __name__ == "__main__":
    raise SystemExit(main())
