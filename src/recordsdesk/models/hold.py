"""Holds: blocks on registration and/or official transcripts, placed and released by someone."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint
from sqlmodel import Field, SQLModel

from recordsdesk.models.base import HoldType, one_of, utcnow


class Hold(SQLModel, table=True):
    __tablename__ = "hold"
    __table_args__ = (
        one_of("hold_type", HoldType),
        CheckConstraint("blocks_registration OR blocks_transcript", name="blocks_something"),
        CheckConstraint("reason <> ''", name="reason_present"),
        CheckConstraint(
            "(released_at IS NULL) = (released_by_id IS NULL)", name="release_complete"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    student_id: int = Field(foreign_key="student.id", index=True)
    hold_type: str
    blocks_registration: bool = True
    blocks_transcript: bool = False
    reason: str
    placed_by_id: int = Field(foreign_key="staff_user.id")
    placed_at: datetime = Field(default_factory=utcnow)
    released_by_id: int | None = Field(default=None, foreign_key="staff_user.id")
    released_at: datetime | None = None
    release_reason: str = ""
