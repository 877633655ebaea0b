"""The imports measured for the harness: generated files of each kind loaded into fresh
databases, beside plain sqlite3 inserting the very rows each import wrote."""

from __future__ import annotations

import csv
import random
import shutil
import sqlite3
import time
from contextlib import closing
from pathlib import Path
from typing import Any

from bench import bench_grade_entry, bench_import
from bench.harness import Row, median_within, shown

TERMS = ("2019FA", "2020SP", "2020FA", "2021SP")
MARKS = ("A", "A-", "B+", "B", "B-", "C+", "C", "C-", "D", "F", "W")
COURSES = 200
HISTORY_COLUMNS = (
    "student_number",
    "last_name",
    "first_name",
    "birth_date",
    "term",
    "course_code",
    "course_title",
    "credits",
    "mark",
)


def write_history(path: Path, rows: int) -> None:
    """`rows` history rows, 20 courses (5 in each of 4 terms) per student."""
    rng = random.Random(19)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HISTORY_COLUMNS)
        for n in range(rows):
            student, k = divmod(n, 20)
            local = random.Random(student)
            course = (student + k * 7) % COURSES
            writer.writerow(
                [
                    f"H{student:07d}",
                    local.choice(bench_import.LAST),
                    local.choice(bench_import.FIRST),
                    f"{1995 + student % 10}-0{1 + student % 9}-1{student % 10}",
                    TERMS[k // 5],
                    f"C{course:03d}",
                    f"Course {course}",
                    3 + course % 2,
                    rng.choice(MARKS),
                ]
            )


def fresh_copy(template: Path, target: Path) -> str:
    """A copy of the empty migrated database, as a URL."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


def empty_database(path: Path) -> Path:
    """An empty database at the newest schema (made once per schema, copied for each import)."""
    from recordsdesk.db import HEAD_REVISION, open_database

    if path.exists():
        with closing(sqlite3.connect(path)) as connection:
            (revision,) = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        if revision != HEAD_REVISION:  # left by a run of older code: made again
            path.unlink()
    if not path.exists():
        open_database(f"sqlite:///{path}").dispose()
        with closing(sqlite3.connect(path)) as connection:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


LEFT_TO_TRIGGERS = (
    "sqlite_", "alembic_version", "name_term", "student_name_fts", "term_totals_stale"
)  # fmt: skip


def raw_load(template: Path, imported: Path, target: Path) -> float:
    """Seconds plain sqlite3 takes to insert the rows an import wrote (every table's rows past
    the empty database's), in one transaction, on a copy of the empty database: the floor an
    import is measured against. The lookup index's triggers fire as for any insert."""
    fresh_copy(template, target)
    batches: list[tuple[str, list[tuple[Any, ...]]]] = []
    with closing(sqlite3.connect(imported)) as source, closing(sqlite3.connect(template)) as empty:
        tables = [
            name
            for (name,) in source.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY rowid"
            )
            if not name.startswith(LEFT_TO_TRIGGERS)
        ]
        for table in tables:
            (before,) = empty.execute(f'SELECT coalesce(max(rowid), 0) FROM "{table}"').fetchone()
            cursor = source.execute(f'SELECT * FROM "{table}" WHERE rowid > ?', (before,))
            columns = ", ".join(f'"{d[0]}"' for d in cursor.description)
            rows = cursor.fetchall()
            if rows:
                marks = ", ".join("?" * len(rows[0]))
                batches.append((f'INSERT INTO "{table}" ({columns}) VALUES ({marks})', rows))
    connection = bench_grade_entry.raw_connection(target)
    start = time.perf_counter()
    connection.execute("BEGIN")
    for sql, rows in batches:
        connection.executemany(sql, rows)
    connection.execute("COMMIT")
    seconds = time.perf_counter() - start
    connection.close()
    return seconds


def oneroster_set(workdir: Path, template: Path, rows: int) -> Path:
    """A OneRoster set as the desk exports it: `rows` history rows imported into a scratch
    database, then exported."""
    from recordsdesk.db import make_engine, session_scope
    from recordsdesk.services.access.actor import system_actor
    from recordsdesk.services.interchange.exports.oneroster import export_oneroster
    from recordsdesk.services.interchange.imports.runner import run_import

    source, folder = workdir / "oneroster-history.csv", workdir / "oneroster"
    write_history(source, rows)
    shutil.rmtree(folder, ignore_errors=True)
    engine = make_engine(fresh_copy(template, workdir / "oneroster-source.db"))
    with session_scope(engine) as session:
        actor = system_actor(session)
    run_import(engine, actor=actor, kind="history", path=source)
    with session_scope(engine) as session:
        export_oneroster(session, actor=actor, folder=folder)
    engine.dispose()
    return folder


class StageClock:
    """An import's progress callback noting when each stage was first reported, so the write
    phase (the write lock held: from the first "writing" report to the commit's end) can be
    told apart from the checking and planning other desks do not wait for."""

    def __init__(self) -> None:
        self.first: dict[str, float] = {}
        self.last: dict[str, float] = {}

    def __call__(self, stage: str, _done: int, _total: int) -> None:
        now = time.perf_counter()
        self.first.setdefault(stage, now)
        self.last[stage] = now

    def write_phase(self) -> float | None:
        writing = [t for stage, t in self.first.items() if stage.startswith("writing")]
        if not writing or "committing" not in self.last:
            return None
        return self.last["committing"] - min(writing)


def timed_import(engine: Any, kind: str, source: Path) -> tuple[float, Any, StageClock]:
    """One import through the command line's entry point, as the system actor: (seconds, its
    report, when each of its stages began)."""
    from recordsdesk.db import session_scope
    from recordsdesk.services.access.actor import system_actor
    from recordsdesk.services.interchange.imports.runner import run_import

    with session_scope(engine) as session:
        actor = system_actor(session)
    stages = StageClock()
    start = time.perf_counter()
    report = run_import(engine, actor=actor, kind=kind, path=source, progress=stages)
    return time.perf_counter() - start, report, stages


def imports(workdir: Path, rows: int, raw_too: bool = True) -> list[Row]:
    """Each import kind into a fresh database, beside raw sqlite3 inserting the rows it wrote:
    history (`rows` rows, rows/20 students), students (rows/10), and OneRoster (the set the
    desk exports of rows/10 history rows: about 1.2 rows of the set per history row). Without
    `raw_too` (a profiled run) the raw loads are left out."""
    from recordsdesk.db import make_engine

    template = empty_database(workdir / "empty.db")
    history_csv, students_csv = workdir / "history.csv", workdir / "students.csv"
    write_history(history_csv, rows)
    bench_import.write_csv(students_csv, max(1, rows // 10))
    oneroster = oneroster_set(workdir, template, max(20, rows // 10))
    out: list[Row] = []
    runs = (
        ("history", history_csv, rows, "history"),
        ("students", students_csv, max(1, rows // 10), "students"),
        ("oneroster", oneroster, 0, "OneRoster"),
    )
    for kind, source, count, label in runs:
        target = workdir / f"import-{kind}.db"
        engine = make_engine(fresh_copy(template, target))
        seconds, report, stages = timed_import(engine, kind, source)
        engine.dispose()
        count = count or report.rows
        if not raw_too:
            continue
        raw = raw_load(template, target, workdir / f"raw-{kind}.db")
        per_million = 20.0 * count / 1_000_000
        held = stages.write_phase()
        lock = f"; write phase (the lock held) {shown(held)}" if held is not None else ""
        out.append(
            Row(
                f"import {label} ({count:,} rows)",
                [seconds],
                [raw],
                median_within(per_million, f"<= 20 s per 1M rows ({shown(per_million)})"),
                note=f"{count / seconds:,.0f} rows/s{lock}; raw: sqlite3 inserting the rows "
                "it wrote",
            )
        )
    return out
