"""Leaving and coming back: graduation, withdrawal from the institution, transfer out, leave of
absence and return from leave.

Each is a registrar's decision (`STUDENT_DEPART`), kept on the record with its date and reason,
guarded by the record's version and audited in the caller's transaction. Registrations in terms
that have not started yet are dropped in the same transaction (a departed student does not
keep a seat), each drop audited, and a contact note lists them so the counter can explain what
happened. The record itself is never removed: it stays searchable forever.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from recordsdesk.models import (
    Course,
    Enrollment,
    EnrollmentStatus,
    Program,
    Section,
    Student,
    StudentStatus,
    Term,
)
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.access.permissions import Action, authorize
from recordsdesk.services.people.notes import add_note
from recordsdesk.services.people.student import StudentProfile, apply_changes
from recordsdesk.services.registration.register import leave_section
from recordsdesk.services.reports.graduation import degree_audit
from recordsdesk.services.shared.errors import NotFound, ValidationFailed
from recordsdesk.services.transcripts.honours import propose_honours

MAX_REASON = 500
DESTINATION_REQUIRED = "name the institution the student transfers to."
#: Who may leave in each way: a graduate must have been studying; anyone not yet departed may
#: withdraw or transfer out (an applicant who gives up withdraws).
_MAY_GRADUATE = {StudentStatus.ACTIVE, StudentStatus.ON_LEAVE, StudentStatus.SUSPENDED}
_MAY_LEAVE = {
    StudentStatus.APPLICANT,
    StudentStatus.ADMITTED,
    StudentStatus.ACTIVE,
    StudentStatus.ON_LEAVE,
    StudentStatus.SUSPENDED,
}
_MAY_TAKE_LEAVE = {StudentStatus.ADMITTED, StudentStatus.ACTIVE}


class RequirementsNotMet(ValidationFailed):
    """The degree audit found gaps; `missing` names each. A registrar may confer anyway by
    giving a reason (`graduate(..., override_reason=...)`), which the audit trail keeps."""

    def __init__(self, student: str, program: str, missing: tuple[str, ...]) -> None:
        super().__init__(
            "program", f"{student} does not meet {program}'s requirements: {'; '.join(missing)}."
        )
        self.missing = missing


@dataclass(frozen=True)
class DroppedRegistration:
    term_code: str
    course_code: str
    section_code: str
    was: str  # registered / waitlisted


@dataclass(frozen=True)
class DepartureResult:
    profile: StudentProfile
    dropped: tuple[DroppedRegistration, ...]


def _reason(value: str, field: str = "reason") -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise ValidationFailed(field, "a reason is required.")
    if len(text) > MAX_REASON:
        raise ValidationFailed(field, f"must be at most {MAX_REASON} characters.")
    return text


def _student(session: Session, student_id: int, allowed: set[StudentStatus], doing: str) -> Student:
    row = session.get(Student, student_id, populate_existing=True)
    if row is None:
        raise NotFound(f"There is no student with id {student_id}.")
    if row.status not in allowed:
        raise ValidationFailed(
            "status", f"a student who is {row.status.replace('_', ' ')} cannot {doing}."
        )
    return row


def _not_future(day: date, field: str) -> None:
    if day > date.today():
        raise ValidationFailed(field, f"{day.isoformat()} is in the future.")


def drop_future_registrations(
    session: Session,
    *,
    actor: Actor,
    student_id: int,
    why: str,
    starting_before: date | None = None,
) -> tuple[DroppedRegistration, ...]:
    """Drop the student's registered and waitlisted enrollments in terms that have not started
    (and, with `starting_before`, start before that day), each audited, plus one contact note
    listing them. Called inside a departure's transaction; each drop is registration's own
    (`leave_section`), audited there."""
    today = date.today()
    query = (
        select(Enrollment, Section, Course, Term)
        .join(Section, col(Section.id) == col(Enrollment.section_id))
        .join(Course, col(Course.id) == col(Section.course_id))
        .join(Term, col(Term.id) == col(Section.term_id))
        .where(
            Enrollment.student_id == student_id,
            col(Enrollment.status).in_(
                [EnrollmentStatus.REGISTERED.value, EnrollmentStatus.WAITLISTED.value]
            ),
            col(Term.start_date) > today,
        )
        .order_by(col(Term.start_date), col(Course.code))
    )
    if starting_before is not None:
        query = query.where(col(Term.start_date) < starting_before)
    dropped: list[DroppedRegistration] = []
    for enrollment, section, course, term in session.exec(query).all():
        assert enrollment.id is not None
        was = enrollment.status
        # Registration's own drop: closes up the waitlist and offers a freed seat to the next
        # student in line. A term that has not started is always before its drop deadline for
        # this purpose, so the seat is dropped (no W), whatever the deadline's date.
        deadline = term.add_drop_deadline or term.start_date
        leave_section(session, actor=actor, enrollment_id=enrollment.id, today=min(today, deadline))
        dropped.append(DroppedRegistration(term.code, course.code, section.section_code, was))
    if dropped:
        listed = ", ".join(
            f"{d.term_code} {d.course_code}-{d.section_code}"
            + (" (waitlist)" if d.was == EnrollmentStatus.WAITLISTED else "")
            for d in dropped
        )
        add_note(
            session,
            actor=actor,
            student_id=student_id,
            body=f"Registrations dropped ({why}): {listed}.",
            channel="other",
        )
    return tuple(dropped)


def _depart(
    session: Session,
    actor: Actor,
    row: Student,
    expected_version: int,
    changes: dict[str, object],
    action: str,
    reason: str,
    starting_before: date | None = None,
) -> DepartureResult:
    assert row.id is not None
    profile = apply_changes(
        session,
        actor=actor,
        student_id=row.id,
        expected_version=expected_version,
        changes=changes,
        action=action,
        reason=reason,
    )
    dropped = drop_future_registrations(
        session, actor=actor, student_id=row.id, why=action, starting_before=starting_before
    )
    return DepartureResult(profile=profile, dropped=dropped)


def graduate(
    session: Session,
    *,
    actor: Actor,
    student_id: int,
    expected_version: int,
    conferral_date: date,
    program_code: str = "",
    honours: str | None = None,
    override_reason: str = "",
    honours_reason: str = "",
) -> DepartureResult:
    """Confer the program's award: status graduated, departure and conferral on `conferral_date`,
    degree named from the program (the student's own unless `program_code` names another).

    The degree audit (services.reports.graduation) must find every requirement met; otherwise
    RequirementsNotMet names what is missing, unless `override_reason` says why the registrar
    confers anyway (kept with what was missing in the audit event). `honours` None proposes the
    Latin honours the record earns (services.transcripts.honours); "" confers without. Honours
    other than the record earns need `honours_reason`, as a later change of them does."""
    authorize(actor, Action.STUDENT_DEPART)
    row = _student(session, student_id, _MAY_GRADUATE, "graduate")
    _not_future(conferral_date, "conferral_date")
    if program_code.strip():
        program = session.exec(
            select(Program).where(Program.code == program_code.strip().upper())
        ).first()
        if program is None:
            raise ValidationFailed("program", f"there is no program {program_code.strip()!r}.")
    else:
        program = session.get(Program, row.program_id) if row.program_id else None
        if program is None:
            raise ValidationFailed("program", "the student has no program: name one.")
    earned = propose_honours(session, actor=actor, student_id=student_id)
    honours = earned if honours is None else honours.strip()
    if len(honours) > 120:
        raise ValidationFailed("honours", "must be at most 120 characters.")
    degree = program.award or program.name
    reason = f"{degree} conferred {conferral_date.isoformat()}"
    if honours.casefold() != earned.casefold():
        why = honours_reason.strip()
        if not why:
            raise ValidationFailed(
                "honours_reason",
                f"the record earns {earned or 'no Latin honours'}: other honours need a reason.",
            )
        if len(why) > MAX_REASON:
            raise ValidationFailed("honours_reason", f"must be at most {MAX_REASON} characters.")
        reason += f"; honours {honours or 'none'} instead of {earned or 'none'}: {why}"
    missing = _audit_gaps(session, row, program)
    if missing:
        override = override_reason.strip()
        if not override:
            name = " ".join(p for p in (row.legal_first_name, row.legal_last_name) if p)
            raise RequirementsNotMet(name, program.code, missing)
        if len(override) > MAX_REASON:
            raise ValidationFailed("override_reason", f"must be at most {MAX_REASON} characters.")
        reason += f"; requirements overridden ({'; '.join(missing)}): {override}"
    return _depart(
        session,
        actor,
        row,
        expected_version,
        {
            "status": StudentStatus.GRADUATED.value,
            "program_id": program.id,
            "departure_date": conferral_date,
            "departure_reason": f"Graduated: {degree}",
            "degree_conferred": degree,
            "conferral_date": conferral_date,
            "honours": honours.strip(),
        },
        "graduate",
        reason,
    )


def _audit_gaps(session: Session, row: Student, program: Program) -> tuple[str, ...]:
    """What the degree audit finds missing for `program` (the student's own program is the
    one audited; conferring another is a gap in itself)."""
    assert row.id is not None
    if program.id != row.program_id:
        return (f"the degree audit covers the student's own program, not {program.code}",)
    audit = degree_audit(session, student_id=row.id)
    return audit.missing if audit is not None else ("no program on record to audit",)


def withdraw(
    session: Session,
    *,
    actor: Actor,
    student_id: int,
    expected_version: int,
    on: date,
    reason: str,
) -> DepartureResult:
    """Withdraw the student from the institution on `on`, for `reason`."""
    authorize(actor, Action.STUDENT_DEPART)
    row = _student(session, student_id, _MAY_LEAVE, "withdraw")
    text = _reason(reason)
    _not_future(on, "departure_date")
    changes: dict[str, object] = {
        "status": StudentStatus.WITHDRAWN.value,
        "departure_date": on,
        "departure_reason": text,
    }
    return _depart(session, actor, row, expected_version, changes, "withdraw", text)


def transfer_out(
    session: Session,
    *,
    actor: Actor,
    student_id: int,
    expected_version: int,
    on: date,
    reason: str,
    destination: str = "",
) -> DepartureResult:
    """Record that the student left for another institution, named by `destination`."""
    authorize(actor, Action.STUDENT_DEPART)
    row = _student(session, student_id, _MAY_LEAVE, "transfer out")
    text = _reason(reason)
    _not_future(on, "departure_date")
    if not destination.strip():
        raise ValidationFailed("destination", DESTINATION_REQUIRED)
    text = f"{text} (to {destination.strip()})"[:MAX_REASON]
    changes: dict[str, object] = {
        "status": StudentStatus.TRANSFERRED_OUT.value,
        "departure_date": on,
        "departure_reason": text,
    }
    return _depart(session, actor, row, expected_version, changes, "transfer_out", text)


def start_leave(
    session: Session,
    *,
    actor: Actor,
    student_id: int,
    expected_version: int,
    start: date,
    expected_return: date | None,
    reason: str,
) -> DepartureResult:
    """Put the student on leave from `start`; registrations in terms that start before the
    expected return (all future ones when no return date is known) are dropped."""
    authorize(actor, Action.STUDENT_DEPART)
    row = _student(session, student_id, _MAY_TAKE_LEAVE, "go on leave")
    text = _reason(reason, "leave_reason")
    changes: dict[str, object] = {
        "status": StudentStatus.ON_LEAVE.value,
        "leave_start": start,
        "leave_expected_return": expected_return,
        "leave_reason": text,
    }
    return _depart(session, actor, row, expected_version, changes, "leave", text, expected_return)


def return_from_leave(
    session: Session, *, actor: Actor, student_id: int, expected_version: int, on: date
) -> DepartureResult:
    """Bring a student on leave back to `active`. The leave's dates and reason stay on the record
    (the last leave taken); the return date is in the audit trail and a contact note."""
    authorize(actor, Action.STUDENT_DEPART)
    row = _student(session, student_id, {StudentStatus.ON_LEAVE}, "return from leave")
    _not_future(on, "return_date")
    if row.leave_start is not None and on < row.leave_start:
        raise ValidationFailed("return_date", "is before the leave started.")
    assert row.id is not None
    profile = apply_changes(
        session,
        actor=actor,
        student_id=row.id,
        expected_version=expected_version,
        changes={"status": StudentStatus.ACTIVE.value},
        action="return",
        reason=f"returned from leave {on.isoformat()}",
    )
    add_note(
        session,
        actor=actor,
        student_id=row.id,
        body=f"Returned from leave on {on.isoformat()} (leave began "
        f"{row.leave_start.isoformat() if row.leave_start else 'on an unknown date'}).",
        channel="other",
    )
    return DepartureResult(profile=profile, dropped=())
