"""Confidentiality at scale, for the `audit` and `backup` groups of `python -m bench`: a
synthetic audit log with valid hashes for `audit verify` and the audit viewer's student filter,
and the backup of a large demo beside sqlite3's backup API."""

from __future__ import annotations

import json
import random
import sqlite3
import time
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from recordsdesk.db import open_database, session_scope
from recordsdesk.models import AuditEvent, Student
from recordsdesk.services.access.actor import system_actor
from recordsdesk.services.audit import trail as audit
from recordsdesk.services.upkeep.backup import backup_database


def timed(fn: Any, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


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
