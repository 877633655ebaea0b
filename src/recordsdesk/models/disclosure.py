"""Counter services: the student's release consents and the log of every disclosure."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint
from sqlmodel import Field, SQLModel

from recordsdesk.models.base import (
    DisclosedDocument,
    LegalBasis,
    TranscriptFormat,
    one_of,
    utcnow,
)


class ReleaseConsent(SQLModel, table=True):
    """The student's written permission to release named records to a named party. `records`
    holds the covered scopes (ConsentScope values) separated by spaces, in a fixed order."""

    __tablename__ = "release_consent"
    __table_args__ = (
        CheckConstraint("recipient <> ''", name="recipient_present"),
        CheckConstraint("records <> ''", name="records_present"),
        CheckConstraint(
            "valid_until IS NULL OR valid_until >= signed_on", name="valid_after_signed"
        ),
        CheckConstraint(
            "(revoked_at IS NULL) = (revoked_by_id IS NULL)", name="revocation_complete"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    student_id: int = Field(foreign_key="student.id", index=True)
    recipient: str
    records: str
    purpose: str = ""
    signed_on: date
    valid_until: date | None = None
    added_by_id: int = Field(foreign_key="staff_user.id")
    added_at: datetime = Field(default_factory=utcnow)
    revoked_by_id: int | None = Field(default=None, foreign_key="staff_user.id")
    revoked_at: datetime | None = None
    revoke_reason: str = ""


class Disclosure(SQLModel, table=True):
    """One release of a record outside the office. Rows are only ever added (desks hold no
    UPDATE or DELETE grant on the table) and each has its audit event."""

    __tablename__ = "disclosure"
    __table_args__ = (
        one_of("document", DisclosedDocument),
        one_of("basis", LegalBasis),
        CheckConstraint("basis <> 'consent' OR consent_id IS NOT NULL", name="consent_named"),
    )

    id: int | None = Field(default=None, primary_key=True)
    student_id: int = Field(foreign_key="student.id", index=True)
    disclosed_at: datetime = Field(default_factory=utcnow)
    disclosed_by_id: int = Field(foreign_key="staff_user.id")
    document: str
    #: The document's own log row (a transcript_request id for a transcript copy).
    document_id: int | None = None
    recipient: str = ""
    purpose: str = ""
    basis: str
    consent_id: int | None = Field(default=None, foreign_key="release_consent.id")
    note: str = ""


class VerificationLetter(SQLModel, table=True):
    """Every enrollment verification letter released: for whom, which terms, in which format,
    and the code and digests "is this document genuine?" answers from."""

    __tablename__ = "verification_letter"
    __table_args__ = (
        one_of("format", TranscriptFormat),
        CheckConstraint("terms <> ''", name="terms_present"),
    )

    id: int | None = Field(default=None, primary_key=True)
    student_id: int = Field(foreign_key="student.id", index=True)
    issued_at: datetime = Field(default_factory=utcnow)
    issued_by_id: int = Field(foreign_key="staff_user.id")
    recipient: str = ""
    #: The term codes the letter certifies, separated by spaces.
    terms: str
    format: str = Field(default=TranscriptFormat.PDF.value)
    verification_code: str = Field(default="", index=True)
    content_digest: str = ""
    record_digest: str = ""
