"""The waitlist of a full section: positions in line, seat offers, accepting and declining.

A seat freed in a section (a drop or withdrawal, or a declined offer) is offered to the first
student in line: `seat_offered_at` is set and the seat is held for them (it counts as taken, so
no newcomer takes it). Accepting runs the registration rules again (capacity aside: the seat is
theirs) and registers the student; declining drops their place and offers the seat to the next.
Positions close up whenever someone leaves the line. Every offer, acceptance and refusal is
audited in the caller's transaction under the section's lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from recordsdesk.models import Enrollment, Section, Student, utcnow
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.access.permissions import Action, authorize
from recordsdesk.services.audit import trail as audit
from recordsdesk.services.registration.data import (
    DROPPED,
    ENTITY,
    REGISTERED,
    WAITLISTED,
    activate_if_admitted,
    get_row,
    lock_section,
    override_reason,
    seat_counts,
    settle_failures,
    situation,
    today_or,
)
from recordsdesk.services.registration.rules import Check, run_checks
from recordsdesk.services.shared.errors import ValidationFailed

SNAPSHOT = ["status", "waitlist_position", "seat_offered_at", "version"]


@dataclass(frozen=True)
class Accepted:
    """An offered seat taken: what was overridden, and whether the student became active."""

    enrollment_id: int
    overridden: tuple[str, ...]
    activated: bool


def next_position(session: Session, section_id: int) -> int:
    """The place at the end of the section's line."""
    last = session.exec(
        select(func.max(Enrollment.waitlist_position)).where(
            Enrollment.section_id == section_id, Enrollment.status == WAITLISTED
        )
    ).one()
    return (last or 0) + 1


def close_up(session: Session, section_id: int, left_position: int) -> None:
    """Everyone behind the student who left moves up one place."""
    session.execute(
        update(Enrollment)
        .where(
            col(Enrollment.section_id) == section_id,
            col(Enrollment.status) == WAITLISTED,
            col(Enrollment.waitlist_position) > left_position,
        )
        .values(waitlist_position=col(Enrollment.waitlist_position) - 1)
        .execution_options(synchronize_session=False)
    )


def offer_free_seats(session: Session, actor: Actor, section: Section) -> tuple[int, ...]:
    """Offer each free seat to the next student in line who has no offer yet; the enrollment
    ids offered. The caller holds the section's lock."""
    assert section.id is not None
    registered, offered, _ = seat_counts(session, section.id)
    free = section.capacity - registered - offered
    if free <= 0:
        return ()
    waiting = session.exec(
        select(Enrollment)
        .where(
            Enrollment.section_id == section.id,
            Enrollment.status == WAITLISTED,
            col(Enrollment.seat_offered_at).is_(None),
        )
        .order_by(col(Enrollment.waitlist_position), col(Enrollment.id))
        .limit(free)
    ).all()
    now = utcnow()
    ids = []
    for enrollment in waiting:
        before = audit.snapshot(enrollment, SNAPSHOT)
        enrollment.seat_offered_at = now
        enrollment.version += 1
        session.add(enrollment)
        session.flush()
        audit.record(
            session,
            actor,
            action="offer_seat",
            entity=ENTITY,
            entity_id=enrollment.id,
            student_id=enrollment.student_id,
            before=before,
            after=audit.snapshot(enrollment, SNAPSHOT),
            reason="a seat was freed",
        )
        assert enrollment.id is not None
        ids.append(enrollment.id)
    return tuple(ids)


def _offered(session: Session, enrollment_id: int) -> tuple[Enrollment, Section]:
    enrollment: Enrollment = get_row(session, Enrollment, enrollment_id, "enrollment")
    section = lock_section(session, enrollment.section_id)
    session.refresh(enrollment)
    if enrollment.status != WAITLISTED or enrollment.seat_offered_at is None:
        raise ValidationFailed("enrollment", "has no seat offered to accept or decline.")
    return enrollment, section


def accept_seat(
    session: Session,
    *,
    actor: Actor,
    enrollment_id: int,
    override: str | None = None,
    today: date | None = None,
) -> Accepted:
    """Register the student in the seat offered to them.

    The registration rules run again (the student's term may have changed since they joined the
    line) except capacity; RegistrationRefused lists what stands in the way, and a registrar may
    override it with a reason as for any registration."""
    authorize(actor, Action.REGISTRATION_MANAGE)
    reason = override_reason(actor, override)
    enrollment, section = _offered(session, enrollment_id)
    student: Student = get_row(session, Student, enrollment.student_id, "student")
    s = situation(
        session,
        actor=actor,
        student=student,
        section=section,
        today=today_or(today),
        exclude_enrollment_id=enrollment_id,
    )
    failures = run_checks(s, skip=frozenset({Check.CAPACITY}))
    settle_failures(failures, reason)
    before = audit.snapshot(enrollment, SNAPSHOT)
    position = enrollment.waitlist_position
    enrollment.status = REGISTERED
    enrollment.waitlist_position = None
    enrollment.seat_offered_at = None
    enrollment.status_changed_at = utcnow()
    if reason:
        enrollment.override_reason = reason
    enrollment.version += 1
    session.add(enrollment)
    session.flush()
    if position is not None:
        close_up(session, enrollment.section_id, position)
    after = audit.snapshot(enrollment, SNAPSHOT)
    if failures:
        after["overridden"] = [f.check.value for f in failures]
    audit.record(
        session,
        actor,
        action="accept_seat",
        entity=ENTITY,
        entity_id=enrollment_id,
        student_id=enrollment.student_id,
        before=before,
        after=after,
        reason=reason or "",
    )
    activated = activate_if_admitted(session, actor, student)
    return Accepted(enrollment_id, tuple(f.check.value for f in failures), activated)


def decline_seat(session: Session, *, actor: Actor, enrollment_id: int) -> tuple[int, ...]:
    """The student turns the seat down and leaves the line; the seat goes to the next student.
    Returns the enrollment ids offered it."""
    authorize(actor, Action.REGISTRATION_MANAGE)
    enrollment, section = _offered(session, enrollment_id)
    before = audit.snapshot(enrollment, SNAPSHOT)
    position = enrollment.waitlist_position
    enrollment.status = DROPPED
    enrollment.waitlist_position = None
    enrollment.seat_offered_at = None
    enrollment.status_changed_at = utcnow()
    enrollment.version += 1
    session.add(enrollment)
    session.flush()
    if position is not None:
        close_up(session, enrollment.section_id, position)
    audit.record(
        session,
        actor,
        action="decline_seat",
        entity=ENTITY,
        entity_id=enrollment_id,
        student_id=enrollment.student_id,
        before=before,
        after=audit.snapshot(enrollment, SNAPSHOT),
    )
    return offer_free_seats(session, actor, section)
