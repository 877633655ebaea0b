"""Admission screening: an application per student, its document checklist and the decision.

Intake opens an application (`applications`); the institution's reference data seeds the
default `checklist`."""

__all__ = [
    "applications",
    "checklist",
]
