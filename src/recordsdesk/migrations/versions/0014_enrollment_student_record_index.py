"""A covering index of each student's enrollments, in place of the plain student_id index.

Revision ID: 0014
Revises: 0013

- `ix_enrollment_student_record` (student_id, grade_status, section_id, status, mark,
  grading_basis, credits): the standing reports (dean's list, probation, graduation, class
  rank) sum every posted mark per student, and the enrollment report groups seats per term and
  student, from the index alone in student order, without reading the table's rows.
- `ix_enrollment_student_id` is dropped: the new index and the unique constraint on
  (student_id, section_id) both begin with student_id, so it only cost writes.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ["student_id", "grade_status", "section_id", "status", "mark", "grading_basis", "credits"]


def upgrade() -> None:
    op.create_index("ix_enrollment_student_record", "enrollment", COLUMNS)
    op.drop_index("ix_enrollment_student_id", table_name="enrollment")


def downgrade() -> None:
    op.create_index("ix_enrollment_student_id", "enrollment", ["student_id"])
    op.drop_index("ix_enrollment_student_record", table_name="enrollment")
