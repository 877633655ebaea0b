"""`recordsdesk audit verify`: recompute the audit log's chain and name the first broken link.

Each event's `entry_hash` covers its fields and `prev_hash`, and `prev_hash` must equal the
stored hash of the event before it. Keyed events (`services.audit.trail`) must also follow one
another by id without gaps and carry an HMAC only the office's key makes, so a deleted event,
an edited one, or a rewrite with recomputed hashes all break the chain for someone holding only the
database. Events from before the chain was keyed are checked by the first rule, up to the
switch-over event; an unkeyed event after it is a forgery. Finally every anchor of the chain's
head written outside the database (`audit.anchor`) must still be in the log, unchanged, so
removing the newest events shows too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from sqlalchemy import select
from sqlmodel import Session, col

from recordsdesk.models import AuditEvent
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.access.permissions import Action, authorize
from recordsdesk.services.audit import trail as audit
from recordsdesk.services.audit.anchor import Anchor, read_anchors
from recordsdesk.services.audit.key import AuditKey, load_key

_BATCH = 5000
#: Every column the hash covers, read as plain rows (several times faster than ORM objects).
_COLUMNS = (
    col(AuditEvent.id),
    col(AuditEvent.occurred_at),
    col(AuditEvent.actor_id),
    col(AuditEvent.actor_username),
    col(AuditEvent.action),
    col(AuditEvent.entity),
    col(AuditEvent.entity_id),
    col(AuditEvent.student_id),
    col(AuditEvent.before),
    col(AuditEvent.after),
    col(AuditEvent.reason),
    col(AuditEvent.key_id),
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
    at the first broken link; then check the anchors of the head."""
    authorize(actor, Action.AUDIT_VIEW)
    walk = _Walk(load_key(create=False), read_anchors(session.get_bind().engine.url))
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
            problem = walk.problem(event)
            if problem:
                return walk.report(BrokenLink(event.id, problem, walk.previous_id))
            walk.step(event)
        after_id = walk.previous_id or after_id
    cut = walk.unreached_anchor()
    if cut is not None:
        problem = (
            f"the log ends at event {walk.previous_id or 'none'}, but event {cut.event_id} was "
            f"its newest at {cut.at} ({cut.why}): the newest events were removed"
        )
        return walk.report(BrokenLink(cut.event_id or 0, problem, walk.previous_id))
    return walk.report(None)


class _Walk:
    """What the walk knows so far: the previous event, whether the keyed part has begun, and
    the anchors still to meet."""

    def __init__(self, key: AuditKey | None, anchors: list[Anchor]) -> None:
        self.key = key
        self.anchors = {a.event_id: a for a in anchors if a.event_id is not None}
        self.previous_hash = ""
        self.previous_id: int | None = None
        self.checked = 0
        self.keyed = False
        self.unkeyed_before = False

    def report(self, broken: BrokenLink | None) -> ChainReport:
        return ChainReport(self.checked, self.previous_id, self.previous_hash, broken)

    def problem(self, event: AuditEvent) -> str:
        anchor = self.anchors.get(event.id or 0)
        if anchor is not None and anchor.entry_hash != event.entry_hash:
            return f"it is not the event anchored at {anchor.at} ({anchor.why}): rewritten"
        if event.prev_hash != self.previous_hash:
            if self.previous_id is None:
                return "it links to an earlier event that is no longer in the log (deleted)"
            return (
                f"it does not link to event {self.previous_id}: an event between them was "
                f"deleted, or one of them was altered"
            )
        if event.key_id == audit.UNKEYED:
            if self.keyed:
                return "an unkeyed event after the chain was keyed (written outside the desk)"
            if audit.legacy_hash(event.prev_hash, event) != event.entry_hash:
                return "its content no longer matches its hash (edited outside the desk)"
            return ""
        return self._keyed_problem(event)

    def _keyed_problem(self, event: AuditEvent) -> str:
        assert event.id is not None
        if self.keyed and self.previous_id is not None and event.id != self.previous_id + 1:
            return f"event ids jump from {self.previous_id} to {event.id}: events were removed"
        if not self.keyed and self.unkeyed_before and event.action != audit.SWITCH_OVER:
            return "the chain turns keyed without its switch-over event (rewritten)"
        if self.key is None:
            return "this desk has no audit key to check keyed events with (see the key file)"
        if event.key_id != self.key.key_id:
            return (
                f"it is keyed with audit key {event.key_id}, not this desk's {self.key.key_id} "
                f"({self.key.path}); verify with the office's key"
            )
        expected = audit.keyed_hash(self.key.secret, event.prev_hash, *audit.fields_of(event))
        if expected != event.entry_hash:
            return "its content no longer matches its keyed hash (edited outside the desk)"
        return ""

    def step(self, event: AuditEvent) -> None:
        self.anchors.pop(event.id or 0, None)
        self.keyed = self.keyed or event.key_id != audit.UNKEYED
        self.unkeyed_before = self.unkeyed_before or event.key_id == audit.UNKEYED
        self.checked += 1
        self.previous_hash, self.previous_id = event.entry_hash, event.id

    def unreached_anchor(self) -> Anchor | None:
        return max(self.anchors.values(), key=lambda a: a.event_id or 0, default=None)
