"""Academic standing per student and term, the rules that decide it, and Latin honours.

Revision ID: 0011
Revises: 0010

- `academic_standing`: one row per student and term, decided when marks are posted (`computed`)
  and what stands (`standing`: a registrar's override, with `override_reason`, may differ).
  Terms posted before this revision have no row; their transcripts show the standing computed
  on the fly, as before.
- `institution.warning_below_term_gpa` (2.00), `suspension_after_probation_terms` (1),
  `dismissal_after_suspensions` (1) and `deans_list_min_credits` (0: no minimum, as before).
- `institution.cum_laude_min_gpa` (3.50), `magna_cum_laude_min_gpa` (3.70),
  `summa_cum_laude_min_gpa` (3.90), `honours_min_credits` (60): Latin honours proposed at
  conferral; `print_class_rank` (off): a secondary transcript prints the class rank.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LEVELS = "'good', 'warning', 'probation', 'suspension', 'dismissal'"


def upgrade() -> None:
    op.create_table(
        "academic_standing",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("term_id", sa.Integer(), nullable=False),
        sa.Column("standing", sa.String(length=20), nullable=False),
        sa.Column("computed", sa.String(length=20), nullable=False),
        sa.Column("term_gpa", sa.Numeric(precision=6, scale=4), nullable=True),
        sa.Column("cumulative_gpa", sa.Numeric(precision=6, scale=4), nullable=True),
        sa.Column("override_reason", sa.String(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            f"standing IN ({LEVELS})", name=op.f("ck_academic_standing_standing_valid")
        ),
        sa.CheckConstraint(
            f"computed IN ({LEVELS})", name=op.f("ck_academic_standing_computed_valid")
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_academic_standing_version_positive")),
        sa.ForeignKeyConstraint(
            ["student_id"], ["student.id"], name=op.f("fk_academic_standing_student_id_student")
        ),
        sa.ForeignKeyConstraint(
            ["term_id"], ["term.id"], name=op.f("fk_academic_standing_term_id_term")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["staff_user.id"],
            name=op.f("fk_academic_standing_decided_by_id_staff_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_academic_standing")),
        sa.UniqueConstraint(
            "student_id", "term_id", name=op.f("uq_academic_standing_student_id_term_id")
        ),
    )
    op.create_index(op.f("ix_academic_standing_student_id"), "academic_standing", ["student_id"])
    op.create_index(op.f("ix_academic_standing_term_id"), "academic_standing", ["term_id"])
    columns: list[sa.Column[Any]] = [
        sa.Column(
            "warning_below_term_gpa",
            sa.Numeric(precision=4, scale=2),
            nullable=False,
            server_default=sa.text("2.00"),
        ),
        sa.Column(
            "suspension_after_probation_terms",
            sa.Integer(),
            nullable=False,
            server_default=sa.text("1"),
        ),
        sa.Column(
            "dismissal_after_suspensions", sa.Integer(), nullable=False, server_default=sa.text("1")
        ),
        sa.Column(
            "deans_list_min_credits",
            sa.Numeric(precision=5, scale=2),
            nullable=False,
            server_default=sa.text("0"),
        ),
        *(
            sa.Column(
                name,
                sa.Numeric(precision=4, scale=2),
                nullable=False,
                server_default=sa.text(default),
            )
            for name, default in (
                ("cum_laude_min_gpa", "3.50"),
                ("magna_cum_laude_min_gpa", "3.70"),
                ("summa_cum_laude_min_gpa", "3.90"),
            )
        ),
        sa.Column(
            "honours_min_credits",
            sa.Numeric(precision=5, scale=2),
            nullable=False,
            server_default=sa.text("60"),
        ),
        sa.Column("print_class_rank", sa.Boolean(), nullable=False, server_default=sa.false()),
    ]
    for column in columns:
        op.add_column("institution", column)


def downgrade() -> None:
    with op.batch_alter_table("institution") as batch:
        for name in (
            "print_class_rank",
            "honours_min_credits",
            "summa_cum_laude_min_gpa",
            "magna_cum_laude_min_gpa",
            "cum_laude_min_gpa",
            "deans_list_min_credits",
            "dismissal_after_suspensions",
            "suspension_after_probation_terms",
            "warning_below_term_gpa",
        ):
            batch.drop_column(name)
    op.drop_index(op.f("ix_academic_standing_term_id"), table_name="academic_standing")
    op.drop_index(op.f("ix_academic_standing_student_id"), table_name="academic_standing")
    op.drop_table("academic_standing")
