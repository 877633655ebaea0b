"""Grade entry: the term and section lists (`entry`) and one section's roster."""

__all__ = [
    "entry",
]
