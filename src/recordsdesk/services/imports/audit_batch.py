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
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import text
from sqlmodel import Session, col, select

from recordsdesk.models import AuditEvent, utcnow
from recordsdesk.services import audit
from recordsdesk.services.actor import Actor
from recordsdesk.services.imports.bulk import insert_rows

#: Rows per INSERT statement: large enough to amortise the round trip, small enough for memory.
CHUNK = 5_000


@dataclass(slots=True)
class _Event:
    """The hashed fields of an audit event (an ORM object per event would cost more than the
    rest of the import)."""

    occurred_at: datetime
    actor_id: int | None
    actor_username: str
    action: str
    entity: str
    entity_id: str
    student_id: int | None
    before: str | None
    after: str | None
    reason: str
    prev_hash: str = ""
    entry_hash: str = ""


_COLUMNS = (
    "occurred_at",
    "actor_id",
    "actor_username",
    "action",
    "entity",
    "entity_id",
    "student_id",
    "before",
    "after",
    "reason",
    "prev_hash",
    "entry_hash",
)


def _json_value(value: object) -> str:
    """Dates and times as ISO text, decimals as text: what audit.snapshot stores."""
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _dump(values: dict[str, Any] | None) -> str | None:
    if not values:
        return None
    return json.dumps(values, ensure_ascii=False, sort_keys=True, default=_json_value)


class AuditBatch:
    """Events gathered during an import, written by `flush` inside the import's transaction."""

    def __init__(self, session: Session, actor: Actor, *, reason: str = "") -> None:
        self.session = session
        self.actor = actor
        self.reason = reason
        self.pending: list[_Event] = []
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
            _Event(
                utcnow(),
                self.actor.id,
                self.actor.username,
                action,
                entity,
                str(entity_id),
                student_id,
                _dump(before),
                _dump(after),
                self.reason,
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
        rows: list[tuple[Any, ...]] = []
        for event in self.pending:
            event.prev_hash = prev_hash
            event.entry_hash = audit.entry_hash(prev_hash, cast(AuditEvent, event))
            prev_hash = event.entry_hash
            rows.append(tuple(getattr(event, name) for name in _COLUMNS))
        table = AuditEvent.__table__  # type: ignore[attr-defined]
        for start in range(0, len(rows), CHUNK):
            insert_rows(session, table, _COLUMNS, rows[start : start + CHUNK])
        count = len(rows)
        self.written += count
        self.pending = []
        return count
