"""What happens at the counter: contact notes and transcript requests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint
from sqlmodel import Field, SQLModel

from recordsdesk.models.base import TranscriptFormat, TranscriptRequestStatus, one_of, utcnow


class ContactNote(SQLModel, table=True):
    __tablename__ = "contact_note"
    __table_args__ = (CheckConstraint("body <> ''", name="body_present"),)

    id: int | None = Field(default=None, primary_key=True)
    student_id: int = Field(foreign_key="student.id", index=True)
    author_id: int = Field(foreign_key="staff_user.id")
    created_at: datetime = Field(default_factory=utcnow)
    channel: str = "counter"
    body: str


class TranscriptRequest(SQLModel, table=True):
    """Every copy released, official or not: who, when, to whom, in which format."""

    __tablename__ = "transcript_request"
    __table_args__ = (
        one_of("format", TranscriptFormat),
        one_of("status", TranscriptRequestStatus),
    )

    id: int | None = Field(default=None, primary_key=True)
    student_id: int = Field(foreign_key="student.id", index=True)
    requested_at: datetime = Field(default_factory=utcnow)
    requested_by_id: int = Field(foreign_key="staff_user.id")
    official: bool = False
    recipient: str = ""
    format: str = Field(default=TranscriptFormat.PDF.value)
    status: str = Field(default=TranscriptRequestStatus.REQUESTED.value)
    released_at: datetime | None = None
    released_by_id: int | None = Field(default=None, foreign_key="staff_user.id")
    verification_code: str = Field(default="", index=True)
    # SHA-256 (hex) of the copy's bytes as released; empty for copies released before 0007.
    content_digest: str = ""
    # SHA-256 (hex) of the record's figures the copy prints (its canonical JSON), so a later
    # lookup by code can say whether the record changed since; empty before 0009.
    record_digest: str = ""
    note: str = ""
