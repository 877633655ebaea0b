"""Coursework received from other institutions (PESC transcripts) and how it is articulated.

Received coursework is kept exactly as sent (text for the mark, the sender's codes) and never
enters our GPA: a registrar's evaluation turns a course into a `transfer_credit` row through an
`articulation` rule, and `external_course.transfer_credit_id` remembers which, so undoing the
evaluation removes exactly the credit it made.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from recordsdesk.models.base import utcnow


class ExternalTranscript(SQLModel, table=True):
    """One sending institution's academic record for one student, from one received document."""

    __tablename__ = "external_transcript"

    id: int | None = Field(default=None, primary_key=True)
    student_id: int = Field(foreign_key="student.id", index=True)
    institution: str = Field(max_length=200)
    #: The institution's identifiers as sent ("FICE 001234; ATP 5678"), for a reader's eye.
    institution_ids: str = ""
    #: The folded institution name articulation rules are keyed by.
    institution_key: str = Field(max_length=200, index=True)
    document_id: str = Field(default="", max_length=100)
    document_kind: str = Field(default="college", max_length=20)  # college or highschool
    document_version: str = Field(default="", max_length=20)
    file_name: str = ""
    received_at: datetime = Field(default_factory=utcnow)
    received_by_id: int | None = Field(default=None, foreign_key="staff_user.id")


class ExternalCourse(SQLModel, table=True):
    """A course as the sender wrote it; `transfer_credit_id` is set while it is evaluated."""

    __tablename__ = "external_course"
    __table_args__ = (Index("ix_external_course_transcript", "external_transcript_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    external_transcript_id: int = Field(foreign_key="external_transcript.id")
    student_id: int = Field(foreign_key="student.id", index=True)
    position: int = 0
    session_designator: str = Field(default="", max_length=20)
    session_name: str = ""
    course_code: str = Field(default="", max_length=60)
    title: str = ""
    credits_attempted: Decimal | None = Field(default=None, max_digits=8, decimal_places=3)
    credits_earned: Decimal | None = Field(default=None, max_digits=8, decimal_places=3)
    credit_unit: str = Field(default="", max_length=40)
    quality_points: Decimal | None = Field(default=None, max_digits=8, decimal_places=3)
    mark: str = Field(default="", max_length=20)
    scale_code: str = Field(default="", max_length=20)
    grade_status: str = Field(default="", max_length=40)
    repeat_code: str = Field(default="", max_length=40)
    transfer_credit_id: int | None = Field(default=None, foreign_key="transfer_credit.id")
    articulation_id: int | None = Field(default=None, foreign_key="articulation.id")


class ExternalSummary(SQLModel, table=True):
    """One AcademicSummary GPA block as sent: a term's (with its session) or the record's."""

    __tablename__ = "external_summary"
    __table_args__ = (
        Index("ix_external_summary_transcript", "external_transcript_id", "position"),
    )

    id: int | None = Field(default=None, primary_key=True)
    external_transcript_id: int = Field(foreign_key="external_transcript.id")
    position: int = 0
    session_designator: str = Field(default="", max_length=20)
    session_name: str = ""
    summary_type: str = Field(default="", max_length=40)
    summary_level: str = Field(default="", max_length=40)
    credits_attempted: Decimal | None = Field(default=None, max_digits=8, decimal_places=3)
    credits_earned: Decimal | None = Field(default=None, max_digits=8, decimal_places=3)
    credits_for_gpa: Decimal | None = Field(default=None, max_digits=8, decimal_places=3)
    quality_points: Decimal | None = Field(default=None, max_digits=9, decimal_places=3)
    credit_unit: str = Field(default="", max_length=40)
    gpa: str = Field(default="", max_length=20)  # as sent: "3.75", "84.5"


class Articulation(SQLModel, table=True):
    """An external institution's course -> our course (or elective credit at a level), given
    at or above `minimum_mark`; kept for the next student from that institution."""

    __tablename__ = "articulation"
    __table_args__ = (
        UniqueConstraint("institution_key", "course_code"),
        CheckConstraint(
            "equivalent_course_id IS NOT NULL OR elective_level <> ''", name="has_target"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    institution_key: str = Field(max_length=200)
    institution: str = Field(max_length=200)
    course_code: str = Field(max_length=60)
    equivalent_course_id: int | None = Field(default=None, foreign_key="course.id")
    elective_level: str = Field(default="", max_length=20)
    minimum_mark: str = Field(default="", max_length=20)
    created_at: datetime = Field(default_factory=utcnow)
    created_by_id: int | None = Field(default=None, foreign_key="staff_user.id")
