"""The PostgreSQL grants a desk's own login role needs, and no more (see docs/security.md).

The desk signs staff in and checks every role, but the database role it connects as can do
whatever its grants allow, to anyone holding its password. An office therefore keeps the owner
role (which migrates, restores and builds the demo) for its administrators and gives desks a
role that can read and write records but cannot change the schema, drop or truncate tables,
delete or rewrite audit events or the disclosure log, or touch the schema version. The
statements are idempotent; run them as the owner after every `recordsdesk db upgrade` (new
tables need the grants too).
"""

from __future__ import annotations

import re

from recordsdesk.services.shared.errors import ValidationFailed

_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_$]{0,62}")


def _identifier(value: str, field: str) -> str:
    if not _IDENTIFIER.fullmatch(value):
        raise ValidationFailed(
            field, f"{value!r} is not a plain PostgreSQL name (lower case, digits, _)."
        )
    return value


def desk_grants_sql(database: str, role: str, schema: str = "public") -> str:
    """The SQL giving `role` what a desk needs on `database`.`schema`, as one script."""
    db = _identifier(database, "database")
    desk = _identifier(role, "role")
    ns = _identifier(schema, "schema")
    return f"""\
-- Grants for the desk role {desk} on database {db} (recordsdesk db grants).
-- Run as the database owner, after creating the role (CREATE ROLE {desk} LOGIN PASSWORD '...')
-- and after every `recordsdesk db upgrade`. Desks connect as {desk}; only administrators hold
-- the owner's password (upgrades, restores and the demo build need it).
BEGIN;
REVOKE ALL ON DATABASE {db} FROM PUBLIC;
GRANT CONNECT ON DATABASE {db} TO {desk};
-- Temporary tables, private to one connection and gone at its transaction's end: a large import
-- stages its rows in them before it takes the write lock.
GRANT TEMPORARY ON DATABASE {db} TO {desk};
REVOKE CREATE ON SCHEMA {ns} FROM PUBLIC;
GRANT USAGE ON SCHEMA {ns} TO {desk};
REVOKE ALL ON ALL TABLES IN SCHEMA {ns} FROM {desk};
-- Records: read and write rows, never the table definitions (no TRUNCATE, no TRIGGER).
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {ns} TO {desk};
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {ns} TO {desk};
-- The schema version is the owner's.
REVOKE INSERT, UPDATE, DELETE ON {ns}.alembic_version FROM {desk};
-- The audit log is append-only for desks: a new event's hash link is written just after its
-- row, so only those two columns may be updated.
REVOKE UPDATE, DELETE ON {ns}.audit_event FROM {desk};
GRANT UPDATE (prev_hash, entry_hash) ON {ns}.audit_event TO {desk};
-- The disclosure log is append-only too: a release adds its row, nothing changes one.
REVOKE UPDATE, DELETE ON {ns}.disclosure FROM {desk};
COMMIT;
"""
