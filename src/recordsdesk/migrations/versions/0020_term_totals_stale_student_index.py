"""An index on the stale notes' student.

Revision ID: 0020
Revises: 0019

- `ix_term_totals_stale_student` (student_id): a refresh with a limit takes the lowest noted
  students (`SELECT DISTINCT student_id ... ORDER BY student_id LIMIT n`) and a refresh for
  named students deletes their notes by student; without it each step read every note, and a
  large writer that keeps the per-row trigger leaves one note per row it wrote. The index costs
  each note one more entry, which is small beside the row that made it.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_term_totals_stale_student", "term_totals_stale", ["student_id"])


def downgrade() -> None:
    op.drop_index("ix_term_totals_stale_student", table_name="term_totals_stale")
