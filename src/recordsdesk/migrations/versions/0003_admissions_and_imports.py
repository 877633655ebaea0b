"""Admissions checklist, leave of absence, waitlist seat offers, and external identifiers.

Revision ID: 0003
Revises: 0002

- `screening_requirement`: the documents each program's applications must show (NULL program:
  every program), so the checklist is the office's own and the same on every desk.
- `student.leave_*`: a leave of absence keeps its start, expected return and reason while the
  departure columns stay for leaving for good.
- `enrollment.seat_offered_at`: a freed seat is offered to the first waitlisted student, who holds
  it until they accept or decline.
- `external_key`: a OneRoster `sourcedId` (or any other system's id) mapped to a local row, so a
  second import of the same file updates instead of duplicating.

Columns are added with ALTER TABLE ADD COLUMN on both engines (no SQLite table rebuild), so the
lookup triggers of 0002 on `student` are untouched.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "external_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("system", sa.String(length=40), nullable=False),
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("source_id", sa.String(length=255), nullable=False),
        sa.Column("local_id", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_external_key")),
        sa.UniqueConstraint(
            "system",
            "entity",
            "source_id",
            name=op.f("uq_external_key_system_entity_source_id"),
        ),
    )
    op.create_index("ix_external_key_entity_local", "external_key", ["entity", "local_id"])

    op.create_table(
        "screening_requirement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=True),
        sa.Column("item", sa.String(length=80), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["program.id"],
            name=op.f("fk_screening_requirement_program_id_program"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_requirement")),
        sa.UniqueConstraint(
            "program_id", "item", name=op.f("uq_screening_requirement_program_id_item")
        ),
    )
    op.create_index(
        op.f("ix_screening_requirement_program_id"), "screening_requirement", ["program_id"]
    )

    op.add_column(
        "enrollment", sa.Column("seat_offered_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("student", sa.Column("leave_start", sa.Date(), nullable=True))
    op.add_column("student", sa.Column("leave_expected_return", sa.Date(), nullable=True))
    op.add_column(
        "student",
        sa.Column("leave_reason", sa.String(), nullable=False, server_default=sa.text("''")),
    )


def downgrade() -> None:
    # SQLite has dropped columns in place since 3.35; batch mode would rebuild `student` and lose
    # the lookup triggers.
    op.drop_column("student", "leave_reason")
    op.drop_column("student", "leave_expected_return")
    op.drop_column("student", "leave_start")
    op.drop_column("enrollment", "seat_offered_at")
    op.drop_index(op.f("ix_screening_requirement_program_id"), table_name="screening_requirement")
    op.drop_table("screening_requirement")
    op.drop_index("ix_external_key_entity_local", table_name="external_key")
    op.drop_table("external_key")
