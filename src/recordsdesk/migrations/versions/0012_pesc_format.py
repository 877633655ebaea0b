"""Transcript copies and verification letters may be in the `pesc` format.

Revision ID: 0012
Revises: 0011

- `transcript_request.format` and `verification_letter.format` take `pesc` (a PESC College
  Transcript, XML) besides pdf, text, html, json and print. Only the CHECK changes; no row does.
"""

import re
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


def _formats(allowed: str, before: str) -> None:
    """Replace each table's format CHECK. PostgreSQL alters it in place. SQLite cannot alter a
    CHECK, so there the table is copied from its own stored CREATE statement with only the CHECK
    changed: Alembic's batch copy emits the constraints in an arbitrary order, and two databases
    migrated alike must end with the same schema text (neither table is the target of a foreign
    key, so the copy is allowed)."""
    bind = op.get_bind()
    for table in TABLES:
        if bind.dialect.name != "sqlite":
            op.drop_constraint(op.f(f"ck_{table}_format_valid"), table, type_="check")
            op.create_check_constraint(
                op.f(f"ck_{table}_format_valid"), table, f"format IN ({allowed})"
            )
            continue
        _copy_sqlite_table(table, f"format IN ({before})", f"format IN ({allowed})")


def _copy_sqlite_table(table: str, old: str, new: str) -> None:
    bind = op.get_bind()
    found = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).scalar_one()
    if old not in found:
        raise RuntimeError(f"{table}: its format check is not the one this revision replaces.")
    indexes = (
        bind.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL "
            "ORDER BY name",
            (table,),
        )
        .scalars()
        .all()
    )
    copy = f"_{table}_copy"
    create = re.sub(
        rf'^CREATE TABLE "?{table}"?', f'CREATE TABLE "{copy}"', found.replace(old, new, 1)
    )
    op.execute(create)
    op.execute(f'INSERT INTO "{copy}" SELECT * FROM "{table}"')
    op.execute(f'DROP TABLE "{table}"')
    op.execute(f'ALTER TABLE "{copy}" RENAME TO "{table}"')
    for index in indexes:
        op.execute(index)


def upgrade() -> None:
    _formats(AFTER, BEFORE)


def downgrade() -> None:
    """Refused while any logged copy is a PESC one: the log is never rewritten."""
    bind = op.get_bind()
    for table in TABLES:
        found = bind.execute(sa.text(f"SELECT count(*) FROM {table} WHERE format = 'pesc'"))
        if found.scalar():
            raise RuntimeError(f"{table} holds PESC copies: the log cannot go back to 0011.")
    _formats(BEFORE, AFTER)
