"""Audit events written in bulk: one event per changed record, as `audit.record` writes them,
but hashed in Python and inserted many at a time.

`audit.record` flushes and reads the previous hash once per event, which is most of the time a
100,000-row import would take. The chain is the same: each event's `prev_hash` is the hash of the
event before it by id. The chain lock is taken first (PostgreSQL's advisory lock; on SQLite the
import's earlier writes already hold the database write lock), the newest hash is read once, and
the events are inserted in order, so ids follow the chain.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import insert, text
from sqlmodel import Session, col, select

from recordsdesk.models import AuditEvent, utcnow
from recordsdesk.services import audit
from recordsdesk.services.actor import Actor

#: Rows per INSERT statement: large enough to amortise the round trip, small enough for memory.
CHUNK = 5_000


def _dump(values: dict[str, Any] | None) -> str | None:
    return json.dumps(values, ensure_ascii=False, sort_keys=True) if values else None


class AuditBatch:
    """Events gathered during an import, written by `flush` inside the import's transaction."""

    def __init__(self, session: Session, actor: Actor, *, reason: str = "") -> None:
        self.session = session
        self.actor = actor
        self.reason = reason
        self.pending: list[AuditEvent] = []
        self.written = 0

    def add(
        self,
        *,
        action: str,
        entity: str,
        entity_id: object,
        student_id: int | None,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
    ) -> None:
        self.pending.append(
            AuditEvent(
                occurred_at=utcnow(),
                actor_id=self.actor.id,
                actor_username=self.actor.username,
                action=action,
                entity=entity,
                entity_id=str(entity_id),
                student_id=student_id,
                before=_dump(before),
                after=_dump(after),
                reason=self.reason,
            )
        )

    def flush(self) -> int:
        """Write every pending event, chained after the newest one in the log; return how many."""
        if not self.pending:
            return 0
        session = self.session
        if session.connection().dialect.name == "postgresql":
            session.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": audit.AUDIT_CHAIN_LOCK}
            )
        previous = session.exec(
            select(AuditEvent.entry_hash).order_by(col(AuditEvent.id).desc()).limit(1)
        ).first()
        prev_hash = previous or ""
        rows: list[dict[str, Any]] = []
        for event in self.pending:
            event.prev_hash = prev_hash
            event.entry_hash = audit.entry_hash(prev_hash, event)
            prev_hash = event.entry_hash
            rows.append(
                {
                    "occurred_at": event.occurred_at,
                    "actor_id": event.actor_id,
                    "actor_username": event.actor_username,
                    "action": event.action,
                    "entity": event.entity,
                    "entity_id": event.entity_id,
                    "student_id": event.student_id,
                    "before": event.before,
                    "after": event.after,
                    "reason": event.reason,
                    "prev_hash": event.prev_hash,
                    "entry_hash": event.entry_hash,
                }
            )
        table = AuditEvent.__table__  # type: ignore[attr-defined]
        for start in range(0, len(rows), CHUNK):
            session.execute(insert(table), rows[start : start + CHUNK])
        count = len(rows)
        self.written += count
        self.pending = []
        return count
