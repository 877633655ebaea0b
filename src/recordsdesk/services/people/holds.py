"""Holds: blocks on a student's registration and/or official transcripts.

A hold is placed with a reason and released with one, each by a named staff member, each audited
in the same transaction. Releasing is guarded like any other change: two desks releasing the same
hold at once cannot both succeed, so the release reason on record is the one that was shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import CursorResult, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from recordsdesk.models import Hold, HoldType, StaffUser, Student, utcnow
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.access.permissions import Action, authorize
from recordsdesk.services.audit import trail as audit
from recordsdesk.services.shared.errors import NotFound, StaleRecord, ValidationFailed

ENTITY = "hold"
MAX_REASON = 500
Blocks = Literal["registration", "transcript"]


@dataclass(frozen=True)
class HoldView:
    """A hold as the desk shows it, with the staff members' usernames resolved."""

    id: int
    student_id: int
    hold_type: str
    blocks_registration: bool
    blocks_transcript: bool
    reason: str
    placed_by: str
    placed_at: datetime
    released_by: str | None
    released_at: datetime | None
    release_reason: str

    @property
    def active(self) -> bool:
        return self.released_at is None

    @property
    def blocks(self) -> str:
        """What the hold blocks, in words for a table cell."""
        parts = [
            word
            for word, on in (
                ("registration", self.blocks_registration),
                ("transcripts", self.blocks_transcript),
            )
            if on
        ]
        return " and ".join(parts)


def _reason(field: str, value: str) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise ValidationFailed(field, "a reason is required.")
    if len(text) > MAX_REASON:
        raise ValidationFailed(field, f"must be at most {MAX_REASON} characters.")
    return text


def _views(session: Session, *conditions: Any) -> list[HoldView]:
    placer = aliased(StaffUser)
    releaser = aliased(StaffUser)
    query = (
        select(Hold, placer.username, releaser.username)
        .join(placer, col(placer.id) == col(Hold.placed_by_id))
        .outerjoin(releaser, col(releaser.id) == col(Hold.released_by_id))
        .where(*conditions)
        .order_by(col(Hold.placed_at), col(Hold.id))
    )
    views = []
    for hold, placed_by, released_by in session.exec(query).all():
        assert hold.id is not None
        views.append(
            HoldView(
                id=hold.id,
                student_id=hold.student_id,
                hold_type=hold.hold_type,
                blocks_registration=hold.blocks_registration,
                blocks_transcript=hold.blocks_transcript,
                reason=hold.reason,
                placed_by=placed_by,
                placed_at=hold.placed_at,
                released_by=released_by,
                released_at=hold.released_at,
                release_reason=hold.release_reason,
            )
        )
    return views


def _view(session: Session, hold_id: int) -> HoldView:
    found = _views(session, col(Hold.id) == hold_id)
    if not found:
        raise NotFound(f"There is no hold with id {hold_id}.")
    return found[0]


def place_hold(
    session: Session,
    *,
    actor: Actor,
    student_id: int,
    hold_type: str,
    reason: str,
    blocks_registration: bool = True,
    blocks_transcript: bool = False,
) -> HoldView:
    """Put a hold on the student's record; ValidationFailed names the field, nothing written."""
    authorize(actor, Action.HOLD_MANAGE)
    if session.get(Student, student_id) is None:
        raise NotFound(f"There is no student with id {student_id}.")
    try:
        kind = HoldType(hold_type).value
    except ValueError:
        allowed = ", ".join(t.value for t in HoldType)
        raise ValidationFailed(
            "hold_type", f"{hold_type!r} is not a hold type ({allowed})."
        ) from None
    text = _reason("reason", reason)
    if not (blocks_registration or blocks_transcript):
        raise ValidationFailed("blocks", "a hold must block registration, transcripts or both.")
    hold = Hold(
        student_id=student_id,
        hold_type=kind,
        blocks_registration=blocks_registration,
        blocks_transcript=blocks_transcript,
        reason=text,
        placed_by_id=actor.id,
        placed_at=utcnow(),
    )
    session.add(hold)
    session.flush()
    audit.record(
        session,
        actor,
        action="place",
        entity=ENTITY,
        entity_id=hold.id,
        student_id=student_id,
        after=audit.snapshot(
            hold, ["hold_type", "blocks_registration", "blocks_transcript", "reason"]
        ),
        reason=text,
    )
    assert hold.id is not None
    return _view(session, hold.id)


def release_hold(session: Session, *, actor: Actor, hold_id: int, reason: str) -> HoldView:
    """Release an active hold with a reason.

    Raises StaleRecord when the hold was already released (at this desk or another), so a second
    release never overwrites who released it and why.
    """
    authorize(actor, Action.HOLD_MANAGE)
    text = _reason("release_reason", reason)
    hold = session.get(Hold, hold_id, populate_existing=True)
    if hold is None:
        raise NotFound(f"There is no hold with id {hold_id}.")
    now = utcnow()
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        update(Hold)
        .where(col(Hold.id) == hold_id, col(Hold.released_at).is_(None))
        .values(released_at=now, released_by_id=actor.id, release_reason=text)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise StaleRecord(f"Hold {hold_id}", ["released_at", "released_by", "release_reason"])
    session.refresh(hold)
    audit.record(
        session,
        actor,
        action="release",
        entity=ENTITY,
        entity_id=hold_id,
        student_id=hold.student_id,
        before={"released_at": None, "release_reason": ""},
        after={"released_at": now.isoformat(), "release_reason": text},
        reason=text,
    )
    return _view(session, hold_id)


def list_holds(
    session: Session, *, actor: Actor, student_id: int, include_released: bool = False
) -> list[HoldView]:
    """The student's holds, oldest first; released ones only when asked for."""
    authorize(actor, Action.STUDENT_READ)
    conditions: list[Any] = [col(Hold.student_id) == student_id]
    if not include_released:
        conditions.append(col(Hold.released_at).is_(None))
    return _views(session, *conditions)


def blocking_holds(
    session: Session, *, actor: Actor, student_id: int, blocks: Blocks
) -> list[HoldView]:
    """Active holds that stop the student's registration or official transcripts."""
    authorize(actor, Action.STUDENT_READ)
    flag = (
        col(Hold.blocks_registration) if blocks == "registration" else col(Hold.blocks_transcript)
    )
    return _views(
        session,
        col(Hold.student_id) == student_id,
        col(Hold.released_at).is_(None),
        flag.is_(True),
    )
