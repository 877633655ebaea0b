"""Students imported again, for the `imports` group of `python -m bench`: a generated CSV
of students imported into a fresh database, then the same file again (all unchanged), then a
file changing one column of every row (all updated), through the entry point the command line
uses (run_import), the audit chain verified after each. Also the students file every import
measurement uses."""

from __future__ import annotations

import csv
import random
import shutil
import sqlite3
import time
from contextlib import closing
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bench.harness import Row, median_within, shown
from recordsdesk.db import session_scope
from recordsdesk.services.access.actor import system_actor
from recordsdesk.services.audit.verify import verify_chain

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


def _import(url: str, source: Path) -> tuple[float, Any]:
    from bench import loading  # it imports this module's names at its top
    from recordsdesk.db import make_engine

    engine = make_engine(url)
    try:
        seconds, report, _stages = loading.timed_import(engine, "students", source)
        with session_scope(engine) as session:
            actor = system_actor(session)
            chain = verify_chain(session, actor=actor)
    finally:
        engine.dispose()
    if not chain.intact:
        raise RuntimeError(f"the audit chain does not verify after an import: {chain.describe()}")
    return seconds, report


def raw_update(before: Path, after: Path, target: Path) -> float:
    """Seconds plain sqlite3 takes to write, on a copy of `before`, every student row as the
    import left it in `after` (one UPDATE per row, in one transaction)."""
    shutil.copyfile(before, target)
    with closing(sqlite3.connect(after)) as source:
        cursor = source.execute("SELECT * FROM student ORDER BY id")
        columns = [d[0] for d in cursor.description]
        rows = [(*row[1:], row[0]) for row in cursor.fetchall()]
    assignments = ", ".join(f'"{c}" = ?' for c in columns[1:])
    with closing(sqlite3.connect(target, isolation_level=None)) as raw:
        raw.execute("PRAGMA synchronous = FULL")
        start = time.perf_counter()
        raw.execute("BEGIN")
        raw.executemany(f"UPDATE student SET {assignments} WHERE id = ?", rows)
        raw.execute("COMMIT")
        return time.perf_counter() - start


def imported_again(workdir: Path, template: Path, rows: int) -> list[Row]:
    """`rows` students imported into a copy of the empty database, then the same file again
    (every row unchanged: compared, nothing written), then a file changing every row's phone
    (every row updated), as an office re-imports its system's nightly extract; the audit chain
    verified after each."""
    from bench import loading  # it imports this module's names at its top

    first, changed = workdir / "students-again.csv", workdir / "students-changed.csv"
    write_csv(first, rows)
    write_csv(changed, rows, phone_suffix="1")
    url = loading.fresh_copy(template, workdir / "import-again.db")
    _import(url, first)
    unchanged, report = _import(url, first)
    assert report.count("student").unchanged == rows, "the same file again changed rows"
    before = workdir / "import-again-before.db"
    shutil.copyfile(workdir / "import-again.db", before)
    updated, report = _import(url, changed)
    assert report.count("student").updated == rows, "a changed file did not update every row"
    raw = raw_update(before, workdir / "import-again.db", workdir / "raw-again.db")
    per_million = 20.0 * rows / 1_000_000
    goal = f"<= 20 s per 1M rows ({shown(per_million)})"
    return [
        Row(
            f"import students again, unchanged ({rows:,} rows)",
            [unchanged],
            goal=median_within(per_million, goal),
            note=f"{rows / unchanged:,.0f} rows/s; every row compared, none written; no raw "
            "equivalent",
        ),
        Row(
            f"import students again, every row changed ({rows:,} rows)",
            [updated],
            [raw],
            median_within(per_million, goal),
            note=f"{rows / updated:,.0f} rows/s; raw: sqlite3 updating every student row to "
            "what the import left",
        ),
    ]
