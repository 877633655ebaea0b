"""Transcript copies and verification letters may be in the `pesc` format.

Revision ID: 0012
Revises: 0011

- `transcript_request.format` and `verification_letter.format` take `pesc` (a PESC College
  Transcript, XML) besides pdf, text, html, json and print. Only the CHECK changes; no row does.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BEFORE = "'pdf', 'text', 'html', 'json', 'print'"
AFTER = "'pdf', 'text', 'html', 'json', 'pesc', 'print'"
TABLES = ("transcript_request", "verification_letter")


def _formats(allowed: str) -> None:
    """Replace each table's format CHECK. SQLite cannot alter a CHECK in place, so there the
    table is copied (neither table is the target of a foreign key, so the copy is allowed)."""
    for table in TABLES:
        with op.batch_alter_table(table, recreate="always") as batch:
            batch.drop_constraint(op.f(f"ck_{table}_format_valid"), type_="check")
            batch.create_check_constraint(
                op.f(f"ck_{table}_format_valid"), f"format IN ({allowed})"
            )


def upgrade() -> None:
    _formats(AFTER)


def downgrade() -> None:
    """Refused while any logged copy is a PESC one: the log is never rewritten."""
    bind = op.get_bind()
    for table in TABLES:
        found = bind.execute(sa.text(f"SELECT count(*) FROM {table} WHERE format = 'pesc'"))
        if found.scalar():
            raise RuntimeError(f"{table} holds PESC copies: the log cannot go back to 0011.")
    _formats(BEFORE)
