"""Audit events written in bulk: one event per changed record, as `audit.record` writes them,
but hashed in Python and inserted many at a time.

`audit.record` flushes and reads the previous hash once per event, which is most of the time a
100,000-row import would take. The chain is the same: `audit.open_chain` takes the chain's lock
and reads its end once, and each event gets the next id and its keyed link from it, in order.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

from sqlmodel import Session

from recordsdesk.models import AuditEvent, utcnow
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.audit import trail as audit
from recordsdesk.services.audit.key import load_key
from recordsdesk.services.interchange.imports.audit_text import json_text, json_value
from recordsdesk.services.interchange.imports.bulk import insert_rows

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
    key_id: str
    tail: str = ""  # the hashed fields after the id, serialised (audit.hash_tail)
    id: int | None = None
    prev_hash: str = ""
    entry_hash: str = ""


_COLUMNS = (
    "id",
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
    "key_id",
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

    def __init__(
        self, session: Session, actor: Actor, *, reason: str = "", at: datetime | None = None
    ) -> None:
        """`at`: the time every event of the batch carries (one import's changes commit
        together); by default each event's own moment."""
        self.session = session
        self.actor = actor
        self.reason = reason
        self.at = at
        self.pending: list[_Event] = []
        self.written = 0
        key = load_key()
        assert key is not None
        self.key_id = key.key_id

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
        """Gather one event, serialised for its hash now, before the chain's lock is held."""
        event = _Event(
            self.at or utcnow(),
            self.actor.id,
            self.actor.username,
            action,
            entity,
            str(entity_id),
            student_id,
            _dump(before),
            _dump(after),
            self.reason,
            self.key_id,
        )
        event.tail = audit.hash_tail(*audit.fields_of(cast(AuditEvent, event))[1:])
        self.pending.append(event)

    def add_many(
        self,
        *,
        action: str,
        entity: str,
        entity_ids: Sequence[int],
        befores: Sequence[str | None] | None = None,
        afters: Sequence[str | None],
    ) -> None:
        """Gather one event per id of a student's own record (`entity_id` = `student_id`),
        its before and after already JSON text (`audit_text.json_objects`): the events `add`
        would gather, their hashed tails joined from pieces instead of encoded one by one."""
        at = self.at or utcnow()
        head = ",".join(
            map(json_value, (at.isoformat(), self.actor.id, self.actor.username, action, entity))
        )
        end = ",".join(map(json_value, (self.reason, self.key_id)))
        olds = befores if befores is not None else [None] * len(entity_ids)
        actor, reason, key_id = self.actor, self.reason, self.key_id
        for row_id, before, after in zip(entity_ids, olds, afters, strict=True):
            event = _Event(
                at, actor.id, actor.username, action, entity, str(row_id), row_id, before, after,
                reason, key_id,
            )  # fmt: skip
            event.tail = f'{head},"{row_id}",{row_id},{json_text(before)},{json_text(after)},{end}'
            self.pending.append(event)

    def flush(self) -> int:
        """Write every pending event, chained after the newest one in the log; return how many."""
        if not self.pending:
            return 0
        session = self.session
        end = audit.open_chain(session, self.actor)
        rows: list[tuple[Any, ...]] = []
        if end.key.key_id != self.key_id:  # pragma: no cover - one key per desk process
            raise AssertionError("the audit key changed during an import")
        seal = end.seal_tail
        for e in self.pending:  # the order of _COLUMNS, spelled out: this runs under the lock
            e.id, e.prev_hash, e.entry_hash = seal(e.tail)
            rows.append(
                (e.id, e.occurred_at, e.actor_id, e.actor_username, e.action, e.entity,
                 e.entity_id, e.student_id, e.before, e.after, e.reason, e.key_id, e.prev_hash,
                 e.entry_hash)
            )  # fmt: skip
        table = AuditEvent.__table__  # type: ignore[attr-defined]
        for start in range(0, len(rows), CHUNK):
            insert_rows(session, table, _COLUMNS, rows[start : start + CHUNK])
        count = len(rows)
        self.written += count
        self.pending = []
        return count
