"""Registration for a term: add a student to a section under every rule, drop and withdraw.

`register` runs every check in `registration.rules` and refuses with all the reasons at once
(`RegistrationRefused`); a full section with room on its waitlist is refused with
`waitlist_open` set, and the same call with `waitlist=True` joins the line instead. A registrar
may override what the rules refused, with a reason stored on the enrollment and an audit event
naming the checks overridden; a clerk may not. Leaving a section before the term's add/drop
deadline is a drop (no trace on the transcript); after it, a withdrawal that posts W; after the
withdrawal deadline only a registrar may withdraw. A seat freed in a section with a waitlist is
offered to the first in line (`services.registration.waitlist`). Every change is audited in the
caller's transaction and guarded by the section's lock, so two desks never sell the same last seat.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from sqlmodel import Session, select

from recordsdesk.models import (
    Course,
    Enrollment,
    EnrollmentStatus,
    GradeStatus,
    GradingBasis,
    Student,
    Term,
    TermStatus,
    utcnow,
)
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.access.permissions import Action, authorize
from recordsdesk.services.audit import trail as audit
from recordsdesk.services.registration import waitlist as waitlist_service
from recordsdesk.services.registration.data import (
    DROPPED,
    ENTITY,
    REGISTERED,
    WAITLISTED,
    activate_if_admitted,
    get_row,
    lock_section,
    override_reason,
    settle_failures,
    situation,
    today_or,
)
from recordsdesk.services.registration.rules import (
    Check,
    Failure,
    RegistrationRefused,
    prerequisite_state,
    run_checks,
)
from recordsdesk.services.shared.errors import ValidationFailed

SNAPSHOT = [
    "status",
    "waitlist_position",
    "seat_offered_at",
    "grading_basis",
    "mark",
    "grade_status",
    "version",
]
ExitKind = Literal["drop", "withdraw"]


@dataclass(frozen=True)
class Registered:
    """What a registration did: a seat or a place on the waitlist, and what was flagged."""

    enrollment_id: int
    status: str
    waitlist_position: int | None
    overridden: tuple[str, ...]
    provisional: tuple[str, ...]  # prerequisites counted while still in progress
    activated: bool  # the student's first registration made them active


@dataclass(frozen=True)
class Left:
    """What leaving a section did, and who was offered the seat it freed."""

    enrollment_id: int
    kind: ExitKind
    mark: str | None
    seat_offered_to: tuple[int, ...]  # enrollment ids offered the freed seat
    from_waitlist: bool = False  # a place in line given up, not a seat


def register(
    session: Session,
    *,
    actor: Actor,
    student_id: int,
    section_id: int,
    waitlist: bool = False,
    override: str | None = None,
    today: date | None = None,
) -> Registered:
    """Register the student in the section (or, with `waitlist`, put them on its waitlist).

    Raises RegistrationRefused listing every failed check; with `override` (registrar only, a
    reason) the overridable ones are let through and named in the audit event. A full section
    is overridden by registering over capacity. Nothing is written when refused.
    """
    authorize(actor, Action.REGISTRATION_MANAGE)
    reason = override_reason(actor, override)
    day = today_or(today)
    student: Student = get_row(session, Student, student_id, "student")
    section = lock_section(session, section_id)
    s = situation(session, actor=actor, student=student, section=section, today=day)
    failures = run_checks(s)
    joining = waitlist and s.full and s.waitlist_has_room
    if joining:
        failures = tuple(f for f in failures if f.check is not Check.CAPACITY)
    full_with_room = s.full and s.waitlist_has_room
    settle_failures(failures, reason, waitlist_open=full_with_room and not joining)

    existing = session.exec(
        select(Enrollment).where(
            Enrollment.student_id == student_id, Enrollment.section_id == section_id
        )
    ).first()
    if existing is not None and existing.status != DROPPED:
        raise RegistrationRefused(
            (Failure(Check.DUPLICATE, f"Already {existing.status} in this section."),)
        )
    before = audit.snapshot(existing, SNAPSHOT) if existing is not None else None
    # The place in line is read before the row changes: the query autoflushes, and a reused
    # dropped row flushed as waitlisted without a position breaks ck_enrollment_waitlist_positioned.
    position = waitlist_service.next_position(session, section_id) if joining else None
    enrollment = existing or Enrollment(student_id=student_id, section_id=section_id)
    now = utcnow()
    enrollment.waitlist_position = position
    enrollment.status = WAITLISTED if joining else REGISTERED
    enrollment.seat_offered_at = None
    enrollment.registered_at = now
    enrollment.status_changed_at = now if existing is not None else None
    enrollment.credits = s.course_credits
    enrollment.grading_basis = _default_basis(session, section.course_id)
    enrollment.mark = None
    enrollment.grade_status = GradeStatus.NONE.value
    enrollment.override_reason = reason or ""
    if existing is not None:
        enrollment.version += 1
    session.add(enrollment)
    session.flush()
    assert enrollment.id is not None
    _, provisional = prerequisite_state(s)
    overridden = tuple(f.check.value for f in failures)
    after = audit.snapshot(enrollment, SNAPSHOT) | {
        "course": s.course_code,
        "section": s.section_code,
        "term": s.term_code,
    }
    if overridden:
        after["overridden"] = list(overridden)
    if provisional:
        after["provisional_prerequisites"] = provisional
    audit.record(
        session,
        actor,
        action="waitlist" if joining else "register",
        entity=ENTITY,
        entity_id=enrollment.id,
        student_id=student_id,
        before=before,
        after=after,
        reason=reason or "",
    )
    if joining:  # seats owed to those ahead in line (see `situation`) are offered now
        waitlist_service.offer_free_seats(session, actor, section)
    activated = not joining and activate_if_admitted(session, actor, student)
    return Registered(
        enrollment_id=enrollment.id,
        status=enrollment.status,
        waitlist_position=enrollment.waitlist_position,
        overridden=overridden,
        provisional=tuple(provisional),
        activated=activated,
    )


def _default_basis(session: Session, course_id: int) -> str:
    course = session.get(Course, course_id)
    return course.default_grading_basis if course is not None else GradingBasis.GRADED.value


def exit_kind(term: Term, status: str, today: date) -> ExitKind:
    """A place on the waitlist is always dropped; a seat is dropped up to the add/drop deadline
    (the term's start when it has none) and withdrawn after it."""
    if status == WAITLISTED:
        return "drop"
    deadline = term.add_drop_deadline or term.start_date
    return "drop" if today <= deadline else "withdraw"


def leave_section(
    session: Session,
    *,
    actor: Actor,
    enrollment_id: int,
    override: str | None = None,
    today: date | None = None,
) -> Left:
    """Drop or withdraw the enrollment, whichever the term's deadlines make it.

    A drop leaves no trace on the transcript (status `dropped`); a withdrawal posts W (status
    `withdrawn`). After the withdrawal deadline a registrar's override is needed
    (RegistrationRefused otherwise). A seat freed in a section with a waitlist is offered to the
    first student in line.
    """
    authorize(actor, Action.REGISTRATION_MANAGE)
    reason = override_reason(actor, override)
    day = today_or(today)
    enrollment: Enrollment = get_row(session, Enrollment, enrollment_id, "enrollment")
    section = lock_section(session, enrollment.section_id)
    session.refresh(enrollment)
    if enrollment.status not in (REGISTERED, WAITLISTED):
        raise ValidationFailed(
            "enrollment", f"is {enrollment.status}, not registered or waitlisted."
        )
    term: Term = get_row(session, Term, section.term_id, "term")
    kind = exit_kind(term, enrollment.status, day)
    late = kind == "withdraw" and _withdrawal_allowed(term, enrollment, day, reason)
    before = audit.snapshot(enrollment, SNAPSHOT)
    from_waitlist = enrollment.status == WAITLISTED
    freed_seat = not from_waitlist or enrollment.seat_offered_at is not None
    position = enrollment.waitlist_position
    now = utcnow()
    enrollment.status = DROPPED if kind == "drop" else EnrollmentStatus.WITHDRAWN.value
    enrollment.status_changed_at = now
    enrollment.waitlist_position = None
    enrollment.seat_offered_at = None
    if kind == "withdraw":
        enrollment.mark = "W"
        enrollment.grade_status = GradeStatus.POSTED.value
        enrollment.mark_entered_at = enrollment.posted_at = now
        enrollment.mark_entered_by_id = enrollment.posted_by_id = actor.id
    if late:
        enrollment.override_reason = reason or ""
    enrollment.version += 1
    session.add(enrollment)
    session.flush()
    if position is not None:
        waitlist_service.close_up(session, section.id or 0, position)
    audit.record(
        session,
        actor,
        action=kind,
        entity=ENTITY,
        entity_id=enrollment_id,
        student_id=enrollment.student_id,
        before=before,
        after=audit.snapshot(enrollment, SNAPSHOT) | ({"overridden": ["window"]} if late else {}),
        reason=reason if late and reason else "",
    )
    offered = waitlist_service.offer_free_seats(session, actor, section) if freed_seat else ()
    return Left(enrollment_id, kind, enrollment.mark, offered, from_waitlist)


def _withdrawal_allowed(term: Term, enrollment: Enrollment, day: date, reason: str | None) -> bool:
    """Refuse a withdrawal the term no longer allows; True when it is late (overridden)."""
    if enrollment.grade_status == GradeStatus.POSTED.value:
        raise ValidationFailed("enrollment", "its mark is posted; change the grade instead.")
    if term.status not in (TermStatus.REGISTRATION_OPEN.value, TermStatus.IN_PROGRESS.value):
        raise ValidationFailed(
            "enrollment", f"{term.code} is {term.status.replace('_', ' ')}: too late to withdraw."
        )
    deadline = term.withdraw_deadline
    if deadline is not None and day > deadline and reason is None:
        raise RegistrationRefused(
            (
                Failure(
                    Check.WINDOW,
                    f"The withdrawal deadline for {term.code} was {deadline.isoformat()}: "
                    "only a registrar can withdraw a student now, with a reason.",
                ),
            )
        )
    return deadline is not None and day > deadline
