"""Grade entry at scale, for the `grades` group of `python -m bench`: roster load and one mark
save against raw sqlite3 on the same data, and a Pilot run keying marks through the database
store against the same run through the in-memory store. The demo is never modified: a copy is
made first and a 300-student section built in it. Also the copying and raw-connection helpers
other groups share."""

from __future__ import annotations

import asyncio
import random
import sqlite3
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from recordsdesk.db import open_database
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.grades.roster import DbRosterStore, MemoryRosterStore, RosterStore

ROSTER = 300
RUNS = 300
BENCH_COURSE = "BENCH300"


def copy_database(source: Path, target: Path) -> None:
    """The source and its WAL, so the copy sees every committed page (read via sqlite backup)."""
    if target.exists():
        return
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    src.backup(dst, pages=65536)
    dst.close()
    src.close()


def clone_course(con: sqlite3.Connection, code: str, title: str, scale: int) -> int:
    """A new course copied from an existing row, so whatever columns this schema version has
    are filled; its id."""
    columns = [r[1] for r in con.execute("PRAGMA table_info(course)") if r[1] != "id"]
    picked = ", ".join(
        {"code": "?", "title": "?", "grading_scale_id": "?"}.get(c, c) for c in columns
    )
    values = [{"code": code, "title": title, "grading_scale_id": scale}[c]
              for c in columns if c in ("code", "title", "grading_scale_id")]  # fmt: skip
    con.execute(
        f"INSERT INTO course ({', '.join(columns)}) SELECT {picked} FROM course LIMIT 1", values
    )
    (course,) = con.execute("SELECT id FROM course WHERE code = ?", (code,)).fetchone()
    return int(course)


def build_section(path: Path, seed: int = 7) -> int:
    """A fresh 300-student section of a US-PM course in the newest term (idempotent)."""
    con = sqlite3.connect(path)
    found = con.execute(
        "SELECT s.id FROM section s JOIN course c ON c.id = s.course_id WHERE c.code = ?",
        (BENCH_COURSE,),
    ).fetchone()
    if found:
        con.close()
        return int(found[0])
    scale = con.execute("SELECT id FROM grading_scale WHERE code = 'US-PM'").fetchone()[0]
    term = con.execute("SELECT id FROM term ORDER BY start_date DESC LIMIT 1").fetchone()[0]
    course = clone_course(con, BENCH_COURSE, "Benchmark Seminar", scale)
    con.execute(
        "INSERT INTO section (course_id, term_id, section_code, instructor, capacity,"
        " waitlist_capacity, meeting_days, room) VALUES (?, ?, '01', 'Dr. Bench', 300, 0, 'MWF',"
        " '')",
        (course, term),
    )
    section = con.execute("SELECT id FROM section WHERE course_id = ?", (course,)).fetchone()[0]
    top = con.execute("SELECT max(id) FROM student").fetchone()[0]
    rng = random.Random(seed)
    students = rng.sample(range(1, top + 1), ROSTER)
    now = datetime.now(UTC).isoformat(sep=" ")
    con.executemany(
        "INSERT INTO enrollment (student_id, section_id, status, registered_at, grade_status,"
        " override_reason, version) VALUES (?, ?, 'registered', ?, 'none', '', 1)",
        [(s, section, now) for s in students],
    )
    con.commit()
    con.close()
    return int(section)


def quantiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return {"median_ms": round(statistics.median(ordered) * 1e3, 3), "p95_ms": round(p95 * 1e3, 3)}


RAW_ROSTER = """
SELECT e.id, e.student_id, s.student_number, s.legal_last_name, s.legal_first_name, e.status,
       e.mark, e.grade_status, e.incomplete_expires, e.version
  FROM enrollment e JOIN student s ON s.id = e.student_id
 WHERE e.section_id = ? AND e.status IN ('registered', 'completed', 'withdrawn')
"""
RAW_EARLIER = """
SELECT e.student_id, e.mark, t.start_date
  FROM enrollment e JOIN section s ON s.id = e.section_id JOIN term t ON t.id = s.term_id
 WHERE s.course_id = ? AND t.start_date < ? AND e.mark IS NOT NULL
   AND e.student_id IN (SELECT student_id FROM enrollment WHERE section_id = ?)
"""


def raw_connection(path: Path) -> sqlite3.Connection:
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")
    con.execute("PRAGMA cache_size=-32768")  # as the desk's connections (db.py)
    return con


def raw_save(con: sqlite3.Connection, actor: Actor, number: int, row: tuple[Any, ...]) -> None:
    """The floor for one save: the guarded UPDATE and one audit INSERT in a committed
    transaction (synchronous=FULL), with no chain hashing or checks."""
    eid, student, version = row
    con.execute("BEGIN IMMEDIATE")
    con.execute(
        "UPDATE enrollment SET mark = ?, grade_status = 'entered', version = version + 1"
        " WHERE id = ? AND version = ?",
        (("B", "A-", "C")[number % 3], eid, version),
    )
    con.execute(
        "INSERT INTO audit_event (occurred_at, actor_id, actor_username, action, entity,"
        " entity_id, student_id, before, after, reason, prev_hash, entry_hash)"
        " VALUES (?, ?, 'bench', 'grade.enter', 'enrollment', ?, ?, '{}', '{}', '', '', '')",
        (datetime.now(UTC).isoformat(sep=" "), actor.id, str(eid), student),
    )
    con.execute("COMMIT")


def bench_service(
    path: Path, section: int, actor: Actor, runs: int = RUNS, save_count: int = ROSTER
) -> dict[str, Any]:
    """Service and raw sqlite3 alternate call by call, so both see the same page cache and the
    same load on the machine (timing one block after the other favoured whichever ran second)."""
    engine = open_database(f"sqlite:///{path}", migrate=False)
    store = DbRosterStore(engine, actor)
    con = raw_connection(path)
    course, start_date = con.execute(
        "SELECT s.course_id, t.start_date FROM section s JOIN term t ON t.id = s.term_id"
        " WHERE s.id = ?",
        (section,),
    ).fetchone()

    def raw_roster() -> list[Any]:
        rows = con.execute(RAW_ROSTER, (section,)).fetchall()
        con.execute(RAW_EARLIER, (course, start_date, section)).fetchall()
        return rows

    for _ in range(20):
        roster = store.roster(section)
        raw_roster()
    load, raw_load, load_cpu, raw_load_cpu = [], [], [], []
    for _ in range(runs):
        start, cpu = time.perf_counter(), time.process_time()
        roster = store.roster(section)
        load.append(time.perf_counter() - start)
        load_cpu.append(time.process_time() - cpu)
        start, cpu = time.perf_counter(), time.process_time()
        rows = raw_roster()
        raw_load.append(time.perf_counter() - start)
        raw_load_cpu.append(time.process_time() - cpu)
    assert len(rows) == ROSTER == len(roster.rows)
    saves, raw_saves, saves_cpu, raw_saves_cpu = [], [], [], []
    for number, row in enumerate(roster.rows[:save_count]):
        start, cpu = time.perf_counter(), time.process_time()
        saved = store.save(
            row.enrollment_id, row.version, ("A", "B+", "C-")[number % 3], None, roster.rules
        )
        saves.append(time.perf_counter() - start)
        saves_cpu.append(time.process_time() - cpu)
        start, cpu = time.perf_counter(), time.process_time()
        raw_save(con, actor, number, (row.enrollment_id, row.student_id, saved.version))
        raw_saves.append(time.perf_counter() - start)
        raw_saves_cpu.append(time.process_time() - cpu)
    con.close()
    engine.dispose()
    return {
        "roster_load": quantiles(load),
        "roster_load_raw_sqlite3": quantiles(raw_load),
        "mark_save": quantiles(saves),
        "mark_save_raw_sqlite3": quantiles(raw_saves),
        # CPU time of this process per call: what the work costs, apart from waiting for a core
        # on a shared machine (and, for saves, for the disk's fsync).
        "cpu": {
            "roster_load": quantiles(load_cpu),
            "roster_load_raw_sqlite3": quantiles(raw_load_cpu),
            "mark_save": quantiles(saves_cpu),
            "mark_save_raw_sqlite3": quantiles(raw_saves_cpu),
        },
        "ratio_median": {
            "roster_load": round(statistics.median(load) / statistics.median(raw_load), 2),
            "mark_save": round(statistics.median(saves) / statistics.median(raw_saves), 2),
        },
    }


async def key_roster(
    engine: Any, store: RosterStore, section: int, actor: Actor, marks: int = ROSTER
) -> float:
    """Seconds from the first keystroke to the last save reported back, `marks` marks typed
    (the whole roster by default)."""
    from recordsdesk.ui.app import make_app
    from recordsdesk.ui.screens.grades.entry import RosterScreen

    app = make_app(engine, username=actor.username)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = RosterScreen(store, section)
        await app.push_screen(screen)
        while screen.roster is None:
            await pilot.pause()
        start = time.perf_counter()
        for number in range(marks):
            await pilot.press(("a", "b", "c", "d")[number % 4], "enter")
        while not screen._requests.empty() or any(
            t.plain == "saving…" for t in screen.results.values()
        ):
            await pilot.pause()
        elapsed = time.perf_counter() - start
        assert all(t.plain == "✓" for t in screen.results.values()), "a save failed"
    return elapsed


def bench_pilot(
    path: Path, section: int, actor: Actor, rounds: int, marks: int = ROSTER
) -> dict[str, Any]:
    engine = open_database(f"sqlite:///{path}", migrate=False)
    db_times, memory_times = [], []
    for _ in range(rounds):
        store: RosterStore = DbRosterStore(engine, actor)
        memory = MemoryRosterStore(store.roster(section))
        # Each round starts from whatever marks are stored; both runs key the same roster.
        memory_times.append(asyncio.run(key_roster(engine, memory, section, actor, marks)))
        db_times.append(asyncio.run(key_roster(engine, store, section, actor, marks)))
    engine.dispose()
    db, memory_best = statistics.median(db_times), statistics.median(memory_times)
    return {
        "pilot_300_marks_db_s": [round(t, 2) for t in db_times],
        "pilot_300_marks_memory_s": [round(t, 2) for t in memory_times],
        "pilot_ratio_db_over_memory": round(db / memory_best, 3),
    }
