"""`recordsdesk demo`: build the demo institution into its own database and open the desk on it."""

from __future__ import annotations

import argparse
import sys

from recordsdesk.commands import DatabaseOption
from recordsdesk.config import demo_database_url, resolve_database_url

DEMO_DESK_USER = "registrar"
#: The benchmarks build a million students; ten times that is no demo any more, and a number
#: past 64 bits would only fail deep inside the database writer.
MAX_DEMO_STUDENTS = 10_000_000


def register(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], database_option: DatabaseOption
) -> None:
    demo = commands.add_parser(
        "demo",
        help="build a demo institution and open the desk on it",
        description="Build a realistic demo institution in its own database (never your real "
        "one) and open the desk on it.",
    )
    database_option(
        demo, help_text="build into this database instead of the demo file in the data directory"
    )
    demo.add_argument("--students", type=int, default=2000, metavar="N", help="default 2000")
    demo.add_argument("--seed", type=int, default=2026, metavar="S", help="default 2026")
    demo.add_argument("--no-open", action="store_true", help="build only; do not open the desk")
    demo.add_argument(
        "--rebuild", action="store_true", help="rebuild even when a demo database already exists"
    )
    demo.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from recordsdesk.cli import EXIT_USAGE, open_desk
    from recordsdesk.services.demo import build_demo_database

    if not 0 <= args.students <= MAX_DEMO_STUDENTS:
        print(f"recordsdesk: --students must be 0 to {MAX_DEMO_STUDENTS:,}", file=sys.stderr)
        return EXIT_USAGE
    if not 0 <= args.seed < 2**63:
        print("recordsdesk: --seed must be 0 or more and below 2**63", file=sys.stderr)
        return EXIT_USAGE
    url = resolve_database_url(getattr(args, "database", None) or demo_database_url())
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
    named = getattr(args, "user", None)
    return open_desk(url, named or DEMO_DESK_USER, named=named is not None)
