"""Building the demo institution, for the `demo` group of `python -m bench`: a build in a
fresh child process (so its peak RSS is the build's own, writer processes included) into a
throwaway file, beside the same generated rows inserted with plain sqlite3 executemany into an
empty migrated file, to show what the builder costs on top of the raw driver."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.harness import Row, median_within, shown

TODAY = date(2026, 11, 25)
SEED = 2026


def _peak_rss_mib() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024  # Linux reports KiB


def run_one(url: str, students: int) -> dict[str, object]:
    """Build once in this process and describe it (called in a child process)."""
    from recordsdesk.services.demo import build_demo_database

    started = time.perf_counter()
    loaded: list[float] = []  # when the progress line said every student was loaded

    def progress(line: str) -> None:
        if "100%" in line:
            loaded.append(time.perf_counter())

    summary = build_demo_database(
        url, students=students, seed=SEED, rebuild=True, progress=progress, today=TODAY
    )
    seconds = time.perf_counter() - started
    tail = time.perf_counter() - loaded[-1] if loaded else 0.0
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    generating = own.ru_utime + own.ru_stime  # this process: generation, encoding, start-up
    writing = children.ru_utime + children.ru_stime  # the writer process (SQLite, >= 20,000)
    cpu = generating + writing
    rows = sum(summary.counts.values())
    size = 0
    if url.startswith("sqlite"):
        database = make_url(url).database or ""
        size = sum(
            Path(database + s).stat().st_size for s in ("", "-wal") if Path(database + s).exists()
        )
    else:
        engine = create_engine(url)
        with engine.connect() as connection:
            size = connection.execute(
                text("SELECT pg_database_size(current_database())")
            ).scalar_one()
        engine.dispose()
    return {
        "students": students,
        "seconds": round(seconds, 1),
        "cpu_seconds": round(cpu, 1),  # this process and its writer process, all stages
        "cpu_generator": round(generating, 1),
        "cpu_writer": round(writing, 1),
        "tail_seconds": round(tail, 1),  # after the last chunk: indexes, lookup index, checks
        "rows": rows,
        "enrollments": summary.counts["enrollments"],
        "rows_per_second": round(rows / seconds),
        "size_mib": round(size / 2**20, 1),
        "peak_rss_mib": round(_peak_rss_mib(), 1),
    }


def raw_sqlite_comparison(workdir: Path, students: int) -> dict[str, object]:
    """Generate the rows of a build in memory, then time plain sqlite3 executemany of them into
    a freshly migrated file (CHECK constraints and indexes on, foreign keys off as in the
    build, one transaction per table and chunk)."""
    import sqlite3

    from recordsdesk.db import open_database
    from recordsdesk.services.demo.build import _reference
    from recordsdesk.services.demo.catalog import build_catalog
    from recordsdesk.services.demo.history import TABLES, HistoryGenerator
    from recordsdesk.services.demo.writer import COLUMNS

    path = workdir / "raw.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    engine = open_database(url)
    scale_ids, points, max_staff = _reference(engine)
    engine.dispose()
    catalog = build_catalog(scale_ids, points, TODAY)
    for offset, (username, _role, _name) in enumerate(catalog.spec["staff"]):
        catalog.staff[username] = max_staff + 1 + offset
    generator = HistoryGenerator(
        catalog, seed=SEED, today=TODAY, first_ids=dict.fromkeys(TABLES, 1),
        number_width=6, students=students,
    )  # fmt: skip
    started = time.perf_counter()
    chunks = [generator.generate(first, 10_000) for first in range(1, students + 1, 10_000)]
    generate_seconds = time.perf_counter() - started
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA foreign_keys=OFF")  # staff/catalog rows are not loaded here
    fixed = {
        "staff_user": [
            (staff_id, username, username, "clerk", "", 1, "2021-01-04 09:00:00.000000",
             None, 0, None)
            for username, staff_id in catalog.staff.items()
        ],
        **{t: catalog.rows[t] for t in ("program", "course", "prerequisite",
                                         "program_requirement", "term")},
    }  # fmt: skip
    for table, rows in fixed.items():
        cols = COLUMNS[table]
        connection.executemany(
            f'INSERT INTO "{table}" ({", ".join(cols)}) VALUES ({", ".join("?" * len(cols))})',
            rows,
        )
    connection.commit()
    student_rows = [row for chunk in chunks for row in chunk["student"]]
    marks = ", ".join("?" * len(COLUMNS["student"]))
    started = time.perf_counter()
    connection.executemany(f'INSERT INTO student ({", ".join(COLUMNS["student"])}) '
                           f"VALUES ({marks})", student_rows)  # fmt: skip
    connection.commit()
    student_seconds = time.perf_counter() - started
    started = time.perf_counter()
    total = len(student_rows)
    for chunk in chunks:
        for table in TABLES:
            if table == "student" or not chunk[table]:
                continue
            cols = COLUMNS[table]
            connection.executemany(
                f'INSERT INTO "{table}" ({", ".join(cols)}) VALUES ({", ".join("?" * len(cols))})',
                chunk[table],
            )
            total += len(chunk[table])
    connection.commit()
    rest_seconds = time.perf_counter() - started
    connection.close()
    return {
        "students": students,
        "generate_seconds": round(generate_seconds, 1),
        "raw_student_rows_per_second": round(len(student_rows) / student_seconds),
        "raw_all_rows_seconds": round(student_seconds + rest_seconds, 1),
        "raw_all_rows": total,
        "raw_rows_per_second": round(total / (student_seconds + rest_seconds)),
    }


def _in_child(call: str, *args: str) -> dict[str, object]:
    """`call(*args)` of this module in a fresh Python process (its peak RSS and CPU its own),
    its result read back as JSON."""
    code = (
        "import json, sys; from bench import bench_demo_build as b; "
        f"print(json.dumps(b.{call}(*sys.argv[1:])))"
    )
    root = Path(__file__).resolve().parent.parent
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH")]))
    completed = subprocess.run(
        [sys.executable, "-c", code, *args],
        check=True, capture_output=True, text=True, cwd=root, env=env,
    )  # fmt: skip
    result: dict[str, object] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def build_in_child(url: str, students: str) -> dict[str, object]:
    return run_one(url, int(students))


def raw_in_child(workdir: str, students: str) -> dict[str, object]:
    return raw_sqlite_comparison(Path(workdir), int(students))


def rows(workdir: Path, students: int) -> list[Row]:
    """The `demo` group: a build of `students` in a fresh process into a throwaway file,
    beside plain sqlite3 inserting the rows the generator makes for it."""
    path = workdir / "demo-build.db"
    built = _in_child("build_in_child", f"sqlite:///{path}", str(students))
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    raw = _in_child("raw_in_child", str(workdir), str(students))
    (workdir / "raw.db").unlink(missing_ok=True)
    per_million = 300.0 * students / 1_000_000
    return [
        Row(
            f"demo build ({students:,} students, a fresh process)",
            [float(str(built["seconds"]))],
            [float(str(raw["raw_all_rows_seconds"]))],
            median_within(per_million, f"<= 5 min per 1M students ({shown(per_million)})"),
            note=f"CPU {built['cpu_generator']} s generating and deriving, "
            f"{built['cpu_writer']} s writing; {built['rows']:,} rows; peak RSS "
            f"{built['peak_rss_mib']} MiB; raw: sqlite3 inserting the generator's rows into a "
            f"migrated file (their generation, {raw['generate_seconds']} s, not in it; "
            "standings and term totals left out)",
        )
    ]
