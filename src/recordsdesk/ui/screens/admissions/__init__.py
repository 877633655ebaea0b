"""Admission screening for one student: the checklist and the decision."""

__all__ = [
    "screening",
]
