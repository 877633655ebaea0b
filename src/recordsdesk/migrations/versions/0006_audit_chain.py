"""The audit chain keyed: which key each event's hash is keyed with.

Revision ID: 0006
Revises: 0005

- `audit_event.key_id`: the id of the audit key (a hash of it, not the key) whose HMAC the
  event carries; empty for every event written before, which keep the first, unkeyed rule up
  to the switch-over event the first keyed append writes (services.audit.trail).

Added with ALTER TABLE ADD COLUMN on both engines; existing rows get the empty default.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "audit_event",
        sa.Column("key_id", sa.String(length=16), nullable=False, server_default=""),
    )


def downgrade() -> None:
    with op.batch_alter_table("audit_event") as batch:
        batch.drop_column("key_id")
