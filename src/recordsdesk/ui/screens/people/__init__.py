"""Screens for a student's record: the record, intake, profile edit, holds, departure."""
