"""A report of every student written to CSV (the `exports` group of `python -m bench`).

As `recordsdesk report ... -o FILE` writes it: the file (owner-only), its audit event and one
disclosure row per student listed, since the disclosure log holds every list that leaves the
office. Every student is the widest list an office writes. Each run writes a new file and rolls
its transaction back, so every run logs the same rows. Raw: sqlite3 reading the same rows,
Python's csv module writing them, and the statements the export sent replayed and rolled back.
"""

from __future__ import annotations

import csv
import tempfile
import time
from contextlib import closing
from pathlib import Path
from typing import Any

from bench import bench_grade_entry
from bench.harness import Row
from bench.paths import recorded
from bench.posting import replay_rolled_back

EVERY_STUDENT = "SELECT student_number, legal_last_name, legal_first_name FROM student ORDER BY id"


def every_student(session: Any) -> Any:
    """A report listing every student by number and name."""
    from sqlalchemy import text

    from recordsdesk.services.reports import ReportTable

    found = session.execute(text(EVERY_STUDENT)).all()
    return ReportTable(
        name="every-student",
        title="Every student",
        subtitle="",
        columns=("Student no.", "Name"),
        rows=tuple((number, f"{last}, {first}") for number, last, first in found),
    )


def raw_export(path: Path, target: Path, sent: Any) -> float:
    """Seconds for the floor: the rows read and written with csv, the export's writes replayed."""
    start = time.perf_counter()
    with closing(bench_grade_entry.raw_connection(path)) as raw:
        rows = raw.execute(EVERY_STUDENT).fetchall()
    with target.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("Student no.", "Name"))
        writer.writerows((number, f"{last}, {first}") for number, last, first in rows)
    return time.perf_counter() - start + replay_rolled_back(path, sent)


def export_every_student(engine: Any, path: Path, repeat: int) -> Row:
    from sqlmodel import Session

    from recordsdesk.services.access.actor import actor_for
    from recordsdesk.services.reports import export_csv

    service, raws = [], []
    listed = 0
    with tempfile.TemporaryDirectory() as folder:
        for run in range(repeat + 1):  # the first run warms the caches and records the writes
            with Session(engine) as session:
                actor = actor_for(session, "registrar")
                session.commit()
                start = time.perf_counter()
                table = every_student(session)
                with recorded(engine) as sent:
                    export_csv(session, actor=actor, table=table, path=Path(folder) / f"{run}.csv")
                    session.flush()
                seconds = time.perf_counter() - start
                listed = len(table.rows)
                session.rollback()
            if run:
                service.append(seconds)
                raws.append(raw_export(path, Path(folder) / f"raw-{run}.csv", sent))
    return Row(
        f"report to CSV (every student, {listed:,} rows)",
        service,
        raws,
        note="file, audit event and one disclosure row per student, rolled back; raw: sqlite3 "
        "and csv writing the same rows, the export's statements replayed",
    )
