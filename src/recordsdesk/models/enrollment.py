"""Enrollments (a student in a section, with the mark) and credit earned elsewhere."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from recordsdesk.models.base import (
    EnrollmentStatus,
    GradeStatus,
    GradingBasis,
    StandingLevel,
    one_of,
    utcnow,
)

#: The rows the grade distribution counts (its partial index holds only these).
POSTED_MARK = "grade_status = 'posted' AND mark IS NOT NULL"

#: The enrollments `ix_enrollment_incomplete` holds: a posted I, still outstanding.
INCOMPLETE_WHERE = "grade_status = 'posted' AND mark = 'I'"


class Enrollment(SQLModel, table=True):
    """`version` guards the mark against two desks keying the same roster."""

    __tablename__ = "enrollment"
    __table_args__ = (
        UniqueConstraint("student_id", "section_id"),
        Index("ix_enrollment_section_status", "section_id", "status"),
        # A term's posted marks per section and mark from the index alone (grade distribution).
        Index(
            "ix_enrollment_section_marks",
            "section_id",
            "mark",
            "student_id",
            sqlite_where=text(POSTED_MARK),
            postgresql_where=text(POSTED_MARK),
        ),
        # A student's record read from the index alone, in student order: what the standing
        # reports sum per student and the enrollment report groups per term. It also serves
        # every look-up by student (the unique constraint's index does as well), so student_id
        # carries no index of its own.
        Index(
            "ix_enrollment_student_record",
            "student_id",
            "grade_status",
            "section_id",
            "status",
            "mark",
            "grading_basis",
            "credits",
        ),
        # The outstanding incompletes (a few in a thousand marks), for the incompletes report;
        # its statement repeats this predicate word for word, as SQLite needs to use it.
        Index(
            "ix_enrollment_incomplete",
            "section_id",
            "student_id",
            "incomplete_expires",
            sqlite_where=text(INCOMPLETE_WHERE),
            postgresql_where=text(INCOMPLETE_WHERE),
        ),
        one_of("status", EnrollmentStatus),
        one_of("grade_status", GradeStatus),
        one_of("grading_basis", GradingBasis),
        CheckConstraint("grade_status = 'none' OR mark IS NOT NULL", name="graded_has_mark"),
        CheckConstraint(
            "status <> 'waitlisted' OR waitlist_position IS NOT NULL", name="waitlist_positioned"
        ),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    student_id: int = Field(foreign_key="student.id")
    section_id: int = Field(foreign_key="section.id")
    status: str = Field(default=EnrollmentStatus.REGISTERED.value)
    registered_at: datetime = Field(default_factory=utcnow)
    status_changed_at: datetime | None = None
    waitlist_position: int | None = None
    # A waitlisted enrollment offered a freed seat: it holds the place until accepted or declined.
    seat_offered_at: datetime | None = None
    credits: Decimal | None = Field(default=None, max_digits=5, decimal_places=2)
    # Which marks this enrollment takes and what they mean (the course's scale when `graded`).
    grading_basis: str = Field(default=GradingBasis.GRADED.value, max_length=20)
    mark: str | None = Field(default=None, max_length=10)
    grade_status: str = Field(default=GradeStatus.NONE.value)
    mark_entered_at: datetime | None = None
    mark_entered_by_id: int | None = Field(default=None, foreign_key="staff_user.id")
    posted_at: datetime | None = None
    posted_by_id: int | None = Field(default=None, foreign_key="staff_user.id")
    incomplete_expires: date | None = None
    override_reason: str = ""
    version: int = 1


class TransferCredit(SQLModel, table=True):
    """Credit accepted from another institution: earns credit, never enters the GPA."""

    __tablename__ = "transfer_credit"
    __table_args__ = (CheckConstraint("credits >= 0", name="credits_nonnegative"),)

    id: int | None = Field(default=None, primary_key=True)
    student_id: int = Field(foreign_key="student.id", index=True)
    source_institution: str
    source_course_code: str = ""
    source_course_title: str = ""
    credits: Decimal = Field(max_digits=5, decimal_places=2)
    mark: str = Field(default="TR", max_length=10)
    equivalent_course_id: int | None = Field(default=None, foreign_key="course.id")
    #: Elective credit at this level ("200") when it is no course of ours: kept on the credit,
    #: since the articulation rule it came from may be changed for later students.
    elective_level: str = Field(default="", max_length=20, sa_column_kwargs={"server_default": ""})
    awarded_on: date
    entered_by_id: int | None = Field(default=None, foreign_key="staff_user.id")


class AcademicStanding(SQLModel, table=True):
    """A student's standing for one term, decided when the term's marks are posted. `computed`
    is what the institution's rules gave; `standing` what stands (a registrar's override, with
    its reason, when they differ). The GPAs are the ones the decision read."""

    __tablename__ = "academic_standing"
    __table_args__ = (
        UniqueConstraint("student_id", "term_id"),
        # A term's students by their decided standing, from the index alone (the standing
        # reports); it serves every look-up by term as well.
        Index("ix_academic_standing_term", "term_id", "standing", "student_id"),
        one_of("standing", StandingLevel),
        one_of("computed", StandingLevel),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    student_id: int = Field(foreign_key="student.id", index=True)
    term_id: int = Field(foreign_key="term.id")
    standing: str = Field(max_length=20)
    computed: str = Field(max_length=20)
    term_gpa: Decimal | None = Field(default=None, max_digits=6, decimal_places=4)
    cumulative_gpa: Decimal | None = Field(default=None, max_digits=6, decimal_places=4)
    override_reason: str = ""
    decided_at: datetime = Field(default_factory=utcnow)
    decided_by_id: int | None = Field(default=None, foreign_key="staff_user.id")
    version: int = 1
