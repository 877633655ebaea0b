"""Time a report of every student written to a CSV file, as `recordsdesk report ... -o FILE`
writes it: the file, its audit event and (since the disclosure log holds every list leaving
the office) one disclosure row per student listed. Build a demo first:

    recordsdesk demo --no-open --students 20000 --database sqlite:////tmp/x/demo20k.db
    python bench/bench_report_export.py --database sqlite:////tmp/x/demo20k.db

Each run writes a new file and rolls its transaction back, so the database is left as it was
and every run logs the same rows. Figures go to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import text
from sqlmodel import Session

from recordsdesk.db import open_database
from recordsdesk.services.access.actor import actor_for
from recordsdesk.services.reports import ReportTable, export_csv


def every_student(session: Session) -> ReportTable:
    """A report listing every student by number and name (the widest list an office writes)."""
    found = session.execute(
        text("SELECT student_number, legal_last_name, legal_first_name FROM student ORDER BY id")
    ).all()
    return ReportTable(
        name="every-student",
        title="Every student",
        subtitle="",
        columns=("Student no.", "Name"),
        rows=tuple((number, f"{last}, {first}") for number, last, first in found),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    engine = open_database(args.database)
    walls: list[float] = []
    rows = logged = 0
    with tempfile.TemporaryDirectory() as folder:
        for run in range(args.repeat):
            with Session(engine) as session:
                actor = actor_for(session, "registrar")
                table = every_student(session)
                wall = time.perf_counter()
                export_csv(session, actor=actor, table=table, path=Path(folder) / f"{run}.csv")
                session.flush()
                walls.append(time.perf_counter() - wall)
                rows = len(table.rows)
                logged = session.execute(text("SELECT COUNT(*) FROM disclosure")).scalar_one()
                session.rollback()
    print(
        f"report of {rows} students to CSV: best {min(walls):.3f} s, "
        f"median {statistics.median(walls):.3f} s ({logged} disclosure rows in the transaction)"
    )


if __name__ == "__main__":
    main()
