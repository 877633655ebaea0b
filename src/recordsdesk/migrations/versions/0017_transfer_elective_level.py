"""Elective transfer credit keeps its level on the credit itself.

Revision ID: 0017
Revises: 0016

- `transfer_credit.elective_level`: "200" when a received course was accepted as elective
  credit at that level rather than as one of our courses; blank otherwise. Transcripts, the
  record and the PESC note show it ("elective 200") where they showed a dash. It is stored on
  the credit because the articulation rule it came from may be changed for later students.
- Existing credits made by an evaluation take the level of the rule that made them (the
  received course keeps which rule it was); credits entered otherwise stay blank.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "transfer_credit",
        sa.Column(
            "elective_level", sa.String(length=20), nullable=False, server_default=sa.text("''")
        ),
    )
    op.execute(
        "UPDATE transfer_credit SET elective_level = ("
        " SELECT a.elective_level FROM external_course ec"
        " JOIN articulation a ON a.id = ec.articulation_id"
        " WHERE ec.transfer_credit_id = transfer_credit.id)"
        " WHERE equivalent_course_id IS NULL AND EXISTS ("
        " SELECT 1 FROM external_course ec JOIN articulation a ON a.id = ec.articulation_id"
        " WHERE ec.transfer_credit_id = transfer_credit.id AND a.elective_level <> '')"
    )


def downgrade() -> None:
    # A plain column with no constraint or index: both engines drop it in place.
    op.drop_column("transfer_credit", "elective_level")
