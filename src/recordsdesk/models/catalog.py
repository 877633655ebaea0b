"""The catalog: programs and their requirements, courses and their prerequisites."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import CheckConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

from recordsdesk.models.base import GradingBasis, ProgramLevel, one_of


class Program(SQLModel, table=True):
    __tablename__ = "program"
    __table_args__ = (
        one_of("level", ProgramLevel),
        CheckConstraint("required_credits >= 0", name="required_credits_nonnegative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=20)
    name: str
    level: str
    award: str = ""
    department: str = ""
    required_credits: Decimal = Field(default=Decimal("0"), max_digits=6, decimal_places=2)
    min_gpa: Decimal | None = Field(default=None, max_digits=4, decimal_places=2)
    active: bool = True
    #: Regular terms (summers not counted) a full-time student takes to finish, e.g. 8 for a
    #: four-year bachelor's; None when not set. Letters state expected graduation from it.
    normal_terms: int | None = None


class Course(SQLModel, table=True):
    """A catalog course. `weight` is the points an honors/AP course adds to a weighted GPA.
    `grading_bases` lists, comma-separated, the bases a student may choose; registration gives
    `default_grading_basis`, which is always one of them."""

    __tablename__ = "course"
    __table_args__ = (
        one_of("level", ProgramLevel),
        CheckConstraint("credits >= 0", name="credits_nonnegative"),
        CheckConstraint("weight >= 0", name="weight_nonnegative"),
        one_of("default_grading_basis", GradingBasis),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=20)
    title: str
    credits: Decimal = Field(max_digits=5, decimal_places=2)
    department: str = ""
    level: str
    grading_scale_id: int = Field(foreign_key="grading_scale.id", index=True)
    weight: Decimal = Field(default=Decimal("0"), max_digits=3, decimal_places=2)
    grading_bases: str = Field(default=GradingBasis.GRADED.value, max_length=100)
    default_grading_basis: str = Field(default=GradingBasis.GRADED.value, max_length=20)
    description: str = ""
    repeat_limit: int = 1
    active: bool = True


class ProgramRequirement(SQLModel, table=True):
    """A course a program requires (degree audit reads these)."""

    __tablename__ = "program_requirement"
    __table_args__ = (UniqueConstraint("program_id", "course_id"),)

    id: int | None = Field(default=None, primary_key=True)
    program_id: int = Field(foreign_key="program.id", index=True)
    course_id: int = Field(foreign_key="course.id", index=True)
    min_mark: str | None = Field(default=None, max_length=10)


class Prerequisite(SQLModel, table=True):
    __tablename__ = "prerequisite"
    __table_args__ = (
        UniqueConstraint("course_id", "required_course_id"),
        CheckConstraint("course_id <> required_course_id", name="not_self"),
    )

    id: int | None = Field(default=None, primary_key=True)
    course_id: int = Field(foreign_key="course.id", index=True)
    required_course_id: int = Field(foreign_key="course.id", index=True)
    min_mark: str = Field(default="D", max_length=10)
