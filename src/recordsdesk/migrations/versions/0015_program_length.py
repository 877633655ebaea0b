"""A program's normal length, from which a verification letter states expected graduation.

Revision ID: 0015
Revises: 0014

- `program.normal_terms`: how many regular terms (summer sessions not counted) a full-time
  student takes to finish the program, e.g. 8 for a four-year bachelor's degree. Blank (the
  value every existing program gets) means not set: letters then state the class year.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("program", sa.Column("normal_terms", sa.Integer(), nullable=True))


def downgrade() -> None:
    # A plain column with no constraint or index: both engines drop it in place.
    op.drop_column("program", "normal_terms")
