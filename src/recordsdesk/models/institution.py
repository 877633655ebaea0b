"""The institution itself and the policies every rule in the office reads."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import CheckConstraint
from sqlmodel import Field, SQLModel

from recordsdesk.models.base import InstitutionLevel, RepeatPolicy, RoundingPolicy, one_of


class Institution(SQLModel, table=True):
    """One row: the office's identity and policies (settings live here, not in a config file,
    so every desk on a shared database applies the same rules). `demo` marks a database built by
    `recordsdesk demo`, the only kind the demo builder will ever replace; `practice` a trainee's
    practice desk (`recordsdesk practice`): every screen and document made from it says so."""

    __tablename__ = "institution"
    __table_args__ = (
        one_of("level", InstitutionLevel),
        one_of("repeat_policy", RepeatPolicy),
        one_of("gpa_rounding", RoundingPolicy),
        CheckConstraint("gpa_decimals BETWEEN 0 AND 4", name="gpa_decimals_range"),
        CheckConstraint("max_credit_load > 0", name="max_credit_load_positive"),
        CheckConstraint("idle_lock_minutes >= 0", name="idle_lock_nonnegative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str
    short_name: str
    level: str = Field(default=InstitutionLevel.TERTIARY.value)
    address: str = ""
    phone: str = ""
    email: str = ""
    website: str = ""
    registrar_name: str = ""
    default_grading_scale_id: int | None = Field(default=None, foreign_key="grading_scale.id")
    student_number_pattern: str = "{year}{seq:05d}"
    student_number_seq: int = 0
    repeat_policy: str = Field(default=RepeatPolicy.LATEST.value)
    gpa_rounding: str = Field(default=RoundingPolicy.HALF_UP.value)
    gpa_decimals: int = 2
    deans_list_min_gpa: Decimal = Field(default=Decimal("3.50"), max_digits=4, decimal_places=2)
    probation_below_gpa: Decimal = Field(default=Decimal("2.00"), max_digits=4, decimal_places=2)
    # Academic standing (decided at posting): a term GPA below this is a warning; after this
    # many consecutive probation terms, another one below the line is a suspension; after this
    # many suspensions, another one is a dismissal (0: never).
    warning_below_term_gpa: Decimal = Field(default=Decimal("2.00"), max_digits=4, decimal_places=2)
    suspension_after_probation_terms: int = 1
    dismissal_after_suspensions: int = 1
    # Latin honours proposed at conferral: cumulative GPA thresholds, and the credits a
    # graduate must have earned here (transfer credit aside).
    cum_laude_min_gpa: Decimal = Field(default=Decimal("3.50"), max_digits=4, decimal_places=2)
    magna_cum_laude_min_gpa: Decimal = Field(
        default=Decimal("3.70"), max_digits=4, decimal_places=2
    )
    summa_cum_laude_min_gpa: Decimal = Field(
        default=Decimal("3.90"), max_digits=4, decimal_places=2
    )
    honours_min_credits: Decimal = Field(default=Decimal("60"), max_digits=5, decimal_places=2)
    # Whether a secondary transcript prints the student's class rank.
    print_class_rank: bool = False
    # GPA credits a term needs for the dean's list (0: no minimum).
    deans_list_min_credits: Decimal = Field(default=Decimal("0"), max_digits=5, decimal_places=2)
    # Whether NP (no pass) enters the GPA as an F: 0 points over the course's credits.
    np_counts_as_f: bool = False
    max_credit_load: Decimal = Field(default=Decimal("18"), max_digits=5, decimal_places=2)
    incomplete_days: int = 120
    idle_lock_minutes: int = 5
    minor_age_years: int = 18
    # Enrollment status on verification letters: credits registered in a term at or above
    # which a student is full-time, and half-time (below it: less than half-time).
    full_time_credits_undergraduate: Decimal = Field(
        default=Decimal("12"), max_digits=5, decimal_places=2
    )
    half_time_credits_undergraduate: Decimal = Field(
        default=Decimal("6"), max_digits=5, decimal_places=2
    )
    full_time_credits_graduate: Decimal = Field(
        default=Decimal("9"), max_digits=5, decimal_places=2
    )
    half_time_credits_graduate: Decimal = Field(
        default=Decimal("4.5"), max_digits=5, decimal_places=2
    )
    demo: bool = False
    practice: bool = False
    version: int = 1
