"""Confidentiality at scale: `audit verify` over a long audit log, the audit viewer's student
filter, one sign-in, and the backup of a large demo database, each against raw sqlite3 doing the
same work on the same data where there is such a thing.

A synthetic log of --events events (valid hashes, spread over --students students) is written
into a fresh database in --workdir; the shared demo database is only read (backup source).
Prints one JSON object.

    python bench/bench_confidentiality.py --workdir /tmp/h7bench --events 200000 \
        --backup-source /tmp/bench/bench-demo-1000000.db
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sqlite3
import statistics
import time
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from recordsdesk.db import open_database, session_scope
from recordsdesk.models import AuditEvent, Student
from recordsdesk.services.access.accounts import add_user, sign_in
from recordsdesk.services.access.actor import system_actor
from recordsdesk.services.audit import trail as audit
from recordsdesk.services.audit.verify import verify_chain
from recordsdesk.services.audit.view import AuditFilter, query_audit
from recordsdesk.services.upkeep.backup import backup_database


def timed(fn: Any, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def summary(ms: list[float]) -> dict[str, float]:
    ordered = sorted(ms)
    return {
        "median_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(ordered[max(0, int(len(ordered) * 0.95) - 1)], 2),
        "runs": len(ordered),
    }


def build_log(path: Path, events: int, students: int) -> str:
    url = f"sqlite:///{path}"
    if path.exists():
        return url
    engine = open_database(url)
    with session_scope(engine) as session:
        actor = system_actor(session)
        session.add_all(
            Student(student_number=f"S{i:07d}", legal_last_name=f"Name{i}", status="active")
            for i in range(1, students + 1)
        )
    with closing(sqlite3.connect(path)) as db:
        rng = random.Random(7)
        previous = ""
        start = datetime(2025, 1, 1, tzinfo=UTC)
        rows = []
        for n in range(1, events + 1):
            event = AuditEvent(
                occurred_at=start + timedelta(seconds=n * 30),
                actor_id=actor.id,
                actor_username=actor.username,
                action="update",
                entity="student",
                entity_id=str(rng.randint(1, students)),
                student_id=rng.randint(1, students),
                before=json.dumps({"city": "Old"}),
                after=json.dumps({"city": f"New {n}"}),
                reason="",
            )
            event.prev_hash = previous
            event.entry_hash = audit.entry_hash(previous, event)
            previous = event.entry_hash
            rows.append(
                (
                    n + 1000,
                    event.occurred_at.isoformat(sep=" "),
                    actor.id,
                    actor.username,
                    event.action,
                    event.entity,
                    event.entity_id,
                    event.student_id,
                    event.before,
                    event.after,
                    event.reason,
                    event.prev_hash,
                    event.entry_hash,
                )
            )
        db.executemany(
            "INSERT INTO audit_event (id, occurred_at, actor_id, actor_username, action, entity,"
            " entity_id, student_id, before, after, reason, prev_hash, entry_hash)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
        db.commit()
    engine.dispose()
    return url


def bench_backup(source: Path, workdir: Path, runs: int) -> tuple[list[float], list[float]]:
    """Milliseconds of `backup_database` on `source` and of sqlite3's own backup API copying
    the same file, alternating; the copies are deleted after each run."""
    target = workdir / "backup-copy.db"
    raw_target = workdir / "raw-copy.db"

    def raw_backup() -> None:
        with (
            closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as s,
            closing(sqlite3.connect(raw_target)) as d,
        ):
            s.backup(d)

    service: list[float] = []
    raw: list[float] = []
    for _ in range(runs):
        service += timed(lambda: backup_database(f"sqlite:///{source}", target), 1)
        raw += timed(raw_backup, 1)
        target.unlink()
        raw_target.unlink()
    return service, raw


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--students", type=int, default=20_000)
    parser.add_argument("--backup-source", type=Path)
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    path = args.workdir / f"audit-{args.events}.db"
    url = build_log(path, args.events, args.students)
    engine = open_database(url)
    with session_scope(engine) as session:
        actor = system_actor(session)
    result: dict[str, Any] = {"events": args.events, "load_avg": os.getloadavg()[0]}

    def verify() -> None:
        with session_scope(engine) as session:
            assert verify_chain(session, actor=actor).intact

    def raw_walk() -> None:  # raw sqlite3: read every row and hash a comparable payload
        with closing(sqlite3.connect(path)) as db:
            for row in db.execute("SELECT * FROM audit_event ORDER BY id"):
                hashlib.sha256(repr(row).encode()).hexdigest()

    result["verify"] = summary(timed(verify, 3))
    result["verify_raw_sqlite3"] = summary(timed(raw_walk, 3))
    rng = random.Random(11)
    ids = [rng.randint(1, args.students) for _ in range(50)]
    it = iter(ids)

    def view() -> None:
        with session_scope(engine) as session:
            query_audit(session, actor=actor, filters=AuditFilter(student_id=next(it)))

    result["viewer_student_filter"] = summary(timed(view, 50))
    it2 = iter(ids)

    def raw_view() -> None:
        with closing(sqlite3.connect(path)) as db:
            db.execute(
                "SELECT * FROM audit_event WHERE student_id = ? ORDER BY id DESC LIMIT 201",
                (next(it2),),
            ).fetchall()

    result["viewer_raw_sqlite3"] = summary(timed(raw_view, 50))
    with session_scope(engine) as session:
        try:
            add_user(
                session,
                actor=actor,
                username="bench",
                role="clerk",
                full_name="",
                password="counter lamp 42",
            )
        except Exception:  # noqa: BLE001 - already there from an earlier run
            pass
    result["sign_in"] = summary(timed(lambda: sign_in(engine, "bench", "counter lamp 42"), 10))
    if args.backup_source:
        backup, raw = bench_backup(args.backup_source, args.workdir, runs=1)
        result["backup"] = summary(backup)
        result["backup_raw_sqlite3"] = summary(raw)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
