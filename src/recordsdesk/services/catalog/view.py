"""Read-only views of the catalog, the terms and the institution, for the desk's list screens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal

from sqlalchemy import ColumnElement, case, func
from sqlmodel import Session, col, select

from recordsdesk.models import (
    Course,
    Enrollment,
    EnrollmentStatus,
    GradingScale,
    Institution,
    Section,
    Term,
)
from recordsdesk.services.access.actor import Actor
from recordsdesk.services.access.permissions import Action, authorize


@dataclass(frozen=True)
class InstitutionSummary:
    name: str
    short_name: str
    level: str
    demo: bool
    #: A trainee's practice desk: every screen shows a PRACTICE band.
    practice: bool = False


@dataclass(frozen=True)
class CourseRow:
    id: int
    code: str
    title: str
    credits: Decimal
    department: str
    level: str
    scale_code: str
    weight: Decimal
    active: bool
    section_count: int
    grading_bases: str = "graded"  # as stored: the bases a student may choose, comma-separated
    default_grading_basis: str = "graded"  # the one registration gives


@dataclass(frozen=True)
class SectionRow:
    id: int
    term_code: str
    term_status: str
    course_code: str
    section_code: str
    instructor: str
    meeting_days: str
    start_time: time | None
    end_time: time | None
    room: str
    capacity: int
    registered: int
    waitlisted: int


@dataclass(frozen=True)
class TermRow:
    id: int
    code: str
    name: str
    start_date: date
    end_date: date
    add_drop_deadline: date | None
    withdraw_deadline: date | None
    grades_due: date | None
    status: str
    section_count: int
    grading_basis_deadline: date | None = None


def institution_summary(session: Session) -> InstitutionSummary:
    """The institution's names for the desk's title; a placeholder before one is set up."""
    institution = session.exec(select(Institution).order_by(col(Institution.id))).first()
    if institution is None:
        return InstitutionSummary(name="", short_name="recordsdesk", level="", demo=False)
    return InstitutionSummary(
        name=institution.name,
        short_name=institution.short_name or institution.name,
        level=institution.level,
        demo=institution.demo,
        practice=institution.practice,
    )


def list_courses(session: Session, *, actor: Actor) -> tuple[CourseRow, ...]:
    """Every catalog course, by code, with how many sections it has ever had."""
    authorize(actor, Action.CATALOG_READ)  # every staff role may read the catalog
    sections = (
        select(Section.course_id, func.count().label("n"))
        .group_by(col(Section.course_id))
        .subquery()
    )
    rows = session.exec(
        select(Course, GradingScale.code, sections.c.n)
        .join(GradingScale, col(GradingScale.id) == col(Course.grading_scale_id))
        .join(sections, sections.c.course_id == col(Course.id), isouter=True)
        .order_by(col(Course.code))
    ).all()
    result = []
    for course, scale_code, section_count in rows:
        assert course.id is not None
        result.append(
            CourseRow(
                id=course.id,
                code=course.code,
                title=course.title,
                credits=course.credits,
                department=course.department,
                level=course.level,
                scale_code=scale_code,
                weight=course.weight,
                active=course.active,
                section_count=int(section_count or 0),
                grading_bases=course.grading_bases,
                default_grading_basis=course.default_grading_basis,
            )
        )
    return tuple(result)


def list_sections(session: Session, *, actor: Actor, course_id: int) -> tuple[SectionRow, ...]:
    """The sections of one course, newest term first, with registered and waitlisted counts."""
    authorize(actor, Action.CATALOG_READ)
    counts = (
        select(
            Enrollment.section_id,
            func.sum(_when(EnrollmentStatus.REGISTERED)).label("registered"),
            func.sum(_when(EnrollmentStatus.WAITLISTED)).label("waitlisted"),
        )
        .group_by(col(Enrollment.section_id))
        .subquery()
    )
    course = session.get(Course, course_id)
    course_code = course.code if course else ""
    rows = session.exec(
        select(Section, Term, counts.c.registered, counts.c.waitlisted)
        .join(Term, col(Term.id) == col(Section.term_id))
        .join(counts, counts.c.section_id == col(Section.id), isouter=True)
        .where(Section.course_id == course_id)
        .order_by(col(Term.start_date).desc(), col(Section.section_code))
    ).all()
    result = []
    for section, term, registered, waitlisted in rows:
        assert section.id is not None
        result.append(
            SectionRow(
                id=section.id,
                term_code=term.code,
                term_status=term.status,
                course_code=course_code,
                section_code=section.section_code,
                instructor=section.instructor,
                meeting_days=section.meeting_days,
                start_time=section.start_time,
                end_time=section.end_time,
                room=section.room,
                capacity=section.capacity,
                registered=int(registered or 0),
                waitlisted=int(waitlisted or 0),
            )
        )
    return tuple(result)


def _when(status: EnrollmentStatus) -> ColumnElement[int]:
    return case((col(Enrollment.status) == status.value, 1), else_=0)


def list_terms(session: Session, *, actor: Actor) -> tuple[TermRow, ...]:
    """Every term, newest first, with its deadlines and how many sections it offers."""
    authorize(actor, Action.CATALOG_READ)
    sections = (
        select(Section.term_id, func.count().label("n")).group_by(col(Section.term_id)).subquery()
    )
    rows = session.exec(
        select(Term, sections.c.n)
        .join(sections, sections.c.term_id == col(Term.id), isouter=True)
        .order_by(col(Term.start_date).desc(), col(Term.code))
    ).all()
    result = []
    for term, section_count in rows:
        assert term.id is not None
        result.append(
            TermRow(
                id=term.id,
                code=term.code,
                name=term.name,
                start_date=term.start_date,
                end_date=term.end_date,
                add_drop_deadline=term.add_drop_deadline,
                withdraw_deadline=term.withdraw_deadline,
                grades_due=term.grades_due,
                status=term.status,
                section_count=int(section_count or 0),
                grading_basis_deadline=term.grading_basis_deadline,
            )
        )
    return tuple(result)
