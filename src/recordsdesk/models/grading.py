"""Grading scales: the marks an institution uses and what each one means for GPA and credit."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import CheckConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

from recordsdesk.models.base import ScaleKind, one_of


class GradingScale(SQLModel, table=True):
    __tablename__ = "grading_scale"
    __table_args__ = (one_of("kind", ScaleKind),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=20)
    name: str
    kind: str
    description: str = ""


class GradeMark(SQLModel, table=True):
    """One mark of a scale. A percentage band (min/max) lets a typed percentage become the mark."""

    __tablename__ = "grade_mark"
    __table_args__ = (
        UniqueConstraint("scale_id", "mark"),
        CheckConstraint("points IS NULL OR points >= 0", name="points_nonnegative"),
        CheckConstraint(
            "(min_percent IS NULL AND max_percent IS NULL) OR "
            "(min_percent IS NOT NULL AND max_percent IS NOT NULL AND min_percent <= max_percent)",
            name="percent_band",
        ),
        CheckConstraint("NOT counts_in_gpa OR points IS NOT NULL", name="gpa_needs_points"),
    )

    id: int | None = Field(default=None, primary_key=True)
    scale_id: int = Field(foreign_key="grading_scale.id", index=True)
    mark: str = Field(max_length=10)
    description: str = ""
    points: Decimal | None = Field(default=None, max_digits=4, decimal_places=2)
    counts_in_gpa: bool = True
    earns_credit: bool = True
    counts_attempted: bool = True
    is_passing: bool = True
    min_percent: Decimal | None = Field(default=None, max_digits=5, decimal_places=2)
    max_percent: Decimal | None = Field(default=None, max_digits=5, decimal_places=2)
    sort_order: int = 0
