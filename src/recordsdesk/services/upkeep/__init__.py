"""Keeping the database safe: backups, restores, schema checks and grants."""
