"""Exports of the records in formats other school systems read (OneRoster CSV)."""
