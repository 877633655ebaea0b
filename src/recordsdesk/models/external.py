"""Identifiers other systems use for our records, so a second import updates instead of adding."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from recordsdesk.models.base import utcnow


class ExternalKey(SQLModel, table=True):
    """One foreign identifier (a OneRoster `sourcedId`, a legacy number) mapped to one local row.

    `entity` names the local table (`student`, `course`, `section`, ...); `local_id` is that
    row's id. Kept apart from the tables themselves so any number of source systems can map.
    """

    __tablename__ = "external_key"
    __table_args__ = (
        UniqueConstraint("system", "entity", "source_id"),
        Index("ix_external_key_entity_local", "entity", "local_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    system: str = Field(max_length=40)
    entity: str = Field(max_length=40)
    source_id: str = Field(max_length=255)
    local_id: int
    updated_at: datetime = Field(default_factory=utcnow)
