"""The practice desk: a flag on the institution and the trainee's results.

Revision ID: 0008
Revises: 0007

- `institution.practice`: the database is a trainee's practice desk (`recordsdesk practice`);
  every screen shows a PRACTICE band and every document made from it is marked PRACTICE.
- `practice_result`: per exercise, when the trainee started it, when it was first checked done,
  how many checks and how many found a mistake, the answer given and the last check's words.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "institution",
        sa.Column("practice", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "practice_result",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exercise", sa.String(length=80), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("mistakes", sa.Integer(), nullable=False),
        sa.Column("answer", sa.String(), nullable=False),
        sa.Column("last_check", sa.Text(), nullable=False),
        sa.CheckConstraint("attempts >= 0 AND mistakes >= 0", name="counts_nonnegative"),
        sa.PrimaryKeyConstraint("id", name="pk_practice_result"),
        sa.UniqueConstraint("exercise", name="uq_practice_result_exercise"),
    )


def downgrade() -> None:
    op.drop_table("practice_result")
    with op.batch_alter_table("institution") as batch:
        batch.drop_column("practice")
