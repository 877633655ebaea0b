"""Keeping the database safe and quick: backups, restores, schema checks, PostgreSQL grants, and
optimize (the lookup index merged, statistics refreshed)."""

__all__ = [
    "backup",
    "grants",
    "optimize",
    "restore",
]
