"""What registration reads and the bookkeeping every registration change shares.

`situation` gathers one registration's `Situation` for the rules in a handful of queries;
`lock_section` serialises changes to one section's seats across desks; `activate_if_admitted`
turns an admitted student active on their first registration.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from recordsdesk.models import (
    Course,
    Enrollment,
    EnrollmentStatus,
    GradeMark,
    Institution,
    Prerequisite,
    Section,
    Student,
    StudentStatus,
    Term,
    TransferCredit,
)
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.access.permissions import Action, authorize
from recordsdesk.services.admissions.applications import activate_on_first_registration
from recordsdesk.services.people.holds import blocking_holds
from recordsdesk.services.registration.rules import (
    Failure,
    Meeting,
    RegistrationRefused,
    Requirement,
    Situation,
    Taken,
)
from recordsdesk.services.shared.errors import NotFound, ValidationFailed

ENTITY = "enrollment"
MAX_REASON = 500
REGISTERED = EnrollmentStatus.REGISTERED.value
WAITLISTED = EnrollmentStatus.WAITLISTED.value
DROPPED = EnrollmentStatus.DROPPED.value


def today_or(today: date | None) -> date:
    return today if today is not None else date.today()


def override_reason(actor: Actor, reason: str | None) -> str | None:
    """None when no override is asked; else the cleaned reason, after checking the role."""
    if reason is None:
        return None
    authorize(actor, Action.REGISTRATION_OVERRIDE)
    text = reason.strip()
    if not text:
        raise ValidationFailed("override_reason", "an override needs a reason.")
    if len(text) > MAX_REASON:
        raise ValidationFailed("override_reason", f"must be at most {MAX_REASON} characters.")
    return text


def settle_failures(failures: tuple[Failure, ...], reason: str | None, **refusal: bool) -> None:
    """Refuse unless every failure is overridden (a reason given and each one overridable)."""
    if failures and (reason is None or not all(f.overridable for f in failures)):
        raise RegistrationRefused(failures, **refusal)


def student_name(student: Student) -> str:
    return " ".join(p for p in (student.legal_first_name, student.legal_last_name) if p)


def get_row(session: Session, model: type[Any], key: int, what: str) -> Any:
    row = session.get(model, key, populate_existing=True)
    if row is None:
        raise NotFound(f"There is no {what} with id {key}.")
    return row


def lock_section(session: Session, section_id: int) -> Section:
    """Take the section's write lock before counting its seats, so two desks cannot both give
    away the last seat: a no-op UPDATE locks the row on PostgreSQL and takes SQLite's database
    write lock for the rest of the transaction."""
    session.execute(
        update(Section)
        .where(col(Section.id) == section_id)
        .values(capacity=Section.capacity)
        .execution_options(synchronize_session=False)
    )
    section: Section = get_row(session, Section, section_id, "section")
    return section


def seat_counts(session: Session, section_id: int) -> tuple[int, int, int]:
    """(registered, seats held by an open waitlist offer, waitlisted) in one section."""
    rows = session.exec(
        select(Enrollment.status, col(Enrollment.seat_offered_at).is_not(None), func.count())
        .where(
            Enrollment.section_id == section_id,
            col(Enrollment.status).in_((REGISTERED, WAITLISTED)),
        )
        .group_by(col(Enrollment.status), col(Enrollment.seat_offered_at).is_not(None))
    ).all()
    registered = sum(n for status, _, n in rows if status == REGISTERED)
    offered = sum(n for status, held, n in rows if status == WAITLISTED and held)
    waitlisted = sum(n for status, _, n in rows if status == WAITLISTED)
    return registered, offered, waitlisted


def meeting_of(section: Section) -> Meeting:
    return Meeting(section.meeting_days, section.start_time, section.end_time)


def _taken(session: Session, student_id: int, exclude: int | None) -> tuple[Taken, ...]:
    rows = session.exec(
        select(Enrollment, Section, Course, Term)
        .join(Section, col(Section.id) == col(Enrollment.section_id))
        .join(Course, col(Course.id) == col(Section.course_id))
        .join(Term, col(Term.id) == col(Section.term_id))
        .where(Enrollment.student_id == student_id, col(Enrollment.status) != DROPPED)
    ).all()
    taken = []
    for e, section, course, term in rows:
        if e.id == exclude:
            continue
        assert e.id is not None and term.id is not None and section.id is not None
        taken.append(
            Taken(
                enrollment_id=e.id,
                course_id=section.course_id,
                course_code=course.code,
                term_id=term.id,
                term_code=term.code,
                term_start=term.start_date,
                section_id=section.id,
                section_code=section.section_code,
                status=e.status,
                grade_status=e.grade_status,
                mark=e.mark,
                credits=e.credits if e.credits is not None else course.credits,
                meeting=meeting_of(section),
            )
        )
    return tuple(taken)


def _ranks(session: Session, scale_id: int) -> tuple[dict[str, Decimal], frozenset[str]]:
    """Each mark's rank on a scale (lower is better) and the passing marks."""
    marks = session.exec(
        select(GradeMark)
        .where(GradeMark.scale_id == scale_id)
        .order_by(col(GradeMark.sort_order), col(GradeMark.id))
    ).all()
    ranks = {
        m.mark: -m.points if m.points is not None else Decimal(place)
        for place, m in enumerate(marks)
    }
    return ranks, frozenset(m.mark for m in marks if m.is_passing)


def requirements(session: Session, course_id: int, student_id: int) -> tuple[Requirement, ...]:
    rows = session.exec(
        select(Prerequisite, Course)
        .join(Course, col(Course.id) == col(Prerequisite.required_course_id))
        .where(Prerequisite.course_id == course_id)
        .order_by(col(Course.code))
    ).all()
    found = []
    for prereq, required in rows:
        ranks, passing = _ranks(session, required.grading_scale_id)
        transfer = session.exec(
            select(TransferCredit.mark).where(
                TransferCredit.student_id == student_id,
                TransferCredit.equivalent_course_id == required.id,
            )
        ).all()
        found.append(
            Requirement(
                course_id=prereq.required_course_id,
                course_code=required.code,
                min_mark=prereq.min_mark,
                ranks=ranks,
                passing=passing,
                transfer_marks=tuple(transfer),
            )
        )
    return tuple(found)


def situation(
    session: Session,
    *,
    actor: Actor,
    student: Student,
    section: Section,
    today: date,
    exclude_enrollment_id: int | None = None,
) -> Situation:
    """Everything the rules read for `student` joining `section`, as of `today`."""
    assert student.id is not None and section.id is not None
    course: Course = get_row(session, Course, section.course_id, "course")
    term: Term = get_row(session, Term, section.term_id, "term")
    assert term.id is not None
    institution = session.exec(select(Institution).order_by(col(Institution.id))).first()
    max_load = institution.max_credit_load if institution else Decimal("18")
    holds = blocking_holds(session, actor=actor, student_id=student.id, blocks="registration")
    registered, offered, waitlisted = seat_counts(session, section.id)
    # Free seats go to the line first: each student waiting without an offer yet has a claim
    # on one (a seat freed another way than a drop, such as a raised capacity).
    free = max(0, section.capacity - registered - offered)
    held = offered + min(free, waitlisted - offered)
    return Situation(
        student_name=student_name(student),
        student_status=student.status,
        term_id=term.id,
        term_code=term.code,
        term_status=term.status,
        term_start=term.start_date,
        add_deadline=term.add_drop_deadline,
        course_id=section.course_id,
        course_code=course.code,
        course_credits=course.credits,
        repeat_limit=course.repeat_limit,
        section_code=section.section_code,
        capacity=section.capacity,
        seats_taken=registered + held,
        seats_held=held,
        waitlisted=waitlisted,
        waitlist_capacity=section.waitlist_capacity,
        meeting=meeting_of(section),
        max_credit_load=max_load,
        holds=tuple(f"{h.hold_type} hold ({h.reason})" for h in holds),
        requirements=requirements(session, section.course_id, student.id),
        taken=_taken(session, student.id, exclude_enrollment_id),
        today=today,
    )


def activate_if_admitted(session: Session, actor: Actor, student: Student) -> bool:
    """An admitted student's first registration makes them active; the admission service owns
    that change (version-guarded, audited as `activate`). True when the status changed."""
    if student.status != StudentStatus.ADMITTED.value:
        return False
    assert student.id is not None
    changed = activate_on_first_registration(session, student.id, actor)
    session.refresh(student)
    return changed
