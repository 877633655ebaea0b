"""Terms and the sections offered in them."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import CheckConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

from recordsdesk.models.base import TermStatus, one_of


class Term(SQLModel, table=True):
    __tablename__ = "term"
    __table_args__ = (
        one_of("status", TermStatus),
        CheckConstraint("start_date <= end_date", name="dates_ordered"),
        CheckConstraint(
            "add_drop_deadline IS NULL OR add_drop_deadline <= end_date", name="add_drop_in_term"
        ),
        CheckConstraint(
            "withdraw_deadline IS NULL OR withdraw_deadline <= end_date", name="withdraw_in_term"
        ),
        CheckConstraint(
            "grading_basis_deadline IS NULL OR grading_basis_deadline <= end_date",
            name="grading_basis_in_term",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=20)
    name: str
    start_date: date
    end_date: date
    add_drop_deadline: date | None = None
    withdraw_deadline: date | None = None
    # Last day a student may change an enrollment's grading basis; later only a registrar may.
    grading_basis_deadline: date | None = None
    grades_due: date | None = None
    status: str = Field(default=TermStatus.PLANNED.value, index=True)


class Section(SQLModel, table=True):
    """One offering of a course in a term. `meeting_days` uses MTWRFSU letters."""

    __tablename__ = "section"
    __table_args__ = (
        UniqueConstraint("term_id", "course_id", "section_code"),
        CheckConstraint("capacity >= 0", name="capacity_nonnegative"),
        CheckConstraint("waitlist_capacity >= 0", name="waitlist_nonnegative"),
        CheckConstraint(
            "start_time IS NULL OR end_time IS NULL OR start_time < end_time",
            name="times_ordered",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    course_id: int = Field(foreign_key="course.id", index=True)
    term_id: int = Field(foreign_key="term.id", index=True)
    section_code: str = Field(max_length=10)
    instructor: str = ""
    capacity: int = 30
    waitlist_capacity: int = 10
    meeting_days: str = Field(default="", max_length=7)
    start_time: time | None = None
    end_time: time | None = None
    room: str = ""
    grades_posted_at: datetime | None = None
    grades_posted_by_id: int | None = Field(default=None, foreign_key="staff_user.id")
