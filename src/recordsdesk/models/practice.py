"""A trainee's results on the practice desk: one row per exercise tried.

Only practice databases (`institution.practice`) ever hold rows here; the table exists in every
database so one schema serves both, and a supervisor's report reads it like any other table.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Text
from sqlmodel import Field, SQLModel

from recordsdesk.models.base import utcnow


class PracticeResult(SQLModel, table=True):
    """`started_at` is when the trainee opened the exercise (checks only count what was done
    after it); `attempts` counts checks, `mistakes` the checks that found something done wrong,
    `finished_at` the first check that found it done."""

    __tablename__ = "practice_result"
    __table_args__ = (
        CheckConstraint("attempts >= 0 AND mistakes >= 0", name="counts_nonnegative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    exercise: str = Field(max_length=80, unique=True)
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    attempts: int = 0
    mistakes: int = 0
    answer: str = ""
    last_check: str = Field(default="", sa_type=Text)
