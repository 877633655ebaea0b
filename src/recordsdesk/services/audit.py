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
_INSERT = Statement(
    "INSERT INTO audit_event (occurred_at, actor_id, actor_username, action, entity, entity_id, "
    'student_id, "before", "after", reason, prev_hash, entry_hash) VALUES (:occurred_at, '
    ":actor_id, :actor_username, :action, :entity, :entity_id, :student_id, :before, :after, "
    ":reason, '', '') RETURNING id",
    binds={"occurred_at": _TABLE.c.occurred_at},
)
_PREVIOUS = Statement("SELECT entry_hash FROM audit_event WHERE id < :id ORDER BY id DESC LIMIT 1")
_LINK = Statement("UPDATE audit_event SET prev_hash = :prev, entry_hash = :hash WHERE id = :id")
_PG_LOCK = Statement("SELECT pg_advisory_xact_lock(:key)")


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
) -> int:
    """`record` for the grade-entry hot path: the same row, the same hash and the same chain
    guarantees (advisory lock on PostgreSQL; on SQLite the INSERT takes the write lock before
    the predecessor is read), through three plain statements instead of two ORM flushes.
    Returns the new event's id."""
    if session.new or session.dirty or session.deleted:
        session.flush()  # ORM changes pending in this session go first, as `record` would
    occurred_at = utcnow()
    before_text = json.dumps(before, ensure_ascii=False, sort_keys=True) if before else None
    after_text = json.dumps(after, ensure_ascii=False, sort_keys=True) if after else None
    if session.connection().dialect.name == "postgresql":
        _PG_LOCK.rows(session, {"key": AUDIT_CHAIN_LOCK})
    entity_text = str(entity_id)
    event_id = int(
        _INSERT.rows(
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
            },
        )[0][0]
    )
    previous = _PREVIOUS.first(session, {"id": event_id})
    prev_hash = previous[0] if previous else ""
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
    _LINK.execute(session, {"prev": prev_hash, "hash": digest, "id": event_id})
    return event_id
