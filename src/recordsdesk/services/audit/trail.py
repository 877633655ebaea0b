"""The audit trail: who, when, what, before and after, chained by keyed hashes.

`record` is called inside the service's own transaction, so a change and its audit event are
committed together or not at all.

Each event's `entry_hash` is an HMAC-SHA256, under the desk's audit key (`audit.key`, kept
outside the database), of every field of the event, its id and the hash of the event before it;
ids follow one another without gaps (each is the previous plus one, given under the chain's
lock). Events written before the chain was keyed keep the first rule (a plain SHA-256 of the
content fields, `key_id` empty); the first keyed event after them is a recorded switch-over
(`audit_chain_keyed`). `audit.verify` checks both parts.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

from sqlmodel import Session, SQLModel

from recordsdesk.models import AuditEvent, utcnow
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.audit.key import AuditKey, AuditKeyProblem, load_key
from recordsdesk.services.shared.rawsql import Statement


def plain(value: Any) -> Any:
    """A value as the audit log stores it (JSON): decimals and dates as their text."""
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
    return {k: plain(v) for k, v in data.items()}


def diff(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the fields that changed, as (before, after)."""
    changed = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in changed}, {k: after[k] for k in changed}


#: The action of the event that starts the keyed part of a chain begun without a key.
SWITCH_OVER = "audit_chain_keyed"
#: `key_id` of events hashed by the first, unkeyed rule.
UNKEYED = ""


def legacy_hash(prev_hash: str, event: AuditEvent) -> str:
    """The first rule: a plain SHA-256 of the content fields and the predecessor's hash (no
    id, no actor id, no key: anyone holding the database could recompute it)."""
    payload = json.dumps(
        [
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
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def keyed_hash(secret: bytes, prev_hash: str, *fields: object) -> str:
    """The keyed rule over every field of an event, in `fields_of` order after `prev_hash`."""
    payload = json.dumps([prev_hash, *fields], ensure_ascii=False, separators=(",", ":"))
    return hmac.digest(secret, payload.encode("utf-8"), "sha256").hex()


def hash_tail(*fields_after_id: object) -> str:
    """The part of `keyed_hash`'s payload after the id, serialised ahead of time: a bulk
    writer prepares it before it holds the chain's lock (`ChainEnd.seal_tail`)."""
    # One list encoded, its brackets cut: the same text as each field encoded and joined by
    # commas, for one encoder call instead of a dozen.
    return json.dumps(list(fields_after_id), ensure_ascii=False, separators=(",", ":"))[1:-1]


def fields_of(event: AuditEvent) -> tuple[object, ...]:
    """An event's hashed fields, as `keyed_hash` takes them."""
    return (
        event.id,
        event.occurred_at.isoformat() if event.occurred_at else "",
        event.actor_id,
        event.actor_username,
        event.action,
        event.entity,
        event.entity_id,
        event.student_id,
        event.before,
        event.after,
        event.reason,
        event.key_id,
    )


def entry_hash(prev_hash: str, event: AuditEvent, key: AuditKey | None = None) -> str:
    """The hash `event` must carry after `prev_hash`, by the rule it was written under (the
    keyed rule needs this desk's key, which must be the event's)."""
    if event.key_id == UNKEYED:
        return legacy_hash(prev_hash, event)
    key = key or load_key()
    assert key is not None
    if key.key_id != event.key_id:
        raise AuditKeyProblem(_other_key(key, event.key_id))
    return keyed_hash(key.secret, prev_hash, *fields_of(event))


def _other_key(key: AuditKey, chain_key_id: str) -> str:
    return (
        f"This database's audit log is keyed with audit key {chain_key_id}, and this desk's key "
        f"({key.path}) is {key.key_id}. Every desk on one database needs the office's key "
        f"file: copy it to {key.path} (docs/audit-and-restore.md)."
    )


# Any constant works; it only has to be the same for every desk on the database.
AUDIT_CHAIN_LOCK = 0x72645F6175646974

_TABLE = AuditEvent.__table__  # type: ignore[attr-defined]
_HEAD = Statement("SELECT id, entry_hash, key_id FROM audit_event ORDER BY id DESC LIMIT 1")
_INSERT = Statement(
    "INSERT INTO audit_event (id, occurred_at, actor_id, actor_username, action, entity, "
    'entity_id, student_id, "before", "after", reason, key_id, prev_hash, entry_hash) VALUES '
    "(:id, :occurred_at, :actor_id, :actor_username, :action, :entity, :entity_id, "
    ":student_id, :before, :after, :reason, :key_id, :prev_hash, :entry_hash)",
    binds={"occurred_at": _TABLE.c.occurred_at},
)
_PG_LOCK = Statement("SELECT pg_advisory_xact_lock(:key)")
_SQLITE_WRITE_LOCK = Statement("BEGIN IMMEDIATE")


def hold_chain_lock(session: Session) -> None:
    """Make this transaction the only one that may append until it ends, before the chain's
    head is read. PostgreSQL: the advisory lock. SQLite: the database write lock, which a
    transaction holds from its first write on (a grade save has already written its mark); the
    driver opens a transaction only at a write, so one with none yet begins IMMEDIATE."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        _PG_LOCK.rows(session, {"key": AUDIT_CHAIN_LOCK})
    elif not connection.connection.driver_connection.in_transaction:  # type: ignore[union-attr]
        _SQLITE_WRITE_LOCK.execute(session)


@dataclass
class ChainEnd:
    """Where the next event goes: its id and the hash it links to, under `key`. Valid while
    this transaction holds the chain's lock (`open_chain`)."""

    next_id: int
    prev_hash: str
    key: AuditKey

    def seal(self, event: AuditEvent) -> None:
        """Give `event` the next id and its links, and move the end past it."""
        event.id = self.next_id
        event.key_id = self.key.key_id
        event.prev_hash = self.prev_hash
        event.entry_hash = keyed_hash(self.key.secret, self.prev_hash, *fields_of(event))
        self.next_id += 1
        self.prev_hash = event.entry_hash

    def seal_tail(self, tail: str) -> tuple[int, str, str]:
        """(id, prev_hash, entry_hash) of the next event, whose fields after the id are
        `tail` (`hash_tail`); the same hash `seal` gives."""
        event_id, prev_hash = self.next_id, self.prev_hash
        payload = f'["{prev_hash}",{event_id},{tail}]'
        digest = hmac.digest(self.key.secret, payload.encode("utf-8"), "sha256").hex()
        self.next_id, self.prev_hash = event_id + 1, digest
        return event_id, prev_hash, digest


def open_chain(session: Session, actor: Actor) -> ChainEnd:
    """Take the chain's lock and read its end (one query). A chain begun without a key gets
    its switch-over event first; a chain keyed with another key refuses (AuditKeyProblem)."""
    hold_chain_lock(session)
    key = load_key()
    assert key is not None
    head = _HEAD.first(session)
    if head is None:
        return ChainEnd(1, "", key)
    last_id, last_hash, last_key = head
    end = ChainEnd(int(last_id) + 1, str(last_hash), key)
    if last_key == key.key_id:
        return end
    if last_key != UNKEYED:
        raise AuditKeyProblem(_other_key(key, str(last_key)))
    switch = AuditEvent(
        occurred_at=utcnow(),
        actor_id=actor.id,
        actor_username=actor.username,
        action=SWITCH_OVER,
        entity="audit",
        entity_id=str(last_id),
        after=json.dumps({"key_id": key.key_id, "rule": "hmac-sha256"}, sort_keys=True),
        reason="the audit chain is keyed from this event on",
    )
    end.seal(switch)
    _insert(session, switch)
    return end


def _insert(session: Session, event: AuditEvent) -> None:
    _INSERT.execute(
        session,
        {
            "id": event.id,
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
            "key_id": event.key_id,
            "prev_hash": event.prev_hash,
            "entry_hash": event.entry_hash,
        },
    )


@dataclass(slots=True)
class _Draft:
    """An event's fields as plain attributes (an ORM object costs more to build than the rest
    of a mark save); `seal` and `_insert` take either."""

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
    id: int | None = None
    key_id: str = ""
    prev_hash: str = ""
    entry_hash: str = ""


def _event(
    actor: Actor,
    action: str,
    entity: str,
    entity_id: object,
    student_id: int | None,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    reason: str,
) -> _Draft:
    return _Draft(
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


def _append(session: Session, actor: Actor, draft: _Draft) -> None:
    if session.new or session.dirty or session.deleted:
        session.flush()  # the change goes first, as it happened first
    open_chain(session, actor).seal(cast(AuditEvent, draft))
    _insert(session, cast(AuditEvent, draft))


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
    """Append an audit event to the session's transaction (written, not committed); returned
    as a detached copy of the row."""
    draft = _event(actor, action, entity, entity_id, student_id, before, after, reason)
    _append(session, actor, draft)
    return AuditEvent(**{name: getattr(draft, name) for name in _Draft.__slots__})


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
    """`record` for the grade-entry hot path: the same row and the same chain guarantees (one
    query for the chain's end, one INSERT), without building an ORM object."""
    _append(
        session,
        actor,
        _event(actor, action, entity, entity_id, student_id, before, after, reason),
    )
