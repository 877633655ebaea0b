"""Marks: what a section's scale accepts, the roster to key them into, and marks from a file.

`basis` names the grading bases and their marks; `marks` saves, posts and changes grades;
`roster` reads what grade entry shows; `marks_import` takes an instructor's CSV."""

__all__ = [
    "basis",
    "marks",
    "marks_import",
    "roster",
]
