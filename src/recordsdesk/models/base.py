"""Shared vocabulary of the records schema: status words, timestamps, constraint naming.

Status columns are plain strings guarded by CHECK constraints rather than native database
enums: adding a status later is a one-line migration on both SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint
from sqlmodel import SQLModel

from recordsdesk.roles import StaffRole as StaffRole

# Deterministic constraint names keep Alembic's autogenerate and our migration test stable.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Now, timezone-aware in UTC: timestamp columns store and return aware UTC on both engines."""
    return datetime.now(UTC)


def one_of(column: str, values: type[StrEnum], name: str | None = None) -> CheckConstraint:
    """A CHECK constraint limiting a string column to an enum's values."""
    allowed = ", ".join(f"'{v.value}'" for v in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=name or f"{column}_valid")


class InstitutionLevel(StrEnum):
    ELEMENTARY = "elementary"
    SECONDARY = "secondary"
    TERTIARY = "tertiary"


class ProgramLevel(StrEnum):
    ELEMENTARY = "elementary"
    SECONDARY = "secondary"
    UNDERGRADUATE = "undergraduate"
    GRADUATE = "graduate"


class TermStatus(StrEnum):
    PLANNED = "planned"
    REGISTRATION_OPEN = "registration_open"
    IN_PROGRESS = "in_progress"
    GRADING = "grading"
    CLOSED = "closed"


class StudentStatus(StrEnum):
    APPLICANT = "applicant"
    ADMITTED = "admitted"
    ACTIVE = "active"
    ON_LEAVE = "on_leave"
    WITHDRAWN = "withdrawn"
    SUSPENDED = "suspended"
    GRADUATED = "graduated"
    TRANSFERRED_OUT = "transferred_out"


class ApplicationDecision(StrEnum):
    PENDING = "pending"
    ADMIT = "admit"
    DENY = "deny"
    WAITLIST = "waitlist"


class EnrollmentStatus(StrEnum):
    REGISTERED = "registered"
    WAITLISTED = "waitlisted"
    DROPPED = "dropped"
    WITHDRAWN = "withdrawn"
    COMPLETED = "completed"


class GradeStatus(StrEnum):
    NONE = "none"
    ENTERED = "entered"
    POSTED = "posted"


class GradingBasis(StrEnum):
    """How one enrollment is graded: on its course's scale, or by a basis's own marks."""

    GRADED = "graded"
    PASS_NO_PASS = "pass_no_pass"
    SATISFACTORY = "satisfactory"
    CREDIT = "credit"
    AUDIT = "audit"


class StandingLevel(StrEnum):
    """A student's academic standing for a term, from best to worst."""

    GOOD = "good"
    WARNING = "warning"
    PROBATION = "probation"
    SUSPENSION = "suspension"
    DISMISSAL = "dismissal"


class ScaleKind(StrEnum):
    LETTER = "letter"
    PASS_FAIL = "pass_fail"
    NON_GRADE = "non_grade"
    PERCENTAGE = "percentage"
    STANDARDS = "standards"


class HoldType(StrEnum):
    FINANCIAL = "financial"
    REGISTRAR = "registrar"
    ADVISING = "advising"
    DISCIPLINARY = "disciplinary"
    HEALTH = "health"
    LIBRARY = "library"


class RepeatPolicy(StrEnum):
    LATEST = "latest"
    HIGHEST = "highest"
    ALL = "all"


class RoundingPolicy(StrEnum):
    HALF_UP = "half_up"
    TRUNCATE = "truncate"


class TranscriptFormat(StrEnum):
    PDF = "pdf"
    TEXT = "text"
    HTML = "html"
    JSON = "json"
    PESC = "pesc"
    PRINT = "print"


class TranscriptRequestStatus(StrEnum):
    REQUESTED = "requested"
    RELEASED = "released"
    REFUSED = "refused"
    CANCELLED = "cancelled"


class ConsentScope(StrEnum):
    """Which records a release consent covers (ALL covers every other)."""

    GRADES = "grades"
    TRANSCRIPT = "transcript"
    ENROLLMENT = "enrollment"
    FINANCIAL = "financial"
    ALL = "all"


class LegalBasis(StrEnum):
    """Why a record may leave the office (34 CFR 99.30-99.31), as the disclosure log says it."""

    STUDENT_REQUEST = "student_request"
    CONSENT = "consent"
    DIRECTORY = "directory"
    SCHOOL_OFFICIAL = "school_official"
    OTHER_SCHOOL = "other_school"
    FINANCIAL_AID = "financial_aid"
    COURT_ORDER = "court_order"
    HEALTH_SAFETY = "health_safety"


class DisclosedDocument(StrEnum):
    """What left the office."""

    TRANSCRIPT = "transcript"
    VERIFICATION_LETTER = "verification_letter"
    EXPORT = "export"
    REPORT = "report"
    ORAL = "oral"
