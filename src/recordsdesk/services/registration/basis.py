"""Choosing an enrollment's grading basis: among those its course allows, up to the term's
grading-basis deadline; after it only a registrar, with a reason. Audited. An administrator
says which bases a course allows (`set_course_bases`) and when a term's choice closes
(`set_basis_deadline`).

The deadline is the term's `grading_basis_deadline`, or its last day when the term has none.
A basis changes only while the enrollment has no mark: a mark keyed on one basis means nothing
on another, so a mark is cleared (or changed with a reason) first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, select

from recordsdesk.models import Course, Enrollment, EnrollmentStatus, Section, Term
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.access.permissions import Action, authorize
from recordsdesk.services.audit import trail as audit
from recordsdesk.services.grades import basis as bases
from recordsdesk.services.registration.data import ENTITY, get_row, override_reason, today_or
from recordsdesk.services.shared.errors import NotFound, StaleRecord, ValidationFailed

ACTION = "grading_basis.change"
#: Statuses whose basis may still be chosen (a place on the waitlist carries its choice along).
OPEN = (EnrollmentStatus.REGISTERED.value, EnrollmentStatus.WAITLISTED.value)


@dataclass(frozen=True)
class BasisChanged:
    enrollment_id: int
    before: str
    after: str
    late: bool  # after the deadline, by a registrar's override
    version: int


def basis_deadline(term: Term) -> date:
    """The last day a student's own choice of basis is taken."""
    return term.grading_basis_deadline or term.end_date


def change_grading_basis(
    session: Session,
    *,
    actor: Actor,
    enrollment_id: int,
    basis: str,
    expected_version: int | None = None,
    reason: str | None = None,
    today: date | None = None,
) -> BasisChanged:
    """Set the enrollment's basis (`basis` as `parse_basis` reads it). Raises ValidationFailed
    (a basis the course does not allow, a mark already keyed, the deadline passed without a
    reason), PermissionDenied (late, and not a registrar), StaleRecord (another desk changed the
    enrollment since `expected_version`)."""
    authorize(actor, Action.REGISTRATION_MANAGE)
    code = bases.parse_basis(basis)
    enrollment: Enrollment = get_row(session, Enrollment, enrollment_id, "enrollment")
    if expected_version is not None and enrollment.version != expected_version:
        raise StaleRecord("This registration", ["grading_basis"])
    section: Section = get_row(session, Section, enrollment.section_id, "section")
    course: Course = get_row(session, Course, section.course_id, "course")
    term: Term = get_row(session, Term, section.term_id, "term")
    if enrollment.status not in OPEN:
        raise ValidationFailed(
            "grading_basis", f"the student is {enrollment.status} in {course.code}; no basis."
        )
    allowed = bases.allowed_bases(course.grading_bases)
    if code not in allowed:
        names = ", ".join(bases.label(b) for b in allowed)
        raise ValidationFailed(
            "grading_basis", f"{course.code} is not offered {bases.label(code)} (only: {names})."
        )
    if code == enrollment.grading_basis:
        raise ValidationFailed(
            "grading_basis", f"{course.code} is already {bases.label(code)} for this student."
        )
    if enrollment.mark is not None:
        raise ValidationFailed(
            "grading_basis",
            f"{course.code} has the mark {enrollment.mark}; a basis changes only before a mark.",
        )
    deadline = basis_deadline(term)
    late = today_or(today) > deadline
    # Before the deadline a reason is only kept (anyone may choose); after it, it is the
    # registrar's override and required.
    given = override_reason(actor, reason) if late else (reason or "").strip() or None
    if late and given is None:
        raise ValidationFailed(
            "grading_basis",
            f"the grading-basis deadline ({deadline.isoformat()}) has passed: "
            "a registrar may change it, with a reason.",
        )
    before = enrollment.grading_basis
    enrollment.grading_basis = code
    enrollment.version += 1
    session.add(enrollment)
    session.flush()
    audit.record(
        session,
        actor,
        action=ACTION,
        entity=ENTITY,
        entity_id=enrollment.id,
        student_id=enrollment.student_id,
        before={"grading_basis": before},
        after={
            "grading_basis": code,
            "course": course.code,
            "term": term.code,
            **({"late": True} if late else {}),
        },
        reason=given or "",
    )
    assert enrollment.id is not None
    return BasisChanged(enrollment.id, before, code, late, enrollment.version)


def set_course_bases(
    session: Session, *, actor: Actor, course_code: str, bases_text: str, default: str | None = None
) -> tuple[str, ...]:
    """Say which bases a course allows (comma-separated, as `parse_bases` reads them) and which
    one registration gives (`default`, else the first listed). Enrollments already made keep
    their basis. Admin (catalog); audited. Raises ValidationFailed, NotFound."""
    authorize(actor, Action.CATALOG_MANAGE)
    course = session.exec(select(Course).where(Course.code == course_code.strip())).first()
    if course is None:
        raise NotFound(f"There is no course {course_code.strip()!r}.")
    allowed = bases.parse_bases(bases_text)
    chosen = bases.parse_basis(default, "default") if default else allowed[0]
    if chosen not in allowed:
        raise ValidationFailed("default", f"{bases.label(chosen)} is not among the bases given.")
    before = {"grading_bases": course.grading_bases, "default": course.default_grading_basis}
    course.grading_bases = ",".join(allowed)
    course.default_grading_basis = chosen
    session.add(course)
    session.flush()
    after = {"grading_bases": course.grading_bases, "default": course.default_grading_basis}
    changed_before, changed_after = audit.diff(before, after)
    if changed_after:
        audit.record(
            session,
            actor,
            action="course.grading_bases",
            entity="course",
            entity_id=course.id,
            before=changed_before,
            after=changed_after,
        )
    return allowed


def set_basis_deadline(
    session: Session, *, actor: Actor, term_code: str, deadline: date | None
) -> None:
    """Set (or, with None, clear) the term's grading-basis deadline: within the term. Admin
    (terms); audited. Raises ValidationFailed, NotFound."""
    authorize(actor, Action.TERM_MANAGE)
    term = session.exec(select(Term).where(Term.code == term_code.strip().upper())).first()
    if term is None:
        raise NotFound(f"There is no term {term_code.strip()!r}.")
    if deadline is not None and deadline > term.end_date:
        raise ValidationFailed(
            "grading_basis_deadline", f"must be on or before the term's end ({term.end_date})."
        )
    before = term.grading_basis_deadline
    term.grading_basis_deadline = deadline
    session.add(term)
    session.flush()
    audit.record(
        session,
        actor,
        action="term.grading_basis_deadline",
        entity="term",
        entity_id=term.id,
        before={"grading_basis_deadline": audit.plain(before)},
        after={"grading_basis_deadline": audit.plain(deadline)},
    )
