"""The catalog's courses with their sections, and the terms."""

__all__ = [
    "courses",
    "terms",
]
