"""What the registration screen reads: the terms to register in, one student's registrations in a
term, and a term's sections filtered by the course code typed so far. Plain frozen values; reading
is not audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from sqlalchemy import func
from sqlmodel import Session, col, select

from recordsdesk.models import (
    Course,
    Enrollment,
    Institution,
    Section,
    Student,
    Term,
    TermStatus,
)
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.access.permissions import Action, authorize
from recordsdesk.services.grades.basis import GRADED, allowed_bases
from recordsdesk.services.people.holds import blocking_holds
from recordsdesk.services.registration.basis import basis_deadline
from recordsdesk.services.registration.data import (
    REGISTERED,
    WAITLISTED,
    get_row,
    requirements,
    student_name,
)
from recordsdesk.services.registration.register import ExitKind, exit_kind
from recordsdesk.services.registration.rules import (
    Meeting,
    Situation,
    Taken,
    prerequisite_state,
)

#: Terms a desk registers in: the one under way and those ahead of it.
CURRENT_OR_UPCOMING = (
    TermStatus.IN_PROGRESS.value,
    TermStatus.REGISTRATION_OPEN.value,
    TermStatus.PLANNED.value,
)
SECTION_LIMIT = 200


@dataclass(frozen=True)
class TermChoice:
    term_id: int
    code: str
    name: str
    status: str
    add_drop_deadline: date | None
    withdraw_deadline: date | None
    grading_basis_deadline: date | None = None


@dataclass(frozen=True)
class RegistrationLine:
    """One of the student's registrations or places on a waitlist in the term."""

    enrollment_id: int
    course_code: str
    course_title: str
    section_code: str
    credits: Decimal
    status: str
    waitlist_position: int | None
    seat_offered_at: datetime | None
    meeting_days: str
    start_time: time | None
    end_time: time | None
    instructor: str
    override_reason: str
    provisional: tuple[str, ...]  # prerequisites still in progress elsewhere
    exit: ExitKind  # what leaving the section now would be: a drop, or a withdrawal (W)
    grading_basis: str = GRADED
    grading_bases: tuple[str, ...] = (GRADED,)  # the bases the course allows
    basis_late: bool = False  # past the term's grading-basis deadline: a registrar's change
    version: int = 1


@dataclass(frozen=True)
class RegistrationSheet:
    student_id: int
    student_number: str
    student_name: str
    student_status: str
    term: TermChoice
    lines: tuple[RegistrationLine, ...]
    credits: Decimal  # registered credits (waitlisted places do not count)
    max_credit_load: Decimal
    holds: tuple[str, ...]


@dataclass(frozen=True)
class SectionChoice:
    section_id: int
    course_code: str
    course_title: str
    section_code: str
    credits: Decimal
    meeting_days: str
    start_time: time | None
    end_time: time | None
    instructor: str
    capacity: int
    registered: int
    held: int  # seats held for a waitlist offer
    waitlisted: int
    waitlist_capacity: int

    @property
    def seats_left(self) -> int:
        """Seats a newcomer can take: free ones not owed to a student waiting in line."""
        free = max(0, self.capacity - self.registered - self.held)
        return max(0, free - (self.waitlisted - self.held))


def _choice(term: Term) -> TermChoice:
    assert term.id is not None
    return TermChoice(
        term.id,
        term.code,
        term.name,
        term.status,
        term.add_drop_deadline,
        term.withdraw_deadline,
        term.grading_basis_deadline,
    )


def registration_terms(session: Session, *, actor: Actor) -> tuple[TermChoice, ...]:
    """The current and upcoming terms, those open for registration first, then by start."""
    authorize(actor, Action.STUDENT_READ)
    terms = session.exec(
        select(Term)
        .where(col(Term.status).in_(CURRENT_OR_UPCOMING))
        .order_by(col(Term.start_date), col(Term.id))
    ).all()
    ordered = sorted(terms, key=lambda t: t.status != TermStatus.REGISTRATION_OPEN.value)
    return tuple(_choice(t) for t in ordered)


def registration_sheet(
    session: Session, *, actor: Actor, student_id: int, term_id: int, today: date | None = None
) -> RegistrationSheet:
    """The student's registrations and waitlist places in the term, with the credit total
    against the institution's maximum load and any hold that blocks registration."""
    authorize(actor, Action.STUDENT_READ)
    day = today if today is not None else date.today()
    student: Student = get_row(session, Student, student_id, "student")
    term: Term = get_row(session, Term, term_id, "term")
    rows = session.exec(
        select(Enrollment, Section, Course)
        .join(Section, col(Section.id) == col(Enrollment.section_id))
        .join(Course, col(Course.id) == col(Section.course_id))
        .where(
            Enrollment.student_id == student_id,
            Section.term_id == term_id,
            col(Enrollment.status).in_((REGISTERED, WAITLISTED)),
        )
        .order_by(col(Enrollment.status), col(Course.code), col(Section.section_code))
    ).all()
    history = _earlier(session, student_id, term)
    lines = []
    for e, section, course in rows:
        assert e.id is not None
        lines.append(
            RegistrationLine(
                enrollment_id=e.id,
                course_code=course.code,
                course_title=course.title,
                section_code=section.section_code,
                credits=e.credits if e.credits is not None else course.credits,
                status=e.status,
                waitlist_position=e.waitlist_position,
                seat_offered_at=e.seat_offered_at,
                meeting_days=section.meeting_days,
                start_time=section.start_time,
                end_time=section.end_time,
                instructor=section.instructor,
                override_reason=e.override_reason,
                provisional=_provisional(session, student_id, course.id or 0, term, history),
                exit=exit_kind(term, e.status, day),
                grading_basis=e.grading_basis,
                grading_bases=allowed_bases(course.grading_bases),
                basis_late=day > basis_deadline(term),
                version=e.version,
            )
        )
    institution = session.exec(select(Institution).order_by(col(Institution.id))).first()
    holds = blocking_holds(session, actor=actor, student_id=student_id, blocks="registration")
    return RegistrationSheet(
        student_id=student_id,
        student_number=student.student_number,
        student_name=student_name(student),
        student_status=student.status,
        term=_choice(term),
        lines=tuple(lines),
        credits=sum((ln.credits for ln in lines if ln.status == REGISTERED), Decimal("0")),
        max_credit_load=institution.max_credit_load if institution else Decimal("18"),
        holds=tuple(f"{h.hold_type} hold ({h.reason})" for h in holds),
    )


def _earlier(session: Session, student_id: int, term: Term) -> tuple[Taken, ...]:
    """The student's enrollments in terms before this one (what prerequisites rest on)."""
    rows = session.exec(
        select(Enrollment, Section, Term)
        .join(Section, col(Section.id) == col(Enrollment.section_id))
        .join(Term, col(Term.id) == col(Section.term_id))
        .where(Enrollment.student_id == student_id, col(Term.start_date) < term.start_date)
    ).all()
    return tuple(
        Taken(
            enrollment_id=e.id or 0,
            course_id=section.course_id,
            course_code="",
            term_id=t.id or 0,
            term_code=t.code,
            term_start=t.start_date,
            section_id=section.id or 0,
            section_code=section.section_code,
            status=e.status,
            grade_status=e.grade_status,
            mark=e.mark,
            credits=Decimal("0"),
            meeting=Meeting("", None, None),
        )
        for e, section, t in rows
    )


def _provisional(
    session: Session, student_id: int, course_id: int, term: Term, taken: tuple[Taken, ...]
) -> tuple[str, ...]:
    """Prerequisites of the course that still rest on a course in progress: the flag goes away
    by itself once that course's mark is posted."""
    reqs = requirements(session, course_id, student_id)
    if not reqs:
        return ()
    probe = Situation(
        student_name="",
        student_status="",
        term_id=term.id or 0,
        term_code=term.code,
        term_status=term.status,
        term_start=term.start_date,
        add_deadline=None,
        course_id=course_id,
        course_code="",
        course_credits=Decimal("0"),
        repeat_limit=0,
        section_code="",
        capacity=0,
        seats_taken=0,
        seats_held=0,
        waitlisted=0,
        waitlist_capacity=0,
        meeting=Meeting("", None, None),
        max_credit_load=Decimal("0"),
        holds=(),
        requirements=reqs,
        taken=taken,
        today=date.min,
    )
    return tuple(prerequisite_state(probe)[1])


def term_sections(
    session: Session, *, actor: Actor, term_id: int, code: str = "", limit: int = SECTION_LIMIT
) -> tuple[SectionChoice, ...]:
    """The term's sections whose course code, followed by the section code, starts with `code`,
    spaces, dashes and case ignored: "cs1" finds CS 101 and "BIOL 101-002" one section, as the
    clerk reads it off a schedule. Seats left and the waitlist come with each, in code order."""
    authorize(actor, Action.CATALOG_READ)
    typed = "".join(code.split()).replace("-", "").upper()
    query = (
        select(Section, Course)
        .join(Course, col(Course.id) == col(Section.course_id))
        .where(Section.term_id == term_id)
        .order_by(col(Course.code), col(Section.section_code))
        .limit(limit)
    )
    if typed:
        both = func.replace(
            func.replace(col(Course.code) + col(Section.section_code), " ", ""), "-", ""
        )
        query = query.where(func.upper(both).startswith(typed, autoescape=True))
    found = session.exec(query).all()
    counts: dict[tuple[int, str, bool], int] = {}
    ids = [section.id for section, _ in found]
    if ids:
        held = col(Enrollment.seat_offered_at).is_not(None)
        for section_id, status, offered, n in session.exec(
            select(Enrollment.section_id, Enrollment.status, held, func.count())
            .where(
                col(Enrollment.section_id).in_(ids),
                col(Enrollment.status).in_((REGISTERED, WAITLISTED)),
            )
            .group_by(col(Enrollment.section_id), col(Enrollment.status), held)
        ).all():
            counts[(section_id, status, bool(offered))] = n

    def count(section_id: int, status: str, offered: bool | None = None) -> int:
        flags = (True, False) if offered is None else (offered,)
        return sum(counts.get((section_id, status, f), 0) for f in flags)

    choices = []
    for section, course in found:
        assert section.id is not None
        choices.append(
            SectionChoice(
                section_id=section.id,
                course_code=course.code,
                course_title=course.title,
                section_code=section.section_code,
                credits=course.credits,
                meeting_days=section.meeting_days,
                start_time=section.start_time,
                end_time=section.end_time,
                instructor=section.instructor,
                capacity=section.capacity,
                registered=count(section.id, REGISTERED),
                held=count(section.id, WAITLISTED, True),
                waitlisted=count(section.id, WAITLISTED),
                waitlist_capacity=section.waitlist_capacity,
            )
        )
    return tuple(choices)
