"""Keeping the database safe: backups, restores, schema checks and PostgreSQL grants."""

__all__ = [
    "backup",
    "grants",
    "restore",
]
