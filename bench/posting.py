"""Posting a section's marks at scale (the `posting` group of `python -m bench`).

Posting makes a roster's marks final and decides each student's academic standing for the term
(`transcripts.standing.post_and_decide`), then brings the stored term totals up to date: the
registrar's F8 on a roster. A 300-student section of the newest closed fall or spring term is
added to the run's copy with every mark entered; each run posts it and rolls back, so every run
starts from the same state. Raw: every statement the service sent (reads and writes), replayed
on plain sqlite3 in one transaction and rolled back.
"""

from __future__ import annotations

import sqlite3
import time
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import bench_grade_entry
from bench.harness import Row
from bench.paths import Statements, recorded

ROSTER = 300
COURSE = "BENCH-POST"
MARKS = ("A", "B+", "B", "C", "D", "F", "A-", "C+")


def newest_closed_term(con: sqlite3.Connection) -> int:
    """The newest closed fall or spring term (a summer term is a tenth of the size)."""
    row = con.execute(
        "SELECT id FROM term WHERE status = 'closed' AND code NOT LIKE '%SU'"
        " ORDER BY start_date DESC LIMIT 1"
    ).fetchone()
    return int(row[0])


def add_section(path: Path) -> int:
    """A 300-student section of a letter-graded course in the newest closed fall or spring
    term, every mark entered, its students ones with other posted marks that term (so posting
    decides a standing from a full term, as it does in an office)."""
    with closing(sqlite3.connect(path)) as con:
        term = newest_closed_term(con)
        scale = con.execute("SELECT id FROM grading_scale WHERE code = 'US-PM'").fetchone()[0]
        course = bench_grade_entry.clone_course(con, COURSE, "Posting benchmark", scale)
        con.execute(
            "INSERT INTO section (course_id, term_id, section_code, instructor, capacity,"
            " waitlist_capacity, meeting_days, room) VALUES (?, ?, '01', 'Dr. Bench', ?, 0,"
            " 'MWF', '')",
            (course, term, ROSTER),
        )
        (section,) = con.execute("SELECT id FROM section WHERE course_id = ?", (course,)).fetchone()
        students = [
            r[0]
            for r in con.execute(
                "SELECT DISTINCT e.student_id FROM enrollment e"
                " JOIN section s ON s.id = e.section_id"
                " WHERE s.term_id = ? AND e.grade_status = 'posted'"
                " ORDER BY e.student_id LIMIT ?",
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
    return int(section)


def replay_rolled_back(path: Path, sent: Statements) -> float:
    """Seconds plain sqlite3 takes to run `sent` in one transaction (then rolled back)."""
    with closing(bench_grade_entry.raw_connection(path)) as raw:
        start = time.perf_counter()
        raw.execute("BEGIN IMMEDIATE")
        for sql, params, many in sent:
            if sql.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT")):
                continue
            if many:
                raw.executemany(sql, params)
            else:
                raw.execute(sql, params or ()).fetchall()
        seconds = time.perf_counter() - start
        raw.execute("ROLLBACK")
    return seconds


def post_section(engine: Any, path: Path, repeat: int) -> Row:
    """post_and_decide on the added 300-student section, `repeat` times from the same state."""
    from sqlmodel import Session

    from recordsdesk.services.access.actor import actor_for
    from recordsdesk.services.transcripts.standing import post_and_decide

    section = add_section(path)

    def once(record: bool) -> tuple[float, Statements]:
        with Session(engine) as session:
            actor = actor_for(session, "registrar")
            session.commit()  # the sign-in's reads are not the posting's
            with recorded(engine) as sent:
                start = time.perf_counter()
                post_and_decide(session, actor=actor, section_id=section)
                session.flush()
                seconds = time.perf_counter() - start
            session.rollback()
        return seconds, sent if record else []

    _, sent = once(record=True)  # warm, and what raw replays
    service, raws = [], []
    for _ in range(repeat):
        service.append(once(record=False)[0])
        raws.append(replay_rolled_back(path, sent))
    writes = sum(1 for sql, _, _ in sent if not sql.lstrip().upper().startswith("SELECT"))
    return Row(
        f"post a section ({ROSTER} marks and standings)",
        service,
        raws,
        note=f"rolled back each run; raw: the {len(sent)} statements it sent ({writes} "
        "writing), on sqlite3",
    )
