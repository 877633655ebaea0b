"""Each released transcript copy keeps a digest of what it printed.

Revision ID: 0007
Revises: 0006

- `transcript_request.content_digest`: SHA-256 of the released copy's bytes, so "is this
  document genuine?" compares a presented copy with the one released under its verification
  code (each copy has its own code: official, unofficial, weighted and each format differ).
  Copies released before this revision keep an empty digest.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "transcript_request",
        sa.Column("content_digest", sa.String(), nullable=False, server_default=sa.text("''")),
    )


def downgrade() -> None:
    op.drop_column("transcript_request", "content_digest")
