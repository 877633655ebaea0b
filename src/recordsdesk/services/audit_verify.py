"""`recordsdesk audit verify`: recompute the audit log's hash chain and name the first broken link.

Each event's `entry_hash` covers its content and `prev_hash`, and `prev_hash` must equal the
stored hash of the event before it (by id). So an edited row fails its own hash, and a deleted
row leaves its successor pointing at a hash that no longer precedes it. Deleting the newest
rows only shortens the chain, which no chain can tell from the inside; `last_hash` is printed so
an office can note it (or compare it with a backup) and catch that too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from sqlalchemy import select
from sqlmodel import Session, col

from recordsdesk.models import AuditEvent
from recordsdesk.services import audit
from recordsdesk.services.actor import Actor
from recordsdesk.services.permissions import Action, authorize

_BATCH = 5000
#: Every column the hash covers, read as plain rows (several times faster than ORM objects).
_COLUMNS = (
    col(AuditEvent.id),
    col(AuditEvent.occurred_at),
    col(AuditEvent.actor_username),
    col(AuditEvent.action),
    col(AuditEvent.entity),
    col(AuditEvent.entity_id),
    col(AuditEvent.student_id),
    col(AuditEvent.before),
    col(AuditEvent.after),
    col(AuditEvent.reason),
    col(AuditEvent.prev_hash),
    col(AuditEvent.entry_hash),
)


@dataclass(frozen=True)
class BrokenLink:
    """The first event whose stored hashes do not follow from the rows before it."""

    event_id: int
    problem: str
    previous_id: int | None


@dataclass(frozen=True)
class ChainReport:
    checked: int
    last_id: int | None
    last_hash: str
    broken: BrokenLink | None

    @property
    def intact(self) -> bool:
        return self.broken is None

    def describe(self) -> str:
        if self.broken is None:
            tail = f", newest event {self.last_id}, hash {self.last_hash}" if self.last_id else ""
            return f"Audit chain intact: {self.checked} events{tail}."
        link = self.broken
        after = f" (the event before it is {link.previous_id})" if link.previous_id else ""
        return (
            f"Audit chain BROKEN at event {link.event_id}{after}: {link.problem}. "
            f"{self.checked} events were checked up to it."
        )


def verify_chain(session: Session, *, actor: Actor) -> ChainReport:
    """Walk the whole log in id order (in batches, so a long log does not fill memory) and stop
    at the first broken link."""
    authorize(actor, Action.AUDIT_VIEW)
    previous_hash = ""
    previous_id: int | None = None
    checked = 0
    after_id = 0
    while True:
        query = (
            select(*_COLUMNS)
            .where(col(AuditEvent.id) > after_id)
            .order_by(col(AuditEvent.id))
            .limit(_BATCH)
        )
        batch = session.execute(query).all()
        if not batch:
            break
        for row in batch:
            event = cast(AuditEvent, row)  # the same attributes, without building ORM objects
            assert event.id is not None
            problem = _problem(event, previous_hash, previous_id)
            if problem:
                return ChainReport(
                    checked, previous_id, previous_hash, BrokenLink(event.id, problem, previous_id)
                )
            checked += 1
            previous_hash, previous_id = event.entry_hash, event.id
        after_id = previous_id or after_id
    return ChainReport(checked, previous_id, previous_hash, None)


def _problem(event: AuditEvent, previous_hash: str, previous_id: int | None) -> str:
    if event.prev_hash != previous_hash:
        if previous_id is None:
            return "it links to an earlier event that is no longer in the log (deleted)"
        return (
            f"it does not link to event {previous_id}: an event between them was deleted, "
            f"or one of them was altered"
        )
    if audit.entry_hash(event.prev_hash, event) != event.entry_hash:
        return "its content no longer matches its hash (edited outside the desk)"
    return ""
