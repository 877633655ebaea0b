"""Each student's figures per term, stored so the reports read one row per student instead of
every posted mark (services/reports/totals.py keeps them; nothing else writes them).

The rows are derived data: any of them can be rebuilt from the records at any time. Triggers on
the tables they come from (migration 0016) note the students whose rows a change made stale;
the `term_totals_basis` row says which repeat policy and grading scales they were computed
under, so a change of policy rebuilds them all.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Index
from sqlmodel import Field, SQLModel


class TermTotals(SQLModel, table=True):
    """One student's term, as the transcript computes it: the term's figures after the repeat
    policy (over the whole record: a later repeat can exclude an earlier attempt), the
    cumulative figures through the term (earned credit counting transfer credit, as the
    transcript's running totals do), and what the enrollment report counts. A row exists for
    every term with an enrollment the transcript reads (registered, completed or withdrawn);
    `posted` counts its posted marks (0: the transcript has no such term yet). `latest` marks
    the student's last term: its cumulative figures are the whole record's. The `*_gpa_raw`
    columns are the unrounded GPAs as floats, for indexed range reads; a report decides on
    the exact figures."""

    __tablename__ = "term_totals"
    __table_args__ = (
        # A term's rows, with what the enrollment report groups and the term reports filter
        # on, read from the index alone.
        Index(
            "ix_term_totals_term",
            "term_id",
            "program_id",
            "posted",
            "seats",
            "seat_credits",
            "withdrawn",
            "term_gpa_raw",
            "cum_gpa_raw",
        ),
        # Each student's whole record (their latest row), by cumulative GPA, and by program and
        # credits toward it (the graduation report's candidates).
        Index("ix_term_totals_latest", "latest", "cum_gpa_raw"),
        Index("ix_term_totals_degree", "latest", "program_id", "toward_degree"),
    )

    student_id: int = Field(primary_key=True)
    term_id: int = Field(primary_key=True)
    #: The student's program when the row was computed (a change of program recomputes it).
    program_id: int | None = None
    posted: int = 0
    attempted: Decimal = Field(default=Decimal(0), max_digits=12, decimal_places=4)
    earned: Decimal = Field(default=Decimal(0), max_digits=12, decimal_places=4)
    gpa_credits: Decimal = Field(default=Decimal(0), max_digits=12, decimal_places=4)
    quality_points: Decimal = Field(default=Decimal(0), max_digits=12, decimal_places=4)
    weighted_points: Decimal = Field(default=Decimal(0), max_digits=12, decimal_places=4)
    cum_attempted: Decimal = Field(default=Decimal(0), max_digits=12, decimal_places=4)
    cum_earned: Decimal = Field(default=Decimal(0), max_digits=12, decimal_places=4)
    cum_gpa_credits: Decimal = Field(default=Decimal(0), max_digits=12, decimal_places=4)
    cum_quality_points: Decimal = Field(default=Decimal(0), max_digits=12, decimal_places=4)
    cum_weighted_points: Decimal = Field(default=Decimal(0), max_digits=12, decimal_places=4)
    term_gpa_raw: float | None = None
    cum_gpa_raw: float | None = None
    #: Registered or completed enrollments, their credits, and withdrawn ones.
    seats: int = 0
    seat_credits: Decimal = Field(default=Decimal(0), max_digits=12, decimal_places=4)
    withdrawn: int = 0
    #: Credits registered and not yet posted, in the term and through it.
    in_progress: Decimal = Field(default=Decimal(0), max_digits=12, decimal_places=4)
    cum_in_progress: Decimal = Field(default=Decimal(0), max_digits=12, decimal_places=4)
    #: Earned (transfer credit included) and in-progress credits through the term.
    toward_degree: Decimal = Field(default=Decimal(0), max_digits=12, decimal_places=4)
    latest: bool = False


class TermTotalsStale(SQLModel, table=True):
    """A student whose rows a change made stale, noted by a trigger (a student may be noted
    more than once: appending never waits for another desk, and the refresh takes them all)."""

    __tablename__ = "term_totals_stale"
    # A refresh takes the lowest noted students, or deletes named ones: by student, not a
    # read of every note.
    __table_args__ = (Index("ix_term_totals_stale_student", "student_id"),)

    id: int | None = Field(default=None, primary_key=True)
    student_id: int


class TermTotalsBasis(SQLModel, table=True):
    """What the rows were computed under: a digest of the repeat policy, how NP counts and the
    grading scales' marks. No row, or another digest, means every row is rebuilt."""

    __tablename__ = "term_totals_basis"

    id: int | None = Field(default=None, primary_key=True)
    digest: str = Field(max_length=64)
