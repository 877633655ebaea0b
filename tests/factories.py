"""Small factories for test data: each inserts one model row in the given session and flushes it.

Every factory fills in valid defaults (unique codes from a counter) so a test states only what it
is about: `make_student(session, status="withdrawn")` is enough to reach the constraint under test.
They bypass the services on purpose: constraint and service tests need rows the services would
refuse to build.
"""

from __future__ import annotations

import itertools
from datetime import date, time
from decimal import Decimal
from typing import Any, TypeVar

from sqlmodel import Session, SQLModel, select

from recordsdesk.models import (
    Course,
    Enrollment,
    GradingScale,
    Hold,
    Institution,
    Prerequisite,
    Program,
    Section,
    StaffUser,
    Student,
    Term,
)

_numbers = itertools.count(1)
RowT = TypeVar("RowT", bound=SQLModel)


def unique(prefix: str) -> str:
    """A short code no other factory call in this process has returned."""
    return f"{prefix}{next(_numbers):04d}"


def add(session: Session, row: RowT) -> RowT:
    """Insert `row` and flush, so constraint violations surface here and the id is set."""
    session.add(row)
    session.flush()
    return row


def scale_id(session: Session, code: str = "US-PM") -> int:
    """The id of a shipped grading scale (loaded when the database was opened)."""
    scale = session.exec(select(GradingScale).where(GradingScale.code == code)).one()
    assert scale.id is not None
    return scale.id


def institution(session: Session) -> Institution:
    return session.exec(select(Institution)).one()


def make_staff(session: Session, **fields: Any) -> StaffUser:
    values: dict[str, Any] = {"username": unique("staff"), "full_name": "Test Staff"}
    values["role"] = "clerk"
    values.update(fields)
    return add(session, StaffUser(**values))


def make_program(session: Session, **fields: Any) -> Program:
    values: dict[str, Any] = {
        "code": unique("P"),
        "name": "Bachelor of Testing",
        "level": "undergraduate",
        "required_credits": Decimal("120"),
    }
    values.update(fields)
    return add(session, Program(**values))


def make_course(session: Session, **fields: Any) -> Course:
    values: dict[str, Any] = {
        "code": unique("TST"),
        "title": "Introduction to Testing",
        "credits": Decimal("3"),
        "level": "undergraduate",
    }
    values.update(fields)
    if "grading_scale_id" not in values:
        values["grading_scale_id"] = scale_id(session)
    return add(session, Course(**values))


def make_prerequisite(
    session: Session, course: Course, required: Course, **fields: Any
) -> Prerequisite:
    values: dict[str, Any] = {"course_id": course.id, "required_course_id": required.id}
    values.update(fields)
    return add(session, Prerequisite(**values))


def make_term(session: Session, **fields: Any) -> Term:
    values: dict[str, Any] = {
        "code": unique("T"),
        "name": "Fall Term",
        "start_date": date(2026, 9, 1),
        "end_date": date(2026, 12, 18),
        "add_drop_deadline": date(2026, 9, 14),
        "withdraw_deadline": date(2026, 11, 6),
    }
    values.update(fields)
    return add(session, Term(**values))


def make_section(
    session: Session, course: Course | None = None, term: Term | None = None, **fields: Any
) -> Section:
    course = course or make_course(session)
    term = term or make_term(session)
    values: dict[str, Any] = {
        "course_id": course.id,
        "term_id": term.id,
        "section_code": unique("S"),
        "instructor": "Dr. Test",
        "capacity": 30,
        "meeting_days": "MWF",
        "start_time": time(9, 0),
        "end_time": time(9, 50),
    }
    values.update(fields)
    return add(session, Section(**values))


def make_student(session: Session, **fields: Any) -> Student:
    values: dict[str, Any] = {
        "student_number": unique("N"),
        "legal_first_name": "Ada",
        "legal_last_name": "Lovelace",
        "birth_date": date(2005, 12, 10),
        "email": "ada@example.edu",
        "status": "active",
    }
    values.update(fields)
    return add(session, Student(**values))


def make_enrollment(
    session: Session,
    student: Student | None = None,
    section: Section | None = None,
    **fields: Any,
) -> Enrollment:
    student = student or make_student(session)
    section = section or make_section(session)
    values: dict[str, Any] = {"student_id": student.id, "section_id": section.id}
    values.update(fields)
    return add(session, Enrollment(**values))


def make_hold(
    session: Session, student: Student | None = None, *, placed_by_id: int, **fields: Any
) -> Hold:
    student = student or make_student(session)
    values: dict[str, Any] = {
        "student_id": student.id,
        "hold_type": "financial",
        "reason": "Unpaid tuition balance",
        "placed_by_id": placed_by_id,
    }
    values.update(fields)
    return add(session, Hold(**values))
