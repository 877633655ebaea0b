"""Two indexes the one-term reports read from alone.

Revision ID: 0018
Revises: 0017

- `ix_enrollment_section_marks` (section_id, mark, student_id), partial: posted marks only.
  The grade distribution counts a term's posted marks per section and mark from it, in index
  order, without reading an enrollment row (the table's rows cost a page read each at a
  million students); student_id serves its --program filter.
- `ix_academic_standing_term` (term_id, standing, student_id) in place of the plain term_id
  index: probation and the dean's list pick the term's students by their decided standing
  (a standing is decided for nearly every student of a term) from the index alone.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

POSTED = "grade_status = 'posted' AND mark IS NOT NULL"


def upgrade() -> None:
    op.create_index(
        "ix_enrollment_section_marks",
        "enrollment",
        ["section_id", "mark", "student_id"],
        sqlite_where=sa.text(POSTED),
        postgresql_where=sa.text(POSTED),
    )
    op.create_index(
        "ix_academic_standing_term", "academic_standing", ["term_id", "standing", "student_id"]
    )
    op.drop_index("ix_academic_standing_term_id", table_name="academic_standing")


def downgrade() -> None:
    op.create_index("ix_academic_standing_term_id", "academic_standing", ["term_id"])
    op.drop_index("ix_academic_standing_term", table_name="academic_standing")
    op.drop_index("ix_enrollment_section_marks", table_name="enrollment")
