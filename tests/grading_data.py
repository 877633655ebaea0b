"""A small graded section for the grade-entry tests: students with awkward names, a withdrawn one,
and a repeater whose earlier attempt shows as the previous mark."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from tests.factories import make_course, make_enrollment, make_section, make_student, make_term
from tests.factories import scale_id as shipped_scale

#: (last, first, enrollment status), deliberately not in alphabetical order.
STUDENTS = (
    ("Zeller", "Anna", "registered"),
    ("Álvarez", "José", "registered"),
    ("[b]Bob", "Robert", "registered"),
    ("Moreau", "Élise", "withdrawn"),
    ("Chen", "Li", "registered"),
    ("Okafor", "Chidi", "registered"),
)


@dataclass(frozen=True)
class GradedSection:
    term_id: int
    section_id: int
    enrollment_ids: dict[str, int]  # last name -> enrollment id
    student_numbers: dict[str, str]
    student_ids: dict[str, int]


def make_graded_section(
    session: Session, *, scale: str = "US-PM", course_code: str | None = None
) -> GradedSection:
    fields = {"code": course_code} if course_code else {}
    course = make_course(session, grading_scale_id=shipped_scale(session, scale), **fields)
    earlier = make_term(
        session,
        start_date=date(2025, 9, 1),
        end_date=date(2025, 12, 18),
        add_drop_deadline=None,
        withdraw_deadline=None,
        status="closed",
    )
    term = make_term(session, name="Spring Grading", status="grading")
    section = make_section(session, course, term, instructor="Dr. Ruiz")
    first_try = make_section(session, course, earlier)
    enrollments: dict[str, int] = {}
    numbers: dict[str, str] = {}
    ids: dict[str, int] = {}
    for last, first, status in STUDENTS:
        student = make_student(session, legal_last_name=last, legal_first_name=first)
        enrollment = make_enrollment(
            session,
            student,
            section,
            status=status,
            mark="W" if status == "withdrawn" else None,
            grade_status="posted" if status == "withdrawn" else "none",
        )
        assert enrollment.id is not None and student.id is not None
        enrollments[last] = enrollment.id
        numbers[last] = student.student_number
        ids[last] = student.id
        if last == "Chen":
            make_enrollment(
                session, student, first_try, status="completed", mark="F", grade_status="posted"
            )
    assert term.id is not None and section.id is not None
    return GradedSection(term.id, section.id, enrollments, numbers, ids)
