"""The audit trail: who, when, what, before and after, chained by hashes.

`record` is called inside the service's own transaction, so a change and its audit event are
committed together or not at all.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, SQLModel, col, select

from recordsdesk.models import AuditEvent, utcnow
from recordsdesk.services.actor import Actor
from recordsdesk.services.rawsql import Statement


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def snapshot(row: SQLModel, fields: list[str] | None = None) -> dict[str, Any]:
    """A JSON-ready copy of a row's fields (all of them, or the named ones)."""
    data = row.model_dump()
    if fields is not None:
        data = {k: data[k] for k in fields}
    return {k: _plain(v) for k, v in data.items()}


def diff(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the fields that changed, as (before, after)."""
    changed = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in changed}, {k: after[k] for k in changed}


def entry_hash(prev_hash: str, event: AuditEvent) -> str:
    """The hash of an event's content and its predecessor's hash (the chain's link)."""
    return _hash_fields(
        prev_hash,
        event.occurred_at.isoformat() if event.occurred_at else "",
        event.actor_username,
        event.action,
        event.entity,
        event.entity_id,
        event.student_id,
        event.before,
        event.after,
        event.reason,
    )


def _hash_fields(prev_hash: str, *content: object) -> str:
    """The one serialisation of an event the chain covers (shared by `record` and `append`)."""
    payload = json.dumps([prev_hash, *content], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


# Any constant works; it only has to be the same for every desk on the database.
AUDIT_CHAIN_LOCK = 0x72645F6175646974


def _lock_chain(session: Session) -> None:
    """Serialise appends so every event links to the one committed before it.

    Without this two desks read the same last hash and fork the chain. PostgreSQL takes a
    transaction-scoped advisory lock; SQLite serialises on its database write lock, which the
    caller's transaction holds from the event's INSERT on (see `record`).
    """
    if session.connection().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_CHAIN_LOCK})


def _hash_before(session: Session, event_id: int) -> str:
    query = (
        select(AuditEvent.entry_hash)
        .where(col(AuditEvent.id) < event_id)
        .order_by(col(AuditEvent.id).desc())
        .limit(1)
    )
    previous = session.exec(query).first()
    return previous or ""


def record(
    session: Session,
    actor: Actor,
    *,
    action: str,
    entity: str,
    entity_id: object = "",
    student_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditEvent:
    """Append an audit event to the session's transaction (flushed, not committed)."""
    event = AuditEvent(
        occurred_at=utcnow(),
        actor_id=actor.id,
        actor_username=actor.username,
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        student_id=student_id,
        before=json.dumps(before, ensure_ascii=False, sort_keys=True) if before else None,
        after=json.dumps(after, ensure_ascii=False, sort_keys=True) if after else None,
        reason=reason,
    )
    _lock_chain(session)
    session.add(event)
    session.flush()  # the INSERT takes SQLite's write lock before the predecessor is read
    assert event.id is not None
    event.prev_hash = _hash_before(session, event.id)
    event.entry_hash = entry_hash(event.prev_hash, event)
    session.flush()
    return event


# --- the same append without ORM objects, for hot paths ----------------------------------------

_TABLE = AuditEvent.__table__  # type: ignore[attr-defined]
_LAST_HASH = Statement("SELECT entry_hash FROM audit_event ORDER BY id DESC LIMIT 1")
_INSERT = Statement(
    "INSERT INTO audit_event (occurred_at, actor_id, actor_username, action, entity, entity_id, "
    'student_id, "before", "after", reason, prev_hash, entry_hash) VALUES (:occurred_at, '
    ":actor_id, :actor_username, :action, :entity, :entity_id, :student_id, :before, :after, "
    ":reason, :prev_hash, :entry_hash)",
    binds={"occurred_at": _TABLE.c.occurred_at},
)
_PG_LOCK = Statement("SELECT pg_advisory_xact_lock(:key)")
_SQLITE_WRITE_LOCK = Statement("BEGIN IMMEDIATE")


def _hold_chain_lock(session: Session) -> None:
    """Make this transaction the only one that may append until it ends, before the chain's
    last hash is read. PostgreSQL: the advisory lock. SQLite: the database write lock, which a
    transaction holds from its first write on (a grade save has already written its mark); the
    driver opens a transaction only at a write, so one with none yet begins IMMEDIATE."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        _PG_LOCK.rows(session, {"key": AUDIT_CHAIN_LOCK})
    elif not connection.connection.driver_connection.in_transaction:  # type: ignore[union-attr]
        _SQLITE_WRITE_LOCK.execute(session)


def append(
    session: Session,
    actor: Actor,
    *,
    action: str,
    entity: str,
    entity_id: object = "",
    student_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
) -> None:
    """`record` for the grade-entry hot path: the same row, the same hash and the same chain
    guarantees, in two plain statements instead of two ORM flushes. With the chain's lock held
    (`_hold_chain_lock`) the last hash cannot change before this transaction ends, so the event
    is written once, complete, instead of inserted and then linked as `record` does."""
    if session.new or session.dirty or session.deleted:
        session.flush()  # ORM changes pending in this session go first, as `record` would
    occurred_at = utcnow()
    before_text = json.dumps(before, ensure_ascii=False, sort_keys=True) if before else None
    after_text = json.dumps(after, ensure_ascii=False, sort_keys=True) if after else None
    entity_text = str(entity_id)
    _hold_chain_lock(session)
    last = _LAST_HASH.first(session)
    prev_hash = last[0] if last else ""
    digest = _hash_fields(
        prev_hash,
        occurred_at.isoformat(),
        actor.username,
        action,
        entity,
        entity_text,
        student_id,
        before_text,
        after_text,
        reason,
    )
    _INSERT.execute(
        session,
        {
            "occurred_at": occurred_at,
            "actor_id": actor.id,
            "actor_username": actor.username,
            "action": action,
            "entity": entity,
            "entity_id": entity_text,
            "student_id": student_id,
            "before": before_text,
            "after": after_text,
            "reason": reason,
            "prev_hash": prev_hash,
            "entry_hash": digest,
        },
    )
