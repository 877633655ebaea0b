"""A small partial index of the outstanding incompletes.

Revision ID: 0019
Revises: 0018

- `ix_enrollment_incomplete` (section_id, student_id, incomplete_expires) over the enrollments
  whose posted mark is I: the incompletes report lists them all, a few in a thousand of the
  marks, and without it read every enrollment. The report's statement repeats the predicate
  word for word, as SQLite needs to pick a partial index. Being partial, it costs only the
  writes that make or replace an I.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHERE = "grade_status = 'posted' AND mark = 'I'"


def upgrade() -> None:
    op.create_index(
        "ix_enrollment_incomplete",
        "enrollment",
        ["section_id", "student_id", "incomplete_expires"],
        sqlite_where=sa.text(WHERE),
        postgresql_where=sa.text(WHERE),
    )


def downgrade() -> None:
    op.drop_index("ix_enrollment_incomplete", table_name="enrollment")
