"""Imports (F10): a dry run first, then the same import the command line runs."""

__all__ = [
    "imports",
]
