"""Time every registrar report on an existing demo database (build one first with
`recordsdesk demo --no-open --students 100000 --database URL`).

Each report runs `--repeat` times in a fresh session, as the desk runs it (the registrar
account, default filters, plus one --term run of the standing reports); the table prints the
best and the median wall time, the rows returned and the CPU time of this process (the
database server's own CPU is not in it on PostgreSQL). Figures go to docs/benchmarks.md.

    python bench/bench_reports.py --database sqlite:////tmp/reports/demo100k.db
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from typing import Any

from recordsdesk.db import open_database, session_scope
from recordsdesk.services.access.actor import actor_for
from recordsdesk.services.reports import REPORTS, run_report

EXTRA_RUNS = (
    ("enrollment", "2026SP"),
    ("deans-list", "2026SP"),
    ("probation", "2026SP"),
    ("grade-distribution", "2026SP"),
    ("class-rank", "2026SP"),
)


def time_report(
    engine: Any, name: str, term: str | None, repeat: int
) -> tuple[list[float], list[float], int]:
    """Wall and CPU seconds of `repeat` runs of one report, each in a fresh session as the desk
    runs it (the registrar account), and the rows it returned."""
    walls, cpus, rows = [], [], 0
    for _ in range(repeat):
        with session_scope(engine) as session:
            actor = actor_for(session, "registrar")
            wall, cpu = time.perf_counter(), time.process_time()
            table = run_report(session, actor=actor, name=name, term_code=term)
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
            rows = len(table.rows)
    return walls, cpus, rows


def report_runs() -> list[tuple[str, str | None]]:
    """Every report with its default filters, and the standing reports for one term."""
    return [(spec.name, None) for spec in REPORTS] + list(EXTRA_RUNS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    engine = open_database(args.database)
    print(f"load average at start: {os.getloadavg()}")
    print("| Report | --term | Rows | Best (s) | Median (s) | Client CPU (s, median) |")
    print("|---|---|---:|---:|---:|---:|")
    for name, term in report_runs():
        walls, cpus, rows = time_report(engine, name, term, args.repeat)
        print(
            f"| {name} | {term or ''} | {rows:,} | {min(walls):.2f} | "
            f"{statistics.median(walls):.2f} | {statistics.median(cpus):.2f} |"
        )
    print(f"load average at end: {os.getloadavg()}")
    engine.dispose()


if __name__ == "__main__":
    main()
