"""The audit log: append-only, hash-chained, written in the same transaction as the change."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Text
from sqlmodel import Field, SQLModel

from recordsdesk.models.base import utcnow


class AuditEvent(SQLModel, table=True):
    """`before`/`after` are JSON texts of the changed fields; `entry_hash` covers `prev_hash`,
    so editing or deleting a row outside the app breaks the chain."""

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_entity", "entity", "entity_id"),
        Index("ix_audit_event_student_occurred", "student_id", "occurred_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    occurred_at: datetime = Field(default_factory=utcnow, index=True)
    actor_id: int | None = Field(default=None, foreign_key="staff_user.id", index=True)
    actor_username: str
    action: str = Field(max_length=40)
    entity: str = Field(max_length=40)
    entity_id: str = ""
    student_id: int | None = Field(default=None, foreign_key="student.id")
    before: str | None = Field(default=None, sa_type=Text)
    after: str | None = Field(default=None, sa_type=Text)
    reason: str = ""
    #: Which audit key the hash is keyed with ("" for events from before the chain was keyed).
    key_id: str = Field(default="", max_length=16)
    prev_hash: str = ""
    entry_hash: str = ""
