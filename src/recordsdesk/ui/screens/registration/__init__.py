"""The registration sheet for one student and term, and its dialogs."""

__all__ = [
    "dialogs",
    "sheet",
]
