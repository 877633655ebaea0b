"""The student record: the person, profile, intake, notes, holds and departure."""
