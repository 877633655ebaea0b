"""`import students` at scale: a generated CSV of --rows students imported into a fresh database
(all new), then the same file again (all unchanged), then a file changing one column of every
row (all updated), each through the same entry point the command line uses (run_import), with
the audit chain verified at the end. Prints one JSON object.

    python bench/bench_import.py --rows 100000 --database sqlite:////tmp/bench-import/import.db
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from recordsdesk.db import open_database, session_scope
from recordsdesk.services.access.actor import system_actor
from recordsdesk.services.audit.verify import verify_chain
from recordsdesk.services.interchange.imports.runner import run_import

FIRST = ["José", "Ann", "Aroha", "Mei", "Oluwaseun", "Zoë", "Liam", "Fatima", "Nguyễn", "Åsa"]
LAST = ["García", "Smith", "Ngata", "Chen", "Adeyemi", "Müller", "O'Neil", "Khan", "Lê", "Berg"]
HEADER = [
    "student_number",
    "last_name",
    "first_name",
    "birth_date",
    "email",
    "phone",
    "city",
    "status",
]


def write_csv(path: Path, rows: int, *, phone_suffix: str = "") -> None:
    rng = random.Random(42)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for n in range(rows):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            birth = date(1995, 1, 1) + timedelta(days=rng.randrange(4000))
            writer.writerow(
                [
                    f"B{n:07d}",
                    last,
                    first,
                    birth.isoformat(),
                    f"s{n}@example.org",
                    f"555-{n:07d}{phone_suffix}",
                    "Springfield",
                    "active",
                ]
            )


def timed_import(engine: Any, path: Path, dry_run: bool = False) -> dict[str, Any]:
    with session_scope(engine) as session:
        actor = system_actor(session)
    start, cpu = time.perf_counter(), time.process_time()
    report = run_import(engine, actor=actor, kind="students", path=path, dry_run=dry_run)
    seconds = time.perf_counter() - start
    counts = report.count("student")
    return {
        "seconds": round(seconds, 2),
        # The machine is shared: CPU seconds of this process show the work apart from waiting
        # for a core (the database's own I/O waits are in `seconds` only).
        "cpu_seconds": round(time.process_time() - cpu, 2),
        "load_average": os.getloadavg()[0],
        "new": counts.new,
        "updated": counts.updated,
        "unchanged": counts.unchanged,
        "rows_per_second": round(report.rows / seconds),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database", required=True, help="a new database URL")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/bench-import"))
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    first, changed = args.workdir / "students.csv", args.workdir / "students-changed.csv"
    write_csv(first, args.rows)
    write_csv(changed, args.rows, phone_suffix="9")
    engine = open_database(args.database)
    results: dict[str, Any] = {"rows": args.rows, "database": engine.dialect.name}
    results["dry_run_new"] = timed_import(engine, first, dry_run=True)
    results["all_new"] = timed_import(engine, first)
    results["rerun_unchanged"] = timed_import(engine, first)
    results["all_updated"] = timed_import(engine, changed)
    with session_scope(engine) as session:
        start = time.perf_counter()
        chain = verify_chain(session, actor=system_actor(session))
        results["audit_verify"] = {
            "intact": chain.intact,
            "events": chain.checked,
            "seconds": round(time.perf_counter() - start, 2),
        }
    engine.dispose()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
