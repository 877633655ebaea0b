"""`python -m bench`: every hot path of the desk in one run, beside raw sqlite3, on one demo.

    python -m bench               # 1,000,000 students (the demo is built once, then reused)
    python -m bench --quick       # 10,000 students, fewer repeats: under a minute
    python -m bench --students 100000 --write-docs   # and put the table in docs/benchmarks.md
    python -m bench --profile     # and say where the time goes in each group that misses a goal

The demo is built once per size into --cache (seed 2026, today 2026-11-25, as the per-path
scripts used) and kept; each run measures on a fresh copy of it, since grade entry writes marks
and the lookup merges the name index. Imports run into fresh empty databases beside it.
Progress goes to stderr, the table to stdout.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from datetime import date
from pathlib import Path

from bench import (
    bench_demo_build,
    bench_grade_entry,
    bench_import,
    exports,
    loading,
    paths,
    postgres,
    posting,
    profiling,
)
from bench.harness import Row, load, section, table, write_docs

SEED = 2026
#: The `demo` group builds at most this many students (a 1M build is timed when the cache is
#: made: `--rebuild`).
DEMO_GROUP_STUDENTS = 100_000
TODAY = date(2026, 11, 25)
GROUPS = ("demo", "lookup", "keys", "record", "transcript", "grades", "imports", "reports",
          "posting", "exports", "postgres", "audit", "backup", "startup", "optimize")  # fmt: skip


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=1_000_000, metavar="N")
    parser.add_argument(
        "--quick", action="store_true", help="10,000 students and fewer repeats (under a minute)"
    )
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path(tempfile.gettempdir()) / "recordsdesk-bench",
        help="folder of the cached demos and this run's copies (default: %(default)s)",
    )
    parser.add_argument(
        "--rebuild",
        action="store_true",
        help="build the cached demo again, so this run times a build at full size",
    )
    parser.add_argument("--repeat", type=int, help="runs per measurement (default by size)")
    parser.add_argument(
        "--import-rows", type=int, metavar="ROWS", help="history rows to import (default N)"
    )
    parser.add_argument(
        "--only", help=f"comma-separated groups to run, of: {', '.join(GROUPS)} (default all)"
    )
    parser.add_argument(
        "--optimize-first",
        action="store_true",
        help="run `db optimize --analyze` on the copy before measuring (SQLite's statistics "
        "change query plans)",
    )
    parser.add_argument(
        "--profile",
        nargs="?",
        const="unmet",
        metavar="GROUPS",
        help="after measuring, run each group with a goal not met (or the comma-separated "
        "GROUPS) once more under cProfile and say where the desk's time went",
    )
    parser.add_argument(
        "--postgres",
        metavar="URL",
        default=os.environ.get("RECORDSDESK_BENCH_POSTGRES_URL"),
        help="a PostgreSQL server (a user allowed to create databases) for the postgres "
        "group: each import again there, beside the SQLite figure "
        "(default: $RECORDSDESK_BENCH_POSTGRES_URL)",
    )
    parser.add_argument(
        "--write-docs", action="store_true", help="rewrite the table in docs/benchmarks.md"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.students = 10_000
    args.repeat = args.repeat or (5 if args.quick else 20)
    args.import_rows = args.import_rows or args.students
    args.only = set(args.only.split(",")) if args.only else set(GROUPS)
    unknown = args.only - set(GROUPS)
    if args.profile and args.profile != "unmet":
        args.profile = set(args.profile.split(","))
        unknown |= args.profile - set(GROUPS)
    if unknown:
        parser.error(f"unknown groups: {', '.join(sorted(unknown))}")
    return args


def shown_error(exc: BaseException) -> str:
    """An exception in one line that cannot break the table's cells."""
    return " ".join(str(exc).split()).replace("|", "\\|")[:200]


def say(text: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}, load {load()}] {text}", file=sys.stderr)


def cached_demo(cache: Path, students: int, rebuild: bool = False) -> tuple[Path, float | None]:
    """The cached demo of this size, built first if missing or `rebuild` (seconds of the
    build, or None). A build replaces the cached file only once it is finished."""
    from recordsdesk.services.demo import build_demo_database

    demo = cache / f"demo-{students}.db"
    if demo.exists() and not rebuild:
        return demo, None
    building = demo.with_name(demo.name + ".building")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{building}{suffix}").unlink(missing_ok=True)
    say(f"building the {students:,}-student demo (once; kept in {cache})")
    start = time.perf_counter()
    build_demo_database(
        f"sqlite:///{building}",
        students=students,
        seed=SEED,
        rebuild=True,
        progress=lambda _line: None,
        today=TODAY,
    )
    seconds = time.perf_counter() - start
    for suffix in ("-wal", "-shm"):  # the old file's, which would be read as the new one's
        Path(f"{demo}{suffix}").unlink(missing_ok=True)
    os.replace(building, demo)  # only a finished build is ever reused
    return demo, seconds


def working_copy(demo: Path, work: Path) -> str:
    """A fresh copy of the demo at the newest schema with its name index merged (as a new
    demo has it), as a URL."""
    from recordsdesk.db import open_database
    from recordsdesk.services.lookup.index import merge_sqlite_index, sqlite_index_segments

    for suffix in ("", "-wal", "-shm"):
        Path(f"{work}{suffix}").unlink(missing_ok=True)
    bench_grade_entry.copy_database(demo, work)
    url = f"sqlite:///{work}"
    open_database(url).dispose()
    connection = sqlite3.connect(work)
    if sqlite_index_segments(connection) > 1:
        merge_sqlite_index(connection)
        connection.commit()
    connection.close()
    return url


def run(args: argparse.Namespace) -> tuple[list[Row], list[str]]:
    """Every asked group measured (the table's rows), then the profiles asked for (lines)."""
    from recordsdesk.db import make_engine

    args.cache.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.environ.setdefault("RECORDSDESK_DATA_DIR", str(args.cache / "data"))
    n, repeat = args.students, args.repeat
    demo, built = cached_demo(args.cache, n, args.rebuild)
    work = args.cache / f"run-{n}"
    work.mkdir(mode=0o700, exist_ok=True)
    path = work / "demo.db"
    say(f"copying {demo.name} for this run")
    url = working_copy(demo, path)
    rows: list[Row] = [paths.demo_build(built, n)]
    if args.optimize_first:
        say("optimizing the copy first")
        rows += [Row(f"{row.name}, before measuring", row.samples, note=row.note)
                 for row in paths.optimize(url, analyze=True)[1:]]  # fmt: skip
    engine = make_engine(url)
    # Full size: 40 transcripts built, 8 previews, the whole roster keyed (about a minute per
    # store); smaller demos take fewer, so --quick stays under a minute.
    transcript_sizes = (40, 2000, 8) if n >= 100_000 else (10, 2000, 3)
    keyed = 300 if n >= 100_000 else 10

    def imports(raw: bool) -> list[Row]:
        measured = loading.imports(work, args.import_rows, raw)
        template = loading.empty_database(work / "empty.db")
        return measured + bench_import.imported_again(
            work, template, max(1, args.import_rows // 10)
        )

    def steps(repeat: int, raw: bool = True) -> list[tuple[str, Callable[[], list[Row] | Row]]]:
        return [
            ("demo", lambda: bench_demo_build.rows(work, min(n, DEMO_GROUP_STUDENTS))),
            ("lookup", lambda: paths.lookup(url, path, repeat, keys="keys" in args.only)),
            ("record", lambda: paths.record_open(engine, path, 20, max(1, repeat // 4))),
            ("transcript", lambda: paths.transcripts(path, *transcript_sizes)),
            ("grades", lambda: paths.grade_entry(path, 15 * repeat, 300, keyed)),
            ("imports", lambda: imports(raw)),
            ("reports", lambda: paths.reports(engine, path, 1 if n >= 100_000 else 3, raw)),
            ("posting", lambda: posting.post_section(engine, path, max(3, repeat // 4))),
            ("exports", lambda: exports.export_every_student(engine, path, 3)),
            ("postgres", lambda: postgres.imports(args.postgres, work, args.import_rows, rows)),
            ("audit", lambda: paths.audit(args.cache, work, n)),
            ("backup", lambda: paths.backup(path, work, 1 if n >= 100_000 else 3)),
            ("startup", lambda: paths.startup(url, max(3, repeat // 3))),
            ("optimize", lambda: paths.optimize(url)),
        ]

    def asked(group: str) -> bool:
        return group in args.only or (group == "lookup" and "keys" in args.only)

    unmet: set[str] = set()
    for group, step in steps(repeat):
        if not asked(group):
            continue
        say(f"measuring {group}")
        try:
            result = step()
        except Exception as exc:  # noqa: BLE001 - one group's failure must not lose the run
            say(f"{group} failed: {traceback.format_exc()}")
            result = Row(group, note=f"failed: {type(exc).__name__}: {shown_error(exc)}")
        measured = result if isinstance(result, list) else [result]
        rows += measured
        if any(row.verdict() == "**not met**" for row in measured):
            unmet.add(group)
        for line in table(measured)[2:]:
            say(line)
    profiles: list[str] = []
    wanted = unmet if args.profile == "unmet" else (args.profile or set())
    for group, step in steps(1, raw=False):
        if asked(group) and group in wanted and group == "demo":
            profiles.append(
                "- **demo**: not profiled here, since the build runs in child processes (the "
                'writer\'s stages are profiled under "Demo build" in docs/benchmarks.md)'
            )
        elif asked(group) and group in wanted:
            say(f"profiling {group}")
            try:
                profiles += profiling.profile(group, step)
            except Exception as exc:  # noqa: BLE001 - the measurements above are kept
                say(f"profiling {group} failed: {traceback.format_exc()}")
                profiles.append(f"- **{group}**: the profiled run failed: {shown_error(exc)}")
    engine.dispose()
    rows.append(paths.peak_rss())
    return rows, profiles


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    started, load_start = time.strftime("%H:%M UTC", time.gmtime()), load()
    rows, profiles = run(args)
    command = " ".join(["python -m bench", *(sys.argv[1:] if argv is None else argv)])
    text = section(
        rows,
        command=command,
        students=args.students,
        started=started,
        load_start=load_start,
        profiles=profiles,
    )
    print(text)
    if args.write_docs:
        write_docs(text)
        say("table written to docs/benchmarks.md")
    return 1 if any(row.note.startswith("failed:") for row in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())
