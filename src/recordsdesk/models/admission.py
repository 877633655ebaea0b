"""Admission applications and the screening checklist that precedes a decision."""

from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

from recordsdesk.models.base import ApplicationDecision, one_of


class AdmissionApplication(SQLModel, table=True):
    __tablename__ = "admission_application"
    __table_args__ = (
        one_of("decision", ApplicationDecision),
        CheckConstraint("decision = 'pending' OR decision_date IS NOT NULL", name="decision_dated"),
    )

    id: int | None = Field(default=None, primary_key=True)
    student_id: int = Field(foreign_key="student.id", index=True)
    program_id: int = Field(foreign_key="program.id")
    entry_term_id: int | None = Field(default=None, foreign_key="term.id")
    applied_on: date
    decision: str = Field(default=ApplicationDecision.PENDING.value)
    decision_date: date | None = None
    decided_by_id: int | None = Field(default=None, foreign_key="staff_user.id")
    notes: str = ""
    version: int = 1


class ScreeningItem(SQLModel, table=True):
    """One document on an application's checklist (identity, prior transcript, ...)."""

    __tablename__ = "screening_item"
    __table_args__ = (UniqueConstraint("application_id", "item"),)

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="admission_application.id", index=True)
    item: str
    required: bool = True
    received_on: date | None = None
    recorded_by_id: int | None = Field(default=None, foreign_key="staff_user.id")
    note: str = ""


class ScreeningRequirement(SQLModel, table=True):
    """The office's checklist: which documents an application needs before a decision.

    A row with no program applies to every program; a program's own rows add to those. Kept in
    the database (not a config file) so every desk screens against the same list.
    """

    __tablename__ = "screening_requirement"
    __table_args__ = (UniqueConstraint("program_id", "item"),)

    id: int | None = Field(default=None, primary_key=True)
    program_id: int | None = Field(default=None, foreign_key="program.id", index=True)
    item: str = Field(max_length=80)
    required: bool = True
    position: int = 0
