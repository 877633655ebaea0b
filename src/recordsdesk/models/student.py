"""The student record: one row per person, from applicant to alumnus."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint
from sqlmodel import Field, SQLModel

from recordsdesk.models.base import StudentStatus, one_of, utcnow

# Leaving the institution must say when and why.
_DEPARTED = "'withdrawn', 'graduated', 'transferred_out'"


class Student(SQLModel, table=True):
    """`version` is the optimistic lock: every update bumps it and is refused when stale."""

    __tablename__ = "student"
    __table_args__ = (
        one_of("status", StudentStatus),
        CheckConstraint(
            f"status NOT IN ({_DEPARTED}) OR departure_date IS NOT NULL",
            name="departure_dated",
        ),
        CheckConstraint(
            f"status NOT IN ({_DEPARTED}) OR departure_reason <> ''",
            name="departure_reasoned",
        ),
        CheckConstraint(
            "departure_date IS NULL OR admission_date IS NULL OR admission_date <= departure_date",
            name="dates_ordered",
        ),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint("legal_last_name <> ''", name="last_name_present"),
    )

    id: int | None = Field(default=None, primary_key=True)
    student_number: str = Field(unique=True, max_length=20)
    legal_first_name: str = ""
    legal_middle_name: str = ""
    legal_last_name: str
    preferred_name: str = ""
    former_names: str = ""
    birth_date: date | None = Field(default=None, index=True)
    email: str = Field(default="", index=True)
    phone: str = ""
    address_line1: str = ""
    address_line2: str = ""
    city: str = ""
    region: str = ""
    postal_code: str = ""
    country: str = ""
    guardian_name: str = ""
    guardian_relationship: str = ""
    guardian_phone: str = ""
    guardian_email: str = ""
    program_id: int | None = Field(default=None, foreign_key="program.id", index=True)
    grade_level: str = Field(default="", max_length=20)
    class_year: int | None = None
    status: str = Field(default=StudentStatus.APPLICANT.value, index=True)
    entry_term_id: int | None = Field(default=None, foreign_key="term.id")
    admission_date: date | None = None
    departure_date: date | None = None
    departure_reason: str = ""
    degree_conferred: str = ""
    conferral_date: date | None = None
    honours: str = ""
    leave_start: date | None = None
    leave_expected_return: date | None = None
    leave_reason: str = ""
    confidential: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    version: int = 1
