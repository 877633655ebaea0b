"""Grading basis per enrollment, the bases a course allows, and the term's basis deadline.

Revision ID: 0010
Revises: 0009

- `enrollment.grading_basis`: graded (the course's scale), pass_no_pass, satisfactory, credit
  or audit. Every enrollment before this revision was graded on its course's scale, except one
  whose mark is AU, which was audited.
- `course.grading_bases` (comma-separated) and `course.default_grading_basis`: graded only,
  as every course was.
- `term.grading_basis_deadline`: none, so no existing term limits a student's choice.
- `institution.np_counts_as_f`: off (NP never entered a GPA before).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BASES = "'graded', 'pass_no_pass', 'satisfactory', 'credit', 'audit'"


def _add_checked_column(table: str, column: sa.Column[object], check: str, sql: str) -> None:
    """A new column with its CHECK. SQLite adds it in place (a batch copy would drop and rebuild
    tables other tables' foreign keys point at, which it refuses with foreign keys on)."""
    name = f"ck_{table}_{check}"
    if op.get_bind().dialect.name == "sqlite":
        ddl = column.type.compile(dialect=op.get_bind().dialect)
        default = column.server_default.arg if column.server_default is not None else None  # type: ignore[attr-defined]
        parts = [f"ALTER TABLE {table} ADD COLUMN {column.name} {ddl}"]
        if default is not None:
            parts.append(f"DEFAULT {default}")
        if not column.nullable:
            parts.append("NOT NULL")
        parts.append(f"CONSTRAINT {name} CHECK ({sql})")
        op.execute(" ".join(parts))
    else:
        op.add_column(table, column)
        op.create_check_constraint(op.f(name), table, sql)


def upgrade() -> None:
    _add_checked_column(
        "enrollment",
        sa.Column(
            "grading_basis",
            sa.String(length=20),
            nullable=False,
            server_default=sa.text("'graded'"),
        ),
        "grading_basis_valid",
        f"grading_basis IN ({BASES})",
    )
    op.execute("UPDATE enrollment SET grading_basis = 'audit' WHERE mark = 'AU'")
    op.add_column(
        "course",
        sa.Column(
            "grading_bases",
            sa.String(length=100),
            nullable=False,
            server_default=sa.text("'graded'"),
        ),
    )
    _add_checked_column(
        "course",
        sa.Column(
            "default_grading_basis",
            sa.String(length=20),
            nullable=False,
            server_default=sa.text("'graded'"),
        ),
        "default_grading_basis_valid",
        f"default_grading_basis IN ({BASES})",
    )
    _add_checked_column(
        "term",
        sa.Column("grading_basis_deadline", sa.Date(), nullable=True),
        "grading_basis_in_term",
        "grading_basis_deadline IS NULL OR grading_basis_deadline <= end_date",
    )
    op.add_column(
        "institution",
        sa.Column("np_counts_as_f", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    with op.batch_alter_table("institution") as batch:
        batch.drop_column("np_counts_as_f")
    with op.batch_alter_table("term") as batch:
        batch.drop_constraint(op.f("ck_term_grading_basis_in_term"), type_="check")
        batch.drop_column("grading_basis_deadline")
    with op.batch_alter_table("course") as batch:
        batch.drop_constraint(op.f("ck_course_default_grading_basis_valid"), type_="check")
        batch.drop_column("default_grading_basis")
        batch.drop_column("grading_bases")
    with op.batch_alter_table("enrollment") as batch:
        batch.drop_constraint(op.f("ck_enrollment_grading_basis_valid"), type_="check")
        batch.drop_column("grading_basis")
