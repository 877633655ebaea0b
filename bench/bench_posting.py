"""Benchmark: posting marks, now that posting also decides each student's academic standing
(transcripts.standing.post_and_decide builds the student's transcript and decides the term).

Two measurements on a demo database (built once under --workdir, then copied per run):

- a 300-student section of the newest closed fall or spring term, its marks entered:
  post_section alone (the marks made final), then post_and_decide (the same and the
  standings), each 3 times from the same state (rolled back) and once committed;
- that whole term put back to "entered" (its posted marks and standings undone),
  then every section posted one after another, each in its own transaction as a registrar's
  F8 on each roster does: once with post_section alone, once with post_and_decide, each on its
  own fresh copy.

    python bench/bench_posting.py --students 20000 --workdir /tmp/bench-posting

Prints one JSON object; copy the figures into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session

from recordsdesk.db import open_database
from recordsdesk.services.access.actor import actor_for
from recordsdesk.services.demo import build_demo_database
from recordsdesk.services.grades.marks import post_section
from recordsdesk.services.transcripts.standing import post_and_decide

TODAY = date(2026, 11, 25)
SEED = 2026
ROSTER = 300
BENCH_COURSE = "BENCH300"
MARKS = ("A", "B+", "B", "C", "D", "F", "A-", "C+")


def demo(workdir: Path, students: int) -> Path:
    path = workdir / f"demo-{students}.db"
    if not path.exists():
        build_demo_database(
            f"sqlite:///{path}", students=students, seed=SEED, rebuild=True,
            progress=lambda line: None, today=TODAY,
        )  # fmt: skip
    return path


def copy(source: Path, target: Path) -> Path:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    src.backup(dst)
    dst.close()
    src.close()
    return target


def newest_closed_term(con: sqlite3.Connection) -> int:
    """The newest closed fall or spring term (a summer term is a tenth of the size)."""
    row = con.execute(
        "SELECT id FROM term WHERE status = 'closed' AND code NOT LIKE '%SU'"
        " ORDER BY start_date DESC LIMIT 1"
    ).fetchone()
    return int(row[0])


def add_section(path: Path) -> int:
    """A 300-student section of a letter-graded course in the newest closed fall or spring
    term, every mark entered, its students ones with other posted marks that term."""
    con = sqlite3.connect(path)
    term = newest_closed_term(con)
    scale = con.execute("SELECT id FROM grading_scale WHERE code = 'US-PM'").fetchone()[0]
    columns = [r[1] for r in con.execute("PRAGMA table_info(course)") if r[1] != "id"]
    picked = ", ".join(
        {"code": "?", "title": "'Benchmark Lecture'", "grading_scale_id": "?"}.get(c, c)
        for c in columns
    )
    con.execute(
        f"INSERT INTO course ({', '.join(columns)}) SELECT {picked} FROM course LIMIT 1",
        (BENCH_COURSE, scale),
    )
    course = con.execute("SELECT id FROM course WHERE code = ?", (BENCH_COURSE,)).fetchone()[0]
    con.execute(
        "INSERT INTO section (course_id, term_id, section_code, instructor, capacity,"
        " waitlist_capacity, meeting_days, room) VALUES (?, ?, '01', 'Dr. Bench', ?, 0, 'MWF',"
        " '')",
        (course, term, ROSTER),
    )
    section = con.execute("SELECT id FROM section WHERE course_id = ?", (course,)).fetchone()[0]
    students = [
        r[0]
        for r in con.execute(
            "SELECT DISTINCT e.student_id FROM enrollment e JOIN section s ON s.id = e.section_id"
            " WHERE s.term_id = ? AND e.grade_status = 'posted' ORDER BY e.student_id LIMIT ?",
            (term, ROSTER),
        )
    ]
    now = datetime.now(UTC).isoformat(sep=" ")
    con.executemany(
        "INSERT INTO enrollment (student_id, section_id, status, registered_at, mark,"
        " grade_status, mark_entered_at, override_reason, version, grading_basis)"
        " VALUES (?, ?, 'completed', ?, ?, 'entered', ?, '', 1, 'graded')",
        [(s, section, now, MARKS[n % len(MARKS)], now) for n, s in enumerate(students)],
    )
    con.commit()
    con.close()
    return int(section)


def unpost_term(path: Path) -> tuple[int, list[int], int, int]:
    """Put that term back to marks entered: (term, its sections, enrollments, students)."""
    con = sqlite3.connect(path)
    term = newest_closed_term(con)
    sections = [
        r[0] for r in con.execute("SELECT id FROM section WHERE term_id = ? ORDER BY id", (term,))
    ]
    con.execute(
        "UPDATE enrollment SET grade_status = 'entered', posted_at = NULL, posted_by_id = NULL"
        " WHERE status = 'completed' AND grade_status = 'posted' AND mark IS NOT NULL"
        " AND section_id IN (SELECT id FROM section WHERE term_id = ?)",
        (term,),
    )
    con.execute(
        "UPDATE section SET grades_posted_at = NULL, grades_posted_by_id = NULL WHERE term_id = ?",
        (term,),
    )
    con.execute("DELETE FROM academic_standing WHERE term_id = ?", (term,))
    enrollments, students = con.execute(
        "SELECT count(*), count(DISTINCT student_id) FROM enrollment e"
        " JOIN section s ON s.id = e.section_id WHERE s.term_id = ? AND e.grade_status = 'entered'",
        (term,),
    ).fetchone()
    con.commit()
    con.close()
    return term, sections, int(enrollments), int(students)


def timed(
    url: str, action: Callable[..., Any], section_id: int, *, commit: bool
) -> tuple[float, float]:
    """(wall, CPU) seconds of one posting in its own transaction."""
    engine = open_database(url, migrate=False)
    try:
        with Session(engine) as session:
            actor = actor_for(session, "registrar")
            wall, cpu = time.perf_counter(), time.process_time()
            action(session, actor=actor, section_id=section_id)
            if commit:
                session.commit()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            if not commit:
                session.rollback()
    finally:
        engine.dispose()
    return wall, cpu


def whole_term(url: str, action: Callable[..., Any], sections: list[int]) -> dict[str, Any]:
    engine = open_database(url, migrate=False)
    each: list[float] = []
    started, cpu = time.perf_counter(), time.process_time()
    try:
        for section_id in sections:
            with Session(engine) as session:
                actor = actor_for(session, "registrar")
                one = time.perf_counter()
                try:
                    action(session, actor=actor, section_id=section_id)
                except Exception:  # noqa: BLE001 - a section with nothing to post
                    session.rollback()
                    continue
                session.commit()
                each.append(time.perf_counter() - one)
    finally:
        engine.dispose()
    return {
        "seconds": round(time.perf_counter() - started, 1),
        "cpu_seconds": round(time.process_time() - cpu, 1),
        "sections_posted": len(each),
        "per_section_median_ms": round(statistics.median(each) * 1e3, 1) if each else None,
        "per_section_max_ms": round(max(each) * 1e3, 1) if each else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=20_000)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/bench-posting"))
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    source = demo(args.workdir, args.students)
    result: dict[str, Any] = {"students": args.students, "load": os.getloadavg()}

    section_db = copy(source, args.workdir / "section.db")
    section = add_section(section_db)
    url = f"sqlite:///{section_db}"
    for name, action in (("post_section", post_section), ("post_and_decide", post_and_decide)):
        runs = [timed(url, action, section, commit=False) for _ in range(3)]
        result[f"section_{name}_median_s"] = round(statistics.median(w for w, _ in runs), 3)
        result[f"section_{name}_cpu_s"] = round(statistics.median(c for _, c in runs), 3)
    result["section_post_and_decide_committed_s"] = round(
        timed(url, post_and_decide, section, commit=True)[0], 3
    )

    for name, action in (("post_section", post_section), ("post_and_decide", post_and_decide)):
        term_db = copy(source, args.workdir / f"term-{name}.db")
        term, sections, enrollments, students = unpost_term(term_db)
        result["term"] = {"sections": len(sections), "enrollments": enrollments,
                          "students": students}  # fmt: skip
        result[f"term_{name}"] = whole_term(f"sqlite:///{term_db}", action, sections)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
